#include "cb/util/crc64.hpp"

#include <array>
#include <cstdio>
#include <cstring>
#include <vector>

#ifdef CB_HAVE_ISAL
#include <isa-l/crc64.h>
#endif

namespace cb {

namespace {

constexpr std::uint64_t kPoly = 0xC96C5795D7870F42ULL;  // ECMA-182, reflected
constexpr std::uint64_t kOne = std::uint64_t{1} << 63;  // the polynomial 1 (x^0), reflected

// Slicing by 8: table[k][b] is the CRC of byte b followed by k zero bytes.
using Tables = std::array<std::array<std::uint64_t, 256>, 8>;

Tables make_tables() {
    Tables t{};
    for (std::uint64_t b = 0; b < 256; ++b) {
        std::uint64_t c = b;
        for (int i = 0; i < 8; ++i) c = c & 1 ? (c >> 1) ^ kPoly : c >> 1;
        t[0][b] = c;
    }
    for (std::size_t k = 1; k < 8; ++k)
        for (std::size_t b = 0; b < 256; ++b) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xff];
    return t;
}

const Tables& tables() {
    static const Tables t = make_tables();
    return t;
}

// a * b mod p, both reflected (zlib's multmodp, 64 bits wide).
std::uint64_t multiply_mod_p(std::uint64_t a, std::uint64_t b) {
    std::uint64_t m = kOne, product = 0;
    for (;;) {
        if (a & m) {
            product ^= b;
            if ((a & (m - 1)) == 0) break;
        }
        m >>= 1;
        b = b & 1 ? (b >> 1) ^ kPoly : b >> 1;
    }
    return product;
}

// x^(2^k) mod p for k < 128 (lengths in bits up to 2^67 need k < 67).
const std::array<std::uint64_t, 128>& x_pow_2k() {
    static const auto t = [] {
        std::array<std::uint64_t, 128> p{};
        p[0] = kOne >> 1;  // x^1
        for (std::size_t k = 1; k < p.size(); ++k) p[k] = multiply_mod_p(p[k - 1], p[k - 1]);
        return p;
    }();
    return t;
}

// x^(8 * bytes) mod p: the operator that moves a CRC past `bytes` zero bytes.
std::uint64_t x_pow_8n(std::uint64_t bytes) {
    std::uint64_t p = kOne;
    for (std::size_t k = 3; bytes; bytes >>= 1, ++k)
        if (bytes & 1) p = multiply_mod_p(x_pow_2k()[k], p);
    return p;
}

}  // namespace

std::uint64_t crc64_by_table(std::uint64_t crc, const void* data, std::size_t n) {
    const Tables& t = tables();
    const auto* p = static_cast<const unsigned char*>(data);
    crc = ~crc;
    for (; n >= 8; n -= 8, p += 8) {
        std::uint64_t w;
        std::memcpy(&w, p, 8);  // little-endian hosts (x86-64, arm64)
        crc ^= w;
        crc = t[7][crc & 0xff] ^ t[6][(crc >> 8) & 0xff] ^ t[5][(crc >> 16) & 0xff] ^ t[4][(crc >> 24) & 0xff] ^
              t[3][(crc >> 32) & 0xff] ^ t[2][(crc >> 40) & 0xff] ^ t[1][(crc >> 48) & 0xff] ^ t[0][crc >> 56];
    }
    for (; n > 0; --n, ++p) crc = t[0][(crc ^ *p) & 0xff] ^ (crc >> 8);
    return ~crc;
}

std::uint64_t crc64(std::uint64_t crc, const void* data, std::size_t n) {
#ifdef CB_HAVE_ISAL
    return crc64_ecma_refl(crc, static_cast<const unsigned char*>(data), n);
#else
    return crc64_by_table(crc, data, n);
#endif
}

std::uint64_t crc64_combine(std::uint64_t crc_a, std::uint64_t crc_b, std::uint64_t len_b) {
    return multiply_mod_p(x_pow_8n(len_b), crc_a) ^ crc_b;
}

std::optional<FileCrc> file_crc64(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return std::nullopt;
    std::vector<char> buf(1 << 20);
    FileCrc out;
    for (std::size_t got; (got = std::fread(buf.data(), 1, buf.size(), f)) > 0; out.bytes += got)
        out.crc = crc64(out.crc, buf.data(), got);
    const bool ok = !std::ferror(f);
    std::fclose(f);
    return ok ? std::optional(out) : std::nullopt;
}

}  // namespace cb
