#include "cb/util/keyed_hash.hpp"

#include <sodium.h>

#include <array>
#include <cstdlib>
#include <cstring>

#include "cb/util/fast_hash.hpp"

namespace cb {

std::uint64_t draw_fast_hash_seed() {
    if (sodium_init() < 0) std::abort();
    std::uint64_t seed = 0;
    randombytes_buf(&seed, sizeof seed);
    return seed;
}

static_assert(std::tuple_size_v<HashKey> == crypto_shorthash_KEYBYTES);

HashKey random_hash_key() {
    HashKey key{};
    if (sodium_init() < 0) std::abort();  // no random source: nothing safe to do
    randombytes_buf(key.data(), key.size());
    return key;
}

std::uint64_t keyed_hash64(std::string_view s, const HashKey& key) {
    unsigned char out[crypto_shorthash_BYTES];
    crypto_shorthash(out, reinterpret_cast<const unsigned char*>(s.data()), s.size(), key.data());
    std::uint64_t h;
    std::memcpy(&h, out, sizeof h);
    return h;
}

}  // namespace cb
