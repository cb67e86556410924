// Resource bounds of a run (docs/ARCHITECTURE.md, "Limits"). One struct that both engines
// get: `analyze` and `hadoop` (and the `mr` steps they run) take the same flags
// (cli/limit_options.cpp). A limit that is hit never fails a run: what is over it is
// skipped, counted in summary.json and named on the console (exit 1); the rest is kept.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <simdjson.h>

namespace cb {

struct Limits {
    // A longer line is rejected as `too_large` (counted, samples kept) and skipped while
    // streaming: it is never held in memory. The longest line in the 40 MB of real logs in
    // the samples is 541 KB (a pasted script in cowrie.command.input); issue #2 asks that a
    // 50 MB line be kept. 64 MiB keeps it; a line that long costs one worker about 6 times
    // its size while it is parsed (read buffer, simdjson's 4-byte structural index per
    // byte, its string buffer), and the run more as the text travels to the outputs.
    std::size_t max_line_bytes = kDefaultMaxLineBytes;
    // Decompressed bytes read from one file; 0: no limit. Memory does not depend on it
    // (files are streamed; leading NUL runs are skipped as they stream by), only time does.
    std::uint64_t max_file_bytes = 0;
    // Decompressed bytes read from one TTY recording by the analyses and the report; what
    // follows is not read (the recording is listed in summary.json inputs.recordings_cut).
    // Cowrie writes a few KiB per record; the recordings in the samples are under 30 KB.
    std::uint64_t max_recording_bytes = kDefaultMaxRecordingBytes;

    static constexpr std::size_t kDefaultMaxLineBytes = std::size_t{64} << 20;
    static constexpr std::uint64_t kDefaultMaxRecordingBytes = std::uint64_t{256} << 20;
};

// A TTY recording read only up to Limits::max_recording_bytes.
struct RecordingCut {
    std::string path;
    std::uint64_t bytes_read = 0;
};

// Nesting deeper than this rejects a line as `too_deep` (simdjson's default; Cowrie's
// events nest at most 3 levels). A constant, not a flag: depth costs no memory of ours.
inline constexpr std::size_t kMaxNestingDepth = simdjson::DEFAULT_MAX_DEPTH;

// A run of leading NUL bytes (logrotate copytruncate leaves one as long as the file was)
// is skipped as it streams by; from this length on it is named on the console, and a file
// that holds nothing but NULs is listed in summary.json skipped_files.
inline constexpr std::uint64_t kNulRunNotice = std::uint64_t{64} << 20;
inline constexpr std::uint64_t kAllNulReport = std::uint64_t{1} << 20;

}  // namespace cb
