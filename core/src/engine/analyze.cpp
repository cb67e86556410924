#include "cb/engine/analyze.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <pthread.h>
#include <filesystem>
#include <functional>
#include <thread>
#include <tuple>

#include "cb/analysis/basic_tables.hpp"
#include "cb/output/report_html.hpp"
#include "cb/util/parallel.hpp"
#include "cb/tty/tty_link.hpp"

namespace cb {

namespace {

double process_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Runs f and adds the calling thread's CPU time for it to res.step_cpu_seconds.
template <typename F>
void timed_step(AnalyzeResult& res, const char* name, F&& f) {
    const double t0 = thread_cpu_seconds();
    f();
    res.step_cpu_seconds.emplace_back(name, thread_cpu_seconds() - t0);
}

// Records wall and process CPU time per phase (CPU time stays meaningful on a busy machine).
class PhaseClock {
public:
    explicit PhaseClock(AnalyzeResult& res) : res_(res), wall_(std::chrono::steady_clock::now()), cpu_(process_cpu_seconds()) {}
    void lap(const char* name) {
        const auto now = std::chrono::steady_clock::now();
        const double cpu = process_cpu_seconds();
        res_.phase_seconds.emplace_back(name, std::chrono::duration<double>(now - wall_).count());
        res_.phase_cpu_seconds.emplace_back(name, cpu - cpu_);
        wall_ = now;
        cpu_ = cpu;
    }

private:
    AnalyzeResult& res_;
    std::chrono::steady_clock::time_point wall_;
    double cpu_;
};

}  // namespace

InputSet scan_inputs(const std::vector<std::string>& inputs, const Limits& limits) {
    return expand_inputs(inputs, limits.max_file_bytes);
}

// Orders the partials first (by the same key as session_less, known before finalize),
// then finalizes each one straight into its final slot, in parallel: every Session is
// written once instead of being sorted and moved through a k-way merge.
std::vector<Session> build_sessions(std::vector<SessionMap>& shards, const SessionOptions& opt, unsigned threads) {
    struct Ref {
        Micros start;
        std::string_view sensor, session;
        std::uint32_t shard, idx;
    };
    auto ref_less = [](const Ref& a, const Ref& b) {
        if (a.start != b.start) return a.start < b.start;
        return std::tie(a.sensor, a.session) < std::tie(b.sensor, b.session);
    };
    std::vector<std::vector<Ref>> refs(shards.size());
    parallel_for(shards.size(), threads, [&](std::size_t s) {
        std::vector<Ref>& r = refs[s];
        r.reserve(shards[s].size());
        for (std::size_t i = 0; i < shards[s].size(); ++i) {
            const SessionPartial& p = shards[s].at(i).second;
            // finalize(): start is the connect time, or the first event's without one.
            const Micros start = p.connect_ts != INT64_MAX ? p.connect_ts : p.first_ts;
            r.push_back({start, p.key.sensor, p.key.session, static_cast<std::uint32_t>(s),
                         static_cast<std::uint32_t>(i)});
        }
        std::sort(r.begin(), r.end(), ref_less);
    });
    // k-way merge of the sorted reference lists (small records, each moved once).
    std::size_t total = 0;
    for (const auto& r : refs) total += r.size();
    std::vector<Ref> order;
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
    refs.clear();
    refs.shrink_to_fit();
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

void write_outputs(RunData& run, const std::string& out_dir, AnalyzeResult& res,
                   const std::function<void(RunData&)>& make_tables) {
    PhaseClock clock(res);
    std::error_code ec;
    // out_dir exists (OutputDir made it) and is never made here: a run interrupted while its
    // temporary folder is being removed cannot bring it back.
    std::filesystem::create_directory(out_dir + "/tables", ec);
    if (ec) {
        res.errors.push_back("cannot create the output folder " + out_dir + "/tables: " + ec.message());
        return;
    }
    // The writers that need only the sessions start at once, beside the analyses:
    // SQLite's relational part is the longest single task of a run.
    SqliteStore sqlite(out_dir + "/cowrie.sqlite");
    std::string sqlite_err, jsonl_err;
    double sqlite_cpu = 0, jsonl_cpu = 0;
    std::thread sqlite_thread([&] {
        sqlite_err = sqlite.write_sessions(run.sessions);
        sqlite_cpu = thread_cpu_seconds();
    });
    pthread_setname_np(sqlite_thread.native_handle(), "cb-sqlite");  // for profilers and top -H
    std::thread jsonl_thread([&] {
        jsonl_err = write_sessions_jsonl(out_dir + "/sessions.jsonl", run.sessions, 1);
        jsonl_cpu = thread_cpu_seconds();
    });
    pthread_setname_np(jsonl_thread.native_handle(), "cb-jsonl");
    run.totals = session_totals(run.sessions);  // once, for summary.json and report.html
    make_tables(run);
    clock.lap("tables+analyses");
    for (auto err : {write_tables_csv(out_dir + "/tables", run.tables),
                     write_file_atomic(out_dir + "/summary.json", summary_json(run)),
                     write_file_atomic(out_dir + "/hints.json", run.findings.facts["hints.json"])})
        if (!err.empty()) res.errors.push_back(err);
    jsonl_thread.join();
    res.step_cpu_seconds.emplace_back("sessions.jsonl (own thread)", jsonl_cpu);
    clock.lap("csv+summary+jsonl");
    if (auto err = write_report_html(out_dir + "/report.html", run); !err.empty()) res.errors.push_back(err);
    clock.lap("report.html");
    sqlite_thread.join();
    res.step_cpu_seconds.emplace_back("sqlite sessions (own thread)", sqlite_cpu);
    clock.lap("wait for sqlite");
    for (auto err : {jsonl_err, sqlite_err, sqlite.write_tables(run.tables), sqlite.commit()})
        if (!err.empty()) res.errors.push_back(err);
    clock.lap("sqlite tables");
}

AnalyzeResult analyze(InputSet inputs, const AnalyzeOptions& opt) {
    AnalyzeResult res;
    RunData& run = res.run;
    run.inputs = std::move(inputs);
    run.session_options = opt.session;
    run.limits = opt.limits;
    const unsigned threads = worker_threads(opt.threads);

    PhaseClock clock(res);
    auto lap = [&](const char* name) { clock.lap(name); };
    IngestOptions io;
    io.threads = threads;
    io.limits = opt.limits;
    io.progress_bytes = opt.progress_bytes;
    run.ingest = ingest(run.inputs.files, io);
    lap("ingest");
    run.sessions = build_sessions(run.ingest.shards, opt.session, threads);
    link_recordings(run.sessions, run.inputs, run.ingest.pools.front(), opt.limits.max_recording_bytes,
                    &run.recordings_cut);
    lap("sessions");
    const MarkerStats marker_stats = collect_markers(run.sessions, threads);
    run.markers = marker_stats.finish();
    assign_last_steps(run.sessions, run.markers, threads, run.step_pools);
    lap("markers and steps");
    AnalysisConfig acfg = opt.analysis;
    acfg.idle_timeout_s = opt.session.idle_timeout_s;
    write_outputs(run, opt.out_dir, res, [&](RunData& r) {
        timed_step(res, "basic tables", [&] { r.tables = basic_tables(r.sessions); });
        if (!opt.analyses) return;
        Findings seed;
        timed_step(res, "recording findings", [&] { recording_findings(r.sessions, seed, threads, opt.limits.max_recording_bytes); });
        timed_step(res, "analyses (main thread's share)",
                   [&] { r.findings = run_analyses(r.sessions, r.markers, acfg, threads, std::move(seed)); });
        r.tables.push_back(marker_stats.table(r.markers));
        for (auto& t : r.findings.tables) r.tables.push_back(std::move(t));
        r.findings.tables.clear();
    });
    return res;
}

}  // namespace cb
