#include "cb/util/keyed_hash.hpp"

#include <sodium.h>

#include <array>
#include <cstdlib>
#include <cstring>

#include "cb/util/fast_hash.hpp"

namespace cb {

namespace {

std::array<unsigned char, crypto_shorthash_KEYBYTES> make_key() {
    std::array<unsigned char, crypto_shorthash_KEYBYTES> key{};
    if (sodium_init() < 0) std::abort();  // no random source: nothing safe to do
    randombytes_buf(key.data(), key.size());
    return key;
}

}  // namespace

std::uint64_t draw_fast_hash_seed() {
    if (sodium_init() < 0) std::abort();
    std::uint64_t seed = 0;
    randombytes_buf(&seed, sizeof seed);
    return seed;
}

std::uint64_t keyed_hash64(std::string_view s) {
    static const std::array<unsigned char, crypto_shorthash_KEYBYTES> key = make_key();
    unsigned char out[crypto_shorthash_BYTES];
    crypto_shorthash(out, reinterpret_cast<const unsigned char*>(s.data()), s.size(), key.data());
    std::uint64_t h;
    std::memcpy(&h, out, sizeof h);
    return h;
}

}  // namespace cb
