// Turns command-line inputs (files, folders, globs, "-") into a classified file list.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cb/input/byte_source.hpp"

namespace cb {

enum class FileKind { JsonLog, TextLog, TtyLog, Empty, Other };
std::string_view file_kind_name(FileKind k);

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

// Expands and classifies. Folders are walked recursively (symlinks followed, loops
// detected by device and inode). A pattern with * ? [ that names no existing path is
// globbed. Stdin is always treated as a JSON event log. A leading NUL run is skipped
// whatever its length (up to max_file_bytes decompressed bytes when that is not 0); a file
// of nothing but NULs is Empty, or a problem from limits.hpp's kAllNulReport bytes on.
InputSet expand_inputs(const std::vector<std::string>& inputs, std::uint64_t max_file_bytes = 0);

}  // namespace cb
