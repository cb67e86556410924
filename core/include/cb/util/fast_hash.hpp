// A fast, non-cryptographic 64-bit hash for the ingest hot path (wyhash-style multiply-mix).
//
// Used only for in-memory tables (string pool, session maps, shard choice): nothing that
// reaches an output or a file depends on its values or on those tables' order (OutArchive
// writes unordered containers in key order), so it may differ between builds, platforms and
// processes. Those tables hash strings from the logs, which attackers choose (commands,
// passwords) and anyone can craft (a shared log): with a known seed, strings that all fall in
// a few slots of a linear-probing table could be found offline and would make every insertion
// probe them all (hash flooding). So they hash with fast_hash_seed(), random per process.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <utility>

namespace cb {

namespace detail {
inline std::uint64_t hash_mum(std::uint64_t a, std::uint64_t b) {
    const unsigned __int128 r = static_cast<unsigned __int128>(a) * b;
    return static_cast<std::uint64_t>(r) ^ static_cast<std::uint64_t>(r >> 64);
}
inline std::uint64_t hash_load8(const char* p) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}
inline std::uint64_t hash_load4(const char* p) {
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}
}  // namespace detail

// Always inlined: it runs twice per event, and GCC's unit-growth limit once left an out-of-line
// copy in ingest.cpp (4.5 M more instructions on ../shared/samples).
[[gnu::always_inline]] inline std::uint64_t fast_hash(std::string_view s, std::uint64_t seed = 0) {
    using namespace detail;
    constexpr std::uint64_t k0 = 0xa0761d6478bd642fULL, k1 = 0xe7037ed1a0b428dbULL, k2 = 0x8ebc6af09c88c6e3ULL;
    const char* p = s.data();
    std::size_t n = s.size();
    std::uint64_t h = seed ^ hash_mum(seed ^ k0, k1);
    std::uint64_t a, b;
    if (n <= 16) {
        if (n >= 4) {
            a = (hash_load4(p) << 32) | hash_load4(p + ((n >> 3) << 2));
            b = (hash_load4(p + n - 4) << 32) | hash_load4(p + n - 4 - ((n >> 3) << 2));
        } else if (n > 0) {
            a = (static_cast<std::uint64_t>(static_cast<unsigned char>(p[0])) << 16) |
                (static_cast<std::uint64_t>(static_cast<unsigned char>(p[n >> 1])) << 8) |
                static_cast<unsigned char>(p[n - 1]);
            b = 0;
        } else {
            a = b = 0;
        }
    } else {
        while (n > 16) {
            h = hash_mum(hash_load8(p) ^ k1, hash_load8(p + 8) ^ h);
            p += 16;
            n -= 16;
        }
        a = hash_load8(p + n - 16);
        b = hash_load8(p + n - 8);
    }
    return hash_mum(k1 ^ s.size(), hash_mum(a ^ k1, b ^ h ^ k2));
}

// Equality of two byte ranges of length n, inlined for the short strings of the hot path
// (session ids, sensor names) instead of a call to memcmp.
inline bool fast_equal(const char* a, const char* b, std::size_t n) {
    using namespace detail;
    if (n >= 8) {
        if (n > 16) return std::memcmp(a, b, n) == 0;
        return ((hash_load8(a) ^ hash_load8(b)) | (hash_load8(a + n - 8) ^ hash_load8(b + n - 8))) == 0;
    }
    if (n >= 4) return ((hash_load4(a) ^ hash_load4(b)) | (hash_load4(a + n - 4) ^ hash_load4(b + n - 4))) == 0;
    for (std::size_t i = 0; i < n; ++i)
        if (a[i] != b[i]) return false;
    return true;
}

// The seed of the in-memory tables' hashes: drawn once per process from the system's random
// source (keyed_hash.cpp), so their slots cannot be predicted from the logs.
std::uint64_t draw_fast_hash_seed();
inline std::uint64_t fast_hash_seed() {
    static const std::uint64_t seed = draw_fast_hash_seed();
    return seed;
}

// The Hash of the unordered containers keyed by strings from the logs: fast_hash with the
// process's seed (std::hash's is fixed, so it floods like an unseeded one). Transparent: a
// string_view finds a std::string key where the container's equality is transparent too.
struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return fast_hash(s, fast_hash_seed()); }
};

// The same for keys of a number and a string (a day or an hour, and an address or a sensor).
struct NumberStringHash {
    std::size_t operator()(const std::pair<std::int64_t, std::string_view>& k) const noexcept {
        return fast_hash(k.second, fast_hash_seed() ^ static_cast<std::uint64_t>(k.first));
    }
};

inline bool fast_equal(std::string_view a, std::string_view b) {
    return a.size() == b.size() && fast_equal(a.data(), b.data(), a.size());
}

}  // namespace cb
