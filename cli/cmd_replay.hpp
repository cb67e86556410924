#pragma once
#include <CLI/CLI.hpp>

namespace cb::cli {
// `replay FILE|SESSION`: plays a Cowrie TTY recording on the terminal with its timing, with
// terminal escapes filtered (cb::TermFilter), or exports it as asciicast v2.
void add_replay_command(CLI::App& app, int* exit_code);
}  // namespace cb::cli
