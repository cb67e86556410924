// Tolerant NDJSON line parser (simdjson On-Demand) into cb::Event.
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>

#include "cb/event.hpp"

namespace cb {

// Why a line was rejected. Stable names (reject_reason_name) appear in summary.json.
enum class Reject : std::uint8_t {
    None,
    InvalidJson,      // syntax error, including a cut line
    TruncatedLine,    // the last line of a file had no newline and did not parse
    NotAnObject,      // valid JSON, but not an object (array, number, ...)
    TooDeep,          // nesting beyond simdjson's depth limit
    MissingEventId,   // no "eventid" string
    BadTimestamp,     // no "timestamp" or one we cannot read
    TooLarge,         // longer than the configured line limit
    kCount
};
std::string_view reject_reason_name(Reject r);

class EventParser {
public:
    explicit EventParser(std::size_t max_line_bytes = std::size_t{1} << 30);

    // Parses one line (without its newline). `line` must be followed by at least
    // simdjson::SIMDJSON_PADDING readable bytes (capacity), as the chunk buffers are.
    // On success fills *ev and returns Reject::None. Invalid UTF-8 is repaired
    // losslessly (see repair_utf8_json) and counted in utf8_repairs().
    Reject parse(std::string_view line, std::size_t capacity, Event* ev);

    std::uint64_t utf8_repairs() const { return utf8_repairs_; }
    std::uint64_t type_errors() const { return type_errors_; }

private:
    Reject parse_padded(simdjson::padded_string_view view, Event* ev);
    Reject classify_rejected(std::string_view line, Reject r);
    simdjson::ondemand::parser parser_;
    simdjson::dom::parser validator_;  // only for lines already rejected: why were they?
    std::string repaired_;
    simdjson::padded_string repaired_padded_;
    TimestampCache ts_cache_;
    std::size_t max_line_bytes_;
    std::uint64_t utf8_repairs_ = 0;
    std::uint64_t type_errors_ = 0;
};

}  // namespace cb
