// Bytes as zstd frames and back, whole in memory: the state folder's files (engine/state.hpp).
// Each frame carries its checksum; a frame is trusted only once it decompresses whole.
#pragma once

#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cb {

// `bytes` as one zstd frame with its checksum, compressed on `workers` threads of zstd's own
// besides this one (none for 0); "" when zstd fails.
std::string zstd_frame(std::string_view bytes, int workers = 0);
// The parts one after another as one frame, as if joined first (they are not copied together).
std::string zstd_frame(std::initializer_list<std::string_view> parts, int workers = 0);

// One frame's content; nullopt when it does not decompress whole, to the size its header says.
std::optional<std::string> unzstd(std::string_view frame);

// Appends a skippable frame (magic 0x184D2A50, then its size) holding a CRC-64 (crc64.hpp) of
// what `fill` appends to `out`, then those bytes: for bytes compressed already, which zstd would
// only copy (slowly: it looks for matches first), checked as a zstd frame's checksum checks its
// content. False past 4 GiB. skipped_content(): such a frame's content, nullopt for any other
// frame and when the CRC does not match.
bool append_skippable_frame(std::string& out, const std::function<void(std::string&)>& fill);
std::optional<std::string_view> skipped_content(std::string_view frame);

// The frames of a zstd file, each whole; none when one is cut or damaged.
std::vector<std::string_view> zstd_frames(std::string_view packed);

}  // namespace cb
