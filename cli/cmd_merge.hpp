#pragma once
#include <CLI/CLI.hpp>

namespace cb::cli {
// `merge STATE... -o OUTDIR`: the outputs of a whole fleet from the states each sensor wrote with
// `analyze --state` (docs/CLI.md, "A fleet: process where the logs are born").
void add_merge_command(CLI::App& app, int* exit_code);
}  // namespace cb::cli
