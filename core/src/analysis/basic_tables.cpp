#include "cb/analysis/basic_tables.hpp"

#include <algorithm>
#include <map>
#include <tuple>
#include <unordered_map>

#include "cb/analysis/compact_state.hpp"
#include "cb/util/fast_hash.hpp"
#include "source_tables.hpp"
#include "table_cells.hpp"

namespace cb {

namespace {

using table_cells::col;
using table_cells::num;
using table_cells::text;
using table_cells::when;

constexpr std::uint32_t kNoIp = UINT32_MAX;

// Counts for one key: events, distinct sessions, distinct source addresses, time span.
struct Tally {
    std::int64_t count = 0;
    std::int64_t extra = 0;  // successes, failures, ... (table-specific)
    std::int64_t sessions = 0;
    std::uint64_t last_session = 0;  // serial number of the last session counted (from 1)
    IdBag ips;                       // source address ids (Interner over the run's addresses)
    Micros first = INT64_MAX, last = INT64_MIN;

    // `serial` numbers the session in the run: a Session's address is reused from chunk to chunk.
    void hit(std::uint64_t serial, std::uint32_t ip, Micros t) {
        ++count;
        if (last_session != serial) {
            ++sessions;
            last_session = serial;
            if (ip != kNoIp) ips.insert(ip);
        }
        first = std::min(first, t);
        last = std::max(last, t);
    }
    std::int64_t src_ips() { return static_cast<std::int64_t>(ips.count()); }
    template <class Ar>
    void io(Ar& ar) {
        ar(count, extra, sessions, last_session, ips, first, last);
    }
};

struct PairHash {
    std::size_t operator()(const std::pair<std::string_view, std::string_view>& p) const noexcept {
        return fast_hash(p.second, fast_hash(p.first, fast_hash_seed()));
    }
};

// Most frequent first, ties by key: hash maps while counting, one sort at the end.
template <typename Map>
auto sorted_by_count(Map& m) {
    using Key = typename Map::key_type;
    std::vector<std::pair<Key, Tally>> v;
    v.reserve(m.size());
    for (auto& kv : m) v.emplace_back(kv.first, std::move(kv.second));
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
        return a.second.count != b.second.count ? a.second.count > b.second.count : a.first < b.first;
    });
    return v;
}

const Column kFirst = col("first_seen", ColumnType::Text, "earliest time (UTC, ISO 8601)");
const Column kLast = col("last_seen", ColumnType::Text, "latest time (UTC, ISO 8601)");
const Column kSessions = col("sessions", ColumnType::Integer, "distinct sessions");
const Column kSrcIps = col("src_ips", ColumnType::Integer, "distinct source addresses");

using CredMap = std::unordered_map<std::pair<std::string_view, std::string_view>, Tally, PairHash>;

// credentials and key_fingerprints: the same counts, keyed by (username, password or fingerprint).
Table login_table(CredMap& m, Table t, Column secret) {
    t.columns = {col("username", ColumnType::Text, "as logged (b'..' and \\xNN escapes kept)"),
                 std::move(secret),
                 col("attempts", ColumnType::Integer, "login attempts"),
                 col("successes", ColumnType::Integer, "login.success events"),
                 kSessions,
                 kSrcIps,
                 kFirst,
                 kLast};
    for (auto& [k, v] : sorted_by_count(m))
        t.rows.push_back({text(k.first), text(k.second), num(v.count), num(v.extra), num(v.sessions), num(v.src_ips()),
                          when(v.first), when(v.last)});
    return t;
}

// One file write, its strings owned by the builder's pool.
struct FileWriteRow {
    Micros ts;
    std::string_view sensor, session, src_ip, path, shasum;
    std::int64_t size;
    bool duplicate;
    template <class Ar>
    void io(Ar& ar) {
        ar(ts, sensor, session, src_ip, path, shasum, size, duplicate);
    }
};

void add_file_writes(const Session& s, StringPool& pool, std::vector<FileWriteRow>& rows) {
    for (const Item& it : s.items)
        if (it.kind == ItemKind::FileWrite)
            rows.push_back({it.ts, pool.intern(s.sensor), pool.intern(s.session), pool.intern(s.src_ip),
                            pool.intern(it.a), pool.intern(it.b), it.num, it.flag});
}

// file_writes: one row per write, by time, then sensor, session and path. Every field is in
// the order, so rows that tie are equal and the table does not depend on the order in which
// sessions came (an incremental run adds its sessions to those of a checkpoint).
Table file_writes_table(std::vector<FileWriteRow>& rows) {
    std::sort(rows.begin(), rows.end(), [](const FileWriteRow& x, const FileWriteRow& y) {
        return std::tie(x.ts, x.sensor, x.session, x.path, x.shasum, x.src_ip, x.size, x.duplicate) <
               std::tie(y.ts, y.sensor, y.session, y.path, y.shasum, y.src_ip, y.size, y.duplicate);
    });
    Table t{"file_writes",
            "files written by `> file` redirects and stdin captures (cowrie.session.file_download "
            "without a URL), one row per write",
            {},
            {}};
    t.columns = {col("time", ColumnType::Text, "UTC, ISO 8601"),
                 col("sensor", ColumnType::Text, "sensor"),
                 col("session", ColumnType::Text, "session id"),
                 col("src_ip", ColumnType::Text, "source address"),
                 col("path", ColumnType::Text, "the file written (destfile); empty for a stdin capture"),
                 col("shasum", ColumnType::Text, "SHA-256 of the content"),
                 col("size", ColumnType::Integer, "bytes, when Cowrie logged a size"),
                 col("duplicate", ColumnType::Integer, "1 when Cowrie had captured the same content before"),
                 col("persistence", ColumnType::Text, "ssh_key, cron, init or shell_profile; empty otherwise")};
    for (const FileWriteRow& r : rows)
        t.rows.push_back({when(r.ts), text(r.sensor), text(r.session), text(r.src_ip), text(r.path), text(r.shasum),
                          r.size < 0 ? Cell{} : num(r.size), num(r.duplicate), text(persistence_kind(r.path))});
    return t;
}

using SV = std::string_view;

// Activity of one source address on one day.
struct Daily {
    std::int64_t sessions = 0, attempts = 0, successes = 0, commands = 0;
    IdBag sensors;  // sensor ids
    template <class Ar>
    void io(Ar& ar) {
        ar(sessions, attempts, successes, commands, sensors);
    }
};

// Every count of the basic tables but file_writes and the source tables, filled session by
// session. Keys are copied into `strings` on first sight (owned_slot): chunks' strings die after add().
struct BasicCounts {
    explicit BasicCounts(StringPool& pool) : strings(pool) {}
    StringPool& strings;
    CredMap creds, keys;
    std::unordered_map<SV, Tally, StringHash> commands, versions, hasshes, sensors;
    std::map<SV, std::map<SV, std::int64_t>> hassh_versions;
    std::map<std::tuple<SV, SV, bool>, Tally> downloads;
    // Keyed by day number (INT64_MIN without a start), which sorts like the "YYYY-MM-DD" text.
    std::unordered_map<std::pair<std::int64_t, SV>, Daily, NumberStringHash> daily;
    // Dense ids for the run's addresses and sensors: one hash lookup per session, then each
    // tally keeps 4-byte ids instead of a hash set of strings per key.
    Interner ip_ids, sensor_ids;

    // The keys, read back, are views into the archive's bytes (BasicTableBuilder::load keeps them).
    template <class Ar>
    void io(Ar& ar) {
        ar(creds, keys, commands, versions, hasshes, sensors, hassh_versions, downloads, daily, ip_ids, sensor_ids);
    }

    // `serial`: the session's number in the run, from 1 (Tally::hit).
    void add(const Session& s, std::uint64_t serial) {
        const std::uint32_t ip = s.src_ip.empty() ? kNoIp : ip_ids.id(s.src_ip);
        if (!s.client_version.empty()) owned_slot(versions, s.client_version, strings).hit(serial, ip, s.start);
        if (!s.hassh.empty()) {
            owned_slot(hasshes, s.hassh, strings).hit(serial, ip, s.start);
            if (!s.client_version.empty())
                ++owned_slot(owned_slot(hassh_versions, s.hassh, strings), s.client_version, strings);
        }
        owned_slot(sensors, s.sensor, strings).hit(serial, ip, s.start);
        Daily& d = owned_slot(daily, {s.start == kNoTime ? INT64_MIN : day_number(s.start), s.src_ip}, strings);
        ++d.sessions;
        d.sensors.insert(sensor_ids.id(s.sensor));
        d.attempts += s.login_attempts;
        d.successes += s.login_successes;
        d.commands += s.commands;
        add_items(s, serial, ip);
    }

    // Logins, command lines and downloads.
    void add_items(const Session& s, std::uint64_t serial, std::uint32_t ip) {
        std::size_t ci = 0;
        for (const Item& it : s.items) {
            switch (it.kind) {
                case ItemKind::Login: {
                    Tally& t = it.c.empty() ? owned_slot(creds, {it.a, it.b}, strings)
                                            : owned_slot(keys, {it.a, it.c}, strings);
                    t.hit(serial, ip, it.ts);
                    t.extra += it.flag;
                    break;
                }
                case ItemKind::Command: {
                    Tally& t = owned_slot(commands, it.a, strings);
                    t.hit(serial, ip, it.ts);
                    t.extra += s.cmd_failed[ci++];
                    break;
                }
                case ItemKind::Download:
                    owned_slot(downloads, {it.a, it.b, true}, strings).hit(serial, ip, it.ts);
                    break;
                case ItemKind::DownloadFailed:
                    owned_slot(downloads, {it.a, SV{}, false}, strings).hit(serial, ip, it.ts);
                    break;
                default:
                    break;
            }
        }
    }
};

Table commands_table(std::unordered_map<SV, Tally, StringHash>& commands) {
    Table t{"commands", "command lines as typed (cowrie.command.input)", {}, {}};
    t.columns = {col("command", ColumnType::Text, "the whole input line"),
                 col("count", ColumnType::Integer, "times entered"),
                 kSessions,
                 kSrcIps,
                 col("failed", ColumnType::Integer, "times Cowrie reported part of it as not found"),
                 kFirst,
                 kLast};
    for (auto& [k, v] : sorted_by_count(commands))
        t.rows.push_back(
            {text(k), num(v.count), num(v.sessions), num(v.src_ips()), num(v.extra), when(v.first), when(v.last)});
    return t;
}

Table client_versions_table(std::unordered_map<SV, Tally, StringHash>& versions) {
    Table t{"client_versions", "SSH client identification strings", {}, {}};
    t.columns = {col("client_version", ColumnType::Text, "as logged"), kSessions, kSrcIps, kFirst, kLast};
    for (auto& [k, v] : sorted_by_count(versions))
        t.rows.push_back({text(k), num(v.sessions), num(v.src_ips()), when(v.first), when(v.last)});
    return t;
}

Table hassh_table(std::unordered_map<SV, Tally, StringHash>& hasshes,
                  std::map<SV, std::map<SV, std::int64_t>>& hassh_versions) {
    Table t{"hassh", "HASSH client fingerprints (cowrie.client.kex)", {}, {}};
    t.columns = {col("hassh", ColumnType::Text, "MD5 of the client's key-exchange algorithm lists"),
                 kSessions,
                 kSrcIps,
                 col("client_versions", ColumnType::Integer, "distinct client versions seen with it"),
                 col("top_client_version", ColumnType::Text, "the client version seen most with it"),
                 kFirst,
                 kLast};
    for (auto& [k, v] : sorted_by_count(hasshes)) {
        const auto& cv = hassh_versions[k];
        std::string_view top;  // the first of the most common (versions in key order)
        std::int64_t best = -1;
        for (const auto& [ver, n] : cv)
            if (n > best) {
                best = n;
                top = ver;
            }
        t.rows.push_back({text(k), num(v.sessions), num(v.src_ips()), num(static_cast<std::int64_t>(cv.size())),
                          text(top), when(v.first), when(v.last)});
    }
    return t;
}

Table downloads_table(std::map<std::tuple<SV, SV, bool>, Tally>& downloads) {
    Table t{"downloads", "files fetched by URL (wget, curl, tftp, ftpget); writes are in file_writes", {}, {}};
    t.columns = {col("url", ColumnType::Text, "the URL, with its scheme"),
                 col("shasum", ColumnType::Text, "SHA-256 of the file; empty when the download failed"),
                 col("status", ColumnType::Text, "ok or failed"),
                 col("count", ColumnType::Integer, "events"),
                 kSessions,
                 kSrcIps,
                 kFirst,
                 kLast};
    for (auto& [k, v] : sorted_by_count(downloads))
        t.rows.push_back({text(std::get<0>(k)), text(std::get<1>(k)), text(std::get<2>(k) ? "ok" : "failed"),
                          num(v.count), num(v.sessions), num(v.src_ips()), when(v.first), when(v.last)});
    return t;
}

Table sensors_table(std::unordered_map<SV, Tally, StringHash>& sensors) {
    Table t{"sensors", "sessions per sensor", {}, {}};
    t.columns = {col("sensor", ColumnType::Text, "Cowrie [honeypot] sensor_name or host name"), kSessions, kSrcIps,
                 kFirst, kLast};
    for (auto& [k, v] : sorted_by_count(sensors))
        t.rows.push_back({text(k), num(v.sessions), num(v.src_ips()), when(v.first), when(v.last)});
    return t;
}

// By day, then address.
Table src_ips_daily_table(std::unordered_map<std::pair<std::int64_t, SV>, Daily, NumberStringHash>& daily) {
    Table t{"src_ips_daily", "activity per source address and UTC day (by session start)", {}, {}};
    t.columns = {col("day", ColumnType::Text, "UTC date"),
                 col("src_ip", ColumnType::Text, "source address"),
                 kSessions,
                 col("login_attempts", ColumnType::Integer, "login events"),
                 col("login_successes", ColumnType::Integer, "login.success events"),
                 col("commands", ColumnType::Integer, "command lines"),
                 col("sensors", ColumnType::Integer, "distinct sensors")};
    std::vector<std::pair<std::pair<std::int64_t, SV>, Daily*>> days;
    days.reserve(daily.size());
    for (auto& [k, d] : daily) days.emplace_back(k, &d);
    std::sort(days.begin(), days.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [k, d] : days)
        t.rows.push_back({text(k.first == INT64_MIN ? std::string() : format_day(k.first * 86400 * kMicrosPerSecond)),
                          text(k.second), num(d->sessions), num(d->attempts), num(d->successes), num(d->commands),
                          num(static_cast<std::int64_t>(d->sensors.count()))});
    return t;
}

}  // namespace

// Everything the builder keeps between chunks; every string in it lives in `strings`, or in
// `loaded` when it came from load().
struct BasicTableBuilder::State {
    std::string loaded;
    StringPool strings;
    BasicCounts counts{strings};
    std::vector<FileWriteRow> file_writes;
    SourceCounts sources{strings};
    std::uint64_t sessions = 0;  // so far: the serial number of the last session added
};

BasicTableBuilder::BasicTableBuilder() : state_(std::make_unique<State>()) {}
BasicTableBuilder::~BasicTableBuilder() = default;
BasicTableBuilder::BasicTableBuilder(BasicTableBuilder&&) noexcept = default;
BasicTableBuilder& BasicTableBuilder::operator=(BasicTableBuilder&&) noexcept = default;

void BasicTableBuilder::add(const std::vector<Session>& chunk) { add(session_refs(chunk)); }

void BasicTableBuilder::add(const SessionRefs& sessions) {
    State& st = *state_;
    for (const Session* s : sessions) {
        st.counts.add(*s, ++st.sessions);
        add_file_writes(*s, st.strings, st.file_writes);
        st.sources.add(*s);
    }
}

void BasicTableBuilder::save(std::string& out) {
    State& st = *state_;
    OutArchive ar(out);
    st.counts.io(ar);
    ar(st.file_writes, st.sessions);
    st.sources.save(ar);
}

bool BasicTableBuilder::load(std::string_view in) {
    state_ = std::make_unique<State>();
    State& st = *state_;
    st.loaded.assign(in);
    InArchive ar(st.loaded);
    st.counts.io(ar);
    ar(st.file_writes, st.sessions);
    st.sources.load(ar);
    if (ar.ok()) return true;
    state_ = std::make_unique<State>();
    return false;
}

std::vector<Table> BasicTableBuilder::finish() {
    BasicCounts& c = state_->counts;
    std::vector<Table> out;
    out.push_back(login_table(c.creds, {"credentials", "password login attempts per username and password", {}, {}},
                              col("password", ColumnType::Text, "as logged; '' is an empty password")));
    out.push_back(login_table(c.keys,
                              {"key_fingerprints",
                               "public-key login attempts per username and key "
                               "(cowrie.client.fingerprint and the login events that answer it)",
                               {},
                               {}},
                              col("fingerprint", ColumnType::Text, "MD5 fingerprint of the key, as Cowrie logged it")));
    out.push_back(commands_table(c.commands));
    out.push_back(client_versions_table(c.versions));
    out.push_back(hassh_table(c.hasshes, c.hassh_versions));
    out.push_back(downloads_table(c.downloads));
    out.push_back(file_writes_table(state_->file_writes));
    out.push_back(sensors_table(c.sensors));
    out.push_back(src_ips_daily_table(c.daily));
    state_->sources.append_tables(out);
    return out;
}

std::vector<Table> basic_tables(const std::vector<Session>& sessions) {
    BasicTableBuilder b;
    b.add(sessions);
    return b.finish();
}

Table markers_table(const MarkerStats& stats, const MarkerSet& set) {
    Table t{
        "markers", "segments that bots repeat between steps; markers are left out of steps (docs/ANALYSES.md)", {}, {}};
    t.columns = {{"key", ColumnType::Text, "the segment's template (<RAND> for an unknown busybox applet)"},
                 {"marker", ColumnType::Integer, "1 when treated as a marker"},
                 {"sessions", ColumnType::Integer, "sessions that run it"},
                 {"went_on", ColumnType::Integer, "sessions that ran another step after it"},
                 {"repeated", ColumnType::Integer, "of those, sessions that ran it again between other steps"},
                 {"repeated_share", ColumnType::Real, "repeated / went_on"},
                 {"leading", ColumnType::Integer,
                  "sessions where at least half its runs start a longer line (a prefix such as cd ~: no marker)"}};
    std::vector<std::pair<const std::string*, const MarkerStats::Stat*>> rows;
    for (const auto& [k, st] : stats.stats())
        if (st.repeated > 0) rows.emplace_back(&k, &st);
    std::stable_sort(rows.begin(), rows.end(),
                     [](const auto& a, const auto& b) { return a.second->sessions > b.second->sessions; });
    for (const auto& [k, st] : rows)
        t.rows.push_back(
            {*k, static_cast<std::int64_t>(set.contains(*k)), static_cast<std::int64_t>(st->sessions),
             static_cast<std::int64_t>(st->went_on), static_cast<std::int64_t>(st->repeated),
             static_cast<double>(st->repeated) / static_cast<double>(std::max<std::uint64_t>(1, st->went_on)),
             static_cast<std::int64_t>(st->leading)});
    return t;
}

}  // namespace cb
