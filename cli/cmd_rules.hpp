#pragma once
#include <CLI/CLI.hpp>

namespace cb::cli {
// `rules attack [--check FILE]`: prints the ATT&CK rules built in, or checks a rules file.
void add_rules_command(CLI::App& app, int* exit_code);
}  // namespace cb::cli
