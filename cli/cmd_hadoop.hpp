#pragma once
#include <CLI/CLI.hpp>

namespace cb::cli {
// `hadoop INPUT... -o OUTDIR`: the same analysis on Apache Hadoop (in-process or a cluster).
void add_hadoop_command(CLI::App& app, int* exit_code);
}  // namespace cb::cli
