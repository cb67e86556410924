// Three basic tables that report.html counted itself before they were tables (issue 12): per
// source address (src_ips), per port-forwarding target (forwarding) and per sensor and UTC hour
// (sensors_hourly, the report's timeline), counted session by session (source_tables.hpp).
#include "source_tables.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "cb/analysis/compact_state.hpp"
#include "cb/util/fast_hash.hpp"
#include "table_cells.hpp"

namespace cb {

namespace {

using table_cells::col;
using table_cells::when;
Cell num(std::uint64_t v) { return table_cells::count(v); }

struct AddressTally {
    std::uint64_t sessions = 0, attempts = 0, successes = 0, commands = 0, downloads = 0;
    IdBag sensors;  // sensor ids
    Micros first = INT64_MAX, last = INT64_MIN;
    template <class Ar>
    void io(Ar& ar) {
        ar(sessions, attempts, successes, commands, downloads, sensors, first, last);
    }
};

struct TargetTally {
    std::uint64_t requests = 0, sessions = 0;
    IdBag src_ips;  // address ids
    Micros first = INT64_MAX, last = INT64_MIN;
    template <class Ar>
    void io(Ar& ar) {
        ar(requests, sessions, src_ips, first, last);
    }
};
using Target = std::pair<std::string_view, std::int64_t>;  // (host as requested, port)

// One session's direct-tcpip requests: every request counts, the session once per target.
void count_targets(const Session& s, Interner& ip_ids, std::map<Target, TargetTally>& out, std::set<Target>& seen,
                   StringPool& strings) {
    seen.clear();
    for (const Item& it : s.items) {
        if (it.kind != ItemKind::Tcpip) continue;
        TargetTally& t = owned_slot(out, {it.a, it.num}, strings);
        ++t.requests;
        if (seen.insert({it.a, it.num}).second) ++t.sessions;
        if (!s.src_ip.empty()) t.src_ips.insert(ip_ids.id(s.src_ip));
        t.first = std::min(t.first, it.ts);
        t.last = std::max(t.last, it.ts);
    }
}

using AddressMap = std::unordered_map<std::string_view, AddressTally, StringHash>;

void count_address(const Session& s, Interner& sensor_ids, AddressMap& by_ip, StringPool& strings) {
    if (s.src_ip.empty()) return;
    AddressTally& a = owned_slot(by_ip, s.src_ip, strings);
    ++a.sessions;
    a.attempts += s.login_attempts;
    a.successes += s.login_successes;
    a.commands += s.commands;
    a.downloads += downloads_of(s);
    a.sensors.insert(sensor_ids.id(s.sensor));
    a.first = std::min(a.first, s.start);
    a.last = std::max(a.last, s.end);
}

Table src_ips_table(AddressMap& by_ip) {
    std::vector<std::pair<std::string_view, AddressTally*>> v;
    v.reserve(by_ip.size());
    for (auto& [ip, a] : by_ip) v.emplace_back(ip, &a);
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
        return a.second->sessions != b.second->sessions ? a.second->sessions > b.second->sessions : a.first < b.first;
    });
    Table t{"src_ips", "source addresses, most sessions first", {}, {}};
    t.columns = {col("src_ip", ColumnType::Text, "source address"),
                 col("sessions", ColumnType::Integer, "sessions from it"),
                 col("login_attempts", ColumnType::Integer, "login events"),
                 col("login_successes", ColumnType::Integer, "login.success events"),
                 col("commands", ColumnType::Integer, "command lines"),
                 col("downloads", ColumnType::Integer, "downloads, including failed ones"),
                 col("sensors", ColumnType::Integer, "distinct sensors"),
                 col("first_seen", ColumnType::Text, "earliest session start (UTC, ISO 8601)"),
                 col("last_seen", ColumnType::Text, "latest session end (UTC, ISO 8601)")};
    for (const auto& [ip, a] : v)
        t.rows.push_back({Cell{std::string(ip)}, num(a->sessions), num(a->attempts), num(a->successes),
                          num(a->commands), num(a->downloads), num(a->sensors.count()), when(a->first), when(a->last)});
    return t;
}

Table forwarding_table(std::map<Target, TargetTally>& targets) {
    std::vector<std::pair<Target, TargetTally*>> v;
    for (auto& [k, f] : targets) v.emplace_back(k, &f);
    std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
        if (a.second->sessions != b.second->sessions) return a.second->sessions > b.second->sessions;
        return a.second->requests > b.second->requests;
    });
    Table t{"forwarding", "targets of SSH port-forwarding (direct-tcpip) requests", {}, {}};
    t.columns = {col("dst_ip", ColumnType::Text, "target host as requested"),
                 col("dst_port", ColumnType::Integer, "target port"),
                 col("requests", ColumnType::Integer, "direct-tcpip requests"),
                 col("sessions", ColumnType::Integer, "distinct sessions"),
                 col("src_ips", ColumnType::Integer, "distinct source addresses"),
                 col("first_seen", ColumnType::Text, "earliest request (UTC, ISO 8601)"),
                 col("last_seen", ColumnType::Text, "latest request (UTC, ISO 8601)")};
    for (const auto& [k, f] : v)
        t.rows.push_back({Cell{std::string(k.first)}, Cell{k.second}, num(f->requests), num(f->sessions),
                          num(f->src_ips.count()), when(f->first), when(f->last)});
    return t;
}

struct HourCounts {
    std::int64_t sessions = 0, attempts = 0, successes = 0;
    template <class Ar>
    void io(Ar& ar) {
        ar(sessions, attempts, successes);
    }
};
using SensorHour = std::pair<Micros, std::string_view>;  // (start of the UTC hour, sensor)
using HourMap = std::unordered_map<SensorHour, HourCounts, NumberStringHash>;

constexpr Micros kHour = 3600 * kMicrosPerSecond;
Micros hour_start(Micros t) { return (t >= 0 ? t / kHour : (t - kHour + 1) / kHour) * kHour; }

void count_hours(const Session& s, HourMap& hours, StringPool& strings) {
    if (s.start != kNoTime) ++owned_slot(hours, {hour_start(s.start), s.sensor}, strings).sessions;
    // A session's logins mostly fall in one hour: look it up again only when the hour changes
    // (map nodes never move, so the pointer stays valid).
    Micros cached = kNoTime;
    HourCounts* h = nullptr;
    for (const Item& it : s.items) {
        if (it.kind != ItemKind::Login || it.ts == kNoTime) continue;
        if (const Micros hs = hour_start(it.ts); hs != cached || !h) {
            cached = hs;
            h = &owned_slot(hours, {hs, s.sensor}, strings);
        }
        ++h->attempts;
        h->successes += it.flag;
    }
}

Table sensors_hourly_table(const HourMap& hours) {
    std::vector<std::pair<SensorHour, const HourCounts*>> v;
    v.reserve(hours.size());
    for (const auto& [k, c] : hours) v.emplace_back(k, &c);
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    Table t{"sensors_hourly",
            "activity per sensor and UTC hour: sessions by their start, logins by their own time",
            {},
            {}};
    t.columns = {col("hour", ColumnType::Text, "start of the UTC hour (ISO 8601)"),
                 col("sensor", ColumnType::Text, "Cowrie [honeypot] sensor_name or host name"),
                 col("sessions", ColumnType::Integer, "sessions that started in the hour"),
                 col("login_attempts", ColumnType::Integer, "login events in the hour, whenever their session started"),
                 col("login_successes", ColumnType::Integer, "login.success events in the hour")};
    for (const auto& [k, c] : v)
        t.rows.push_back({Cell{format_timestamp(k.first)}, Cell{std::string(k.second)}, Cell{c->sessions},
                          Cell{c->attempts}, Cell{c->successes}});
    return t;
}

}  // namespace

std::uint64_t downloads_of(const Session& s) {
    std::uint64_t n = 0;
    for (const Item& it : s.items) n += it.kind == ItemKind::Download || it.kind == ItemKind::DownloadFailed;
    return n;
}

struct SourceCounts::State {
    explicit State(StringPool& pool) : strings(pool) {}
    StringPool& strings;
    Interner sensor_ids, ip_ids;
    AddressMap by_ip;
    std::map<Target, TargetTally> targets;  // map: ties in forwarding keep (host, port) order
    std::set<Target> seen;                  // scratch of count_targets()
    HourMap hours;
};

SourceCounts::SourceCounts(StringPool& strings) : state_(std::make_unique<State>(strings)) {}
SourceCounts::~SourceCounts() = default;

void SourceCounts::add(const Session& s) {
    State& st = *state_;
    count_address(s, st.sensor_ids, st.by_ip, st.strings);
    count_targets(s, st.ip_ids, st.targets, st.seen, st.strings);
    count_hours(s, st.hours, st.strings);
}

void SourceCounts::save(OutArchive& ar) {
    State& st = *state_;
    ar(st.sensor_ids, st.ip_ids, st.by_ip, st.targets, st.hours);
}

void SourceCounts::load(InArchive& ar) {
    State& st = *state_;
    ar(st.sensor_ids, st.ip_ids, st.by_ip, st.targets, st.hours);
}

void SourceCounts::append_tables(std::vector<Table>& out) {
    out.push_back(src_ips_table(state_->by_ip));
    out.push_back(forwarding_table(state_->targets));
    out.push_back(sensors_hourly_table(state_->hours));
}

}  // namespace cb
