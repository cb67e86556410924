#pragma once
#include <CLI/CLI.hpp>

namespace cb::cli {

// `serve OUTDIR` and `user add|del|list` (issue 14; docs/SERVE.md). Builds without serve (the
// static one for Hadoop nodes) have the commands, which then say so.
void add_serve_commands(CLI::App& app, int* exit_code);

}  // namespace cb::cli
