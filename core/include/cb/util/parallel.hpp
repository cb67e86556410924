// The one work queue of every parallel step: parallel_for.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

#include "cb/util/threads.hpp"

namespace cb {

// How many threads parallel_for(n, requested, ...) runs: worker_threads(requested), but
// never more than there are items (and at least one). Callers size per-worker state by it.
inline unsigned parallel_width(std::size_t n, unsigned requested) {
    const std::size_t items = std::max<std::size_t>(1, n);
    return static_cast<unsigned>(std::min<std::size_t>(worker_threads(requested), items));
}

// Runs fn(i) for every i in [0, n) on parallel_width(n, requested) threads, the calling
// thread being one of them, and returns when all are done. Items are handed out one at a
// time by an atomic counter, so a slow item does not hold the others back. Results are
// deterministic when fn(i) writes only its own slot i (which thread ran it does not matter).
// fn may also take (i, worker), worker in [0, parallel_width): for state a thread reuses
// from item to item (a parser, a buffer, its own shard maps). What fn throws (std::bad_alloc)
// stops the items not yet handed out and is thrown here once every thread is done, the first
// one only.
template <class Fn>
void parallel_for(std::size_t n, unsigned requested, Fn&& fn) {
    const unsigned width = parallel_width(n, requested);
    std::atomic<std::size_t> next{0};
    std::exception_ptr thrown;
    std::mutex thrown_mutex;
    auto work = [&](unsigned worker) {
        try {
            for (std::size_t i = next.fetch_add(1, std::memory_order_relaxed); i < n;
                 i = next.fetch_add(1, std::memory_order_relaxed)) {
                if constexpr (std::is_invocable_v<Fn&, std::size_t, unsigned>)
                    fn(i, worker);
                else
                    fn(i);
            }
        } catch (...) {
            next.store(n, std::memory_order_relaxed);
            const std::lock_guard<std::mutex> lock(thrown_mutex);
            if (!thrown) thrown = std::current_exception();
        }
    };
    std::vector<std::thread> pool;
    pool.reserve(width - 1);
    for (unsigned w = 1; w < width; ++w) pool.emplace_back(work, w);
    work(0);
    for (auto& t : pool) t.join();
    if (thrown) std::rethrow_exception(thrown);
}

// Runs work(w, lo, hi) over up to `threads` contiguous slices of n items (one per 1000 items at
// least), slice 0 on this thread; returns how many slices ran. For per-session steps whose
// per-thread state (a cache, a string pool) lives for the whole slice.
template <class F>
unsigned for_slices(std::size_t n, unsigned threads, F&& work) {
    threads = std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(std::max<std::size_t>(1, n / 1000))));
    parallel_for(threads, threads,
                 [&](std::size_t w) { work(static_cast<unsigned>(w), n * w / threads, n * (w + 1) / threads); });
    return threads;
}

}  // namespace cb
