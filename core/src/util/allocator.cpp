#include "cb/util/allocator.hpp"

#include <algorithm>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace cb {

void keep_freed_memory(std::uint64_t memory_limit) {
#if defined(__GLIBC__)
    constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;
    // glibc takes no mmap threshold above 32 MiB (HEAP_MAX_SIZE / 2 on 64-bit)
    const std::uint64_t mapped_from = std::clamp<std::uint64_t>(memory_limit / 16, kMiB, 32 * kMiB);
    const std::uint64_t kept = std::clamp<std::uint64_t>(memory_limit / 64, kMiB, 64 * kMiB);
    ::mallopt(M_MMAP_THRESHOLD, static_cast<int>(mapped_from));
    ::mallopt(M_TRIM_THRESHOLD, static_cast<int>(kept));
    ::mallopt(M_TOP_PAD, static_cast<int>(kept / 4));
#else
    (void)memory_limit;
#endif
}

}  // namespace cb
