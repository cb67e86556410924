// cowrie-batch: the command-line front of the cb_core library. Subcommands live in cmd_*.cpp.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <exception>

#include "cb/version.hpp"
#include "cmd_analyze.hpp"
#include "cmd_hadoop.hpp"
#include "cmd_hints.hpp"
#include "cmd_merge.hpp"
#include "cmd_mr.hpp"
#include "cmd_replay.hpp"
#include "cmd_rules.hpp"
#include "cmd_serve.hpp"
#include "console.hpp"
#include "exit_codes.hpp"

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);  // a closed pipe shows up as a write error, handled where it happens
    std::signal(SIGXFSZ, SIG_IGN);  // a file-size limit (ulimit -f) too: EFBIG, a message naming the file, exit 3
    cb::cli::say_interrupted();
    CLI::App app{"cowrie-batch: batch analysis of Cowrie SSH/Telnet honeypot logs", "cowrie-batch"};
    app.set_version_flag("-V,--version", std::string("cowrie-batch ") + cb::kVersion);
    app.require_subcommand(1);
    int exit_code = cb::cli::kExitClean;
    cb::cli::add_analyze_command(app, &exit_code);
    cb::cli::add_hints_command(app, &exit_code);
    cb::cli::add_mr_command(app, &exit_code);
    cb::cli::add_replay_command(app, &exit_code);
    cb::cli::add_hadoop_command(app, &exit_code);
    cb::cli::add_merge_command(app, &exit_code);
    cb::cli::add_rules_command(app, &exit_code);
    cb::cli::add_serve_commands(app, &exit_code);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? 0 : cb::cli::kExitUsage;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "cowrie-batch: fatal: %s\n", e.what());
        return cb::cli::kExitFatal;
    }
    return exit_code;
}
