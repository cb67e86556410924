// parallel_for: every index once, on at most the requested threads, same results as a loop.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <new>
#include <set>
#include <thread>
#include <vector>

#include "cb/util/parallel.hpp"

using namespace cb;

TEST(ParallelFor, RunsEveryIndexExactlyOnce) {
    for (unsigned threads : {1u, 2u, 3u, 8u}) {
        for (std::size_t n : {0u, 1u, 2u, 7u, 1000u}) {
            std::vector<std::atomic<int>> hits(n);
            parallel_for(n, threads, [&](std::size_t i) { ++hits[i]; });
            for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "n " << n << " threads " << threads;
        }
    }
}

TEST(ParallelFor, SlotPerIndexGivesTheSequentialResult) {
    const std::size_t n = 5000;
    std::vector<std::uint64_t> seq(n), par(n);
    auto f = [](std::size_t i) { return i * i % 9973 + (i << 3); };
    for (std::size_t i = 0; i < n; ++i) seq[i] = f(i);
    parallel_for(n, 4, [&](std::size_t i) { par[i] = f(i); });
    EXPECT_EQ(seq, par);
}

TEST(ParallelFor, WidthIsCappedByTheItemsAndWorkersAreDistinct) {
    EXPECT_EQ(parallel_width(0, 4), 1u);
    EXPECT_EQ(parallel_width(3, 8), 3u);
    EXPECT_EQ(parallel_width(100, 2), 2u);
    EXPECT_GE(parallel_width(100, 0), 1u);  // 0: every core
    std::mutex m;
    std::set<std::thread::id> ids;
    std::set<unsigned> workers;
    std::vector<unsigned> worker_of(64);
    parallel_for(64, 3, [&](std::size_t i, unsigned w) {
        worker_of[i] = w;
        std::lock_guard lock(m);
        ids.insert(std::this_thread::get_id());
        workers.insert(w);
    });
    EXPECT_LE(ids.size(), 3u);
    for (unsigned w : worker_of) EXPECT_LT(w, 3u);
    EXPECT_EQ(workers.size(), ids.size());  // one worker number per thread
}

TEST(ParallelFor, OneThreadRunsInOrderOnTheCallingThread) {
    std::vector<std::size_t> order;
    const auto caller = std::this_thread::get_id();
    parallel_for(10, 1, [&](std::size_t i) {
        EXPECT_EQ(std::this_thread::get_id(), caller);
        order.push_back(i);
    });
    EXPECT_EQ(order, (std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

// What an item throws (std::bad_alloc from a damaged state's size) reaches the caller once every
// thread is joined, whichever thread threw it; the items not yet handed out are not run.
TEST(ParallelFor, WhatAnItemThrowsReachesTheCaller) {
    for (const unsigned threads : {1u, 2u, 4u}) {
        std::atomic<int> ran{0};
        EXPECT_THROW(parallel_for(10000, threads,
                                  [&](std::size_t i) {
                                      ++ran;
                                      if (i == 37) throw std::bad_alloc();
                                  }),
                     std::bad_alloc)
            << threads;
        EXPECT_LT(ran.load(), 10000) << threads;
    }
}
