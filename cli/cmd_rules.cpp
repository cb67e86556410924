// `cowrie-batch rules attack`: the ATT&CK rules built into the binary, printed to copy and edit,
// and `--check FILE` to try an edited file before a long run (docs/ATTACK.md).
#include "cmd_rules.hpp"

#include <cstdio>
#include <memory>
#include <string>

#include "cb/analysis/attack.hpp"
#include "exit_codes.hpp"

namespace cb::cli {

namespace {

int run_rules(const std::string& check) {
    if (check.empty()) {
        const std::string_view text = AttackRules::builtin_text();
        const bool ok = std::fwrite(text.data(), 1, text.size(), stdout) == text.size() && std::fflush(stdout) == 0;
        if (!ok) std::fprintf(stderr, "cowrie-batch: cannot write the rules to standard output\n");
        return ok ? kExitClean : kExitFatal;
    }
    std::string err;
    const auto rules = AttackRules::load(check, &err);
    if (!rules) {
        std::fprintf(stderr, "cowrie-batch: %s\n", err.c_str());
        return kExitUsage;
    }
    std::printf("%s: %zu techniques, ATT&CK %s\n", check.c_str(), rules->techniques().size(),
                rules->attack_version().c_str());
    return kExitClean;
}

}  // namespace

void add_rules_command(CLI::App& app, int* exit_code) {
    CLI::App* rules = app.add_subcommand("rules", "Print or check the rules the analyses apply");
    rules->require_subcommand(1);
    auto check = std::make_shared<std::string>();
    CLI::App* cmd = rules->add_subcommand("attack", "Print the ATT&CK rules built in (TOML), or check a rules file");
    cmd->footer(
        "Copy the printed rules, edit them and run analyze with --attack-rules FILE. Exit codes: 0 printed or "
        "the file is valid; 2 the file cannot be read or is not valid (the message names the line); 3 the "
        "output cannot be written.");
    cmd->add_option("--check", *check, "Check this rules file instead of printing the built-in ones");
    cmd->callback([check, exit_code] { *exit_code = run_rules(*check); });
}

}  // namespace cb::cli
