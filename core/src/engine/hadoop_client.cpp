#include "cb/engine/hadoop_client.hpp"
#include "cb/engine/session_source.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>

#include "cb/engine/run_clock.hpp"
#include "cb/engine/streaming.hpp"
#include "cb/util/threads.hpp"

namespace cb {

namespace {

namespace fs = std::filesystem;

std::vector<std::string> part_files(const std::string& dir) {
    std::vector<std::string> out;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        if (it->path().filename().string().rfind("part-", 0) == 0) out.push_back(it->path().string());
    std::sort(out.begin(), out.end());
    return out;
}

// Calls each(path, key, value) for every `key<TAB>value` record in the part files of dir,
// read as the steps read their input (StreamRecordReader); bad(path) for a line without a TAB.
// The values are still base64: `each` decodes them with the steps' decoders (streaming.hpp).
template <class Each, class Bad>
void for_each_record(const std::string& dir, Each&& each, Bad&& bad) {
    for (const auto& path : part_files(dir)) {
        const std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(std::fopen(path.c_str(), "rb"), &std::fclose);
        if (!in) {
            bad(path);
            continue;
        }
        StreamRecordReader reader(in.get());
        std::string_view key, value;
        bool has_tab = false;
        while (reader.next(&key, &value, &has_tab)) {
            if (has_tab)
                each(path, key, value);
            else
                bad(path);
        }
    }
}

// The local file of a name a mapper reported, if it is one of the staged inputs.
FileReport* report_of(RunData& run, std::string_view hdfs_name) {
    const auto i = staged_input_index(hdfs_name);
    return i && *i < run.ingest.files.size() ? &run.ingest.files[*i] : nullptr;
}

// One report per JSON log, as the local engine makes them: the local listing gives the file and
// its size on disk, the mappers its counts and read problem (added up over the splits of a file).
void fill_file_reports(RunData& run, std::vector<InputReport>& inputs) {
    for (const auto& f : run.inputs.files)
        if (f.kind == FileKind::JsonLog) {
            FileReport r;
            r.file = f;
            run.ingest.files.push_back(std::move(r));
        }
    for (InputReport& in : inputs)
        if (FileReport* r = report_of(run, in.name)) {
            r->counts.add(in.counts);
            if (r->error.empty()) r->error = std::move(in.error);
        }
    for (FileReport& r : run.ingest.files) {
        // The mappers read what Hadoop decompressed; bytes is the size on disk, or for a plain
        // file cut by --max-file-bytes the bytes read, as the local engine counts them.
        const bool cut_plain = r.counts.files_cut && r.file.compression == Compression::None;
        if (!cut_plain) r.counts.bytes = r.file.size;
    }
}

// The ingest side of summary.json: the counts and reject samples the mappers sent under
// kIngestKey, the per-file reports and bytes from the local listing.
void fill_ingest(RunData& run, IngestState& ingest) {
    fill_file_reports(run, ingest.inputs);
    run.ingest.totals = ingest.counts;
    run.ingest.totals.bytes = 0;
    for (const FileReport& r : run.ingest.files) run.ingest.totals.bytes += r.counts.bytes;
    run.ingest.samples = std::move(ingest.samples);
    for (RejectSample& s : run.ingest.samples)
        if (const FileReport* r = report_of(run, s.path)) s.path = r->file.path;
}

// Job 1's sessions as they are read: in memory, until they pass `budget`; then every one, those
// read so far first, goes to order runs (each key is in exactly one reducer's output, so the
// partials are whole and need no merge by key).
class Job1Sessions {
public:
    Job1Sessions(StringPool& pool, SpillDir& dir, const SpillPlan& plan)
        : shards(64), pool_(pool), budget_(plan.worker_budget), writer_(dir, plan.batch_bytes) {}
    void add(SessionPartial&& p) {
        if (spilled_) return writer_.add(p);
        events_ += p.items.size();
        merge_into_shards(shards, std::move(p));
        if (pool_.bytes_used() + events_ * sizeof(Item) > budget_) spill();
    }
    bool spilled() const { return spilled_; }
    OrderRuns finish() { return writer_.finish(); }
    std::vector<SessionMap> shards;  // while not spilled

private:
    void spill() {
        for (auto& shard : shards) {
            for (auto& e : shard) writer_.add(e.second);
            SessionMap().swap(shard);
        }
        spilled_ = true;
    }
    StringPool& pool_;
    std::uint64_t budget_, events_ = 0;
    OrderRunWriter writer_;
    bool spilled_ = false;
};

// Job 1: one merged partial per session key, and the ingest counts, into `sessions`.
void read_sessions(const std::string& workdir, RunData& run, Job1Sessions& sessions, std::vector<std::string>& errors) {
    StringPool& pool = run.ingest.pools[0];
    IngestState ingest;
    std::uint64_t bad = 0;
    for_each_record(
        workdir + "/sessions",
        [&](const std::string&, std::string_view key, std::string_view value) {
            if (key == kIngestKey) {
                IngestState st;
                if (!decode_ingest_state(value, &st)) return void(++bad);
                return ingest.merge(st);
            }
            SessionPartial p;
            if (!decode_session_value(value, pool, &p)) return void(++bad);
            sessions.add(std::move(p));
        },
        [&](const std::string&) { ++bad; });
    if (bad) errors.push_back(std::to_string(bad) + " damaged records in " + workdir + "/sessions");
    fill_ingest(run, ingest);
}

// The job "markers": its merged statistics (one reducer, so one record in all its parts).
MarkerStats read_marker_stats(const std::string& workdir, std::vector<std::string>& errors) {
    MarkerStats stats;
    auto damaged = [&](const std::string& path) { errors.push_back("damaged record in " + path); };
    for_each_record(
        workdir + "/markers",
        [&](const std::string& path, std::string_view key, std::string_view value) {
            if (key != kMarkerStatsKey) return;
            MarkerStats part;
            if (!decode_marker_stats(value, &part)) return damaged(path);
            stats.merge(std::move(part));
        },
        damaged);
    return stats;
}

// Job 2: one merged state per analysis (still base64), by analysis name.
std::map<std::string, std::string, std::less<>> read_analysis_states(const std::string& workdir,
                                                                     std::vector<std::string>& errors) {
    std::map<std::string, std::string, std::less<>> states;
    for_each_record(
        workdir + "/analyses",
        [&](const std::string&, std::string_view key, std::string_view value) { states[std::string(key)] = value; },
        [&](const std::string& path) { errors.push_back("damaged record in " + path); });
    return states;
}

// The analyses' findings from job 2's states, finished in the local engine's order.
Findings finish_states(const std::map<std::string, std::string, std::less<>>& states, const AnalysisConfig& acfg,
                       Findings seed, std::vector<std::string>& errors) {
    auto analyses = make_analyses();
    for (auto& a : analyses) {
        auto it = states.find(a->name());
        // No state: job 2 saw no sessions at all; the fresh analysis is the right empty one.
        if (it != states.end() && !decode_analysis_state(it->second, *a))
            errors.push_back("damaged state for analysis " + std::string(a->name()));
    }
    for (auto& a : analyses) a->finish(acfg, seed);
    return seed;
}

}  // namespace

std::optional<std::size_t> staged_input_index(std::string_view hdfs_name) {
    const auto slash = hdfs_name.rfind('/');
    if (slash == std::string_view::npos) return std::nullopt;
    const std::string_view folder = hdfs_name.substr(0, slash), file = hdfs_name.substr(slash + 1);
    if (!folder.ends_with(std::string("/") + std::string(kStagedInputsFolder))) return std::nullopt;
    const std::string_view digits = file.substr(0, file.find('.'));
    std::size_t i = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), i);
    if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty()) return std::nullopt;
    return i;
}

AnalyzeResult collect_streaming_results(InputSet inputs, const std::string& workdir, const AnalyzeOptions& opt,
                                        const WriteOutputs& write) {
    AnalyzeResult res;
    begin_run(res, std::move(inputs), opt);
    RunData& run = res.run;
    const unsigned threads = worker_threads(opt.threads);
    PhaseClock clock(res);  // the phases of this process, for --stats (the jobs' are in counters.json)
    res.memory_limit = memory_limit_of(opt);
    const SpillPlan plan = plan_spill(res.memory_limit, 1);
    SpillDir dir(spill_parent(opt));
    run.ingest.pools.resize(1);
    Job1Sessions job1(run.ingest.pools[0], dir, plan);
    read_sessions(workdir, run, job1, res.errors);
    clock.lap("read job 1");
    const MarkerStats marker_stats = read_marker_stats(workdir, res.errors);
    std::unique_ptr<SessionSource> sessions;
    if (!job1.spilled()) {
        run.sessions = build_sessions(job1.shards, opt.session, threads);
        clock.lap("sessions");
        complete_sessions(run, marker_stats, threads);
        sessions = std::make_unique<MemorySessions>(run.sessions);
    } else {
        OrderRuns order = job1.finish();
        if (!order.error.empty()) res.errors.push_back(order.error);
        std::string fold_error;  // more order runs than files may be open at once: merged in a tree
        order.files = fold_runs(std::move(order.files), dir, merge_fan_in(plan.batch_bytes), false, &fold_error);
        if (!fold_error.empty()) res.errors.push_back(fold_error);
        res.spill.order_runs = order.files.size();
        res.spill.order_run_bytes = order.bytes;
        run.markers = marker_stats.finish();
        sessions = std::make_unique<DiskSessions>(
            std::make_unique<SpilledSessions>(std::move(order.files), opt.session, plan.chunk_bytes), run, threads);
    }
    const auto states = read_analysis_states(workdir, res.errors);
    clock.lap("markers, steps, job 2");
    const AnalysisConfig acfg = analysis_config(opt);
    RunTables tables(marker_stats, opt,
                     {nullptr, [&](Findings seed) { return finish_states(states, acfg, std::move(seed), res.errors); },
                      nullptr, nullptr},
                     res);
    write(run, res, *sessions, tables);
    if (auto err = sessions->error(); !err.empty()) res.errors.push_back(err);
    return res;
}

}  // namespace cb
