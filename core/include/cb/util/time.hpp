// Timestamps: Cowrie writes ISO 8601 in UTC; we keep microseconds since the Unix epoch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cb {

using Micros = std::int64_t;  // microseconds since 1970-01-01T00:00:00Z
inline constexpr Micros kNoTime = INT64_MIN;
inline constexpr Micros kMicrosPerSecond = 1'000'000;

// Parses every form Cowrie has written: "2017-02-11T10:50:44.693595Z",
// "2017-02-11T10:50:44Z" (1.x drops .ffffff when zero), "...+0200", "...+02:00",
// "...+0000", and a space instead of 'T'. Returns nullopt for anything else.
std::optional<Micros> parse_timestamp(std::string_view s);

// The same, remembering the last valid date ("YYYY-MM-DD"): events come in time order,
// so most timestamps share their date with the previous one.
struct TimestampCache {
    char date[10] = {};
    std::int64_t days = 0;
    bool valid = false;
};
std::optional<Micros> parse_timestamp(std::string_view s, TimestampCache& cache);

// "2024-04-05T12:00:01.123456Z"
std::string format_timestamp(Micros t);
// The same into a caller's buffer of kTimestampBufSize bytes (no allocation); returns the
// length (0 for kNoTime, no terminating NUL).
inline constexpr std::size_t kTimestampBufSize = 48;
std::size_t format_timestamp(Micros t, char* out);
// The same, appended to `out` (the writers' hot path).
void append_timestamp(std::string& out, Micros t);
// "2024-04-05"
std::string format_day(Micros t);
// ISO week "2024-W14"
std::string format_iso_week(Micros t);
// Days since epoch (floor).
std::int64_t day_number(Micros t);

}  // namespace cb
