// Cell and column makers shared by the basic tables (basic_tables.cpp, source_tables.cpp).
// Private to core/src/analysis.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cb/analysis/table.hpp"
#include "cb/util/time.hpp"

namespace cb::table_cells {

inline Cell text(std::string_view s) { return Cell{std::string(s)}; }
inline Cell num(std::int64_t v) { return Cell{v}; }
inline Cell count(std::uint64_t v) { return Cell{static_cast<std::int64_t>(v)}; }
// No time (a session or request without a timestamp) is an empty cell.
inline Cell when(Micros t) { return t == INT64_MAX || t == INT64_MIN ? Cell{} : Cell{format_timestamp(t)}; }
inline Column col(std::string name, ColumnType t, std::string doc) {
    return Column{std::move(name), t, std::move(doc)};
}

}  // namespace cb::table_cells
