#include "cb/engine/analyze.hpp"

#include <algorithm>
#include <tuple>

#include "cb/analysis/basic_tables.hpp"
#include "cb/engine/run_clock.hpp"
#include "cb/tty/tty_link.hpp"
#include "cb/util/parallel.hpp"

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

// One sorted reference list per shard (sorted in parallel, a shard at a time).
std::vector<std::vector<PartialRef>> sorted_refs(const std::vector<SessionMap>& shards, unsigned threads) {
    std::vector<std::vector<PartialRef>> refs(shards.size());
    parallel_for(shards.size(), threads, [&](std::size_t s) {
        std::vector<PartialRef>& r = refs[s];
        r.reserve(shards[s].size());
        for (std::size_t i = 0; i < shards[s].size(); ++i) {
            const SessionPartial& p = shards[s].at(i).second;
            // finalize(): start is the connect time, or the first event's without one.
            const Micros start = p.connect_ts != INT64_MAX ? p.connect_ts : p.first_ts;
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

}  // namespace

InputSet scan_inputs(const std::vector<std::string>& inputs, const Limits& limits) {
    return expand_inputs(inputs, limits.max_file_bytes);
}

// Orders the partials first (by the same key as session_less, known before finalize),
// then finalizes each one straight into its final slot, in parallel: every Session is
// written once instead of being sorted and moved through a k-way merge.
std::vector<Session> build_sessions(std::vector<SessionMap>& shards, const SessionOptions& opt, unsigned threads) {
    const std::vector<PartialRef> order = merge_refs(sorted_refs(shards, threads));
    const std::size_t total = order.size();
    std::vector<Session> all(total);
    constexpr std::size_t kBlock = 4096;
    parallel_for((total + kBlock - 1) / kBlock, threads, [&](std::size_t block) {
        const std::size_t b = block * kBlock;
        for (std::size_t k = b; k < std::min(total, b + kBlock); ++k)
            all[k] = finalize(std::move(shards[order[k].shard].at(order[k].idx).second), opt);
    });
    parallel_for(shards.size(), threads, [&](std::size_t s) { SessionMap().swap(shards[s]); });
    return all;
}

void begin_run(AnalyzeResult& res, InputSet inputs, const AnalyzeOptions& opt) {
    res.run.inputs = std::move(inputs);
    res.run.session_options = opt.session;
    res.run.limits = opt.limits;
}

void complete_sessions(RunData& run, const MarkerStats& marker_stats, StringPool& pool, unsigned threads) {
    link_recordings(run.sessions, run.inputs, pool, run.limits.max_recording_bytes, &run.recordings_cut);
    run.markers = marker_stats.finish();
    assign_last_steps(run.sessions, run.markers, threads, run.step_pools);
}

AnalysisConfig analysis_config(const AnalyzeOptions& opt) {
    AnalysisConfig acfg = opt.analysis;
    acfg.idle_timeout_s = opt.session.idle_timeout_s;
    return acfg;
}

void make_run_tables(RunData& run, const MarkerStats& marker_stats, const AnalyzeOptions& opt,
                     const FinishAnalyses& finish, AnalyzeResult& res) {
    timed_step(res, "basic tables", [&] { run.tables = basic_tables(run.sessions); });
    if (!opt.analyses) return;
    Findings seed;
    timed_step(res, "recording findings", [&] {
        recording_findings(run.sessions, seed, worker_threads(opt.threads), run.limits.max_recording_bytes);
    });
    timed_step(res, "analyses (main thread's share)", [&] { run.findings = finish(std::move(seed)); });
    run.tables.push_back(markers_table(marker_stats, run.markers));
    for (auto& t : run.findings.tables) run.tables.push_back(std::move(t));
    run.findings.tables.clear();
}

AnalyzeResult analyze(InputSet inputs, const AnalyzeOptions& opt, const WriteOutputs& write) {
    AnalyzeResult res;
    begin_run(res, std::move(inputs), opt);
    RunData& run = res.run;
    const unsigned threads = worker_threads(opt.threads);
    PhaseClock clock(res);
    IngestOptions io;
    io.threads = threads;
    io.limits = opt.limits;
    io.progress_bytes = opt.progress_bytes;
    run.ingest = ingest(run.inputs.files, io);
    clock.lap("ingest");
    run.sessions = build_sessions(run.ingest.shards, opt.session, threads);
    clock.lap("sessions");
    const MarkerStats marker_stats = collect_markers(run.sessions, threads);
    complete_sessions(run, marker_stats, run.ingest.pools.front(), threads);
    clock.lap("markers and steps");
    const AnalysisConfig acfg = analysis_config(opt);
    write(run, res, [&](RunData& r) {
        make_run_tables(
            r, marker_stats, opt,
            [&](Findings seed) { return run_analyses(r.sessions, r.markers, acfg, threads, std::move(seed)); }, res);
    });
    return res;
}

}  // namespace cb
