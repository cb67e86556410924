#pragma once
#include <CLI/CLI.hpp>

namespace cb::cli {
// `hints OUTDIR`: prints OUTDIR/hints.json for a terminal, most severe first.
void add_hints_command(CLI::App& app, int* exit_code);
}  // namespace cb::cli
