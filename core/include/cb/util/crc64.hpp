// CRC-64/XZ (the ECMA-182 polynomial, reflected; xz's check and ISA-L's crc64_ecma_refl): the
// file ledger's fingerprint of decoded log bytes (cb/input/file_ledger.hpp).
//
// A check that bytes read before are still the same, not a defence against forged logs (whoever
// can write the logs can write anything). Chosen over a cryptographic hash for two properties
// the ledger needs, and for speed:
//   - it continues: crc64(crc64(0, a), b) == crc64(0, a + b), so a run extends the value of the
//     bytes earlier runs read with the bytes it adds, without reading them again;
//   - it combines: crc64_combine(crc64(0, a), crc64(0, b), |b|) == crc64(0, a + b), so the byte
//     ranges of a big file, read in parallel, join into the value of the whole;
//   - ISA-L (already linked for gzip) computes it with carry-less multiplication at about
//     10 GB/s per core, so fingerprinting a run's input costs about 1% of parsing it. Builds
//     without ISA-L (make static) use a table, about 15 times slower, with the same values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cb {

// The CRC of data[0, n) continued from `crc`, the CRC of the bytes before it (0: none).
std::uint64_t crc64(std::uint64_t crc, const void* data, std::size_t n);
inline std::uint64_t crc64(std::uint64_t crc, std::string_view s) { return crc64(crc, s.data(), s.size()); }

// The CRC of a + b from the CRC of a, the CRC of b and the length of b (zlib's crc32_combine
// for this polynomial: about 64 multiplications mod p per call, whatever the lengths).
std::uint64_t crc64_combine(std::uint64_t crc_a, std::uint64_t crc_b, std::uint64_t len_b);

// A whole file's length and CRC, read from the start (what an output's list says of a file it
// wrote, what a run remembers of a GeoIP database); nullopt when it cannot be read.
struct FileCrc {
    std::uint64_t bytes = 0, crc = 0;
};
std::optional<FileCrc> file_crc64(const std::string& path);

// The table implementation, what builds without ISA-L use; public for the test that checks
// that both give the same values.
std::uint64_t crc64_by_table(std::uint64_t crc, const void* data, std::size_t n);

}  // namespace cb
