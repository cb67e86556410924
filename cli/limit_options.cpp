#include "limit_options.hpp"

namespace cb::cli {

void add_limit_options(CLI::App* cmd, Limits* limits, unsigned which) {
    const CLI::AsSizeValue size(false);  // K, M, G are 1024-based, like KiB, MiB, GiB
    if (which & kLineLimit)
        cmd->add_option("--max-line-bytes", limits->max_line_bytes,
                        "Longest log line read; a longer one is skipped as it streams by and counted as too_large")
            ->transform(size)
            ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 31))
            ->capture_default_str()
            ->group("Limits");
    if (which & kFileLimit)
        cmd->add_option("--max-file-bytes", limits->max_file_bytes,
                        "Decompressed bytes read per file; the rest of a longer file is skipped and named (0: no limit)")
            ->transform(size)
            ->capture_default_str()
            ->group("Limits");
    if (which & kRecordingLimit)
        cmd->add_option("--max-recording-bytes", limits->max_recording_bytes,
                        "Decompressed bytes read per TTY recording; the rest is skipped and named (0: no limit)")
            ->transform(size)
            ->capture_default_str()
            ->group("Limits");
}

std::vector<std::string> limit_mr_args(const Limits& limits) {
    return {"--max-line-bytes", std::to_string(limits.max_line_bytes), "--max-file-bytes",
            std::to_string(limits.max_file_bytes)};
}

}  // namespace cb::cli
