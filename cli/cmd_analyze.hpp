#pragma once
#include <CLI/CLI.hpp>

namespace cb::cli {
// Registers `analyze` on app; the callback stores the exit code in *exit_code.
void add_analyze_command(CLI::App& app, int* exit_code);
}  // namespace cb::cli
