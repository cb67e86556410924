// Byte sources: a file or stdin, decompressed by magic bytes (gzip, bzip2, zstd).
//
// Compression is detected from content, never from the file name. A damaged or cut
// compressed stream yields every byte decoded before the damage, then reports it via
// error(); callers keep those bytes (a truncated .gz still has good lines in it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

namespace cb {

enum class Compression { None, Gzip, Bzip2, Zstd };

std::string_view compression_name(Compression c);
Compression detect_compression(std::string_view head);

// Length of the run of byte `c` at the start of p[0, n), eight bytes at a time (NUL runs
// and runs of empty lines can be GiBs long).
inline std::size_t leading_run(const char* p, std::size_t n, char c) {
    std::size_t k = 0;
    std::uint64_t pattern;
    std::memset(&pattern, static_cast<unsigned char>(c), sizeof pattern);
    while (k + 8 <= n) {
        std::uint64_t w;
        std::memcpy(&w, p + k, 8);
        if (w != pattern) break;
        k += 8;
    }
    while (k < n && p[k] == c) ++k;
    return k;
}

class ByteSource {
public:
    virtual ~ByteSource() = default;
    // Reads up to n bytes; returns 0 at the end of data or after an error.
    virtual std::size_t read(char* buf, std::size_t n) = 0;
    // Empty when all went well; otherwise a one-line description of what went wrong.
    const std::string& error() const { return error_; }
    // Bytes consumed from the underlying file (compressed size).
    std::size_t raw_bytes() const { return raw_bytes_; }

protected:
    std::string error_;
    std::size_t raw_bytes_ = 0;
};

// Opens an uncompressed regular file at byte `offset` (no decompression, no magic check).
std::unique_ptr<ByteSource> open_plain_at(const std::string& path, std::uint64_t offset, std::string* error);

// Bytes already in memory as a source (not copied: `bytes` must outlive it).
std::unique_ptr<ByteSource> open_memory(std::string_view bytes);

// Opens path ("-" for stdin) and wraps it in the right decompressor.
// On failure returns nullptr and sets *error.
std::unique_ptr<ByteSource> open_source(const std::string& path, std::string* error, Compression* detected = nullptr);

}  // namespace cb
