// The whole local run: inputs -> ingest (map, combine) -> sessions -> tables -> outputs.
// Also the steps the Hadoop client (hadoop_client.hpp) shares with it: build_sessions(),
// make_run_tables().
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cb/engine/run_data.hpp"
#include "cb/engine/spill.hpp"
#include "cb/engine/state.hpp"

namespace cb {

struct AnalyzeOptions {
    std::vector<std::string> inputs;
    std::string out_dir;   // an existing folder: the temporary one of an OutputDir (output_dir.hpp)
    unsigned threads = 0;  // 0: all cores
    SessionOptions session;
    AnalysisConfig analysis;
    bool analyses = true;  // false: sessions, basic tables and summary only (no hints.json content)
    Limits limits;         // limits.hpp: lines, bytes per file, bytes per recording
    std::atomic<std::uint64_t>* progress_bytes = nullptr;  // see IngestOptions
    // Bytes the run's session state may take before it spills to disk (spill.hpp); 0: half
    // of the physical memory (or of the cgroup's limit), default_memory_limit().
    std::uint64_t memory_limit = 0;
    std::string tmp_dir;  // where spill files go; "": the folder that holds out_dir
    // Incremental runs: the state folder (state.hpp); "": none. Only what is new since the
    // state was written is read; the outputs are those of one run over everything.
    std::string state_dir;
    // Its checkpoint's read, when the caller began it early (CheckpointRead); else the run begins it.
    std::shared_ptr<CheckpointRead> checkpoint_read;
};

// Half of the memory this process may use: physical memory, or the cgroup's limit if lower.
std::uint64_t default_memory_limit();
// The limit a run keeps to: opt.memory_limit, or default_memory_limit() when it is 0.
std::uint64_t memory_limit_of(const AnalyzeOptions& opt);

// How a run's memory limit is shared out when it spills (spill.hpp): half to the ingest
// workers' partials (LineSink's estimate), an eighth to a batch of order runs, a 32nd to each of
// the two chunks of sessions read back (DiskSessions reads one ahead; batches and chunks count
// encoded bytes; a finished Session
// takes two to three times that in memory). The rest is for what grows with distinct values
// (the analyses) and SQLite's page cache (an eighth, write_outputs.cpp).
struct SpillPlan {
    std::uint64_t worker_budget, batch_bytes, chunk_bytes;
};
SpillPlan plan_spill(std::uint64_t limit, unsigned threads);
// Where spill files go: --tmp-dir, else the folder that holds OUTDIR.
std::string spill_parent(const AnalyzeOptions& opt);

struct AnalyzeResult {
    RunData run;
    std::vector<std::pair<std::string, double>> phase_seconds;          // wall time per phase, for --stats
    std::vector<std::pair<std::string, double>> phase_cpu_seconds;      // CPU time (all threads) per phase
    std::vector<std::pair<std::string, std::uint64_t>> phase_peak_rss;  // peak RSS at each phase's end
    // CPU time of single threads and steps that overlap the phases above (the writer
    // threads, the steps on the main thread during "tables+analyses"), for --stats.
    std::vector<std::pair<std::string, double>> step_cpu_seconds;
    std::vector<std::string> errors;  // output problems (fatal)
    std::uint64_t memory_limit = 0;   // the limit the run kept to (--stats)
    SpillStats spill;                 // what went to disk (all zero when the run fit in memory)
    std::vector<std::string> notes;   // for the user, not problems (a state rebuilt, and why)
    std::vector<std::string> info;    // for the summary, not printed with --quiet (days of sessions/ kept)
    std::uint64_t logs_read = 0;      // JSON logs read at all this run (--state skips those read before)
    // What the run is done with but did not free (its tables' and analyses' states, the state's
    // checkpoints, the sessions' source: many small allocations, freed one by one on the main
    // thread at the end of a daily run): freed with the result, which a caller that exits right
    // after may leave to the system (the CLI does).
    std::vector<std::shared_ptr<void>> left_allocated;
    // The outputs' last step, for the caller to take right before OUTDIR's swap (OutputDir::
    // commit()) with publish = true, or with false when the run failed: the commit of a
    // cowrie.sqlite updated in place (or its rollback). Empty, or an error message. Unset when
    // there is none; a result freed without it rolls the file back.
    std::function<std::string(bool publish)> finish_outputs;
};

// Step 1: expand and classify inputs (cheap; lets a caller size a progress bar). With the
// --state folder of the run, the logs it read before that are as they were are not opened.
InputSet scan_inputs(const std::vector<std::string>& inputs, const Limits& limits = {},
                     const std::string& state_dir = {});

// Finishes the analyses: the local engine runs them over the sessions (AnalysisRunner), the
// Hadoop client finishes the states job 2 merged. `seed` holds what was found outside the
// analyses (recording findings); the result holds it too.
using FinishAnalyses = std::function<Findings(Findings seed)>;

// The tables and findings of a run, made from its sessions chunk by chunk the same way for both
// engines: the run's totals (run.totals) and the basic tables; then, unless opt.analyses is
// false, the recording findings, the analyses, markers.csv and every analysis table, in this
// order. Step CPU times go to res for --stats.
class SessionSource;  // session_source.hpp

class RunTables {
public:
    // The engine's analyses: add() maps a chunk (the Hadoop client's does nothing: job 2 did),
    // finish() reduces; save() and load() (the local engine's) give and take their states for
    // an incremental run's checkpoint, or are empty; begin_finish(), when given, is told once the
    // last session is added (AnalysisRunner::begin_finish()).
    struct Analyses {
        std::function<void(const SessionRefs&)> add;
        FinishAnalyses finish;
        std::function<AnalysisRunner::Saved()> save;
        std::function<bool(const Checkpoint*)> load;  // its analyses' states; null: none (forgets them)
        std::function<void()> begin_finish;
    };
    RunTables(const MarkerStats& marker_stats, const AnalyzeOptions& opt, Analyses analyses, AnalyzeResult& res);
    ~RunTables();
    // --state (state.hpp): start from `use.from`'s states and skip its sessions; put the states
    // of this run's settled sessions into `use.to`. Before the first add(); false, with nothing
    // started from, when a state in `from` cannot be read.
    bool use_checkpoint(CheckpointUse use);
    // Which sessions of `chunk` (one flag each, valid until the next call) are the checkpoint's,
    // whose records the writers may take from the last run's outputs; null without one. Call
    // before add() of the same chunk, which then reads them too.
    const std::uint8_t* unchanged(const std::vector<Session>& chunk);
    void add(const std::vector<Session>& chunk);
    // Sessions none of the chunks hold that the tables count all the same (a tail run's open
    // sessions before its tail: the writers keep the last run's records of them); none of them
    // is `from`'s. Call before the first chunk.
    void add_counted(const std::vector<Session>& sessions);
    // Fills run.tables and run.findings, and finishes run.totals. A run of many chunks skips
    // `from`'s sessions on trust and checks them as they come (each one found once, with the
    // recordings it had): when that check fails, every session is counted again from `source`,
    // rewound, and the new checkpoint is made from them alone.
    void finish(RunData& run, SessionSource& source);
    // After finish(): the check of the checkpoint's sessions failed, so the records that
    // unchanged() told the writers to keep may differ; the writers must read every session again.
    bool trust_failed() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// The last step of a run: writes the outputs of `run`, reading its sessions from `sessions`
// and feeding them to `tables` as it goes. The engines take it as a parameter so that they do
// not depend on the output layer (output/outputs.hpp: write_outputs(); tests pass their own).
using WriteOutputs = std::function<void(RunData& run, AnalyzeResult& res, SessionSource& sessions, RunTables& tables)>;

// Steps 2-4 on already scanned inputs, ending with write(run, res, sessions, tables).
AnalyzeResult analyze(InputSet inputs, const AnalyzeOptions& opt, const WriteOutputs& write);

// `cowrie-batch merge STATE... -o OUTDIR`: the outputs of one run over the logs of every state
// (analyze --state on each sensor; sessions never span sensors, so their partials merge
// exactly). The states must come from the same version with the same read limits.
AnalyzeResult merge_states(const std::vector<std::string>& state_dirs, const AnalyzeOptions& opt,
                           const WriteOutputs& write);

// Starts res.run from the scanned inputs and the options (both engines begin so).
void begin_run(AnalyzeResult& res, InputSet inputs, const AnalyzeOptions& opt);

// Builds sorted, finalized sessions from ingest shards (parallel over shards).
std::vector<Session> build_sessions(std::vector<SessionMap>& shards, const SessionOptions& opt, unsigned threads);

// Once the sessions are built (both engines): links the TTY recordings (run_recordings()),
// finishes the marker set from the run's marker statistics and gives every session its last step.
void complete_sessions(RunData& run, const MarkerStats& marker_stats, unsigned threads);
// The same for some of the run's sessions, with run.markers already finished; their last steps
// and techniques go to step_pools.
void complete_these(RunData& run, std::vector<Session>& sessions, std::vector<StringPool>& step_pools,
                    unsigned threads);
// The run's TTY recordings, read on first use (those in run.recordings_known as they were are
// not read again); cut ones go to run.recordings_cut.
const RecordingIndex& run_recordings(RunData& run);

// The analyses' configuration for a run: opt.analysis with the session options it needs.
AnalysisConfig analysis_config(const AnalyzeOptions& opt);

// Every option that shapes a session's record or the analyses' states, as text: a checkpoint
// (state.hpp) made with other options is not used.
std::string checkpoint_options(const AnalyzeOptions& opt);

}  // namespace cb
