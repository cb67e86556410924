// Two basic tables that report.html showed before they were tables (issue 12): per source
// address (src_ips) and per port-forwarding target (forwarding). See basic_tables.hpp.
#include "compact.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "cb/analysis/basic_tables.hpp"

namespace cb {

namespace {

using analyses::IdBag;
using analyses::Interner;

Cell num(std::uint64_t v) { return Cell{static_cast<std::int64_t>(v)}; }
// No time (a session or request without a timestamp) is an empty cell, as in the other tables.
Cell when(Micros t) { return t == INT64_MAX || t == INT64_MIN ? Cell{} : Cell{format_timestamp(t)}; }
Column col(std::string name, ColumnType t, std::string doc) { return Column{std::move(name), t, std::move(doc)}; }

struct AddressTally {
    std::uint64_t sessions = 0, attempts = 0, successes = 0, commands = 0, downloads = 0;
    IdBag sensors;  // sensor ids
    Micros first = INT64_MAX, last = INT64_MIN;
};

std::uint64_t downloads_of(const Session& s) {
    std::uint64_t n = 0;
    for (const Item& it : s.items) n += it.kind == ItemKind::Download || it.kind == ItemKind::DownloadFailed;
    return n;
}

struct TargetTally {
    std::uint64_t requests = 0, sessions = 0;
    IdBag src_ips;  // address ids
    Micros first = INT64_MAX, last = INT64_MIN;
};
using Target = std::pair<std::string_view, std::int64_t>;  // (host as requested, port)

// One session's direct-tcpip requests: every request counts, the session once per target.
void count_targets(const Session& s, Interner& ip_ids, std::map<Target, TargetTally>& out, std::set<Target>& seen) {
    seen.clear();
    for (const Item& it : s.items) {
        if (it.kind != ItemKind::Tcpip) continue;
        TargetTally& t = out[{it.a, it.num}];
        ++t.requests;
        if (seen.insert({it.a, it.num}).second) ++t.sessions;
        if (!s.src_ip.empty()) t.src_ips.insert(ip_ids.id(s.src_ip));
        t.first = std::min(t.first, it.ts);
        t.last = std::max(t.last, it.ts);
    }
}

}  // namespace

Table src_ips_table(const std::vector<Session>& sessions) {
    Interner sensor_ids;
    std::unordered_map<std::string_view, AddressTally> by_ip;
    for (const Session& s : sessions) {
        if (s.src_ip.empty()) continue;
        AddressTally& a = by_ip[s.src_ip];
        ++a.sessions;
        a.attempts += s.login_attempts;
        a.successes += s.login_successes;
        a.commands += s.commands;
        a.downloads += downloads_of(s);
        a.sensors.insert(sensor_ids.id(s.sensor));
        a.first = std::min(a.first, s.start);
        a.last = std::max(a.last, s.end);
    }
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
        t.rows.push_back({Cell{std::string(ip)}, num(a->sessions), num(a->attempts), num(a->successes), num(a->commands),
                          num(a->downloads), num(a->sensors.count()), when(a->first), when(a->last)});
    return t;
}

Table forwarding_table(const std::vector<Session>& sessions) {
    Interner ip_ids;
    std::map<Target, TargetTally> targets;  // map: ties below keep (host, port) order
    std::set<Target> seen;
    for (const Session& s : sessions) count_targets(s, ip_ids, targets, seen);
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

}  // namespace cb
