// A result table: the one shape every analysis produces, written as CSV and SQLite alike.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace cb {

using Cell = std::variant<std::monostate, std::int64_t, double, std::string>;

enum class ColumnType { Text, Integer, Real };

struct Column {
    std::string name;
    ColumnType type = ColumnType::Text;
    std::string doc;  // one line, for the SQLite schema doc and docs/OUTPUTS.md
};

struct Table {
    std::string name;  // file tables/<name>.csv and SQLite table <name>
    std::string doc;
    std::vector<Column> columns;
    std::vector<std::vector<Cell>> rows;
};

// RFC 4180 CSV with a header row; formula-like cells are neutralised.
std::string to_csv(const Table& t);

}  // namespace cb
