#include "cb/util/zstd_frame.hpp"

#include <zstd.h>

#include <algorithm>
#include <cstdint>
#include <memory>

#include "cb/util/crc64.hpp"

namespace cb {

// Level -1: every run writes the state and reads it back (56 MB at 1 GiB): 1.04 GB/s against
// level 1's 0.70, for 3 % more bytes.
std::string zstd_frame(std::string_view bytes, int workers) { return zstd_frame({bytes}, workers); }

std::string zstd_frame(std::initializer_list<std::string_view> parts, int workers) {
    std::size_t size = 0;
    for (std::string_view p : parts) size += p.size();
    // Not cleared: the pages of the bound that the frame does not reach are never touched
    const std::size_t bound = ZSTD_compressBound(size);
    const std::unique_ptr<char[]> packed(new char[bound]);
    const std::unique_ptr<ZSTD_CCtx, std::size_t (*)(ZSTD_CCtx*)> cctx(ZSTD_createCCtx(), ZSTD_freeCCtx);
    bool ok = cctx && !ZSTD_isError(ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_checksumFlag, 1)) &&
              !ZSTD_isError(ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, -1)) &&
              !ZSTD_isError(ZSTD_CCtx_setPledgedSrcSize(cctx.get(), size));  // the header says the size
    if (ok && workers > 0)
        ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_nbWorkers, workers);  // ignored by a single-threaded libzstd
    ZSTD_outBuffer out{packed.get(), bound, 0};
    std::size_t left = parts.size();
    for (std::string_view p : parts) {
        ZSTD_inBuffer in{p.data(), p.size(), 0};
        const ZSTD_EndDirective mode = --left == 0 ? ZSTD_e_end : ZSTD_e_continue;
        for (std::size_t more = 1; ok && (in.pos < in.size || (mode == ZSTD_e_end && more != 0));) {
            more = ZSTD_compressStream2(cctx.get(), &out, &in, mode);
            ok = !ZSTD_isError(more) && (out.pos < out.size || more == 0);  // the bound always has room
        }
    }
    if (!ok) return {};
    return std::string(packed.get(), out.pos);
}

// The size in the header is not under the checksum, so it is not trusted: the string grows as
// the content comes (decompressed into it, a MiB at a time), and one byte past it is an error.
std::optional<std::string> unzstd(std::string_view frame) {
    const unsigned long long size = ZSTD_getFrameContentSize(frame.data(), frame.size());
    if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) return {};
    constexpr std::size_t kStep = std::size_t{1} << 20;
    std::string bytes;
    bytes.reserve(std::min<std::uint64_t>(size, std::uint64_t{frame.size()} * 64) + 1);  // + 1: the byte too many
    const std::unique_ptr<ZSTD_DCtx, std::size_t (*)(ZSTD_DCtx*)> dctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
    ZSTD_inBuffer in{frame.data(), frame.size(), 0};
    std::size_t filled = 0;
    for (std::size_t left = 1; dctx && left != 0;) {
        const std::size_t room = std::clamp<std::uint64_t>(size - filled, 1, kStep);
        bytes.resize(filled + room);
        ZSTD_outBuffer out{bytes.data() + filled, room, 0};
        left = ZSTD_decompressStream(dctx.get(), &out, &in);
        filled += out.pos;
        if (ZSTD_isError(left) || (out.pos == 0 && in.pos == in.size && left != 0) || filled > size) return {};
    }
    if (!dctx || filled != size) return {};
    bytes.resize(filled);
    return bytes;
}

namespace {

constexpr std::uint32_t kSkippableMagic = 0x184D2A50;  // the first of the 16 skippable magic numbers
// The magic and the frame's size (4 bytes each), then the CRC-64 of what follows (8), all LE
constexpr std::size_t kSkippableHead = 16;

// v's `bytes` lowest bytes, little-endian, written over out[at...] (appended at the end).
void put_le(std::string& out, std::size_t at, std::uint64_t v, std::size_t bytes) {
    if (out.size() < at + bytes) out.resize(at + bytes);
    for (std::size_t i = 0; i < bytes; ++i) out[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

std::uint64_t le(std::string_view s, std::size_t at, std::size_t bytes) {
    std::uint64_t v = 0;
    for (std::size_t i = bytes; i-- > 0;) v = (v << 8) | static_cast<unsigned char>(s[at + i]);
    return v;
}

}  // namespace

bool append_skippable_frame(std::string& out, const std::function<void(std::string&)>& fill) {
    const std::size_t head = out.size();
    put_le(out, head, kSkippableMagic, 4);
    out.resize(head + kSkippableHead);
    fill(out);
    const std::size_t content = head + kSkippableHead, size = out.size() - head - 8;  // the frame's: CRC too
    if (size > UINT32_MAX) return false;
    put_le(out, head + 4, size, 4);
    put_le(out, head + 8, crc64(0, out.data() + content, out.size() - content), 8);
    return true;
}

std::optional<std::string_view> skipped_content(std::string_view frame) {
    if (frame.size() < kSkippableHead || le(frame, 0, 4) != kSkippableMagic || le(frame, 4, 4) != frame.size() - 8)
        return std::nullopt;
    const std::string_view content = frame.substr(kSkippableHead);
    if (crc64(0, content.data(), content.size()) != le(frame, 8, 8)) return std::nullopt;
    return content;
}

std::vector<std::string_view> zstd_frames(std::string_view packed) {
    std::vector<std::string_view> frames;
    while (!packed.empty()) {
        const std::size_t n = ZSTD_findFrameCompressedSize(packed.data(), packed.size());
        if (ZSTD_isError(n)) return {};
        frames.push_back(packed.substr(0, n));
        packed.remove_prefix(n);
    }
    return frames;
}

}  // namespace cb
