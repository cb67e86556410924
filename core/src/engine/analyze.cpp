#include "cb/engine/analyze.hpp"

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <tuple>
#include <unordered_map>

#include "cb/analysis/basic_tables.hpp"
#include "cb/engine/run_clock.hpp"
#include "cb/engine/session_source.hpp"
#include "cb/engine/state.hpp"
#include "cb/tty/tty_link.hpp"
#include "cb/util/crc64.hpp"
#include "cb/util/parallel.hpp"
#include "cb/util/text.hpp"

namespace cb {

namespace {

// A session partial's place in the shards, with the fields it is sorted by.
struct PartialRef {
    Micros start;
    std::string_view sensor, session;
    std::uint32_t shard, idx;
};

bool ref_less(const PartialRef& a, const PartialRef& b) {
    if (a.start != b.start) return a.start < b.start;
    return std::tie(a.sensor, a.session) < std::tie(b.sensor, b.session);
}

// Which partials of each shard a build takes (per shard, one flag per partial).
using PartialFilter = std::vector<std::vector<std::uint8_t>>;

// One sorted reference list per shard (sorted in parallel, a shard at a time), of the partials
// `take` flags (null: all).
std::vector<std::vector<PartialRef>> sorted_refs(const std::vector<SessionMap>& shards, unsigned threads,
                                                 const PartialFilter* take = nullptr) {
    std::vector<std::vector<PartialRef>> refs(shards.size());
    parallel_for(shards.size(), threads, [&](std::size_t s) {
        std::vector<PartialRef>& r = refs[s];
        r.reserve(shards[s].size());
        for (std::size_t i = 0; i < shards[s].size(); ++i) {
            if (take && !(*take)[s][i]) continue;
            const SessionPartial& p = shards[s].at(i).second;
            const Micros start = session_start(p);
            r.push_back(
                {start, p.key.sensor, p.key.session, static_cast<std::uint32_t>(s), static_cast<std::uint32_t>(i)});
        }
        std::sort(r.begin(), r.end(), ref_less);
    });
    return refs;
}

// k-way merge of the sorted reference lists (small records, each moved once).
std::vector<PartialRef> merge_refs(const std::vector<std::vector<PartialRef>>& refs) {
    std::size_t total = 0;
    for (const auto& r : refs) total += r.size();
    std::vector<PartialRef> order;
    order.reserve(total);
    std::vector<std::size_t> pos(refs.size(), 0);
    auto later = [&](std::size_t a, std::size_t b) { return ref_less(refs[b][pos[b]], refs[a][pos[a]]); };
    std::vector<std::size_t> heap;
    for (std::size_t i = 0; i < refs.size(); ++i)
        if (!refs[i].empty()) heap.push_back(i);
    std::make_heap(heap.begin(), heap.end(), later);
    while (!heap.empty()) {
        std::pop_heap(heap.begin(), heap.end(), later);
        const std::size_t i = heap.back();
        order.push_back(refs[i][pos[i]++]);
        if (pos[i] < refs[i].size())
            std::push_heap(heap.begin(), heap.end(), later);
        else
            heap.pop_back();
    }
    return order;
}

// The partials at `order`, finalized in parallel into their slots: moved out of the shards, or
// copied (they stay).
std::vector<Session> finalize_in_order(std::vector<SessionMap>& shards, const std::vector<PartialRef>& order,
                                       const SessionOptions& opt, unsigned threads, bool copy) {
    const std::size_t total = order.size();
    std::vector<Session> all(total);
    constexpr std::size_t kBlock = 4096;
    parallel_for((total + kBlock - 1) / kBlock, threads, [&](std::size_t block) {
        const std::size_t b = block * kBlock;
        for (std::size_t k = b; k < std::min(total, b + kBlock); ++k) {
            SessionPartial& p = shards[order[k].shard].at(order[k].idx).second;
            all[k] = copy ? finalize(SessionPartial(p), opt) : finalize(std::move(p), opt);
        }
    });
    return all;
}

// The cgroup (v2, then v1) memory limit of this process, or 0.
std::uint64_t cgroup_memory_limit() {
    for (const char* path : {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
        std::ifstream in(path);
        std::uint64_t v = 0;
        if (in >> v && v > 0) return v;  // "max" fails to parse: no limit
    }
    return 0;
}

}  // namespace

std::uint64_t memory_limit_of(const AnalyzeOptions& opt) {
    return opt.memory_limit ? opt.memory_limit : default_memory_limit();
}

SpillPlan plan_spill(std::uint64_t limit, unsigned threads) {
    return {limit / 2 / std::max(1u, threads), limit / 8, limit / 32};
}

std::string spill_parent(const AnalyzeOptions& opt) {
    if (!opt.tmp_dir.empty()) return opt.tmp_dir;
    const std::string parent = std::filesystem::path(opt.out_dir).parent_path().string();
    return parent.empty() ? "." : parent;
}

std::uint64_t default_memory_limit() {
    const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
    std::uint64_t total = pages > 0 && page > 0 ? static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page)
                                                : std::uint64_t{4} << 30;
    if (const std::uint64_t cg = cgroup_memory_limit(); cg && cg < total) total = cg;
    return total / 2;
}

InputSet scan_inputs(const std::vector<std::string>& inputs, const Limits& limits, const std::string& state_dir) {
    const KnownFiles known = state_dir.empty() ? KnownFiles() : known_logs(state_dir, limits);
    return expand_inputs(inputs, limits.max_file_bytes, &known);
}

// Orders the partials first (by the same key as session_less, known before finalize),
// then finalizes each one straight into its final slot, in parallel: every Session is
// written once instead of being sorted and moved through a k-way merge.
std::vector<Session> build_sessions(std::vector<SessionMap>& shards, const SessionOptions& opt, unsigned threads) {
    std::vector<Session> all = finalize_in_order(shards, merge_refs(sorted_refs(shards, threads)), opt, threads, false);
    parallel_for(shards.size(), threads, [&](std::size_t s) { SessionMap().swap(shards[s]); });
    return all;
}

void begin_run(AnalyzeResult& res, InputSet inputs, const AnalyzeOptions& opt) {
    res.run.inputs = std::move(inputs);
    res.run.session_options = opt.session;
    res.run.limits = opt.limits;
    if (opt.analysis.attack_rules) res.run.attack_rules = opt.analysis.attack_rules;
    res.run.geoip = opt.analysis.geoip;
    res.run.threads = worker_threads(opt.threads);
}

void complete_sessions(RunData& run, const MarkerStats& marker_stats, unsigned threads) {
    run.markers = marker_stats.finish();
    complete_these(run, run.sessions, run.step_pools, threads);
}

const RecordingIndex& run_recordings(RunData& run) {
    if (!run.recordings) {
        auto r = std::make_shared<RunRecordings>();
        r->index =
            std::make_unique<RecordingIndex>(run.inputs, r->pool, run.limits.max_recording_bytes, &run.recordings_cut,
                                             run.recordings_known.empty() ? nullptr : &run.recordings_known);
        run.recordings = std::move(r);
    }
    return *run.recordings->index;
}

void complete_these(RunData& run, std::vector<Session>& sessions, std::vector<StringPool>& step_pools,
                    unsigned threads) {
    run_recordings(run).link(sessions);
    assign_last_steps(sessions, run.markers, threads, step_pools);
    assign_attack(sessions, *run.attack_rules, threads, step_pools);
    if (run.geoip) assign_geo(sessions, *run.geoip, threads, step_pools);
}

AnalysisConfig analysis_config(const AnalyzeOptions& opt) {
    AnalysisConfig acfg = opt.analysis;
    acfg.idle_timeout_s = opt.session.idle_timeout_s;
    return acfg;
}

namespace {

// "SIZE:CRC" of the file at path (CRC-64 of its bytes), or "unreadable".
std::string file_digest(const std::string& path) {
    const std::optional<FileCrc> f = file_crc64(path);
    return f ? std::to_string(f->bytes) + ":" + std::to_string(f->crc) : "unreadable";
}

}  // namespace

std::string checkpoint_options(const AnalyzeOptions& opt) {
    const AnalysisConfig& a = opt.analysis;
    std::string out;
    auto put = [&](std::string_view name, auto value) {
        out.append(name).append("=");
        if constexpr (std::is_floating_point_v<decltype(value)>) {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%a", value);  // exact
            out.append(buf);
        } else if constexpr (std::is_arithmetic_v<decltype(value)>) {
            out.append(std::to_string(value));
        } else {
            out.append(std::to_string(value.size())).append(":").append(value);
        }
        out.append(";");
    };
    put("idle_timeout", opt.session.idle_timeout_s);
    put("auth_timeout", opt.session.auth_timeout_s);
    put("analyses", static_cast<int>(opt.analyses));
    put("max_recording_bytes", opt.limits.max_recording_bytes);
    put("novelty_days", a.novelty_days);
    put("change_threshold", a.change_threshold);
    put("change_window_days", a.change_window_days);
    put("min_fork_sessions", a.min_fork_sessions);
    put("max_path_depth", a.max_path_depth);
    put("top_n", a.top_n);
    put("cowrie_cfg", static_cast<int>(a.have_cowrie_cfg));
    for (const auto& [k, v] : a.cowrie_cfg) put(k, v);
    put("attack_rules", a.attack_rules ? a.attack_rules->text() : std::string());
    put("geoip", a.geoip ? a.geoip->fingerprint() : std::string());
    if (a.geoip)  // the databases' bytes: two builds of one type may carry the same build time
        for (const auto& db : a.geoip->databases()) put("geoip_db", file_digest(db.path));
    return out;
}

namespace {

// Runs f and adds the calling thread's CPU time for it to *cpu.
template <typename F>
void add_cpu(double* cpu, F&& f) {
    const double t0 = thread_cpu_seconds();
    f();
    *cpu += thread_cpu_seconds() - t0;
}

// What --state says of the checkpoint: used (with the sessions taken from it), or why not.
std::string checkpoint_outcome(const std::string& why_not, std::size_t settled) {
    if (why_not.empty())
        return "tables and analyses: " + counted(settled, "closed session", "closed sessions") +
               " taken from the state, the others counted";
    return "tables and analyses: every session counted (" + why_not + ")";
}

}  // namespace

struct RunTables::Impl {
    Impl(const MarkerStats& ms, const AnalyzeOptions& o, Analyses a, AnalyzeResult& r)
        : marker_stats(ms),
          opt(o),
          analyses(std::move(a)),
          res(r),
          recordings(worker_threads(o.threads), r.run.limits.max_recording_bytes) {}
    const MarkerStats& marker_stats;
    const AnalyzeOptions& opt;
    Analyses analyses;
    AnalyzeResult& res;
    BasicTableBuilder basic;
    RecordingFindingsBuilder recordings;
    double basic_cpu = 0, recordings_cpu = 0, analyses_cpu = 0;  // this thread's, over every chunk
    double checkpoint_cpu = 0;                                   // loading and saving the states
    // --state: the checkpoint started from and the one being made (state.hpp); the key hashes
    // of this run's settled and other sessions; the others, held (copied) until the settled
    // ones are saved.
    CheckpointUse checkpoint;
    std::vector<std::uint64_t> settled, unsettled;
    std::uint64_t recording_links = 0;
    // `from`'s sessions skipped chunk by chunk (not known beforehand): how many, and the hash
    // of their recording links, checked against `from` at the end.
    std::uint64_t skipped = 0, skipped_links = 0;
    // unchanged()'s flags for the chunk it was last given (the writers read them until the next
    // chunk), and the sessions' key hashes it computed for them (add() reuses them); the flags
    // were trusted unless the sessions were checked beforehand (trust_failed: that check failed
    // at the end).
    const std::vector<Session>* flagged = nullptr;
    std::vector<std::uint8_t> flags;
    std::vector<std::uint64_t> flag_keys;
    bool trust_failed = false;
    StringPool held_strings;
    std::vector<Session> held;
    // What the held sessions may take (a 16th of the memory limit): past it, the run makes no
    // checkpoint and counts them as they come.
    std::uint64_t held_meta = 0, max_held_bytes = 0;

    // Holds a copy of s back; false when that would pass max_held_bytes.
    bool hold(const Session& s, std::uint64_t key);
    // A session not from `from`: counted now (added to `now`) and settled when closed, else held.
    void count(const Session& s, std::uint64_t key, SessionRefs& now);

    void feed(const SessionRefs& sessions);
    // The states of the settled sessions into checkpoint.to, as they are (false: none kept);
    // then, once the held sessions are counted too, packed (pack_checkpoint_states()).
    bool save_checkpoint();
    void pack_checkpoint();
    std::vector<std::string> kept_pieces;  // from save_checkpoint() for pack_checkpoint()
    void say_no_checkpoint(const std::string& why) {
        res.info.push_back("tables and analyses: no checkpoint kept for the next run (" + why +
                           "): it will count every session again");
    }
    // Why the sessions skipped chunk by chunk are not `from`'s, or "".
    std::string skipped_mismatch() const;
    // Forgets the checkpoint started from and everything counted, keeping `to`.
    void restart();
};

void RunTables::Impl::feed(const SessionRefs& sessions) {
    res.run.totals.add(sessions);
    add_cpu(&basic_cpu, [&] { basic.add(sessions); });
    if (!opt.analyses) return;
    add_cpu(&recordings_cpu, [&] { recordings.add(sessions); });
    if (analyses.add) add_cpu(&analyses_cpu, [&] { analyses.add(sessions); });
}

// The states of every settled session (the checkpoint's and this run's), before the held
// sessions join them. None is made when two sessions' key hashes collide.
bool RunTables::Impl::save_checkpoint() {
    Checkpoint& to = *checkpoint.to;
    to = Checkpoint();
    std::sort(settled.begin(), settled.end());
    if (checkpoint.from) {  // both sorted
        const auto mid = static_cast<std::ptrdiff_t>(settled.size());
        settled.insert(settled.end(), checkpoint.from->settled.begin(), checkpoint.from->settled.end());
        std::inplace_merge(settled.begin(), settled.begin() + mid, settled.end());
        recording_links += checkpoint.from->recordings;
    }
    std::sort(unsettled.begin(), unsettled.end());
    if (std::adjacent_find(settled.begin(), settled.end()) != settled.end() ||
        std::adjacent_find(unsettled.begin(), unsettled.end()) != unsettled.end() ||
        std::any_of(unsettled.begin(), unsettled.end(), [&](std::uint64_t k) { return has_key(settled, k); })) {
        say_no_checkpoint("two sessions' key hashes collide");
        return false;
    }
    if (opt.analyses && !analyses.save) return false;
    to.settled = std::move(settled);
    to.unsettled = unsettled;
    to.provisional = checkpoint.provisional;
    to.recordings = recording_links;
    // the tables' state on a thread of its own, beside the analyses' (which take this one and more)
    double basic_cpu_there = 0;
    std::future<void> basic_saved =
        std::async(std::launch::async, [&] { add_cpu(&basic_cpu_there, [&] { basic.save(to.basic); }); });
    OutArchive totals(to.totals);
    res.run.totals.io(totals);
    if (opt.analyses) {
        recordings.save(to.recording_findings);
        AnalysisRunner::Saved saved = analyses.save();
        to.analyses = std::move(saved.states);
        kept_pieces = std::move(saved.kept);
    }
    basic_saved.get();
    checkpoint_cpu += basic_cpu_there;
    to.markers = res.run.markers.encode();
    MarkerStats settled_markers = marker_stats, held_markers;  // every session's, less the held ones'
    TemplateCache cache;
    for (const Session& s : held) held_markers.add(s, cache);
    settled_markers.subtract(held_markers);
    settled_markers.save(to.settled_markers);
    to.options = checkpoint.options;  // last: a checkpoint without options is not kept
    return true;
}

void RunTables::Impl::pack_checkpoint() {
    if (!pack_checkpoint_states(checkpoint.to->analyses, kept_pieces, worker_threads(opt.threads))) {
        checkpoint.to->options.clear();  // not kept
        say_no_checkpoint("a state did not compress");
        return;
    }
    if (checkpoint.settled_made) checkpoint.settled_made();
}

RunTables::RunTables(const MarkerStats& marker_stats, const AnalyzeOptions& opt, Analyses analyses, AnalyzeResult& res)
    : impl_(std::make_unique<Impl>(marker_stats, opt, std::move(analyses), res)) {}

RunTables::~RunTables() = default;

bool RunTables::use_checkpoint(CheckpointUse use) {
    Impl& m = *impl_;
    const Checkpoint* from = use.from;
    m.checkpoint = std::move(use);
    // a 16th of the limit, and at least 4 MiB: the copies' string pool counts its 1 MiB blocks, so
    // under 16M one session still open at the end of the logs cost the checkpoint
    m.max_held_bytes = std::max<std::uint64_t>(memory_limit_of(m.opt) / 16, std::uint64_t{4} << 20);
    if (!from) return true;
    const double t0 = thread_cpu_seconds();
    bool ok = from->states_loaded && m.basic.load(from->basic);
    InArchive totals(from->totals);
    m.res.run.totals.io(totals);
    ok = ok && totals.ok();
    if (m.opt.analyses)
        ok = ok && m.recordings.load(from->recording_findings) && m.analyses.load && m.analyses.load(from);
    m.checkpoint_cpu += thread_cpu_seconds() - t0;
    if (ok) return true;
    if (from->analyses_load) from->analyses_load->cancel();  // its loaded states are not used
    m.checkpoint.from = nullptr;                             // everything is counted from the start
    m.basic = BasicTableBuilder();
    m.res.run.totals = SessionTotals();
    m.recordings.load({});
    if (m.analyses.load) m.analyses.load(nullptr);
    return false;
}

const std::uint8_t* RunTables::unchanged(const std::vector<Session>& chunk) {
    Impl& m = *impl_;
    m.flagged = nullptr;
    const Checkpoint* from = m.checkpoint.from;
    if (!from) return nullptr;
    if (m.checkpoint.checked) {
        const std::vector<std::uint8_t>& u = m.res.run.unchanged;
        return u.size() == chunk.size() ? u.data() : nullptr;
    }
    m.flags.resize(chunk.size());
    m.flag_keys.resize(chunk.size());
    for (std::size_t i = 0; i < chunk.size(); ++i) {
        m.flag_keys[i] = session_key_hash(chunk[i].sensor, chunk[i].session);
        m.flags[i] = has_key(from->settled, m.flag_keys[i]);
    }
    m.flagged = &chunk;
    return m.flags.data();
}

void RunTables::add(const std::vector<Session>& chunk) {
    Impl& m = *impl_;
    if (!m.checkpoint.from && !m.checkpoint.to) return m.feed(session_refs(chunk));
    const Checkpoint* from = m.checkpoint.from;
    const std::vector<std::uint8_t>& unchanged = m.res.run.unchanged;  // `from`'s sessions, when one chunk
    const bool whole = unchanged.size() == chunk.size();
    SessionRefs now;  // the sessions counted now (the held ones wait for the checkpoint's states)
    const bool flagged = m.flagged == &chunk;
    for (std::size_t i = 0; i < chunk.size(); ++i) {
        if (from && whole && unchanged[i]) continue;
        const Session& s = chunk[i];
        const std::uint64_t key = flagged ? m.flag_keys[i] : session_key_hash(s.sensor, s.session);
        if (from && !whole && (flagged ? m.flags[i] != 0 : has_key(from->settled, key))) {
            ++m.skipped;
            m.skipped_links += recording_links_hash(s, key);
            continue;
        }
        m.count(s, key, now);
    }
    m.feed(now);
}

void RunTables::add_counted(const std::vector<Session>& sessions) {
    Impl& m = *impl_;
    SessionRefs now;
    for (const Session& s : sessions) m.count(s, session_key_hash(s.sensor, s.session), now);
    m.feed(now);
}

void RunTables::Impl::count(const Session& s, std::uint64_t key, SessionRefs& now) {
    if (!checkpoint.to) {
        now.push_back(&s);
    } else if (s.closed && !has_key(checkpoint.provisional, key)) {
        now.push_back(&s);
        settled.push_back(key);
        recording_links += recording_links_hash(s, key);
    } else if (!hold(s, key)) {  // too many open sessions to hold back: no checkpoint this run
        checkpoint.to = nullptr;
        char bound[32];
        std::snprintf(bound, sizeof bound, "%.1f MiB", static_cast<double>(max_held_bytes) / (1 << 20));
        say_no_checkpoint(std::string("the sessions still open would take more than ") + bound +
                          ", a 16th of --memory-limit and at least 4 MiB");
        feed(session_refs(held));
        held = {};
        now.push_back(&s);
    }
}

bool RunTables::Impl::hold(const Session& s, std::uint64_t key) {
    held_meta += sizeof(Session) + s.items.size() * sizeof(Item) + s.cmd_failed.size();
    if (held_meta + held_strings.bytes_used() > max_held_bytes) return false;
    unsettled.push_back(key);
    held.push_back(copy_session(s, held_strings));
    return true;
}

std::string RunTables::Impl::skipped_mismatch() const {
    if (skipped != checkpoint.from->settled.size()) return "the state's sessions are not those it counted";
    if (skipped_links != checkpoint.from->recordings) return "the TTY recordings linked to earlier sessions changed";
    return {};
}

void RunTables::Impl::restart() {
    checkpoint.from = nullptr;
    basic = BasicTableBuilder();
    res.run.totals = SessionTotals();
    recordings.load({});
    if (analyses.load) analyses.load(nullptr);
    settled.clear();
    unsettled.clear();
    held.clear();
    held_strings = StringPool();
    held_meta = recording_links = skipped = skipped_links = 0;
    flagged = nullptr;  // a source may hand out its chunks in the same vector
}

bool RunTables::trust_failed() const { return impl_->trust_failed; }

void RunTables::finish(RunData& run, SessionSource& source) {
    Impl& m = *impl_;
    if (m.checkpoint.from && !m.checkpoint.checked) {
        const std::string why = m.skipped_mismatch();
        m.res.info.push_back(checkpoint_outcome(why, m.checkpoint.from->settled.size()));
        if (!why.empty()) {
            m.trust_failed = true;
            m.restart();
            source.rewind();
            while (const std::vector<Session>* chunk = source.next()) add(*chunk);
        }
    }
    bool saved = false;
    if (m.checkpoint.to) add_cpu(&m.checkpoint_cpu, [&] { saved = m.save_checkpoint(); });
    if (!m.held.empty()) m.feed(session_refs(m.held));
    // every session is in: the analyses that finish on threads of their own start now, beside
    // the packing of the checkpoint and the other tables
    if (m.opt.analyses && m.analyses.begin_finish) m.analyses.begin_finish();
    if (saved) add_cpu(&m.checkpoint_cpu, [&] { m.pack_checkpoint(); });
    if (m.checkpoint.from || m.checkpoint.to)
        m.res.step_cpu_seconds.emplace_back("checkpoint states (load, save)", m.checkpoint_cpu);
    run.totals.finish();
    add_cpu(&m.basic_cpu, [&] { run.tables = m.basic.finish(); });
    m.res.step_cpu_seconds.emplace_back("basic tables", m.basic_cpu);
    if (!m.opt.analyses) return;
    Findings seed;
    add_cpu(&m.recordings_cpu, [&] { m.recordings.finish(seed); });
    m.res.step_cpu_seconds.emplace_back("recording findings", m.recordings_cpu);
    add_cpu(&m.analyses_cpu, [&] { run.findings = m.analyses.finish(std::move(seed)); });
    m.res.step_cpu_seconds.emplace_back("analyses (main thread's share)", m.analyses_cpu);
    run.tables.push_back(markers_table(m.marker_stats, run.markers));
    for (auto& t : run.findings.tables) run.tables.push_back(std::move(t));
    run.findings.tables.clear();
}

namespace {

// What the last step of every run reads: its sessions and their marker statistics.
struct RunSessions {
    std::unique_ptr<SessionSource> source;
    MarkerStats markers;
};

// Steps 2 and 3 of a run that fit in memory: sessions built, completed and handed out whole.
RunSessions sessions_in_memory(RunData& run, const AnalyzeOptions& opt, unsigned threads, PhaseClock& clock) {
    RunSessions s;
    run.sessions = build_sessions(run.ingest.shards, opt.session, threads);
    clock.lap("sessions");
    s.markers = collect_markers(run.sessions, threads);
    complete_sessions(run, s.markers, threads);
    s.source = std::make_unique<MemorySessions>(run.sessions);
    return s;
}

// Steps 2 and 3 from key runs (spilled, incremental or merged states, spill.hpp): merged on
// disk into order runs, with the marker statistics, then read back chunk by chunk.
bool sessions_from_key_runs(AnalyzeResult& res, const std::vector<std::string>& key_runs, SpillDir& dir,
                            const AnalyzeOptions& opt, const SpillPlan& plan, unsigned threads, RunSessions& out) {
    // The spill's key runs are freed as they are merged (the state's sessions files stay): the
    // disk and the page cache hold about one copy of the sessions, not two, before the outputs.
    OrderRuns order = merge_key_runs(key_runs, dir, opt.session, plan.batch_bytes, threads, true);
    if (!order.error.empty()) {
        res.errors.push_back(order.error);
        return false;
    }
    res.spill.order_runs = order.files.size();
    res.spill.order_run_bytes = order.bytes;
    res.spill.peak_disk_bytes = dir.peak_bytes();  // nothing is added after the order runs
    out.markers = std::move(order.markers);
    res.run.markers = out.markers.finish();
    out.source = std::make_unique<DiskSessions>(
        std::make_unique<SpilledSessions>(std::move(order.files), opt.session, plan.chunk_bytes), res.run, threads);
    return true;
}

// The analyses' states of `from` into runner (none: forgotten), from where a thread loading them
// ahead has got to (Incremental::load_states_ahead()).
bool load_analyses(AnalysisRunner& runner, const Checkpoint* from) {
    if (!from) return runner.load({});
    if (from->analyses_load) return runner.load(*from->analyses_load);
    return runner.load(from->analyses, unpack_checkpoint_state);
}

// Step 4: the writers, with the local analyses fed chunk by chunk (--state: from the checkpoint).
void write_run(AnalyzeResult& res, const AnalyzeOptions& opt, unsigned threads, RunSessions& s,
               const WriteOutputs& write, CheckpointUse checkpoint = {}) {
    const AnalysisConfig acfg = analysis_config(opt);
    // both left allocated at the end (AnalyzeResult::left_allocated)
    const auto runner_owned = std::make_shared<AnalysisRunner>(res.run.markers, acfg, threads);
    AnalysisRunner& runner = *runner_owned;
    // sessions in memory and 2 GiB or more: the analyses' finishes may add up (analysis.hpp)
    runner.finish_beside(res.spill.order_runs == 0 && res.memory_limit >= (std::uint64_t{2} << 30));
    const auto tables_owned = std::make_shared<RunTables>(
        s.markers, opt,
        RunTables::Analyses{[&runner](const SessionRefs& chunk) { runner.add(chunk); },
                            [&runner](Findings seed) { return runner.finish(std::move(seed)); },
                            [&runner] { return runner.save(); },
                            [&runner](const Checkpoint* from) { return load_analyses(runner, from); },
                            [&runner] { runner.begin_finish(); }},
        res);
    RunTables& tables = *tables_owned;
    const std::vector<Session>* counted_first = checkpoint.counted_first;
    const std::size_t settled = checkpoint.from ? checkpoint.from->settled.size() : 0;
    const bool from_checkpoint = tables.use_checkpoint(std::move(checkpoint));
    if (!from_checkpoint)
        res.notes.push_back("--state: the checkpoint in the state is damaged: every session is counted again");
    if (counted_first) {  // a tail run: the sessions before the tail that the tables count
        const std::vector<Session>* before = from_checkpoint ? counted_first : s.source->before_tail();
        if (before) tables.add_counted(*before);
        if (from_checkpoint) res.info.push_back(checkpoint_outcome({}, settled));
    }
    write(res.run, res, *s.source, tables);
    if (auto err = s.source->error(); !err.empty()) res.errors.push_back(err);
    res.left_allocated.push_back(tables_owned);
    res.left_allocated.push_back(runner_owned);
}

// The state's small sessions files merged into one of the new state, with its key list, when
// the run adds one more (Incremental::segments_to_merge()); they are read as they were.
std::string merge_segments(Incremental& inc, SpillDir& dir, std::uint64_t batch_bytes, std::vector<std::string>* info) {
    std::vector<std::string> runs = inc.segments_to_merge();
    if (runs.empty()) return {};
    const std::string merged = inc.merged_segment();
    std::string err = write_segment(&runs, dir, merged, batch_bytes);
    dir.remove_own(runs);  // files of a merge in steps (a small limit): not kept until the end
    std::vector<std::uint64_t> keys;
    if (err.empty()) err = key_run_hashes({merged}, &keys);
    if (!err.empty()) return err;
    info->push_back("--state: " + with_commas(inc.segments_to_merge().size()) +
                    " sessions files of the last runs merged into one (the largest kept as it is)");
    return inc.index(merged, std::move(keys));
}

// The key runs of a spilled --state run: this run's (key_runs, spilled), then the state's. This
// run's partials become one more of the state's sessions files when the state adds one
// (Incremental::adds_segment()); otherwise every session is merged into one file again.
std::string state_key_runs(Incremental& inc, SpillDir& dir, std::vector<std::string>& key_runs,
                           std::uint64_t batch_bytes, std::vector<std::string>* info) {
    const bool add = inc.adds_segment();
    if (!add)
        key_runs.insert(key_runs.end(), inc.state_sessions().begin(), inc.state_sessions().end());
    else if (auto err = merge_segments(inc, dir, batch_bytes, info); !err.empty())
        return err;
    const std::string written = add ? inc.new_segment() : inc.new_sessions();
    if (!key_runs.empty()) {
        if (auto err = write_segment(&key_runs, dir, written, batch_bytes); !err.empty()) return err;
        std::vector<std::uint64_t> keys;  // its key list: read back, as the merge wrote it
        if (auto err = key_run_hashes({written}, &keys); !err.empty()) return err;
        if (auto err = inc.index(written, std::move(keys)); !err.empty()) return err;
    }
    if (!add) return {};
    if (auto err = inc.keep_segments(); !err.empty()) return err;
    key_runs.insert(key_runs.end(), inc.state_sessions().begin(), inc.state_sessions().end());
    return {};
}

// Whether a key run was written at path (a run that read nothing writes no segment).
bool has_key_run(const std::string& path) {
    std::error_code ec;
    return std::filesystem::exists(path, ec);
}

// The events of held last lines as one more key run (not the state's: they are read again).
std::string held_key_run(HeldEvents& held, SpillDir& dir, std::vector<std::string>& key_runs) {
    if (held.empty()) return {};
    const std::string path = dir.next_file("keys");
    if (path.empty()) return dir.error();
    key_runs.push_back(path);
    std::string err = write_key_run(path, held.shards, false);
    dir.written(path);
    return err;
}

// Whether `share` of the state's sessions, with what this run read, fit in the memory limit:
// their compressed runs, decoded, take about twenty times their size in memory.
bool state_fits(const Incremental& inc, const SpillPlan& plan, unsigned threads, double share = 1) {
    constexpr std::uint64_t kDecodedPerCompressed = 24;
    std::uint64_t compressed = 0;
    for (const auto& f : inc.state_sessions()) {
        std::error_code ec;
        compressed += std::filesystem::file_size(f, ec);
        if (ec) return false;
    }
    return static_cast<double>(compressed * kDecodedPerCompressed) * share <
           static_cast<double>(plan.worker_budget * threads);
}

// The key hashes of the sessions this run read events of (before the state's join them), sorted.
std::vector<std::uint64_t> keys_read(const std::vector<SessionMap>& shards) {
    std::vector<std::uint64_t> keys;
    for (const SessionMap& shard : shards)
        for (std::size_t i = 0; i < shard.size(); ++i) {
            const SessionKey& k = shard.at(i).second.key;
            keys.push_back(session_key_hash(k.sensor, k.session));
        }
    std::sort(keys.begin(), keys.end());
    return keys;
}

// The partials of the key runs at paths that `filter` takes, merged into the ingest shards
// (after this run's); with `taken`, their records too, as they are (load_key_runs()).
std::string load_partials(RunData& run, unsigned threads, const std::vector<std::string>& paths, KeyFilter filter,
                          TakenRecords* taken = nullptr, std::vector<std::vector<std::uint64_t>>* keys_of = nullptr) {
    const std::size_t first = run.ingest.pools.size();
    run.ingest.pools.resize(first + threads);  // the state's strings, one pool per decoder
    std::vector<StringPool*> pools;
    for (std::size_t i = first; i < run.ingest.pools.size(); ++i) pools.push_back(&run.ingest.pools[i]);
    return load_key_runs(paths, run.ingest.shards, pools, filter, taken, keys_of);
}

// The state's partials that `filter` takes, merged into the ingest shards (after this run's).
std::string load_state_partials(Incremental& inc, RunData& run, unsigned threads, KeyFilter filter) {
    return load_partials(run, threads, inc.state_sessions(), filter);
}

// A tail run's partials from the state: those of the sessions `load` names (sorted). The sessions
// the state's `likely` holds whole come from it; the others from the sessions files that hold
// one of them (by their key lists; every file without one). A new day's sessions are in none of
// them. What is read is kept for the next run's `likely` (Incremental::read_for_likely()) while
// it takes at most `keep_bytes` (a tail of many days: the next `likely` is then copied from the
// new state's files at the end).
std::string tail_partials_into_memory(Incremental& inc, RunData& run, unsigned threads,
                                      const std::vector<std::uint64_t>& load, std::uint64_t keep_bytes,
                                      std::vector<std::string>* info) {
    const std::vector<std::uint64_t>* likely = inc.likely_keys();
    std::vector<std::uint64_t> from_likely, others;
    for (std::uint64_t key : load) (likely && has_key(*likely, key) ? from_likely : others).push_back(key);
    std::vector<std::string> files;
    for (const std::string& f : others.empty() ? std::vector<std::string>() : inc.state_sessions()) {
        const std::vector<std::uint64_t>* keys = inc.file_keys(f);
        if (!keys || std::any_of(others.begin(), others.end(), [&](std::uint64_t k) { return has_key(*keys, k); }))
            files.push_back(f);
    }
    TakenRecords taken;
    taken.limit = keep_bytes;
    if (!from_likely.empty())
        if (auto err = load_partials(run, threads, {inc.likely_file()}, {&from_likely}, &taken); !err.empty())
            return err;
    std::vector<std::vector<std::uint64_t>> keys_of;  // of the files read: those without a key list get one
    if (!files.empty())
        if (auto err = load_partials(run, threads, files, {&others}, &taken, &keys_of); !err.empty()) return err;
    for (std::size_t i = 0; i < files.size(); ++i)
        if (!inc.file_keys(files[i]))
            if (auto err = inc.index_kept(files[i], std::move(keys_of[i])); !err.empty()) return err;
    if (files.size() < inc.state_sessions().size())
        info->push_back("--state: " + with_commas(from_likely.size()) + " sessions read from its likely ones, " +
                        with_commas(files.size()) + " of " +
                        counted(inc.state_sessions().size(), "sessions file", "sessions files") +
                        " read (the others hold none of the sessions this run builds)");
    if (taken.complete)
        inc.read_for_likely(std::move(taken.bytes), load);
    else
        inc.read_likely_at_commit();
    return {};
}

// An incremental run that fits in memory: the state's partials join this run's in the ingest
// shards (with `filter`, only those it takes: a tail run's). The new state keeps the old
// sessions files and adds this run's partials as one more (written before the old ones join
// them), or, every kMaxStateSegments runs, gets all of them merged into one file (the filter is
// then not used). Each file written gets its key list.
std::string state_into_memory(Incremental& inc, RunData& run, unsigned threads, KeyFilter filter, SpillDir& dir,
                              const SpillPlan& plan, std::uint64_t memory_limit, std::vector<std::string>* info) {
    run.ingest.shards.resize(std::max<std::size_t>(run.ingest.shards.size(), 64));
    const bool add = inc.adds_segment();
    const std::string written = add ? inc.new_segment() : inc.new_sessions();
    if (add) {
        if (auto err = merge_segments(inc, dir, plan.batch_bytes, info); !err.empty()) return err;
        if (has_partials(run.ingest.shards)) {
            if (auto err = write_key_run(written, run.ingest.shards, true); !err.empty()) return err;
            if (auto err = inc.index(written, keys_read(run.ingest.shards)); !err.empty()) return err;
        }
        if (auto err = inc.keep_segments(); !err.empty()) return err;
        if (filter.keys) return tail_partials_into_memory(inc, run, threads, *filter.keys, memory_limit / 16, info);
    }
    if (auto err = load_state_partials(inc, run, threads, {}); !err.empty()) return err;
    inc.read_likely_at_commit();  // every partial is read: the next run's likely ones are taken at the end
    if (add) return {};
    if (auto err = write_key_run(written, run.ingest.shards, true); !err.empty()) return err;
    return inc.index(written, keys_read(run.ingest.shards));
}

// Folds this run's reads into the state's reports (Incremental::fold()); returns the sessions
// that events of held last lines belong to (Incremental::held_events()), sorted.
std::vector<std::uint64_t> fold_into_state(Incremental& inc, RunData& run) {
    inc.fold(run.inputs.files, run.ingest, IngestOptions().samples_per_reason);
    return keys_read(inc.held_events().shards);
}

// What every run with --state checks before it starts from the checkpoint: the options, the
// marker set and no new event of a session it counted. Returns why not, or "".
std::string checkpoint_mismatch(const Checkpoint& cp, const RunData& run, const std::vector<std::uint64_t>& read,
                                const std::string& options) {
    if (cp.options != options) return "the options differ from the last run's";
    if (cp.markers != run.markers.encode()) return "the marker set changed";
    for (std::uint64_t key : read)
        if (has_key(cp.settled, key)) return "new events of a session that had closed";
    return {};
}

// Why this run (every session built in memory) cannot start its tables from the state's
// checkpoint, or "" when it can: its settled sessions must have the records they had. Sets
// run.unchanged to the sessions the checkpoint holds.
std::string checkpoint_unusable(const Checkpoint& cp, RunData& run, const std::vector<std::uint64_t>& read,
                                const std::string& options, unsigned threads) {
    if (std::string why = checkpoint_mismatch(cp, run, read, options); !why.empty()) return why;
    std::vector<std::uint8_t>& unchanged = run.unchanged;
    unchanged.assign(run.sessions.size(), 0);
    constexpr std::size_t kBlock = 16384;
    const std::size_t blocks = (run.sessions.size() + kBlock - 1) / kBlock;
    std::vector<std::uint64_t> found_in(blocks, 0), links_in(blocks, 0);
    parallel_for(blocks, threads, [&](std::size_t b) {
        for (std::size_t i = b * kBlock; i < std::min(run.sessions.size(), (b + 1) * kBlock); ++i) {
            const Session& s = run.sessions[i];
            const std::uint64_t key = session_key_hash(s.sensor, s.session);
            if (!has_key(cp.settled, key)) continue;
            unchanged[i] = 1;
            ++found_in[b];
            links_in[b] += recording_links_hash(s, key);
        }
    });
    std::uint64_t found = 0, links = 0;
    for (std::size_t b = 0; b < blocks; ++b) found += found_in[b], links += links_in[b];
    std::string why;
    if (found != cp.settled.size()) why = "the state's sessions are not those it counted";
    if (links != cp.recordings) why = "the TTY recordings linked to earlier sessions changed";
    if (!why.empty()) unchanged.clear();
    return why;
}

// The checkpoint this run starts from (when it can), and makes. A run in memory checks every
// session here; a spilled one checks the sessions it skips as they stream by (RunTables::finish).
CheckpointUse checkpoint_use(Incremental& inc, RunData& run, const std::vector<std::uint64_t>& read, bool in_memory,
                             std::string options, const AnalyzeOptions& opt, AnalyzeResult& res) {
    CheckpointUse use;
    use.to = inc.new_checkpoint();
    use.options = std::move(options);
    const Checkpoint* cp = inc.checkpoint();
    if (!cp) {
        if (!inc.state_sessions().empty())
            res.info.push_back("tables and analyses: every session counted (the state holds no usable checkpoint)");
        return use;
    }
    const std::string why = in_memory ? checkpoint_unusable(*cp, run, read, use.options, worker_threads(opt.threads))
                                      : checkpoint_mismatch(*cp, run, read, use.options);
    if (why.empty()) {
        use.from = cp;
        use.checked = in_memory;
        run.partitions_before = cp->partitions;
        if (in_memory) res.info.push_back(checkpoint_outcome(why, cp->settled.size()));
    } else {
        res.info.push_back(checkpoint_outcome(why, 0));
        inc.drop_checkpoint();  // its states can be large: they grow with the sessions (outliers)
    }
    return use;
}

// The key hash of each partial in the shards, with where it is; false when two collide.
bool partials_by_key(const std::vector<SessionMap>& shards, std::unordered_map<std::uint64_t, PartialRef>* at) {
    std::size_t total = 0;
    for (const SessionMap& shard : shards) total += shard.size();
    at->reserve(total);
    for (std::size_t s = 0; s < shards.size(); ++s)
        for (std::size_t i = 0; i < shards[s].size(); ++i) {
            const SessionKey& k = shards[s].at(i).second.key;
            const PartialRef ref{0, {}, {}, static_cast<std::uint32_t>(s), static_cast<std::uint32_t>(i)};
            if (!at->emplace(session_key_hash(k.sensor, k.session), ref).second) return false;
        }
    return true;
}

// A daily --state run in memory whose new events all belong to sessions that start on or after
// one day, the tail's first: the last run's sessions before that day are neither read from the
// state nor built. Their records, rows, days and report picks are the last run's (OUTDIR and the
// checkpoint hold them), their tables' states are the checkpoint's; only those still open are
// read and built, to be counted (RunTables::add_counted()). The tail's sessions go to the
// writers after them, as a source of one chunk; report.html picks from the checkpoint's picks and
// this run's, and the picked sessions before the tail are read from the state on demand
// (rewind()), as are all of them for writers that cannot keep the last run's (before_tail()).
class TailSessions : public SessionSource {
public:
    // `before`: the key hashes of the last run's sessions before the tail, in order; `read`: where
    // those whose partials were read with the tail's are in run.ingest.shards; `open_at`: the
    // positions among them of `open_before`; `state`: the state's sessions files.
    TailSessions(RunData& run, std::vector<std::string> state, std::vector<std::uint64_t> before,
                 std::unordered_map<std::uint64_t, PartialRef> read, std::vector<Session> tail,
                 std::vector<Session> open_before, std::vector<std::size_t> open_at, const SessionOptions& opt,
                 unsigned threads)
        : run_(run),
          state_(std::move(state)),
          before_(std::move(before)),
          read_(std::move(read)),
          tail_(std::move(tail)),
          open_before_(std::move(open_before)),
          open_at_(std::move(open_at)),
          opt_(opt),
          threads_(threads) {}
    std::vector<Session>* next() override {
        if (std::exchange(done_, true)) return nullptr;
        if (!only_) return &tail_;
        picked_ = sessions_at(*only_);
        return &picked_;
    }
    void rewind(const std::vector<std::size_t>* only, bool /*complete*/) override {
        done_ = false;
        only_ = only;
    }
    bool whole() const override { return false; }
    // the tail is one chunk, kept until the source goes (rewind(only) gives other vectors)
    bool last_chunk() const override { return !only_; }
    std::string error() const override { return error_; }
    std::vector<Session>* before_tail() override {
        std::vector<std::size_t> all(before_.size());
        for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
        picked_ = sessions_at(all);
        return &picked_;
    }
    const std::vector<Session>& tail() const { return tail_; }
    const std::vector<Session>& open_before() const { return open_before_; }

private:
    bool is_open(std::size_t i) const { return std::binary_search(open_at_.begin(), open_at_.end(), i); }

    // The sessions at positions `at` (ascending, among all of the run's), completed: those before
    // the tail read from the state and built, or the open ones already built; the tail's copied.
    std::vector<Session> sessions_at(const std::vector<std::size_t>& at) {
        std::vector<std::uint64_t> keys;
        for (std::size_t i : at)
            if (i < before_.size() && !is_open(i)) keys.push_back(before_[i]);
        std::vector<Session> built = read_sessions(keys);
        std::vector<Session> out;
        out.reserve(at.size());
        std::size_t b = 0;
        for (std::size_t i : at) {
            if (i >= before_.size()) {
                if (i - before_.size() < tail_.size()) out.push_back(tail_[i - before_.size()]);
            } else if (is_open(i)) {
                const auto o = std::lower_bound(open_at_.begin(), open_at_.end(), i);
                out.push_back(open_before_[static_cast<std::size_t>(o - open_at_.begin())]);
            } else if (b < built.size()) {
                out.push_back(std::move(built[b++]));
            }
        }
        return out;
    }

    // The sessions of `keys` (in that order) built and completed: from the partials read with the
    // tail's, or else read from the state now; none, with error_ set, when the state lacks one.
    std::vector<Session> read_sessions(const std::vector<std::uint64_t>& keys) {
        std::vector<std::uint64_t> wanted;  // not read yet
        for (std::uint64_t key : keys)
            if (!read_.count(key)) wanted.push_back(key);
        std::sort(wanted.begin(), wanted.end());
        std::vector<SessionMap> shards(64);
        std::unordered_map<std::uint64_t, PartialRef> where;
        if (!wanted.empty()) {
            std::vector<StringPool*> pools;
            for (unsigned t = 0; t < threads_; ++t) pools.push_back(&pools_.emplace_back());
            if (auto err = load_key_runs(state_, shards, pools, {&wanted}); !err.empty()) return fail(err);
            if (!partials_by_key(shards, &where)) return fail("two sessions' key hashes collide");
        }
        std::vector<PartialRef> kept, now;  // in run.ingest.shards, in `shards`
        std::vector<std::size_t> kept_at, now_at;
        for (std::size_t i = 0; i < keys.size(); ++i) {
            if (auto r = read_.find(keys[i]); r != read_.end()) {
                kept.push_back(r->second), kept_at.push_back(i);
            } else if (auto w = where.find(keys[i]); w != where.end()) {
                now.push_back(w->second), now_at.push_back(i);
            } else {
                return fail("the state's sessions lack one of the last run's");
            }
        }
        std::vector<Session> built(keys.size());
        std::vector<Session> a = finalize_in_order(run_.ingest.shards, kept, opt_, threads_, true);
        std::vector<Session> b = finalize_in_order(shards, now, opt_, threads_, false);
        for (std::size_t i = 0; i < a.size(); ++i) built[kept_at[i]] = std::move(a[i]);
        for (std::size_t i = 0; i < b.size(); ++i) built[now_at[i]] = std::move(b[i]);
        // their own step pools: the caller may hold one of run.step_pools (keep_report_sessions())
        complete_these(run_, built, step_pools_, threads_);
        return built;
    }
    std::vector<Session> fail(const std::string& err) {
        if (error_.empty()) error_ = err;
        return {};
    }

    RunData& run_;
    std::vector<std::string> state_;
    std::vector<std::uint64_t> before_;
    std::unordered_map<std::uint64_t, PartialRef> read_;
    std::vector<Session> tail_, open_before_, picked_;
    std::deque<StringPool> pools_;        // the strings of the sessions read from the state
    std::vector<StringPool> step_pools_;  // their last steps and techniques
    std::vector<std::size_t> open_at_;
    const SessionOptions& opt_;
    unsigned threads_;
    const std::vector<std::size_t>* only_ = nullptr;
    bool done_ = false;
    std::string error_;
};

// A daily run's tail, found before the state's partials are read (from the checkpoint's start
// days and this run's partials): its first day, the last run's sessions before it, and the
// sessions whose partials the run reads from the state; or why there is no tail run.
struct TailPlan {
    bool ok = false;
    std::string why_not;                 // when !ok: empty when checkpoint_use() says why
    std::int64_t day = INT64_MAX;        // the tail's first
    std::vector<std::uint64_t> before;   // the key hashes of the last run's sessions before it, in order
    std::vector<std::size_t> open_at;    // the positions among them of those not settled (still open)
    std::vector<std::uint64_t> load;     // the sessions to read from the state: the others, sorted
    std::vector<std::uint64_t> likely;   // and, if memory allows, those the last report could show
    std::vector<std::uint64_t> changed;  // the sessions this run read events of, or held lines of, sorted
};

// The day of the first of the last run's sessions (`keys`, in its order) that is among `changed`
// (sorted), or INT64_MAX: sessions are in start order, so no later one starts before it.
std::int64_t first_changed_day(const DayRuns& days, const std::vector<std::uint64_t>& keys,
                               const std::vector<std::uint64_t>& changed) {
    const FewKeys few(changed);
    std::uint64_t pos = 0;
    for (const auto& [day, n] : days)
        for (const std::uint64_t end = pos + n; pos < end; ++pos)
            if (few.has(keys[pos])) return day;
    return INT64_MAX;
}

// Adds the sessions the last report could show to those a tail run reads (the report will
// likely pick them again: read now, they need no second pass over the state).
void read_likely(TailPlan& t) {
    std::vector<std::uint64_t> all;
    std::merge(t.load.begin(), t.load.end(), t.likely.begin(), t.likely.end(), std::back_inserter(all));
    t.load = std::move(all);
    t.likely.clear();
}

// The first day a session starts on among this run's partials (shards and held events).
std::int64_t first_day_read(const std::vector<SessionMap>& shards, const HeldEvents& held) {
    std::int64_t day = INT64_MAX;
    auto take = [&](const SessionMap& shard) {
        for (std::size_t i = 0; i < shard.size(); ++i)
            day = std::min(day, start_day(session_start(shard.at(i).second)));
    };
    for (const SessionMap& shard : shards) take(shard);
    for (const SessionMap& shard : held.shards) take(shard);
    return day;
}

// Why a TTY recording among this run's inputs could change the link of one of the last run's
// sessions, or "": every recording the last run read must be as it was (path, size and
// modification time), and a new one must not have a name a session looked up before another if
// the last run had no recording of that name (link() looks a session's recording up by its
// shasum, and by its file name only when no recording has that shasum), nor one looked up
// shortly enough before it began, or by a duplicate session after (RecordingIndex::link()).
std::string recordings_changed(const Checkpoint& cp, const RecordingIndex& now) {
    std::unordered_map<std::string_view, const RecordingRead*> fresh;  // by path: the new ones, in the end
    for (const RecordingRead& r : now.reads()) fresh[r.path] = &r;
    std::vector<std::uint64_t> names_before;
    for (const RecordingRead& was : cp.recordings_read) {
        auto it = fresh.find(was.path);
        if (it == fresh.end() || it->second->size != was.size || it->second->mtime_ns != was.mtime_ns)
            return "a TTY recording the last run read is gone or changed";
        fresh.erase(it);
        for (std::uint64_t name : recording_names(was)) names_before.push_back(name);
    }
    std::sort(names_before.begin(), names_before.end());
    for (const auto& [path, r] : fresh)
        for (std::uint64_t name : recording_names(*r)) {
            auto l =
                std::lower_bound(cp.looked_up.begin(), cp.looked_up.end(), std::make_tuple(name, INT64_MIN, false));
            if (l == cp.looked_up.end() || std::get<0>(*l) != name) continue;  // no session looked it up
            const bool hides_now = std::get<2>(*l) && !has_key(names_before, name);
            if (hides_now || could_link(*r, std::get<1>(*l))) return "a new TTY recording may be an earlier session's";
        }
    return {};
}

// The tail of a run whose `changed` sessions (this run read events of them, or the last run
// held lines of them) start on or after its first day. A changed session starts on its old day
// or on its new partials' first (session_start() is the connect time, else the first event's),
// so the tail's first day is the earlier of the first changed session's day in the last run and
// the first day among this run's partials; every session before that day is one of the last
// run's first ones (its cowrie.sqlite's order, RunData::sqlite_rows_before), as it was.
TailPlan plan_tail(Incremental& inc, RunData& run, std::vector<std::uint64_t> changed, const std::string& options) {
    TailPlan t;
    const Checkpoint* cp = inc.checkpoint();
    if (!cp || cp->options != options) return t;                                    // checkpoint_use() says why
    changed.insert(changed.end(), cp->provisional.begin(), cp->provisional.end());  // the last run's held lines
    std::sort(changed.begin(), changed.end());
    changed.erase(std::unique(changed.begin(), changed.end()), changed.end());
    for (std::uint64_t key : changed)
        if (has_key(cp->settled, key)) return t;  // checkpoint_use() says so
    auto no = [&](std::string why) {
        t.why_not = std::move(why);
        return std::move(t);
    };
    if (!run.sqlite_rows_before || run.sqlite_rows_before->keys.empty())
        return no("the last run left no cowrie.sqlite rows");
    const std::vector<std::uint64_t>& keys = run.sqlite_rows_before->keys;
    if (cp->picks.size() != keys.size() * kReportPickBytes || sessions_in(cp->days) != keys.size())
        return no("the checkpoint holds no report picks of the last run");
    if (cp->settled.size() + cp->unsettled.size() != keys.size())
        return no("the state's sessions are not those the checkpoint counted");
    if (std::string why = recordings_changed(*cp, run_recordings(run)); !why.empty()) return no(std::move(why));
    t.day = std::min(first_changed_day(cp->days, keys, changed), first_day_read(run.ingest.shards, inc.held_events()));
    const std::uint64_t before = sessions_before(cp->days, t.day);
    t.before.assign(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(before));
    t.load.assign(keys.begin() + static_cast<std::ptrdiff_t>(before), keys.end());
    const FewKeys open(cp->unsettled);
    for (std::size_t i = 0; i < before; ++i)
        if (open.has(keys[i])) {
            t.open_at.push_back(i);
            t.load.push_back(keys[i]);
        }
    t.load.insert(t.load.end(), changed.begin(), changed.end());
    std::sort(t.load.begin(), t.load.end());
    t.load.erase(std::unique(t.load.begin(), t.load.end()), t.load.end());
    std::set_difference(cp->report_keys.begin(), cp->report_keys.end(), t.load.begin(), t.load.end(),
                        std::back_inserter(t.likely));
    t.changed = std::move(changed);
    t.ok = true;
    return t;
}

// A tail run as `plan` has it, with the partials read (this run's, and the state's the plan
// loads, or all), when the checkpoint's sessions and marker set hold: the sessions source, with
// run's fields set for the writers and `markers` for the tables; else null with *why_not, and
// run unchanged.
std::unique_ptr<TailSessions> tail_run(Incremental& inc, RunData& run, TailPlan& plan, const AnalyzeOptions& opt,
                                       unsigned threads, MarkerStats& markers, std::string* why_not) {
    const Checkpoint* cp = inc.checkpoint();
    std::unordered_map<std::uint64_t, PartialRef> at;
    auto no = [&](const char* why) {
        *why_not = why;
        return nullptr;
    };
    if (!partials_by_key(run.ingest.shards, &at)) return no("two sessions' key hashes collide");
    for (std::uint64_t key : plan.load)
        if (!at.count(key) && !has_key(plan.changed, key)) return no("a session of the last run is not in the state");
    PartialFilter in_tail(run.ingest.shards.size());
    for (std::size_t s = 0; s < in_tail.size(); ++s) in_tail[s].assign(run.ingest.shards[s].size(), 1);
    std::unordered_map<std::uint64_t, PartialRef> read_before;  // all of them, or the open and report's ones
    for (std::uint64_t key : plan.before)
        if (auto it = at.find(key); it != at.end()) {
            in_tail[it->second.shard][it->second.idx] = 0;
            read_before.emplace(key, it->second);
        }
    std::vector<Session> tail = finalize_in_order(
        run.ingest.shards, merge_refs(sorted_refs(run.ingest.shards, threads, &in_tail)), opt.session, threads, true);
    if (!tail.empty() && start_day(tail.front().start) < plan.day)
        return no("a session the last run did not have starts before the tail");
    // the ones still open before the tail, and the markers of every session the checkpoint lacks
    std::vector<PartialRef> open_refs;
    for (std::size_t i : plan.open_at) open_refs.push_back(at.at(plan.before[i]));
    std::vector<Session> open_before = finalize_in_order(run.ingest.shards, open_refs, opt.session, threads, true);
    std::uint64_t settled = plan.before.size() - plan.open_at.size();
    std::vector<std::uint8_t> unchanged(tail.size());
    for (std::size_t i = 0; i < tail.size(); ++i) {
        unchanged[i] = has_key(cp->settled, session_key_hash(tail[i].sensor, tail[i].session));
        settled += unchanged[i];
    }
    if (settled != cp->settled.size()) return no("the state's sessions are not those the checkpoint counted");
    MarkerStats stats;
    if (!stats.load(cp->settled_markers)) return no("the checkpoint's marker statistics are damaged");
    {
        TemplateCache cache;
        for (std::size_t i = 0; i < tail.size(); ++i)
            if (!unchanged[i]) stats.add(tail[i], cache);
        for (const Session& s : open_before) stats.add(s, cache);
    }
    MarkerSet set = stats.finish();
    if (set.encode() != cp->markers) return no("the marker set changed");
    markers = std::move(stats);
    run.markers = std::move(set);
    complete_these(run, tail, run.step_pools, threads);
    complete_these(run, open_before, run.step_pools, threads);
    run.unchanged = std::move(unchanged);
    run.sessions_before = plan.before.size();
    run.tail_day = plan.day;
    run.keep_picks = true;
    run.picks = inc.take_checkpoint_picks();  // cp's: moved, and the tail's appended where they end
    run.picks.resize(plan.before.size() * kReportPickBytes);
    run.start_days = first_sessions(cp->days, plan.before.size());
    for (const auto& [name, at, hides] : cp->looked_up)
        run.recordings_looked_up.emplace(name, std::make_pair(at, hides));
    run.partitions_before = cp->partitions;
    return std::make_unique<TailSessions>(run, inc.state_sessions(), std::move(plan.before), std::move(read_before),
                                          std::move(tail), std::move(open_before), std::move(plan.open_at), opt.session,
                                          threads);
}

// What a tail run says it did.
std::string tail_outcome(const RunData& run, std::size_t tail) {
    if (tail == 0) return "sessions: the last run's " + with_commas(run.sessions_before) + " kept as they were";
    return "sessions: the last run's first " + with_commas(run.sessions_before) + " (its days before " +
           format_day(run.tail_day * 86400 * kMicrosPerSecond) + ") kept as they were, " +
           counted(tail, "session", "sessions") + " built from there on";
}

// Whether the run kept every session's report picks (RunData::keep_picks): the new checkpoint
// keeps them, with the sessions the report could show.
bool picks_kept(const RunData& run) {
    return run.keep_picks && run.picks.size() == run.totals.sessions * kReportPickBytes;
}

// --state: what this run read, and what it plans to build from the state.
struct StateRead {
    std::vector<std::uint64_t> read;  // the sessions this run read events of
    // the sessions with an event of a held last line (HeldTail): never settled, as that line is
    // read again once it is whole
    std::vector<std::uint64_t> provisional;
    TailPlan tail;
    bool folded = false;     // read and provisional are known, the state's reports folded
    bool tail_only = false;  // a state too large for memory whose tail fits
};

// --state, when this run's reads fit in memory: the tail is planned before the state's partials
// are read. Whether the run goes on in memory (`in_memory`: the whole state fits).
bool plan_state_tail(Incremental& inc, RunData& run, const SpillPlan& plan, unsigned threads,
                     const std::string& options, bool in_memory, StateRead& s) {
    s.read = keys_read(run.ingest.shards);
    s.provisional = fold_into_state(inc, run);
    s.folded = true;
    std::vector<std::uint64_t> changed = s.read;
    changed.insert(changed.end(), s.provisional.begin(), s.provisional.end());
    s.tail = plan_tail(inc, run, std::move(changed), options);
    if (in_memory && s.tail.ok) inc.load_states_ahead();  // while the tail is read and built
    // A state too large for memory waits for the checkpoint's states: if they did not load,
    // its tail run would have to build every session before the tail to count them again.
    if (!in_memory && s.tail.ok) {
        inc.checkpoint_states();
        if (!inc.checkpoint()->states_loaded) {
            s.tail = TailPlan();
            s.tail.why_not = "the checkpoint's states are damaged";
        }
    }
    // a state too large for memory: a tail run when the partials it reads fit (the report's
    // likely sessions too, if they do)
    auto fits = [&](std::size_t n) {
        const std::size_t all = run.sqlite_rows_before ? run.sqlite_rows_before->keys.size() : 0;
        return state_fits(inc, plan, threads,
                          static_cast<double>(n) / static_cast<double>(std::max<std::size_t>(1, all)));
    };
    s.tail_only = !in_memory && s.tail.ok && inc.adds_segment() && fits(s.tail.load.size());
    if (in_memory || (s.tail_only && fits(s.tail.load.size() + s.tail.likely.size()))) read_likely(s.tail);
    return in_memory || s.tail_only;
}

// --state: which checkpoint the run's tables and analyses start from, and which they save.
CheckpointUse checkpoint_for(Incremental& inc, RunData& run, const TailSessions* tail, StateRead& s, bool in_memory,
                             const std::string& options, const AnalyzeOptions& opt, AnalyzeResult& res) {
    CheckpointUse checkpoint;
    if (tail) {
        checkpoint.to = inc.new_checkpoint();
        checkpoint.options = options;
        checkpoint.from = inc.checkpoint();
        checkpoint.checked = true;
        checkpoint.counted_first = &tail->open_before();
    } else {
        s.read.insert(s.read.end(), s.provisional.begin(), s.provisional.end());
        checkpoint = checkpoint_use(inc, run, s.read, in_memory, options, opt, res);
    }
    checkpoint.provisional = std::move(s.provisional);
    if (checkpoint.to) checkpoint.settled_made = [&inc] { inc.compress_settled_part(); };
    if (checkpoint.from) inc.checkpoint_states();  // read while the tail's partials were
    return checkpoint;
}

// --state, once the outputs are written: what the new checkpoint keeps of the run besides the
// tables' and analyses' states (the days of sessions/, the report's picks, the recordings read).
void fill_new_checkpoint(Incremental& inc, RunData& run, AnalyzeResult& res) {
    res.left_allocated.push_back(inc.take_checkpoint());  // the last run's: the new one is made from here on
    Checkpoint& made = *inc.new_checkpoint();
    made.partitions = run.partitions_written;
    if (picks_kept(run)) {
        made.picks = std::move(run.picks);
        made.pick_key.assign(run.pick_key.begin(), run.pick_key.end());
        made.days = std::move(run.start_days);
        made.report_keys = std::move(run.report_keys);
        for (const auto& [name, seen] : run.recordings_looked_up)
            made.looked_up.emplace_back(name, seen.first, seen.second);
        std::sort(made.looked_up.begin(), made.looked_up.end());
    }
    if (run.recordings) {
        const RecordingIndex& index = *run.recordings->index;
        made.recordings_read = index.reads();
        if (!index.reads().empty() && !run.recordings_known.empty())
            res.info.push_back("TTY recordings: " + with_commas(index.read_now()) + " of " +
                               with_commas(index.reads().size()) +
                               " read, the others as the last run read them (not read again)");
    }
}

// Where a run over a state takes its sessions from (sessions_from_state()).
enum class FromState { Failed, InMemory, OnDisk };

// --state, in memory: the state's partials (only the tail's, for a tail run) join this run's, then
// a tail run builds the tail's sessions (*tail); else every session is built as in a run without
// state. A state too large for memory whose tail run cannot be made after all merges every
// session on disk: OnDisk, with `key_runs` to merge. Failed: the error is in res.errors.
FromState sessions_from_state(AnalyzeResult& res, Incremental& inc, StateRead& s, const AnalyzeOptions& opt,
                              unsigned threads, SpillDir& dir, const SpillPlan& plan, PhaseClock& clock,
                              RunSessions& sessions, TailSessions** tail, std::vector<std::string>& key_runs) {
    RunData& run = res.run;
    TailPlan& tail_plan = s.tail;
    // a tail run reads from the state only the tail's partials (and the open sessions'); one of a
    // state too large for memory keeps the held lines' events as a key run, in case it must merge
    // every session on disk after all
    std::vector<std::string> held_run;
    std::string err = s.tail_only ? held_key_run(inc.held_events(), dir, held_run) : std::string();
    if (err.empty())
        err = state_into_memory(inc, run, threads, {tail_plan.ok ? &tail_plan.load : nullptr}, dir, plan,
                                res.memory_limit, &res.info);
    if (!err.empty()) {
        res.errors.push_back(err);
        return FromState::Failed;
    }
    for (auto& [key, partial] : inc.held_events().shards.front())
        merge_into_shards(run.ingest.shards, std::move(partial));
    clock.lap("state");
    if (const Checkpoint* cp = inc.checkpoint(); cp && cp->pick_key.size() == run.pick_key.size())
        std::copy(cp->pick_key.begin(), cp->pick_key.end(), run.pick_key.begin());  // its picks' hashes
    std::string why_not = tail_plan.why_not;
    FromState from = FromState::InMemory;
    if (tail_plan.ok) {
        if (auto t = tail_run(inc, run, tail_plan, opt, threads, sessions.markers, &why_not)) {
            *tail = t.get();
            res.info.push_back(tail_outcome(run, t->tail().size()));
            sessions.source = std::move(t);
            clock.lap("sessions (from the tail's first day)");
        } else if (s.tail_only) {  // every session after all, merged on disk
            from = FromState::OnDisk;
            for (SessionMap& shard : run.ingest.shards) SessionMap().swap(shard);
            // in the order a spilled run takes them: this run's, the state's, the held lines'
            if (has_key_run(inc.new_segment())) key_runs.push_back(inc.new_segment());
            key_runs.insert(key_runs.end(), inc.state_sessions().begin(), inc.state_sessions().end());
            key_runs.insert(key_runs.end(), held_run.begin(), held_run.end());
        } else if (inc.adds_segment()) {  // the partials of the sessions before the tail, after all
            if (auto e = load_state_partials(inc, run, threads, {&tail_plan.load, true}); !e.empty()) {
                res.errors.push_back(e);
                return FromState::Failed;
            }
        }
    }
    if (!*tail && !why_not.empty()) res.info.push_back("sessions: every session built (" + why_not + ")");
    return from;
}

// A spilled run's key runs to merge (spill.hpp): this run's partials and, with --state, the
// state's sessions and the held lines' events. Errors go to res.errors.
std::vector<std::string> spilled_key_runs(AnalyzeResult& res, PartialSpill& spill, Incremental* inc, StateRead& s,
                                          SpillDir& dir, const SpillPlan& plan) {
    RunData& run = res.run;
    if (inc) spill.spill(run.ingest.shards);  // --state: this run's partials are then all in spill's files
    ::malloc_trim(0);                         // the workers' freed partials go back to the system, not to a later peak
    res.spill = spill.stats();
    if (auto err = spill.error(); !err.empty()) res.errors.push_back(err);  // the last spill, for --state
    std::vector<std::string> key_runs = spill.files();
    if (inc && res.errors.empty()) {
        std::string err;
        if (inc->checkpoint() && !s.folded) err = key_run_hashes(key_runs, &s.read);  // this run's partials
        if (err.empty()) err = state_key_runs(*inc, dir, key_runs, plan.batch_bytes, &res.info);
        if (err.empty() && !s.folded) s.provisional = fold_into_state(*inc, run);
        if (err.empty()) err = held_key_run(inc->held_events(), dir, key_runs);
        if (!err.empty()) res.errors.push_back(err);
    }
    return key_runs;
}

// Reads the inputs (or, with --state, what is new in them) into res.run.ingest.
void read_inputs(AnalyzeResult& res, const AnalyzeOptions& opt, unsigned threads, PartialSpill& spill,
                 const Incremental* inc) {
    IngestOptions io;
    io.threads = threads;
    io.limits = opt.limits;
    io.progress_bytes = opt.progress_bytes;
    io.spill = &spill;
    if (inc) io.plans = &inc->plans();
    res.run.ingest = ingest(res.run.inputs.files, io);
    res.logs_read = res.run.ingest.files.size();
}

}  // namespace

AnalyzeResult analyze(InputSet inputs, const AnalyzeOptions& opt, const WriteOutputs& write) {
    AnalyzeResult res;
    begin_run(res, std::move(inputs), opt);
    RunData& run = res.run;
    const unsigned threads = worker_threads(opt.threads);
    PhaseClock clock(res);
    res.memory_limit = memory_limit_of(opt);
    const SpillPlan plan = plan_spill(res.memory_limit, threads);
    SpillDir dir(spill_parent(opt));
    PartialSpill spill(dir, plan.worker_budget);
    std::unique_ptr<Incremental> inc;
    if (!opt.state_dir.empty()) {
        inc = std::make_unique<Incremental>(opt.state_dir, opt.limits, run.inputs.files, &res.notes, &res.errors,
                                            opt.checkpoint_read);
        if (!inc->ok()) return res;
    }
    read_inputs(res, opt, threads, spill, inc.get());
    clock.lap("ingest");
    if (auto err = spill.error(); !err.empty()) {
        res.errors.push_back(err);  // partials that could not be spilled are lost: no outputs
        return res;
    }
    RunSessions sessions;
    StateRead state_read;  // --state
    const bool read_fits = spill.files().empty();
    bool in_memory = read_fits && (!inc || state_fits(*inc, plan, threads));
    if (inc) run.sqlite_rows_before = inc->take_sqlite_rows();
    const std::string options = inc ? checkpoint_options(opt) : std::string();  // reads the GeoIP files
    if (const Checkpoint* cp = inc ? inc->checkpoint() : nullptr; cp && cp->options == options)
        run.recordings_known = cp->recordings_read;  // the recordings as they were need not be read again
    TailSessions* tail = nullptr;                    // a tail run's sessions (sessions_from_state())
    if (inc && read_fits) in_memory = plan_state_tail(*inc, run, plan, threads, options, in_memory, state_read);
    std::vector<std::string> key_runs;  // to merge on disk
    if (in_memory) {
        if (inc) {
            const FromState from =
                sessions_from_state(res, *inc, state_read, opt, threads, dir, plan, clock, sessions, &tail, key_runs);
            if (from == FromState::Failed) return res;
            in_memory = from == FromState::InMemory;
        }
        if (!tail && in_memory) {
            sessions = sessions_in_memory(run, opt, threads, clock);
            run.keep_picks = inc != nullptr;
        }
    } else {
        key_runs = spilled_key_runs(res, spill, inc.get(), state_read, dir, plan);
    }
    if (!in_memory) {
        if (!res.errors.empty() || !sessions_from_key_runs(res, key_runs, dir, opt, plan, threads, sessions))
            return res;
        run.keep_picks = inc != nullptr;  // for the next run's tail (40 bytes a session)
        ::malloc_trim(0);
        clock.lap("sessions (merged on disk)");
    }
    clock.lap("markers and steps");
    CheckpointUse checkpoint;
    if (inc) {
        checkpoint = checkpoint_for(*inc, run, tail, state_read, in_memory, options, opt, res);
        run.report_keys_made = [&run, &inc] {
            inc->begin_likely(picks_kept(run) ? run.report_keys : std::vector<std::uint64_t>());
        };
    }
    write_run(res, opt, threads, sessions, write, std::move(checkpoint));
    if (inc) fill_new_checkpoint(*inc, run, res);
    if (inc && res.errors.empty()) {
        clock.restart();  // the writers timed their phases
        if (auto err =
                inc->commit(run.totals.sessions > 0, run.sqlite_rows_written ? &*run.sqlite_rows_written : nullptr);
            !err.empty())
            res.errors.push_back(err);
        clock.lap("state saved");
    }
    res.left_allocated.push_back(std::move(sessions.source));
    if (res.errors.empty()) res.left_allocated.push_back(std::move(inc));  // else it removes its new state now
    return res;
}

namespace {

// Logs already merged from earlier states, by the ledger's fingerprint of their first KiB (its
// length and CRC-64), with the state and path they came from: a log in two states would count its
// sessions twice, also when one state read more of it than the other (a copy of a sensor's state
// taken a day earlier). Two logs of one state may share it (copies a run over the sensor's files
// would count twice too). A first KiB of NULs only (a copytruncate hole) tells nothing: such a log
// is known by all the bytes read and their CRC-64.
struct SeenLog {
    std::string dir, path;
};
using SeenLogs = std::map<std::tuple<bool, std::uint64_t, std::uint64_t>, SeenLog>;

bool nul_head(const LedgerEntry& e) {
    static const std::string kNuls(kLedgerHeadBytes, '\0');
    return e.head_crc == crc64(0, kNuls.data(), std::min<std::uint64_t>(e.head_len, kNuls.size()));
}

bool no_log_twice(const std::string& dir, const FileLedger& ledger, SeenLogs& seen, AnalyzeResult& res) {
    for (const LedgerEntry& e : ledger.entries()) {
        if (e.bytes == 0) continue;
        const auto key =
            nul_head(e) ? std::make_tuple(true, e.bytes, e.crc) : std::make_tuple(false, e.head_len, e.head_crc);
        auto [it, fresh] = seen.emplace(key, SeenLog{dir, e.path});
        if (!fresh && it->second.dir != dir) {
            res.errors.push_back("the states hold the same log twice (" + it->second.dir + ": " + it->second.path +
                                 " and " + dir + ": " + e.path +
                                 "): its sessions would be counted twice; give each sensor's state once");
            return false;
        }
    }
    return true;
}

// Adds the sessions file and reports of the state in dir; false with the reason in res.errors.
bool add_state(const std::string& dir, const Limits& limits, SpillDir& spill_dir, std::vector<std::string>& key_runs,
               std::vector<FileReport>& reports, SeenLogs& seen, AnalyzeResult& res) {
    const std::string fingerprint = state_fingerprint(limits);
    RunState st;
    std::string note, err;
    if (!load_state(dir, fingerprint, &st, &note, &err)) {
        res.errors.push_back(err);
        return false;
    }
    if (!note.empty()) {
        res.errors.push_back(note.substr(0, note.find(':')) + ": states merge only with the same version and limits");
        return false;
    }
    if (st.ledger.entries().empty()) {
        res.errors.push_back(dir + " holds no cowrie-batch state (made by analyze --state)");
        return false;
    }
    if (!no_log_twice(dir, st.ledger, seen, res)) return false;
    key_runs.insert(key_runs.end(), st.sessions.begin(), st.sessions.end());
    HeldEvents held = read_held_tails(st.tails, st.reports, limits.max_line_bytes, IngestOptions().samples_per_reason);
    if (auto err = held_key_run(held, spill_dir, key_runs); !err.empty()) {
        res.errors.push_back(err);
        return false;
    }
    for (auto& r : report_list(st.reports)) reports.push_back(std::move(r));
    return true;
}

}  // namespace

AnalyzeResult merge_states(const std::vector<std::string>& dirs, const AnalyzeOptions& opt, const WriteOutputs& write) {
    AnalyzeResult res;
    begin_run(res, {}, opt);
    RunData& run = res.run;
    const unsigned threads = worker_threads(opt.threads);
    PhaseClock clock(res);
    res.memory_limit = memory_limit_of(opt);
    const SpillPlan plan = plan_spill(res.memory_limit, threads);
    SpillDir dir(spill_parent(opt));
    std::vector<std::string> key_runs;
    std::vector<FileReport> reports;
    std::map<std::string, std::string> given;  // by the folder's canonical path
    for (const auto& d : dirs) {
        std::error_code ec;
        const std::filesystem::path canonical = std::filesystem::weakly_canonical(d, ec);
        auto [it, fresh] = given.emplace(ec ? d : canonical.string(), d);
        if (!fresh) {
            res.errors.push_back("the state " + d + " is given twice (" + it->second + " and " + d +
                                 "): its sessions would be counted twice; give each sensor's state once");
            return res;
        }
    }
    SeenLogs seen;
    for (const auto& d : dirs)
        if (!add_state(d, opt.limits, dir, key_runs, reports, seen, res)) return res;
    reports_into_ingest(std::move(reports), run.ingest, IngestOptions().samples_per_reason);
    for (const auto& f : run.ingest.files) run.inputs.files.push_back(f.file);
    clock.lap("read states");
    RunSessions sessions;
    if (!sessions_from_key_runs(res, key_runs, dir, opt, plan, threads, sessions)) return res;
    clock.lap("sessions (merged on disk)");
    write_run(res, opt, threads, sessions, write);
    return res;
}

}  // namespace cb
