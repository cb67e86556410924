// Wall and CPU time of a run's phases and steps, for --stats (AnalyzeResult's timing fields).
// Used by the engines and by the writers (output/write_outputs.cpp), which time their own phases.
#pragma once

#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>

#include "cb/engine/analyze.hpp"

namespace cb {

inline double process_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

inline double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// The process's peak resident memory so far (VmHWM), in bytes; 0 when /proc is not there.
inline std::uint64_t peak_rss_bytes() {
    std::FILE* f = std::fopen("/proc/self/status", "r");
    if (!f) return 0;
    char line[256];
    unsigned long long kib = 0;
    while (std::fgets(line, sizeof line, f))
        if (std::sscanf(line, "VmHWM: %llu kB", &kib) == 1) break;
    std::fclose(f);
    return static_cast<std::uint64_t>(kib) << 10;
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
    explicit PhaseClock(AnalyzeResult& res)
        : res_(res), wall_(std::chrono::steady_clock::now()), cpu_(process_cpu_seconds()) {}
    void lap(const char* name) {
        const auto now = std::chrono::steady_clock::now();
        const double cpu = process_cpu_seconds();
        res_.phase_seconds.emplace_back(name, std::chrono::duration<double>(now - wall_).count());
        res_.phase_cpu_seconds.emplace_back(name, cpu - cpu_);
        // the kernel's VmHWM can read lower than an earlier read (its high-water mark is updated
        // lazily, when a mapping shrinks): the peak so far is never shown going down
        const std::uint64_t before = res_.phase_peak_rss.empty() ? 0 : res_.phase_peak_rss.back().second;
        res_.phase_peak_rss.emplace_back(name, std::max(before, peak_rss_bytes()));
        wall_ = now;
        cpu_ = cpu;
    }
    // The next lap starts now: what came since the last one was timed elsewhere (write_outputs()).
    void restart() {
        wall_ = std::chrono::steady_clock::now();
        cpu_ = process_cpu_seconds();
    }

private:
    AnalyzeResult& res_;
    std::chrono::steady_clock::time_point wall_;
    double cpu_;
};

}  // namespace cb
