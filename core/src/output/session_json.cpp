// sessions.jsonl: one session record per line (see docs/OUTPUTS.md for the keys).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <optional>

#include <simdjson.h>

#include "cb/output/outputs.hpp"
#include "cb/util/crc64.hpp"
#include "cb/util/direct_file.hpp"
#include "cb/util/json_writer.hpp"
#include "cb/util/parallel.hpp"
#include "cb/util/time.hpp"

namespace cb {

namespace {

// k: a trusted key literal (no escaping)
void opt_str(JsonWriter& w, const char* k, std::string_view v) {
    w.literal_key(k, std::strlen(k));
    if (v.empty())
        w.null();
    else
        w.value(v);
}

void opt_int(JsonWriter& w, const char* k, std::int64_t v) {
    w.literal_key(k, std::strlen(k));
    if (v < 0)
        w.null();
    else
        w.value(v);
}

// The connection: who, from where, when, with which client and terminal.
void connection_fields(JsonWriter& w, const Session& s) {
    w.field("sensor", s.sensor).field("session", s.session);
    opt_str(w, "protocol", s.protocol);
    opt_str(w, "src_ip", s.src_ip);
    opt_int(w, "src_port", s.src_port);
    opt_str(w, "dst_ip", s.dst_ip);
    opt_int(w, "dst_port", s.dst_port);
    w.key("start").timestamp(s.start);
    w.key("end").timestamp(s.end);
    w.key("duration_s").value(s.duration_s, 3);
    opt_str(w, "client_version", s.client_version);
    opt_str(w, "hassh", s.hassh);
    opt_str(w, "arch", s.arch);
    w.key("terminal");
    if (s.term_width >= 0 || s.term_height >= 0) {
        w.begin_object();
        opt_int(w, "width", s.term_width);
        opt_int(w, "height", s.term_height);
        w.end_object();
    } else {
        w.null();
    }
}

// Writes key: [ one object per item of `kind` ], each object opened with its "time" and
// filled in by item_fields(item).
template <class Fields>
void item_array(JsonWriter& w, const char* key, const Session& s, std::initializer_list<ItemKind> kinds,
                Fields&& item_fields) {
    w.literal_key(key, std::strlen(key)).begin_array();
    for (const Item& it : s.items) {
        if (std::find(kinds.begin(), kinds.end(), it.kind) == kinds.end()) continue;
        w.begin_object().key("time").timestamp(it.ts);
        item_fields(it);
        w.end_object();
    }
    w.end_array();
}

// What happened in the session: logins, commands, transfers, tunnels and recordings.
void item_arrays(JsonWriter& w, const Session& s) {
    item_array(w, "logins", s, {ItemKind::Login}, [&](const Item& it) {
        w.field("username", it.a);
        if (!it.c.empty())
            w.field("fingerprint", it.c);
        else
            w.field("password", it.b);
        w.field("success", it.flag);
    });
    std::size_t ci = 0;
    item_array(w, "commands", s, {ItemKind::Command},
               [&](const Item& it) { w.field("input", it.a).field("failed", s.cmd_failed[ci++] != 0); });
    item_array(w, "downloads", s, {ItemKind::Download, ItemKind::DownloadFailed}, [&](const Item& it) {
        opt_str(w, "url", it.a);
        if (it.kind == ItemKind::Download) {
            opt_str(w, "shasum", it.b);
            opt_str(w, "outfile", it.c);
            w.field("duplicate", it.flag).field("status", "ok");
        } else {
            w.field("status", "failed");
        }
    });
    item_array(w, "file_writes", s, {ItemKind::FileWrite}, [&](const Item& it) {
        opt_str(w, "path", it.a);
        opt_str(w, "shasum", it.b);
        opt_int(w, "size", it.num);
        w.field("duplicate", it.flag);
        opt_str(w, "persistence", persistence_kind(it.a));
    });
    item_array(w, "uploads", s, {ItemKind::Upload}, [&](const Item& it) {
        opt_str(w, "filename", it.a);
        opt_str(w, "shasum", it.b);
        opt_str(w, "destination", it.c);
        w.field("duplicate", it.flag);
    });
    item_array(w, "tcpip", s, {ItemKind::Tcpip}, [&](const Item& it) {
        opt_str(w, "dst_ip", it.a);
        opt_int(w, "dst_port", it.num);
        opt_str(w, "orig_ip", it.b);
    });
    w.field("tcpip_data_events", s.tcpip_data);
    item_array(w, "ttylog", s, {ItemKind::TtyLog}, [&](const Item& it) {
        opt_str(w, "path", it.a);
        opt_str(w, "shasum", it.b);
        opt_int(w, "size", it.num);
        w.field("duplicate", it.flag);
        w.field("found", !it.c.empty());  // the recording is among the inputs (matched by content hash)
    });
}

// How it ended, and the counts.
void outcome_fields(JsonWriter& w, const Session& s) {
    w.field("closed", s.closed);
    w.field("end_kind", end_kind_name(s.end_kind));
    w.field("channel", channel_name(s.channel));
    // An empty last line is a value (""), not a missing one: both are null without commands only.
    if (s.commands) {
        w.key("last_command").value(s.last_command);
        w.key("secs_after_last_command").value(s.secs_after_last_command, 3);
    } else {
        w.key("last_command").null();
        w.key("secs_after_last_command").null();
    }
    opt_str(w, "last_step", s.last_step);
    w.key("attack").begin_array();  // ATT&CK technique ids in order of first use (attack.hpp)
    for_each_attack_id(s.attack, [&](std::string_view id) { w.value(id); });
    w.end_array();
    if (s.geo) {  // --geoip: unknown is null; without --geoip the keys are absent
        opt_str(w, "country", s.country);
        opt_int(w, "asn", s.asn);
        opt_str(w, "as_org", s.as_org);
    }
    w.field("login_attempts", s.login_attempts).field("login_successes", s.login_successes);
    w.field("failed_commands", s.failed_commands);
    w.field("events", s.events).field("late_events", s.late_events);
}

}  // namespace

void append_session_json(std::string& out, const Session& s) {
    JsonWriter w(out);
    w.begin_object();
    connection_fields(w, s);
    item_arrays(w, s);
    outcome_fields(w, s);
    w.end_object();
    out.push_back('\n');
}

std::string write_error(const std::string& path, int err) {
    return "cannot write " + path + ": " + std::strerror(err ? err : EIO);
}

namespace {

// Renames path + ".tmp", its writes and close done, to `path`; `err` is their first errno.
// Every failure names `path` and the reason (a full disk, a file-size limit).
std::string rename_into_place(const std::string& path, int err) {
    if (!err && std::rename((path + ".tmp").c_str(), path.c_str()) != 0) err = errno;
    return err ? write_error(path, err) : std::string();
}

}  // namespace

std::string write_file_atomic(const std::string& path, std::string_view data) {
    // a large file (the STIX bundle, report.html, the largest tables: 30 MB a daily run at
    // 1 GiB, the run waiting for the last of them) goes past the page cache (replace_file())
    const int err = replace_file(path, {data});
    return err ? write_error(path, err) : std::string();
}

namespace {

std::int64_t session_day(const Session& s) { return start_day(s.start); }

}  // namespace

// The day files of SessionsJsonlWriter::open_days(): days come in order, each one's records
// appended until the next day starts.
class DayPartitions {
public:
    DayPartitions(std::string dir, std::string previous, const SessionsListing* trusted)
        : dir_(std::move(dir)), previous_(std::move(previous)), trusted_(trusted ? *trusted : SessionsListing()) {}
    ~DayPartitions() {
        if (f_.is_open()) std::remove((path_ + ".tmp").c_str());  // never closed: no file rather than part of one
    }
    DayPartitions(const DayPartitions&) = delete;
    DayPartitions& operator=(const DayPartitions&) = delete;

    std::string open() {
        if (::mkdir(dir_.c_str(), 0777) != 0 && errno != EEXIST) return write_error(dir_, errno);
        if (!previous_.empty()) read_previous();
        return {};
    }
    // Appends `bytes`, the records of `sessions` sessions that started on `day`.
    std::string write(std::int64_t day, std::string_view bytes, std::size_t sessions) {
        if (!f_.is_open() || day != day_) {
            if (auto err = end_day(); !err.empty()) return err;
            if (auto err = start_day(day); !err.empty()) return err;
        }
        if (int e = f_.write(bytes)) return write_error(path_, e);
        now_.crc = crc64(now_.crc, bytes);
        now_.bytes += bytes.size();
        now_.sessions += sessions;
        return {};
    }
    // Takes the earlier run's file of `day` as it is, without the day's records: when its
    // _partitions.json is the one `trusted` lists (written with this run's options and marker
    // set), lists the day with `sessions` sessions and the file still has its bytes. False when
    // it cannot, and the day's records must be written.
    bool adopt(std::int64_t day, std::size_t sessions, std::string* err) {
        if (!can_keep(day)) return false;
        const std::string name = partition_name(day);
        const Partition& before = before_.at(name);
        if (before.sessions != sessions) return false;
        if (auto e = end_day(); !e.empty()) {
            *err = std::move(e);
            return false;
        }
        const std::string folder = dir_ + "/" + name;
        if (::mkdir(folder.c_str(), 0777) != 0 && errno != EEXIST) return false;
        const std::string file = folder + "/sessions.jsonl";
        if (::link(previous_file(name).c_str(), file.c_str()) != 0) {  // a file system without hard links
            std::error_code ec;
            if (!std::filesystem::copy_file(previous_file(name), file,
                                            std::filesystem::copy_options::overwrite_existing, ec))
                return false;
        }
        done_.emplace_back(name, before);
        ++kept_;
        return true;
    }
    // The trusted run's days before `day`, in session order (the day of sessions without a
    // timestamp first), each with its name; nullopt when one cannot be kept as it is (or its
    // name is not one this writer makes), or some day is written already.
    std::optional<std::vector<std::pair<std::int64_t, std::string>>> days_before(std::int64_t day) {
        if (!trusted() || f_.is_open() || !done_.empty()) return std::nullopt;
        std::vector<std::pair<std::int64_t, std::string>> out;
        for (auto& [name, p] : before_) {
            std::int64_t d = kNoDay;
            if (name != kNoDayName) {
                const std::optional<Micros> t =
                    name.size() > 4 ? parse_timestamp(name.substr(4) + "T00:00:00Z") : std::nullopt;
                if (!t) return std::nullopt;
                d = day_number(*t);
            }
            if (partition_name(d) != name) return std::nullopt;
            if (d >= day) continue;
            if (!previous_intact(name, p)) return std::nullopt;
            out.emplace_back(d, name);
        }
        std::sort(out.begin(), out.end());
        return out;
    }
    // The sessions the trusted run's file of the day `name` holds (as its listing says).
    std::uint64_t listed_sessions(const std::string& name) const {
        auto it = before_.find(name);
        return it == before_.end() ? 0 : it->second.sessions;
    }
    // Whether adopt() may take the earlier run's file of `day`: it is trusted, lists the day,
    // the file still has its bytes, and none of the day is written yet.
    bool can_keep(std::int64_t day) {
        if (!trusted() || (f_.is_open() && day == day_)) return false;
        const std::string name = partition_name(day);
        auto it = before_.find(name);
        return it != before_.end() && previous_intact(name, it->second);
    }
    // Appends the records of `keys` (session_key_hash(), in order) from the earlier run's file of
    // `day`, which can_keep() found intact: sessions it held then, whose records are the same.
    std::string copy_previous(std::int64_t day, const std::vector<std::uint64_t>& keys) {
        const std::string old = previous_file(partition_name(day));
        std::ifstream in(old, std::ios::binary);
        if (!in) return write_error(old, errno);
        simdjson::dom::parser parser;
        std::string line;
        std::size_t next = 0;
        std::string err;
        while (next < keys.size() && err.empty() && std::getline(in, line)) {
            simdjson::dom::object o;
            std::string_view sensor, session;
            if (parser.parse(line).get(o) || o["sensor"].get(sensor) || o["session"].get(session) ||
                session_key_hash(sensor, session) != keys[next])
                continue;
            ++next;
            line.push_back('\n');
            err = write(day, line, 1);
        }
        if (err.empty() && next < keys.size())
            err = old + ": " + std::to_string(keys.size() - next) + " sessions of the last run are not in it any more";
        return err;
    }
    // Ends the last day and writes _partitions.json.
    std::string close() {
        if (auto err = end_day(); !err.empty()) return err;
        for (const auto& [name, p] : done_)  // where they are now; renames keep their stat
            if (FileStat st; stat_file(dir_ + "/" + name + "/sessions.jsonl", &st)) written_.files.emplace(name, st);
        std::string out = "{\"layout\":\"day\",\"partitions\":[";
        for (std::size_t i = 0; i < done_.size(); ++i) {
            const auto& [name, p] = done_[i];
            out += i ? ",\n" : "\n";
            JsonWriter w(out);
            w.begin_object().field("path", name + "/sessions.jsonl").key("day");
            if (name == kNoDayName)
                w.null();
            else
                w.value(std::string_view(name).substr(4));
            char crc[17];
            std::snprintf(crc, sizeof crc, "%016llx", static_cast<unsigned long long>(p.crc));
            w.field("sessions", p.sessions).field("bytes", p.bytes).field("crc64", std::string_view(crc));
            w.end_object();
        }
        out += "\n]}\n";
        written_.hash = listing_hash(out);
        return write_file_atomic(dir_ + "/_partitions.json", out);
    }
    std::size_t days() const { return done_.size(); }
    const SessionsListing& written() const { return written_; }
    std::size_t kept() const { return kept_; }

private:
    struct Partition {
        std::uint64_t sessions = 0, bytes = 0, crc = 0;
        bool checked = false, intact = false;  // an earlier run's: whether the file still has its bytes
    };
    // Hive's name for the partition of rows without a value: sessions with no timestamp at all.
    static constexpr std::string_view kNoDayName = "day=__HIVE_DEFAULT_PARTITION__";

    static std::string partition_name(std::int64_t day) {
        if (day == kNoDay) return std::string(kNoDayName);
        return "day=" + format_day(day * 86400 * kMicrosPerSecond);
    }
    std::string start_day(std::int64_t day) {
        day_ = day;
        name_ = partition_name(day);
        now_ = {};
        const std::string folder = dir_ + "/" + name_;
        if (::mkdir(folder.c_str(), 0777) != 0 && errno != EEXIST) return write_error(folder, errno);
        path_ = folder + "/sessions.jsonl";
        const int err = f_.open(path_ + ".tmp");
        return err ? write_error(path_, err) : std::string();
    }
    // Closes the day's file; the earlier run's file takes its place when the bytes are the same.
    std::string end_day() {
        if (!f_.is_open()) return {};
        if (const int err = f_.close()) return write_error(path_, err);
        if (keep_previous()) {
            std::remove((path_ + ".tmp").c_str());
            ++kept_;
        } else if (std::rename((path_ + ".tmp").c_str(), path_.c_str()) != 0) {
            return write_error(path_, errno);
        }
        done_.emplace_back(name_, now_);
        return {};
    }
    // The earlier run's file of this day, linked in its place, when _partitions.json says its
    // bytes are the same and they still are (reading costs less than writing).
    bool keep_previous() {
        auto it = before_.find(name_);
        if (it == before_.end() || it->second.bytes != now_.bytes || it->second.crc != now_.crc) return false;
        return previous_intact(name_, it->second) && ::link(previous_file(name_).c_str(), path_.c_str()) == 0;
    }
    std::string previous_file(const std::string& name) const { return previous_ + "/" + name + "/sessions.jsonl"; }
    // Whether the earlier run's _partitions.json is the one `trusted` lists.
    bool trusted() const { return trusted_.hash && previous_hash_ == trusted_.hash; }
    // Whether the earlier run's file of the day `name` still has the bytes that p lists: it has
    // the stat it had when the trusted run left it, or reading it shows them (once per day).
    bool previous_intact(const std::string& name, Partition& p) const {
        if (p.checked) return p.intact;
        p.checked = true;
        const std::string path = previous_file(name);
        if (auto it = trusted_.files.find(name); trusted() && it != trusted_.files.end()) {
            FileStat st;
            if (stat_file(path, &st) && st == it->second && st.size == p.bytes) return p.intact = true;
        }
        return p.intact = still_has(path, p);
    }
    // Whether the file at path holds the bytes that p lists (its length and CRC-64).
    static bool still_has(const std::string& path, const Partition& p) {
        const std::optional<FileCrc> f = file_crc64(path);
        return f && f->bytes == p.bytes && f->crc == p.crc;
    }
    // What a later run compares to know that a _partitions.json is the one a run wrote.
    static std::uint64_t listing_hash(std::string_view json) { return crc64(0, json) | 1; }  // 0: none
    // The days of the earlier run's _partitions.json; none when it is missing or not ours.
    void read_previous() {
        simdjson::padded_string json;
        if (simdjson::padded_string::load(previous_ + "/_partitions.json").get(json)) return;
        previous_hash_ = listing_hash(std::string_view(json));
        simdjson::dom::parser parser;
        simdjson::dom::array parts;
        if (parser.parse(json)["partitions"].get(parts)) return;
        for (simdjson::dom::element e : parts) {
            std::string_view path, crc;
            std::uint64_t bytes = 0, sessions = 0;
            if (e["path"].get(path) || e["crc64"].get(crc) || e["bytes"].get(bytes) || e["sessions"].get(sessions) ||
                crc.size() != 16)
                continue;
            const std::size_t slash = path.find('/');
            if (slash == std::string_view::npos) continue;
            Partition p;
            p.sessions = sessions;
            p.bytes = bytes;
            p.crc = std::strtoull(std::string(crc).c_str(), nullptr, 16);
            before_[std::string(path.substr(0, slash))] = p;
        }
    }

    std::string dir_, previous_;
    SessionsListing trusted_, written_;
    std::uint64_t previous_hash_ = 0;
    std::map<std::string, Partition> before_;  // by folder name
    std::vector<std::pair<std::string, Partition>> done_;
    std::size_t kept_ = 0;
    DirectFile f_;  // the day being written
    std::int64_t day_ = 0;
    std::string name_, path_;
    Partition now_;
};

struct SessionsJsonlWriter::Segment {
    std::int64_t day;
    std::size_t end, sessions;  // where its records end in the block's buffer, how many
};

SessionsJsonlWriter::SessionsJsonlWriter() = default;

SessionsJsonlWriter::~SessionsJsonlWriter() {
    if (f_.is_open()) std::remove((path_ + ".tmp").c_str());  // never closed: no sessions.jsonl rather than part of one
}

std::string SessionsJsonlWriter::open(const std::string& path) {
    path_ = path;
    err_ = f_.open(path + ".tmp");
    return err_ ? write_error(path_, err_) : std::string();
}

std::string SessionsJsonlWriter::open_days(const std::string& dir, const std::string& previous,
                                           const SessionsListing* trusted) {
    path_ = dir;
    parts_ = std::make_unique<DayPartitions>(dir, previous, trusted);
    std::string err = parts_->open();
    if (!err.empty()) err_ = EIO;
    return err;
}

std::optional<std::uint64_t> SessionsJsonlWriter::sessions_before(std::int64_t day) {
    if (!parts_ || err_ || held_) return std::nullopt;
    const auto days = parts_->days_before(day);
    if (!days) return std::nullopt;
    std::uint64_t n = 0;
    for (const auto& d : *days) n += parts_->listed_sessions(d.second);
    return n;
}

std::string SessionsJsonlWriter::keep_days_before(std::int64_t day) {
    const auto days = parts_ && !err_ && !held_ ? parts_->days_before(day) : std::nullopt;
    if (!days)
        return path_ + ": the last run's days before " + format_day(day * 86400 * kMicrosPerSecond) +
               " cannot be kept as they are";
    for (const auto& [d, name] : *days) {
        std::string err;
        if (!parts_->adopt(d, parts_->listed_sessions(name), &err)) {
            err_ = EIO;
            return err.empty() ? path_ + "/" + name + ": the last run's file cannot be kept" : err;
        }
    }
    return {};
}

std::string SessionsJsonlWriter::append(const std::vector<Session>& sessions, unsigned threads,
                                        const std::uint8_t* unchanged, bool more) {
    if (!f_.is_open() && !parts_ && !err_) err_ = EBADF;  // not open
    if (err_) return write_error(path_, err_);
    if (!unchanged || !parts_) {
        if (auto err = settle_held(); !err.empty()) return err;
        return format(sessions, 0, sessions.size(), threads);
    }
    // Days of unchanged sessions keep the earlier run's file; the others are written. A day of
    // them that reaches the end of a chunk may go on in the next one: held_ keeps its records
    // until that is known.
    std::size_t from = 0;  // the first session not written, kept or held yet
    for (std::size_t lo = 0, hi; lo < sessions.size() && !err_; lo = hi) {
        const std::int64_t day = session_day(sessions[lo]);
        bool all = true;
        for (hi = lo; hi < sessions.size() && session_day(sessions[hi]) == day; ++hi) all = all && unchanged[hi];
        const bool goes_on = lo == 0 && held_ && held_->day == day;  // the held day's next sessions
        if (held_ && !goes_on)
            if (auto err = settle_held(); !err.empty()) return err;
        if (!all) {
            if (auto err = write_held(); !err.empty()) return err;  // held records come first
            continue;
        }
        if (auto err = format(sessions, from, lo, threads); !err.empty()) return err;
        from = hi;
        if (hi == sessions.size() && more) {
            if (parts_->can_keep(day)) {
                hold(sessions, lo, hi, day);
            } else {
                if (auto err = write_held(); !err.empty()) return err;  // (none: a held day stays keepable)
                from = lo;
            }
            continue;
        }
        const std::size_t before = held_ ? held_->keys.size() : 0;
        std::string err;
        if (parts_->adopt(day, before + hi - lo, &err)) {
            held_.reset();
            continue;
        }
        if (!err.empty()) return err;
        if (auto e = write_held(); !e.empty()) return e;
        from = lo;
    }
    return format(sessions, from, sessions.size(), threads);
}

void SessionsJsonlWriter::hold(const std::vector<Session>& sessions, std::size_t lo, std::size_t hi, std::int64_t day) {
    if (!held_) held_ = std::make_unique<Held>(Held{day, {}});
    for (std::size_t i = lo; i < hi; ++i)
        held_->keys.push_back(session_key_hash(sessions[i].sensor, sessions[i].session));
}

std::string SessionsJsonlWriter::settle_held() {
    if (!held_) return {};
    std::string err;
    if (parts_->adopt(held_->day, held_->keys.size(), &err)) held_.reset();
    if (err.empty()) return write_held();
    held_.reset();
    err_ = EIO;
    return err;
}

std::string SessionsJsonlWriter::write_held() {
    if (!held_) return {};
    const std::unique_ptr<Held> h = std::move(held_);
    std::string err = parts_->copy_previous(h->day, h->keys);
    if (!err.empty()) err_ = EIO;
    return err;
}

std::string SessionsJsonlWriter::format(const std::vector<Session>& sessions, std::size_t lo, std::size_t hi,
                                        unsigned threads) {
    if (err_) return write_error(path_, err_);
    // Format blocks in parallel, write them in order.
    constexpr std::size_t kBlock = 4096;
    const std::size_t blocks = (hi - lo + kBlock - 1) / kBlock;
    threads = std::max(1u, threads);
    for (std::size_t base = 0; base < blocks && !err_; base += threads) {
        bufs_.resize(std::min<std::size_t>(threads, blocks - base));
        segments_.resize(bufs_.size());
        parallel_for(bufs_.size(), threads, [&](std::size_t k) {
            const std::size_t b = base + k;
            const std::size_t end = std::min(hi, lo + (b + 1) * kBlock);
            bufs_[k].clear();
            segments_[k].clear();
            for (std::size_t i = lo + b * kBlock; i < end; ++i) {
                const std::int64_t day = parts_ ? session_day(sessions[i]) : 0;
                if (segments_[k].empty() || segments_[k].back().day != day) segments_[k].push_back({day, 0, 0});
                append_session_json(bufs_[k], sessions[i]);
                segments_[k].back().end = bufs_[k].size();
                ++segments_[k].back().sessions;
            }
        });
        for (std::size_t k = 0; k < bufs_.size(); ++k)
            if (auto err = emit(bufs_[k], segments_[k]); !err.empty()) return err;
    }
    return err_ ? write_error(path_, err_) : std::string();
}

std::string SessionsJsonlWriter::emit(const std::string& buf, const std::vector<Segment>& segments) {
    if (!parts_) {
        if (!err_) err_ = f_.write(buf);
        return err_ ? write_error(path_, err_) : std::string();
    }
    std::size_t begin = 0;
    for (const Segment& seg : segments) {
        if (auto err = parts_->write(seg.day, std::string_view(buf).substr(begin, seg.end - begin), seg.sessions);
            !err.empty()) {
            err_ = EIO;
            return err;
        }
        begin = seg.end;
    }
    return {};
}

std::string SessionsJsonlWriter::close() {
    bufs_ = {};
    segments_ = {};
    if (parts_) {
        std::string err = err_ ? write_error(path_, err_) : settle_held();
        if (err.empty()) err = parts_->close();
        days_ = parts_->days();
        days_kept_ = parts_->kept();
        listing_ = parts_->written();
        parts_.reset();
        return err;
    }
    if (!f_.is_open()) return write_error(path_, err_ ? err_ : EBADF);
    const int closed = f_.close();  // the first error of its writes, or of the close
    return rename_into_place(path_, err_ ? err_ : closed);
}

std::string write_sessions_jsonl(const std::string& path, const std::vector<Session>& sessions, unsigned threads) {
    SessionsJsonlWriter w;
    std::string err = w.open(path);
    if (err.empty()) err = w.append(sessions, threads);
    const std::string close_err = w.close();
    return err.empty() ? close_err : err;
}

std::string write_tables_csv(const std::string& dir, const std::vector<Table>& tables) {
    for (const auto& t : tables) {
        auto err = write_file_atomic(dir + "/" + t.name + ".csv", to_csv(t));
        if (!err.empty()) return err;
    }
    return {};
}

}  // namespace cb
