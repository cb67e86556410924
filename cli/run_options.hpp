#pragma once
// The options of a run, defined once: `analyze` and `hadoop` take the same analysis and output
// options (add_run_options), and `mr` takes the session options too (add_session_options), so a
// flag added here reaches every engine with one definition and one help text. Options that make
// sense to one engine only stay with that command (hadoop: --conf, --workdir, --reducers, ...).
#include <CLI/CLI.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "cb/engine/analyze.hpp"
#include "cb/input/limits.hpp"
#include "cb/output/output_dir.hpp"
#include "cb/output/outputs.hpp"

namespace cb::cli {

// How sessions are cut and closed: needed by the local engine and by every Hadoop task.
struct SessionFlags {
    double idle_timeout = 180;
    double auth_timeout = 120;
};

// Adds --idle-timeout and --auth-timeout to cmd, stored in *flags.
void add_session_options(CLI::App* cmd, SessionFlags* flags);
// The session options as arguments of `cowrie-batch mr` (for the Hadoop tasks).
std::vector<std::string> session_mr_args(const SessionFlags& flags);
// The session options of the engines.
SessionOptions session_options(const SessionFlags& flags);

// Every option of a run that both engines take, with the same meaning.
struct RunFlags {
    std::vector<std::string> inputs;
    std::string out_dir = "cowrie-batch-out";
    unsigned threads = 0;
    SessionFlags session;
    std::string cowrie_cfg;
    std::string attack_rules;        // --attack-rules; "": the rules built in
    std::vector<std::string> geoip;  // --geoip files
    int novelty_days = 7;
    bool no_analyses = false;
    Limits limits;
    std::uint64_t memory_limit = 0;  // 0: default_memory_limit()
    std::string tmp_dir;
    std::string state_dir;        // analyze only (--state)
    std::string sessions_layout;  // --sessions: "file", "day"; "": day with --state, else file
    bool stats = false;
    bool quiet = false;
};

// Adds --memory-limit and --tmp-dir (analyze, hadoop, merge).
void add_memory_options(CLI::App* cmd, RunFlags* flags);

// Adds --attack-rules and --geoip (analyze, hadoop, merge).
void add_intel_options(CLI::App* cmd, RunFlags* flags);

// Adds --sessions (analyze, hadoop, merge).
void add_output_options(CLI::App* cmd, RunFlags* flags);
// The sessions layout flags ask for (--sessions, or its default).
SessionsLayout sessions_layout(const RunFlags& flags);
// How the writers lay out OUTDIR for flags; `out` is OUTDIR, open.
OutputLayout output_layout(const RunFlags& flags, const OutputDir& out);

// Adds the inputs and every RunFlags option to cmd (analyze and hadoop), stored in *flags.
void add_run_options(CLI::App* cmd, RunFlags* flags);

// The engine options for flags (opt->out_dir and progress are the caller's). Reads
// --cowrie-cfg, --attack-rules and the --geoip databases; when one cannot be read, prints why
// and returns kExitUsage, else 0.
int make_analyze_options(const RunFlags& flags, AnalyzeOptions* opt);

// The end of every command that writes OUTDIR from a run (analyze, hadoop, merge): --stats, the
// skipped inputs, OUTDIR swapped in (or not, on errors), the summary; returns the exit code.
int finish_run(const AnalyzeResult& res, OutputDir& out, const RunFlags& flags,
               std::chrono::steady_clock::time_point started);

// --stats: the phases' wall and CPU time and the steps' CPU time, on stderr as # lines.
void print_stats(const AnalyzeResult& res);

// The JSON event logs among the scanned inputs and their bytes on disk.
struct LogCount {
    std::size_t files = 0;
    std::uint64_t bytes = 0;
};
LogCount count_logs(const InputSet& inputs);
// When no JSON event log was found: prints the problems and why, returns kExitUsage.
int say_no_logs(const InputSet& inputs);

}  // namespace cb::cli
