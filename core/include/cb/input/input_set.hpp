// Turns command-line inputs (files, folders, globs, "-") into a classified file list.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cb/input/byte_source.hpp"

namespace cb {

enum class FileKind { JsonLog, TextLog, TtyLog, Empty, Other };
std::string_view file_kind_name(FileKind k);

// A file as statx() sees it: enough to tell "untouched" and "renamed" without reading it.
struct FileStat {
    std::uint64_t device = 0, inode = 0;
    std::uint64_t size = 0;     // on disk
    std::int64_t mtime_ns = 0;  // nanoseconds since the epoch
    std::int64_t btime_ns = 0;  // when the inode was made; 0 where the file system does not say
    // The same inode, not another file that got a deleted one's number (their birth times differ).
    bool same_file(const FileStat& o) const {
        return device == o.device && inode == o.inode && (btime_ns == 0 || o.btime_ns == 0 || btime_ns == o.btime_ns);
    }
    bool operator==(const FileStat&) const = default;
    template <class Ar>
    void io(Ar& ar) {
        ar(device, inode, size, mtime_ns, btime_ns);
    }
};

// False when `path` cannot be stat'ed.
bool stat_file(const std::string& path, FileStat* out);

struct InputFile {
    std::string path;        // as given or found; "-" is stdin
    std::uint64_t size = 0;  // on-disk size (0 for stdin)
    FileKind kind = FileKind::Other;
    Compression compression = Compression::None;
};

struct InputProblem {
    std::string path;
    std::string reason;
};

struct InputSet {
    std::vector<InputFile> files;        // sorted by path, deduplicated (stdin last)
    std::vector<InputProblem> problems;  // missing paths, unreadable folders, symlink loops
};

// Classifies by content: decompresses the first 64 KiB, skips NUL runs, and looks for
// Cowrie JSON events, the Cowrie text log, or the binary TTY log layout.
FileKind classify_content(std::string_view head);

// Files an earlier run classified, by device and inode, with the stat they had then (analyze
// --state: the logs of the state's ledger, state.hpp known_logs()). A file that has the same stat
// now, birth time included, is taken to be what it was and is not opened: a daily run over a
// year of logs reads none of the old ones.
struct KnownFile {
    FileStat stat;
    FileKind kind = FileKind::JsonLog;
    Compression compression = Compression::None;
};
using KnownFiles = std::map<std::pair<std::uint64_t, std::uint64_t>, KnownFile>;

// Expands and classifies. Folders are walked recursively (symlinks followed, loops
// detected by device and inode). A pattern with * ? [ that names no existing path is
// globbed. Stdin is always treated as a JSON event log. A leading NUL run is skipped
// whatever its length (up to max_file_bytes decompressed bytes when that is not 0); a file
// of nothing but NULs is Empty, or a problem from limits.hpp's kAllNulReport bytes on.
// Files in `known` that are as they were are classified without a read.
InputSet expand_inputs(const std::vector<std::string>& inputs, std::uint64_t max_file_bytes = 0,
                       const KnownFiles* known = nullptr);

}  // namespace cb
