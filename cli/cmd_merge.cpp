#include "cmd_merge.hpp"

#include <chrono>
#include <cstdio>
#include <memory>

#include "cb/engine/analyze.hpp"
#include "cb/output/outputs.hpp"
#include "console.hpp"
#include "exit_codes.hpp"
#include "limit_options.hpp"
#include "run_options.hpp"

namespace cb::cli {

namespace {

struct MergeFlags {
    std::vector<std::string> states;
    RunFlags run;  // the options of analyze that still mean something here
};

int run_merge(const MergeFlags& m) {
    const auto t0 = std::chrono::steady_clock::now();
    AnalyzeOptions opt;
    if (const int rc = make_analyze_options(m.run, &opt)) return rc;
    OutputDir out;
    if (const int rc = open_output_dir(out, m.run.out_dir)) return rc;
    opt.out_dir = out.temp();
    auto* leaked = new AnalyzeResult;  // never freed, as in analyze: the OS reclaims it faster
    AnalyzeResult& res = *leaked;
    res = merge_states(m.states, opt, writer_into(opt.out_dir, output_layout(m.run, out)));
    return finish_run(res, out, m.run, t0);
}

}  // namespace

void add_merge_command(CLI::App& app, int* exit_code) {
    auto m = std::make_shared<MergeFlags>();
    CLI::App* cmd = app.add_subcommand(
        "merge", "Write the outputs of a whole fleet from the states its sensors wrote with analyze --state");
    cmd->footer(
        "Each sensor runs `cowrie-batch analyze /var/log/cowrie -o OUT --state STATE` and copies STATE here;\n"
        "merge then writes what one analyze over every sensor's logs would (without the TTY recordings,\n"
        "which stay on the sensors). The states must come from the same cowrie-batch version with the\n"
        "same --max-line-bytes and --max-file-bytes. Outputs and exit codes as for analyze.");
    cmd->add_option("states", m->states, "State folders written by analyze --state")->required();
    cmd->add_option("-o,--out", m->run.out_dir,
                    "Output folder (created if missing; replaced as a whole at the end of the run)")
        ->capture_default_str();
    cmd->add_option("-t,--threads", m->run.threads, "Worker threads (default: all cores)")
        ->check(CLI::Range(0u, 1024u));
    add_session_options(cmd, &m->run.session);
    cmd->add_option("--cowrie-cfg", m->run.cowrie_cfg,
                    "A sensor's cowrie.cfg: hints then also check which identity settings are still defaults");
    add_intel_options(cmd, &m->run);
    cmd->add_option("--novelty-days", m->run.novelty_days, "Window of novelty_recent.csv: new in the last N days")
        ->capture_default_str()
        ->check(CLI::Range(1, 3650));
    cmd->add_flag("--no-analyses", m->run.no_analyses, "Only sessions, the basic count tables and the summary");
    add_limit_options(cmd, &m->run.limits, kLineLimit | kFileLimit);
    add_memory_options(cmd, &m->run);
    add_output_options(cmd, &m->run);
    cmd->add_flag("--stats", m->run.stats, "Print wall and CPU time per phase to stderr (lines start with #)");
    cmd->add_flag("-q,--quiet", m->run.quiet, "No summary; problems still go to stderr");
    cmd->callback([m, exit_code] { *exit_code = run_merge(*m); });
}

}  // namespace cb::cli
