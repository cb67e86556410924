// Tolerant NDJSON line parser (simdjson On-Demand) into cb::Event.
#pragma once

#include <simdjson.h>

#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "cb/input/limits.hpp"
#include "cb/parse/event.hpp"

namespace cb {

// Why a line was rejected. Stable names (reject_reason_name) appear in summary.json.
enum class Reject : std::uint8_t {
    None,
    InvalidJson,     // syntax error, including a cut line
    TruncatedLine,   // the last line of a file had no newline and did not parse
    NotAnObject,     // valid JSON, but not an object (array, number, ...)
    TooDeep,         // nesting beyond simdjson's depth limit
    MissingEventId,  // no "eventid" string
    BadTimestamp,    // no "timestamp" or one we cannot read
    TooLarge,        // longer than the configured line limit
    kCount
};
std::string_view reject_reason_name(Reject r);

// The fields the event model reads, for the per-field counts of summary.json
// (inputs.field_errors). Other: a key the model does not read (only lone surrogates in
// such keys' values or in key names are counted, under "other").
enum class Field : std::uint8_t {
    Other,
    Arch,
    Destfile,
    DstIp,
    DstPort,
    Duplicate,
    Duration,
    DurationMs,
    EventId,
    Filename,
    Fingerprint,
    Hassh,
    Height,
    Input,
    Late,
    OrigIp,
    OrigPort,
    Outfile,
    Password,
    Protocol,
    Sensor,
    Session,
    Shasum,
    Size,
    SrcIp,
    SrcPort,
    Timestamp,
    Ttylog,
    Type,
    Url,
    Username,
    Version,
    Width,
    kCount
};
std::string_view field_name(Field f);  // the JSON key ("src_ip"), "other" for Other
Field field_from_key(std::string_view key);

// What was wrong with a field of a kept event. Stable names (field_error_name) appear in
// summary.json. The event is kept; the field is treated as absent, except Coerced and
// LoneSurrogate, whose value is kept in its repaired form.
enum class FieldError : std::uint8_t {
    Null,           // null: absent
    WrongType,      // a JSON type the field cannot hold (object, array, bool, non-numeric text): absent
    Coerced,        // a number where text was expected (sensor 7): its JSON text ("7") is used
    OutOfRange,     // a number the field cannot hold (port 70000, size -1, 1e400): absent
    TooLong,        // an identifier (sensor, address, hash, version, ...) over kMaxIdentifierBytes: absent
    LoneSurrogate,  // a \uD800-\uDFFF escape without its pair: written as U+FFFD, value kept
    kCount
};
std::string_view field_error_name(FieldError e);

// Identifiers longer than this are not identifiers (free text is kept at any length).
inline constexpr std::size_t kMaxIdentifierBytes = 4096;

using FieldErrorCounts = std::array<std::array<std::uint64_t, static_cast<std::size_t>(FieldError::kCount)>,
                                    static_cast<std::size_t>(Field::kCount)>;

class EventParser {
public:
    explicit EventParser(std::size_t max_line_bytes = Limits::kDefaultMaxLineBytes);
    std::size_t max_line_bytes() const { return max_line_bytes_; }

    // Parses one line (without its newline). `line` must be followed by at least
    // simdjson::SIMDJSON_PADDING readable bytes (capacity), as the chunk buffers are.
    // On success fills *ev and returns Reject::None. Invalid UTF-8 is repaired
    // losslessly (see repair_utf8_json) and counted in utf8_repairs().
    Reject parse(std::string_view line, std::size_t capacity, Event* ev);

    std::uint64_t utf8_repairs() const { return utf8_repairs_; }
    std::uint64_t type_errors() const { return type_errors_; }
    // Lone surrogate escapes written as U+FFFD (events kept).
    std::uint64_t surrogate_repairs() const { return surrogate_repairs_; }
    // Field errors of kept events since construction, by field and kind.
    const FieldErrorCounts& field_errors() const { return field_errors_; }

    // For the field reader: notes a field error of the line being parsed; counted only if
    // the line becomes an event.
    void note(Field f, FieldError e) {
        if (pending_n_ < kMaxPending) pending_[pending_n_++] = {f, e};
    }
    // Keeps text made for the line being parsed (a coerced number); valid until the next line.
    std::string_view keep(std::string_view s);
    // The field a destination of the line being parsed is (slow paths only).
    Field field_at(const void* out) const;

    struct SurrogateHit {
        Field field;
        std::size_t count;
    };

private:
    Reject parse_padded(simdjson::padded_string_view view, Event* ev);
    Reject classify_rejected(std::string_view line, Reject r);
    void commit_pending();
    static constexpr std::size_t kMaxPending = 64;
    struct Pending {
        Field field;
        FieldError error;
    };
    Pending pending_[kMaxPending];
    std::size_t pending_n_ = 0;
    std::vector<SurrogateHit> surrogate_hits_;
    std::string surrogate_fixed_;
    std::deque<std::string> kept_;  // a deque: its strings never move
    std::size_t kept_n_ = 0;
    FieldErrorCounts field_errors_{};
    const Event* cur_ev_ = nullptr;
    std::string_view ts_text_;  // destinations outside the event
    std::int64_t duration_ms_ = -1;
    std::uint64_t surrogate_repairs_ = 0;
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
