#pragma once
// The resource-limit flags (core/include/cb/input/limits.hpp, docs/CLI.md "Limits"), defined once
// for every command that reads logs or recordings.
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "cb/input/limits.hpp"

namespace cb::cli {

enum LimitFlag : unsigned { kLineLimit = 1, kFileLimit = 2, kRecordingLimit = 4, kAllLimits = 7 };

// Adds --max-line-bytes, --max-file-bytes and --max-recording-bytes (those in `which`) to cmd,
// stored in *limits. Sizes take binary units: 16MiB, 64M, 1G (= GiB), or plain bytes.
void add_limit_options(CLI::App* cmd, Limits* limits, unsigned which = kAllLimits);

// The line and file limits as arguments of `cowrie-batch mr` (for the Hadoop tasks).
std::vector<std::string> limit_mr_args(const Limits& limits);

}  // namespace cb::cli
