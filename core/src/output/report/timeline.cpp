// The timeline section: sessions (by start) and logins (by their own time) per UTC day and
// hour, per sensor (the busiest timeline_sensors drawn on their own, the rest as one series).
#include <algorithm>
#include <map>
#include <unordered_map>

#include "report_parts.hpp"
#include "cb/util/json_writer.hpp"
#include "cb/util/text.hpp"

namespace cb::report {

namespace {

struct Counts3 {
    std::uint64_t sessions = 0, attempts = 0, successes = 0;
};
using Bucket = std::pair<std::int64_t, std::uint32_t>;  // (start of the day or hour in ms, sensor index)
struct BucketHash {
    std::size_t operator()(const Bucket& k) const noexcept { return std::hash<std::int64_t>{}(k.first * 1024 + k.second); }
};
// Hash maps while counting (one lookup per session and login), sorted once at the end.
using BucketMap = std::unordered_map<Bucket, Counts3, BucketHash>;

constexpr Micros kHour = 3600LL * 1000000, kDay = 24 * kHour;
std::int64_t bucket(Micros t, Micros size) { return (t >= 0 ? t / size : (t - size + 1) / size) * (size / 1000); }

// Sensors by sessions (most first, then by name).
std::vector<std::pair<std::string_view, std::uint64_t>> ranked_sensors(const std::vector<Session>& sessions) {
    std::unordered_map<std::string_view, std::uint64_t> n;
    for (const Session& s : sessions) ++n[s.sensor];
    std::vector<std::pair<std::string_view, std::uint64_t>> ranked(n.begin(), n.end());
    std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
        if (a.second != b.second) return a.second > b.second;
        return a.first < b.first;
    });
    return ranked;
}

void count_session(const Session& s, std::uint32_t si, BucketMap& days, BucketMap& hours) {
    if (s.start != kNoTime) {
        ++days[{bucket(s.start, kDay), si}].sessions;
        ++hours[{bucket(s.start, kHour), si}].sessions;
    }
    // A session's logins mostly fall in one hour: look the buckets up again only when the
    // hour changes (map nodes never move, so the pointers stay valid).
    std::int64_t cached_hour = INT64_MIN;
    Counts3 *d = nullptr, *h = nullptr;
    for (const Item& it : s.items) {
        if (it.kind != ItemKind::Login || it.ts == kNoTime) continue;
        if (const std::int64_t hb = bucket(it.ts, kHour); hb != cached_hour) {
            cached_hour = hb;
            d = &days[{bucket(it.ts, kDay), si}];
            h = &hours[{hb, si}];
        }
        ++d->attempts;
        ++h->attempts;
        d->successes += it.flag;
        h->successes += it.flag;
    }
}

// [bucket ms, sensor index, sessions, login attempts, login successes], in bucket order.
void points(JsonWriter& w, const BucketMap& m) {
    const std::map<Bucket, Counts3> sorted(m.begin(), m.end());
    w.begin_array();
    for (const auto& [b, v] : sorted)
        w.begin_array().value(b.first).value(b.second).value(v.sessions).value(v.attempts).value(v.successes).end_array();
    w.end_array();
}

}  // namespace

std::string timeline_json(const RunData& run, const ReportOptions& opt) {
    const auto ranked = ranked_sensors(run.sessions);
    const std::size_t shown = std::min(ranked.size(), opt.timeline_sensors);
    std::unordered_map<std::string_view, std::uint32_t> sensor_index;
    for (std::size_t i = 0; i < ranked.size(); ++i) sensor_index[ranked[i].first] = static_cast<std::uint32_t>(std::min(i, shown));
    BucketMap days, hours;
    for (const Session& s : run.sessions) count_session(s, sensor_index[s.sensor], days, hours);

    std::string out, cut;
    JsonWriter w(out);
    w.begin_object().key("sensors").begin_array();
    for (std::size_t i = 0; i < shown; ++i) w.value(clip_utf8(ranked[i].first, 200, cut));
    if (ranked.size() > shown) w.value(std::string_view("other sensors (" + std::to_string(ranked.size() - shown) + ")"));
    w.end_array();
    w.key("day");
    points(w, days);
    w.key("hour");  // too many points for the page: days only
    if (hours.size() > opt.max_hour_points) w.null(); else points(w, hours);
    w.field("hour_points", static_cast<std::uint64_t>(hours.size()));
    w.field("max_hour_points", static_cast<std::uint64_t>(opt.max_hour_points));
    w.end_object();
    return out;
}

}  // namespace cb::report
