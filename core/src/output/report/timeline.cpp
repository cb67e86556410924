// The timeline section: sessions (by start) and logins (by their own time) per UTC day and
// hour, per sensor (the busiest timeline_sensors drawn on their own, the rest as one series),
// from the tables sensors_hourly (the counts) and sensors (the sensors, busiest first).
#include <algorithm>
#include <map>
#include <unordered_map>

#include "cb/util/fast_hash.hpp"
#include "cb/util/json_writer.hpp"
#include "cb/util/text.hpp"
#include "report_parts.hpp"

namespace cb::report {

namespace {

struct Counts3 {
    std::uint64_t sessions = 0, attempts = 0, successes = 0;
};
using Bucket = std::pair<std::int64_t, std::uint32_t>;  // (start of the day or hour in ms, sensor index)
using BucketMap = std::map<Bucket, Counts3>;

constexpr std::int64_t kDayMs = 86400000;
std::int64_t day_of(std::int64_t ms) { return (ms >= 0 ? ms / kDayMs : (ms - kDayMs + 1) / kDayMs) * kDayMs; }

// The sensors by sessions, most first (the order of the sensors table).
std::vector<std::string_view> ranked_sensors(const RunData& run) {
    std::vector<std::string_view> ranked;
    const Table* t = run.table("sensors");
    const int c = column(t, "sensor");
    if (c >= 0)
        for (const auto& row : t->rows) ranked.push_back(text_at(row, c));
    return ranked;
}

// sensors_hourly summed per (hour, sensor index) and per (day, sensor index).
void count_buckets(const RunData& run,
                   const std::unordered_map<std::string_view, std::uint32_t, StringHash>& sensor_index, BucketMap& days,
                   BucketMap& hours) {
    const Table* t = run.table("sensors_hourly");
    if (!t) return;
    const int ch = column(t, "hour"), cs = column(t, "sensor"), cn = column(t, "sessions"),
              ca = column(t, "login_attempts"), cw = column(t, "login_successes");
    TimestampCache cache;
    for (const auto& row : t->rows) {
        const auto start = parse_timestamp(text_at(row, ch), cache);
        if (!start) continue;
        const auto it = sensor_index.find(text_at(row, cs));
        const std::uint32_t si = it == sensor_index.end() ? 0 : it->second;
        const std::int64_t ms = *start / 1000;
        for (Counts3* c : {&hours[{ms, si}], &days[{day_of(ms), si}]}) {
            c->sessions += static_cast<std::uint64_t>(number_at(row, cn));
            c->attempts += static_cast<std::uint64_t>(number_at(row, ca));
            c->successes += static_cast<std::uint64_t>(number_at(row, cw));
        }
    }
}

// [bucket ms, sensor index, sessions, login attempts, login successes], in bucket order.
void points(JsonWriter& w, const BucketMap& m) {
    w.begin_array();
    for (const auto& [b, v] : m)
        w.begin_array()
            .value(b.first)
            .value(b.second)
            .value(v.sessions)
            .value(v.attempts)
            .value(v.successes)
            .end_array();
    w.end_array();
}

}  // namespace

std::string timeline_json(const RunData& run, const ReportOptions& opt) {
    const std::vector<std::string_view> ranked = ranked_sensors(run);
    const std::size_t shown = std::min(ranked.size(), opt.timeline_sensors);
    std::unordered_map<std::string_view, std::uint32_t, StringHash> sensor_index;
    for (std::size_t i = 0; i < ranked.size(); ++i)
        sensor_index[ranked[i]] = static_cast<std::uint32_t>(std::min(i, shown));
    BucketMap days, hours;
    count_buckets(run, sensor_index, days, hours);

    std::string out, cut;
    JsonWriter w(out);
    w.begin_object().key("sensors").begin_array();
    for (std::size_t i = 0; i < shown; ++i) w.value(clip_utf8(ranked[i], 200, cut));
    if (ranked.size() > shown)
        w.value(std::string_view("other sensors (" + std::to_string(ranked.size() - shown) + ")"));
    w.end_array();
    w.key("day");
    points(w, days);
    w.key("hour");  // too many points for the page: days only
    if (hours.size() > opt.max_hour_points)
        w.null();
    else
        points(w, hours);
    w.field("hour_points", static_cast<std::uint64_t>(hours.size()));
    w.field("max_hour_points", static_cast<std::uint64_t>(opt.max_hour_points));
    w.end_object();
    return out;
}

}  // namespace cb::report
