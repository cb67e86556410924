// Console output for the CLI: progress on a TTY, warnings, the closing summary.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include "cb/engine/analyze.hpp"
#include "cb/output/output_dir.hpp"
#include "cb/output/outputs.hpp"
#include "cb/util/text.hpp"

namespace cb::cli {

// Draws a progress bar on stderr while alive, only when stderr is a terminal.
class Progress {
public:
    Progress(std::uint64_t total_bytes, bool enabled);
    ~Progress();
    std::atomic<std::uint64_t>* counter() { return enabled_ ? &done_ : nullptr; }

private:
    std::atomic<std::uint64_t> done_{0};
    std::atomic<bool> stop_{false};
    std::uint64_t total_;
    bool enabled_;
    std::thread thread_;
};

// One stderr line per problem file; returns true when anything was skipped or rejected.
bool report_problems(const RunData& run);
// Opens OUTDIR's temporary folder; on failure prints why and returns the exit code
// (kExitUsage when the safety rule refuses OUTDIR, kExitFatal when it cannot be written), else 0.
int open_output_dir(OutputDir& dir, const std::string& out_dir);
// Ends a run: with `errors`, prints them (naming OUTDIR's files), removes the temporary folder
// and returns kExitFatal (OUTDIR stays as it was); else swaps the outputs into place, 0 or kExitFatal.
// `last`: the outputs' last step (AnalyzeResult::finish_outputs), taken right before the swap, or
// with publish = false when the run failed.
int finish_output_dir(OutputDir& dir, const std::string& out_dir, const std::vector<std::string>& errors,
                      const std::function<std::string(bool publish)>& last = {});
// Installs the last words of an interrupted run (SIGINT, SIGTERM: exit 130, 143); `stop`, if
// given, is called first (the hadoop command stops its launcher).
void say_interrupted(void (*stop)() = nullptr);
// The short human summary (stdout).
void print_summary(const RunData& run, const std::string& out_dir, SessionsLayout layout, double seconds);

}  // namespace cb::cli
