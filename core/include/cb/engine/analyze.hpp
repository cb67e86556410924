// The whole local run: inputs -> ingest (map, combine) -> sessions -> tables -> outputs.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "cb/output/outputs.hpp"

namespace cb {

struct AnalyzeOptions {
    std::vector<std::string> inputs;
    std::string out_dir;  // an existing folder: the temporary one of an OutputDir (output_dir.hpp)
    unsigned threads = 0;  // 0: all cores
    SessionOptions session;
    AnalysisConfig analysis;
    bool analyses = true;  // false: sessions, basic tables and summary only (no hints.json content)
    Limits limits;  // limits.hpp: lines, bytes per file, bytes per recording
    std::atomic<std::uint64_t>* progress_bytes = nullptr;  // see IngestOptions
};

struct AnalyzeResult {
    RunData run;
    std::vector<std::pair<std::string, double>> phase_seconds;      // wall time per phase, for --stats
    std::vector<std::pair<std::string, double>> phase_cpu_seconds;  // CPU time (all threads) per phase
    // CPU time of single threads and steps that overlap the phases above (the writer
    // threads, the steps on the main thread during "tables+analyses"), for --stats.
    std::vector<std::pair<std::string, double>> step_cpu_seconds;
    std::vector<std::string> errors;  // output problems (fatal)
};

// Step 1: expand and classify inputs (cheap; lets a caller size a progress bar).
InputSet scan_inputs(const std::vector<std::string>& inputs, const Limits& limits = {});
// Steps 2-4 on already scanned inputs; writes every output into opt.out_dir.
AnalyzeResult analyze(InputSet inputs, const AnalyzeOptions& opt);

// Writes summary.json, sessions.jsonl, hints.json, tables/*.csv and cowrie.sqlite for a run
// whose sessions are built (both engines end here). make_tables(run) fills run.tables and
// run.findings; it runs on the calling thread while the session writers already work.
// Problems go to res.errors, timings to res.phase_seconds.
void write_outputs(RunData& run, const std::string& out_dir, AnalyzeResult& res,
                   const std::function<void(RunData&)>& make_tables);

// Builds sorted, finalized sessions from ingest shards (parallel over shards).
std::vector<Session> build_sessions(std::vector<SessionMap>& shards, const SessionOptions& opt, unsigned threads);

}  // namespace cb
