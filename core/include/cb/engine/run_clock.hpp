// Wall and CPU time of a run's phases and steps, for --stats (AnalyzeResult's timing fields).
// Used by the engines and by the writers (output/write_outputs.cpp), which time their own phases.
#pragma once

#include <pthread.h>

#include <chrono>
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
        wall_ = now;
        cpu_ = cpu;
    }

private:
    AnalyzeResult& res_;
    std::chrono::steady_clock::time_point wall_;
    double cpu_;
};

}  // namespace cb
