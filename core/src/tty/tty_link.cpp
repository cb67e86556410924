#include "cb/tty/tty_link.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <mutex>
#include <unordered_map>

#include "cb/parse/command_template.hpp"
#include "cb/tty/ttylog.hpp"
#include "cb/util/parallel.hpp"
#include "cb/util/sha256.hpp"
#include "cb/util/text.hpp"

namespace cb {

namespace {

std::string_view basename(std::string_view p) {
    const auto slash = p.find_last_of('/');
    return slash == std::string_view::npos ? p : p.substr(slash + 1);
}

// Cowrie defaults that show in what the attacker saw (docs: cowrie-log-format.md §7).
struct Tell {
    const char* id;
    const char* needle;
    const char* what;
};
constexpr Tell kTells[] = {
    {"hostname-svr04", "svr04", "the default host name svr04 (prompt, uname -n, hostname)"},
    {"kernel-3.2.0-4", "3.2.0-4-amd64", "the pre-v3 default kernel 3.2.0-4-amd64 (uname -a, /proc/version)"},
    {"kernel-6.1.0-21", "6.1.0-21-amd64", "the v3 default kernel 6.1.0-21-amd64"},
    {"cpu-core2-e8200", "E8200", "the old default /proc/cpuinfo (Intel Core2 Duo E8200)"},
    {"cpu-xeon-e5-2680", "E5-2680 v4", "the v3 default /proc/cpuinfo (Xeon E5-2680 v4)"},
    {"ssh-v-7.9p1", "OpenSSH_7.9p1", "the default ssh -V answer OpenSSH_7.9p1 (the banner says otherwise)"},
    {"ping-29.89.32.244", "29.89.32.244", "the fake ping address 29.89.32.244"},
    {"user-phil", "phil", "the default user phil"},
    {"memtotal-4054744", "4054744", "the default MemTotal 4054744 kB"},
};
constexpr std::size_t kTellCount = sizeof(kTells) / sizeof(kTells[0]);

struct SessionView {
    std::string last_template;
    std::string id;
    std::string last_lines;  // joined by "\n"
    std::array<bool, kTellCount> tells{};
    bool read = false, left = false;
    bool last_cut = false;  // the last recording is longer than the limit: its last lines are unknown
};

// Cowrie names a closed recording by the SHA-256 of its INPUT and INTERACT payloads; hashing
// the content finds recordings whatever they are called now (renamed, copied, archived).
struct Recording {
    std::string_view path;
    Micros first = kNoTime, last = kNoTime;  // times of its first and last record
    std::uint64_t bytes = 0;                 // bytes read
    bool cut = false;                        // read up to --max-recording-bytes: it may go on long after `last`
};

std::string recording_hash(const std::string& path, Recording* out, std::uint64_t max_bytes, bool* cut) {
    TtyReader reader(path);
    reader.set_max_bytes(max_bytes);
    TtyRecord rec;
    Sha256 sha;
    while (reader.next(&rec)) {
        if (out->first == kNoTime) out->first = rec.ts;
        out->last = rec.ts;
        if (rec.op == TtyOp::Write && (rec.dir == TtyDir::Input || rec.dir == TtyDir::Interact)) sha.update(rec.data);
    }
    *cut = reader.status() == TtyStatus::Limit;
    out->bytes = reader.bytes();
    return sha.hex();
}

// Distance from a log.closed time to a recording's time span (0 inside it; a cut recording's
// span has no known end).
Micros distance(const Recording& r, Micros t) {
    if (r.first == kNoTime) return INT64_MAX;
    if (t < r.first) return r.first - t;
    if (t > r.last && !r.cut) return t - r.last;
    return 0;
}

}  // namespace

struct RecordingIndex::Entry {
    Recording r;
};

namespace {

// The last run's read of the file r stands for, if the file is as it was then.
const RecordingRead* known_read(const std::vector<RecordingRead>* known, const RecordingRead& r) {
    if (!known) return nullptr;
    auto it = std::lower_bound(known->begin(), known->end(), r.path,
                               [](const RecordingRead& k, const std::string& p) { return k.path < p; });
    if (it == known->end() || it->path != r.path || it->size != r.size || it->mtime_ns != r.mtime_ns) return nullptr;
    return &*it;
}

}  // namespace

RecordingIndex::RecordingIndex(const InputSet& inputs, StringPool& pool, std::uint64_t max_recording_bytes,
                               std::vector<RecordingCut>* cuts, const std::vector<RecordingRead>* known) {
    for (const auto& f : inputs.files) {
        if (f.kind != FileKind::TtyLog) continue;
        RecordingRead read;
        read.path = f.path;
        FileStat st;
        if (!stat_file(f.path, &st)) continue;
        read.size = st.size;
        read.mtime_ns = st.mtime_ns;
        Recording r;
        if (const RecordingRead* k = known_read(known, read)) {
            read = *k;
            r.first = read.first, r.last = read.last, r.bytes = read.bytes, r.cut = read.cut;
        } else {
            read.hash = recording_hash(f.path, &r, max_recording_bytes, &r.cut);
            read.first = r.first, read.last = r.last, read.bytes = r.bytes, read.cut = r.cut;
            ++read_now_;
        }
        r.path = pool.intern(f.path);
        if (r.cut && cuts) cuts->push_back({f.path, r.bytes});
        by_hash_[pool.intern(read.hash)].push_back({r});
        if (basename(f.path) != read.hash) by_hash_[pool.intern(basename(f.path))].push_back({r});  // 1.x names
        reads_.push_back(std::move(read));
    }
}

RecordingIndex::~RecordingIndex() = default;

namespace {

// A recording further than this from a session's log.closed event is another session's.
constexpr Micros kMaxRecordingGap = Micros{3600} * 1000000;

// The recording nearest in time to the log.closed event at t, if within kMaxRecordingGap.
// (Entries: RecordingIndex's, each with its Recording r.)
template <class Entries>
const Recording* nearest_recording(const Entries& found, Micros t) {
    const Recording* best = nullptr;
    for (const auto& e : found)
        if (!best || std::make_tuple(distance(e.r, t), e.r.first, e.r.last) <
                         std::make_tuple(distance(*best, t), best->first, best->last))
            best = &e.r;
    return best && (t == kNoTime || distance(*best, t) <= kMaxRecordingGap) ? best : nullptr;
}

// A session whose log.closed says `duplicate`: Cowrie deleted its recording, as an earlier
// session typed the same input, whose file it kept. That is the latest recording of the hash
// that began before t, however long before.
template <class Entries>
const Recording* earlier_session_recording(const Entries& found, Micros t) {
    const Recording* best = nullptr;
    for (const auto& e : found)
        if (e.r.first != kNoTime && (t == kNoTime || e.r.first <= t) &&
            (!best || std::make_tuple(e.r.first, e.r.last) > std::make_tuple(best->first, best->last)))
            best = &e.r;
    return best;
}

}  // namespace

// The same input typed on two sensors gives two recordings with one hash (and different
// output): the recording whose time span is nearest to the session's log.closed event is
// the session's own, so the choice depends on neither file names nor order. One further than
// kMaxRecordingGap from it is another session's: a bot that types the same thing on every
// sensor for years makes recordings of that hash everywhere (an independent review found 224
// sessions of 2024 linked to two recordings of 2026 from another sensor). A `duplicate`
// session's is the earlier session's file, however long before.
std::size_t RecordingIndex::link(std::vector<Session>& sessions) const {
    if (by_hash_.empty()) return 0;
    std::size_t linked = 0;
    for (Session& s : sessions)
        for (Item& it : s.items) {
            if (it.kind != ItemKind::TtyLog) continue;
            auto found = by_hash_.find(it.b.empty() ? basename(it.a) : it.b);
            if (found == by_hash_.end()) found = by_hash_.find(basename(it.a));
            if (found == by_hash_.end()) continue;
            const Recording* best =
                it.flag ? earlier_session_recording(found->second, it.ts) : nearest_recording(found->second, it.ts);
            if (!best) continue;  // none under that hash (the index keeps none empty today), or none of this session
            it.c = best->path;    // lives in the pool the index was built with
            ++linked;
        }
    return linked;
}

std::vector<std::uint64_t> recording_names(const RecordingRead& r) {
    std::vector<std::uint64_t> names{stable_hash64(r.hash)};
    if (basename(r.path) != r.hash) names.push_back(stable_hash64(basename(r.path)));
    return names;
}

bool could_link(const RecordingRead& r, Micros t) {
    return r.first != kNoTime && (t == INT64_MAX || r.first <= t + kMaxRecordingGap);
}

void looked_up_recordings(const Session& s, const std::function<void(std::uint64_t, Micros, bool)>& f) {
    for (const Item& it : s.items) {
        if (it.kind != ItemKind::TtyLog) continue;
        const std::string_view file = basename(it.a);
        if (!it.b.empty() && it.b != file) f(stable_hash64(it.b), it.ts, true);
        f(stable_hash64(file), it.ts, false);
    }
}

namespace {

// What one session's recordings showed: the tells anywhere in the output, the last lines
// of its last recording.
SessionView read_session(const Session& s, std::uint64_t max_recording_bytes) {
    SessionView v;
    v.id = std::string(s.sensor) + "/" + std::string(s.session);
    v.left = session_left(s);
    if (!s.last_step.empty()) v.last_template = command_template(s.last_step);
    const Item* last = nullptr;
    for (const Item& it : s.items) {
        if (it.kind != ItemKind::TtyLog || it.c.empty()) continue;
        last = &it;
        TtyReader reader(std::string(it.c));
        reader.set_max_bytes(max_recording_bytes);
        TtyRecord rec;
        while (reader.next(&rec)) {
            if (rec.dir != TtyDir::Output) continue;
            for (std::size_t k = 0; k < kTellCount; ++k)
                if (!v.tells[k] && rec.data.find(kTells[k].needle) != std::string_view::npos) v.tells[k] = true;
        }
        v.read = true;
    }
    if (last) {
        TtyReader reader(std::string(last->c));
        reader.set_max_bytes(max_recording_bytes);
        const LastOutput lo = last_output(reader, 3);
        for (const auto& l : lo.lines) v.last_lines += (v.last_lines.empty() ? "" : "\n") + l;
        v.last_cut = lo.status == TtyStatus::Limit;
    }
    return v;
}

// Every session with a linked recording, read on `threads` threads (in session order).
std::vector<SessionView> read_sessions(const SessionRefs& sessions, unsigned threads,
                                       std::uint64_t max_recording_bytes) {
    std::vector<const Session*> todo;
    for (const Session* s : sessions)
        for (const Item& it : s->items)
            if (it.kind == ItemKind::TtyLog && !it.c.empty()) {
                todo.push_back(s);
                break;
            }
    std::vector<SessionView> views(todo.size());
    parallel_for(todo.size(), std::max(1u, threads),
                 [&](std::size_t i) { views[i] = read_session(*todo[i], max_recording_bytes); });
    return views;
}

// Per last step (template) of shell sessions that left, with a recording read to its end:
// how many, their last lines and the smallest session id (the same whatever the order).
struct LastOutputAgg {
    std::uint64_t sessions = 0;
    std::map<std::string, std::uint64_t> outputs;
    std::string example;
    template <class Ar>
    void io(Ar& ar) {
        ar(sessions, outputs, example);
    }
};
using LastOutputMap = std::map<std::string, LastOutputAgg>;

void count_last_output(const SessionView& v, LastOutputMap& by_cmd) {
    if (!v.read || !v.left || v.last_template.empty() || v.last_cut) return;
    LastOutputAgg& a = by_cmd[v.last_template];
    ++a.sessions;
    ++a.outputs[v.last_lines];
    if (a.example.empty() || v.id < a.example) a.example = v.id;
}

// The most common last lines per last step; most sessions first.
std::vector<LastOutputRow> last_output_rows(const LastOutputMap& by_cmd) {
    std::vector<std::pair<const std::string*, const LastOutputAgg*>> sorted;
    for (const auto& [k, a] : by_cmd) sorted.emplace_back(&k, &a);
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](auto& x, auto& y) { return x.second->sessions > y.second->sessions; });
    std::vector<LastOutputRow> rows;
    for (const auto& [k, a] : sorted) {
        const auto top = std::max_element(a->outputs.begin(), a->outputs.end(),
                                          [](auto& x, auto& y) { return x.second < y.second; });
        rows.push_back({*k, a->sessions, top->first,
                        static_cast<double>(top->second) / static_cast<double>(a->sessions), a->outputs.size(),
                        a->example});
    }
    return rows;
}

// Per tell: how many sessions saw it, and the smallest id.
struct TellCount {
    std::uint64_t sessions = 0;
    std::string example;
    template <class Ar>
    void io(Ar& ar) {
        ar(sessions, example);
    }
};
using TellCounts = std::array<TellCount, kTellCount>;

void count_tells(const SessionView& v, TellCounts& tells) {
    if (!v.read) return;
    for (std::size_t k = 0; k < kTellCount; ++k)
        if (v.tells[k]) {
            ++tells[k].sessions;
            if (tells[k].example.empty() || v.id < tells[k].example) tells[k].example = v.id;
        }
}

// The tells seen by at least one session, in kTells order.
std::vector<TtyTellRow> tell_rows(const TellCounts& tells) {
    std::vector<TtyTellRow> rows;
    for (std::size_t k = 0; k < kTellCount; ++k)
        if (tells[k].sessions) rows.push_back({kTells[k].id, kTells[k].what, tells[k].sessions, tells[k].example});
    return rows;
}

Table last_output_table(const std::vector<LastOutputRow>& rows) {
    Table t{"last_output", "what attackers saw last (TTY recordings), per last command of sessions that left", {}, {}};
    t.columns = {{"command", ColumnType::Text, "template of the last step (steps.hpp) of shell sessions that left"},
                 {"sessions", ColumnType::Integer, "sessions that left after it, with a recording"},
                 {"last_lines", ColumnType::Text, "the most common last 3 lines of output (escapes removed)"},
                 {"share", ColumnType::Real, "share of those sessions that saw exactly these lines"},
                 {"variants", ColumnType::Integer, "distinct last-line texts"},
                 {"example_session", ColumnType::Text, "sensor/session"}};
    for (const auto& r : rows)
        t.rows.push_back({r.command, static_cast<std::int64_t>(r.sessions), r.last_lines, r.share,
                          static_cast<std::int64_t>(r.variants), r.example_session});
    return t;
}

Table tells_table(const std::vector<TtyTellRow>& rows) {
    Table t{"tty_tells", "Cowrie defaults that attackers saw in the output (TTY recordings)", {}, {}};
    t.columns = {
        {"tell", ColumnType::Text, "stable name of the default that showed (hostname-svr04, kernel-3.2.0-4, ...)"},
        {"what", ColumnType::Text, "what it is and where attackers saw it"},
        {"sessions", ColumnType::Integer, "sessions whose output showed it"},
        {"example_session", ColumnType::Text, "a session that saw it (sensor/session)"}};
    for (const auto& r : rows)
        t.rows.push_back({r.tell, r.what, static_cast<std::int64_t>(r.sessions), r.example_session});
    return t;
}

}  // namespace

struct RecordingFindingsBuilder::State {
    LastOutputMap last_output;
    TellCounts tells;
    std::uint64_t sessions_read = 0;  // sessions with a linked recording
    template <class Ar>
    void io(Ar& ar) {
        ar(last_output, tells, sessions_read);
    }
};

RecordingFindingsBuilder::RecordingFindingsBuilder(unsigned threads, std::uint64_t max_recording_bytes)
    : threads_(threads), max_recording_bytes_(max_recording_bytes), state_(std::make_unique<State>()) {}

RecordingFindingsBuilder::~RecordingFindingsBuilder() = default;

void RecordingFindingsBuilder::add(const std::vector<Session>& chunk) { add(session_refs(chunk)); }

void RecordingFindingsBuilder::save(std::string& out) {
    OutArchive ar(out);
    state_->io(ar);
}

bool RecordingFindingsBuilder::load(std::string_view in) {
    state_ = std::make_unique<State>();
    InArchive ar(in);
    state_->io(ar);
    if (ar.ok()) return true;
    state_ = std::make_unique<State>();
    return false;
}

void RecordingFindingsBuilder::add(const SessionRefs& sessions) {
    for (const SessionView& v : read_sessions(sessions, threads_, max_recording_bytes_)) {
        count_last_output(v, state_->last_output);
        count_tells(v, state_->tells);
        ++state_->sessions_read;
    }
}

void RecordingFindingsBuilder::finish(Findings& out) {
    out.last_output = last_output_rows(state_->last_output);
    out.tty_tells = tell_rows(state_->tells);
    out.tables.push_back(last_output_table(out.last_output));
    out.tables.push_back(tells_table(out.tty_tells));
    out.sessions_with_recordings = state_->sessions_read;
}

void recording_findings(const std::vector<Session>& sessions, Findings& out, unsigned threads,
                        std::uint64_t max_recording_bytes) {
    RecordingFindingsBuilder b(threads, max_recording_bytes);
    b.add(sessions);
    b.finish(out);
}

}  // namespace cb
