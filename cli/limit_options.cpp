#include "limit_options.hpp"

namespace cb::cli {

void add_limit_options(CLI::App* cmd, Limits* limits, unsigned which) {
    // A size flag: K, M, G are 1024-based, like KiB, MiB, GiB.
    const auto add_size = [cmd](const char* name, auto* value, const char* help) {
        return cmd->add_option(name, *value, help)
            ->transform(CLI::AsSizeValue(false))
            ->capture_default_str()
            ->group("Limits");
    };
    if (which & kLineLimit)
        add_size("--max-line-bytes", &limits->max_line_bytes,
                 "Longest log line read; a longer one is skipped as it streams by and counted as too_large")
            ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 31));
    if (which & kFileLimit)
        add_size("--max-file-bytes", &limits->max_file_bytes,
                 "Decompressed bytes read per file; the rest of a longer file is skipped and named (0: no limit)");
    if (which & kRecordingLimit)
        add_size("--max-recording-bytes", &limits->max_recording_bytes,
                 "Decompressed bytes read per TTY recording; the rest is skipped and named (0: no limit)");
}

std::vector<std::string> limit_mr_args(const Limits& limits) {
    return {"--max-line-bytes", std::to_string(limits.max_line_bytes), "--max-file-bytes",
            std::to_string(limits.max_file_bytes)};
}

}  // namespace cb::cli
