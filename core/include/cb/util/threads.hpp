// The one default thread count of every parallel step.
#pragma once

#include <algorithm>
#include <thread>

namespace cb {

// `requested` threads, or every core the machine reports when it is 0 (at least one).
inline unsigned worker_threads(unsigned requested) {
    return requested ? requested : std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace cb
