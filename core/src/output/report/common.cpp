// Helpers shared by the parts of report.html's data (report_parts.hpp).
#include "report_parts.hpp"

#include <algorithm>

#include "cb/util/json_writer.hpp"
#include "cb/util/text.hpp"

namespace cb::report {

std::int64_t to_ms(Micros t) { return t == kNoTime ? 0 : t / 1000; }

std::string session_id(const Session& s) {
    std::string id(s.sensor);
    id.push_back('/');
    id.append(s.session);
    return id;
}

int column(const Table* t, std::string_view name) {
    if (!t) return -1;
    for (std::size_t i = 0; i < t->columns.size(); ++i)
        if (t->columns[i].name == name) return static_cast<int>(i);
    return -1;
}

std::string_view text_at(const std::vector<Cell>& row, int c) {
    if (c < 0 || static_cast<std::size_t>(c) >= row.size()) return {};
    if (const auto* s = std::get_if<std::string>(&row[c])) return *s;
    return {};
}

double number_at(const std::vector<Cell>& row, int c) {
    if (c < 0 || static_cast<std::size_t>(c) >= row.size()) return 0;
    if (const auto* i = std::get_if<std::int64_t>(&row[c])) return static_cast<double>(*i);
    if (const auto* d = std::get_if<double>(&row[c])) return *d;
    return 0;
}

namespace {

std::string_view type_name(ColumnType t) {
    switch (t) {
        case ColumnType::Integer:
            return "int";
        case ColumnType::Real:
            return "real";
        default:
            return "text";
    }
}

void write_cell(JsonWriter& w, const Cell& c, std::size_t max_bytes, std::string& buf) {
    if (const auto* i = std::get_if<std::int64_t>(&c))
        w.value(*i);
    else if (const auto* d = std::get_if<double>(&c))
        w.value(*d, 6);
    else if (const auto* s = std::get_if<std::string>(&c))
        w.value(clip_utf8(*s, max_bytes, buf));
    else
        w.null();
}

}  // namespace

std::string table_json(const Table& t, const std::vector<std::size_t>& rows, std::size_t max_bytes,
                       std::string_view note, std::uint64_t total) {
    std::string out, buf;
    JsonWriter w(out);
    w.begin_object().field("name", std::string_view(t.name)).field("doc", std::string_view(t.doc));
    w.key("columns").begin_array();
    for (const auto& c : t.columns)
        w.begin_object()
            .field("name", std::string_view(c.name))
            .field("type", type_name(c.type))
            .field("doc", std::string_view(c.doc))
            .end_object();
    w.end_array();
    w.field("total", total ? total : static_cast<std::uint64_t>(t.rows.size()));
    if (!note.empty()) w.field("note", note);
    w.key("rows").begin_array();
    for (std::size_t r : rows) {
        w.begin_array();
        for (const Cell& c : t.rows[r]) write_cell(w, c, max_bytes, buf);
        w.end_array();
    }
    w.end_array().end_object();
    return out;
}

std::vector<std::size_t> first_rows(const Table& t, std::size_t n) {
    std::vector<std::size_t> v(std::min(n, t.rows.size()));
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = i;
    return v;
}

}  // namespace cb::report
