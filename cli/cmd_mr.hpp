#pragma once
#include <CLI/CLI.hpp>

namespace cb::cli {
// `mr STEP`: one Hadoop Streaming step (mapper, combiner or reducer) on stdin/stdout.
void add_mr_command(CLI::App& app, int* exit_code);
}  // namespace cb::cli
