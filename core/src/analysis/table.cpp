#include "cb/analysis/table.hpp"

#include <charconv>

#include "cb/util/json_writer.hpp"
#include "cb/util/text.hpp"

namespace cb {

std::string to_csv(const Table& t) {
    std::string out;
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
        if (i) out.push_back(',');
        append_csv_cell(out, t.columns[i].name);
    }
    out.append("\r\n");
    for (const auto& row : t.rows) {
        for (std::size_t i = 0; i < row.size(); ++i) {
            if (i) out.push_back(',');
            const Cell& c = row[i];
            if (auto p = std::get_if<std::int64_t>(&c)) {
                char buf[24];
                out.append(buf, std::to_chars(buf, buf + sizeof buf, *p).ptr);
            } else if (auto d = std::get_if<double>(&c)) {
                out.append(format_number(*d, 6));
            } else if (auto s = std::get_if<std::string>(&c)) {
                append_csv_cell(out, *s);
            }
        }
        out.append("\r\n");
    }
    return out;
}

}  // namespace cb
