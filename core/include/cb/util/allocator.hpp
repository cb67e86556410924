// How much freed memory the C library's allocator keeps for reuse, set once per process by the
// command that runs analyses (cli/run_options.cpp), from the run's --memory-limit.
//
// Why: glibc gives an arena's freed top back to the system once it passes 128 KiB, and takes
// fresh pages again when the arena grows. A run frees and allocates tens of MB from phase to phase
// on several threads, so it faulted in the same memory again and again, and the arenas of its
// threads grew and shrank by mprotect() calls that stall every other thread's page faults (5,000 of
// them in a daily run at 1 GiB). With up to a 64th of the limit kept per arena (64 MiB at most),
// and allocations up to a 16th of it (32 MiB at most) made in the arenas rather than mapped
// alone and unmapped when freed, that run takes 14 % fewer page faults and about 200 mprotect() calls.
// The peak RSS of a run in memory grows a little (1 GiB: 710 -> 733-798 MiB); under 256M and 512M
// it does not.
#pragma once

#include <cstdint>

namespace cb {

void keep_freed_memory(std::uint64_t memory_limit);

}  // namespace cb
