// A 64-bit hash keyed with a random key (libsodium's SipHash-2-4), for matching attacker-chosen
// strings by their hashes: unlike stable_hash64() and fast_hash, nobody who does not know the
// key can craft two strings that collide. A run draws its key (RunData::pick_key); an
// incremental run keeps it in its state with the hashes made with it (engine/state.hpp,
// Checkpoint::picks), and they never reach an output.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace cb {

using HashKey = std::array<unsigned char, 16>;
HashKey random_hash_key();
std::uint64_t keyed_hash64(std::string_view s, const HashKey& key);

}  // namespace cb
