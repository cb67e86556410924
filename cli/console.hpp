// Console output for the CLI: progress on a TTY, warnings, the closing summary.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include "cb/analyze.hpp"

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

// "1 file", "2 files", "1,000 files": n with commas and the noun in the right number.
std::string counted(std::uint64_t n, const char* one, const char* many);

// One stderr line per problem file; returns true when anything was skipped or rejected.
bool report_problems(const RunData& run);
// The short human summary (stdout).
void print_summary(const RunData& run, const std::string& out_dir, double seconds);

}  // namespace cb::cli
