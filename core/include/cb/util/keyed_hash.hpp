// A 64-bit hash keyed with a random key drawn once per process (libsodium's SipHash-2-4), for
// matching attacker-chosen strings by their hashes in memory: unlike stable_hash64() and
// fast_hash, nobody can craft two strings that collide. The values change from run to run, so
// they must never reach an output or a file another process reads.
#pragma once

#include <cstdint>
#include <string_view>

namespace cb {

std::uint64_t keyed_hash64(std::string_view s);

}  // namespace cb
