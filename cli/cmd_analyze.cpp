#include "cmd_analyze.hpp"

#include <chrono>
#include <cstdio>
#include <memory>

#include "cb/engine/analyze.hpp"
#include "cb/input/cowrie_config.hpp"
#include "console.hpp"
#include "exit_codes.hpp"
#include "limit_options.hpp"

namespace cb::cli {

namespace {

struct AnalyzeArgs {
    std::vector<std::string> inputs;
    std::string out_dir = "cowrie-batch-out";
    unsigned threads = 0;
    double idle_timeout = 180;
    double auth_timeout = 120;
    bool quiet = false;
    bool stats = false;
    std::string cowrie_cfg;
    int novelty_days = 7;
    bool no_analyses = false;
    Limits limits;
};

int run_analyze(const AnalyzeArgs& a) {
    const auto t0 = std::chrono::steady_clock::now();
    InputSet inputs = scan_inputs(a.inputs, a.limits);
    std::uint64_t total = 0;
    std::size_t logs = 0;
    for (const auto& f : inputs.files)
        if (f.kind == FileKind::JsonLog) {
            total += f.size;
            ++logs;
        }
    if (logs == 0) {
        for (const auto& p : inputs.problems)
            std::fprintf(stderr, "cowrie-batch: %s: %s\n", p.path.c_str(), p.reason.c_str());
        std::fprintf(stderr, "cowrie-batch: no Cowrie JSON event log among the inputs (%s looked at)\n",
                     counted(inputs.files.size(), "file", "files").c_str());
        return kExitUsage;
    }
    OutputDir out;
    if (const int rc = open_output_dir(out, a.out_dir)) return rc;
    AnalyzeOptions opt;
    opt.inputs = a.inputs;
    opt.out_dir = out.temp();
    opt.threads = a.threads;
    opt.session.idle_timeout_s = a.idle_timeout;
    opt.session.auth_timeout_s = a.auth_timeout;
    opt.analysis.novelty_days = a.novelty_days;
    opt.analyses = !a.no_analyses;
    opt.limits = a.limits;
    if (!a.cowrie_cfg.empty()) {
        std::string err;
        if (!read_cowrie_cfg(a.cowrie_cfg, &opt.analysis.cowrie_cfg, &err)) {
            std::fprintf(stderr, "cowrie-batch: --cowrie-cfg: %s\n", err.c_str());
            return kExitUsage;
        }
        opt.analysis.have_cowrie_cfg = true;
    }
    // Deliberately never freed: tearing down millions of small allocations takes longer than
    // the process exit that follows, and the OS reclaims it all anyway.
    auto* leaked = new AnalyzeResult;
    AnalyzeResult& res = *leaked;
    {
        Progress progress(total, !a.quiet);
        opt.progress_bytes = progress.counter();
        res = analyze(std::move(inputs), opt);
    }
    if (a.stats) {
        std::fprintf(stderr, "# %-20s %9s %9s\n", "phase", "wall s", "cpu s");
        for (std::size_t i = 0; i < res.phase_seconds.size(); ++i) {
            const auto& [name, secs] = res.phase_seconds[i];
            const double cpu = i < res.phase_cpu_seconds.size() ? res.phase_cpu_seconds[i].second : 0;
            std::fprintf(stderr, "# %-20s %9.3f %9.3f\n", name.c_str(), secs, cpu);
        }
        std::fprintf(stderr, "# %-30s %9s\n", "step (one thread)", "cpu s");
        for (const auto& [name, cpu] : res.step_cpu_seconds) std::fprintf(stderr, "# %-30s %9.3f\n", name.c_str(), cpu);
    }
    const bool skipped = report_problems(res.run);
    if (const int rc = finish_output_dir(out, a.out_dir, res.errors)) return rc;
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!a.quiet) print_summary(res.run, a.out_dir, secs);
    return skipped ? kExitSkipped : kExitClean;
}

}  // namespace

void add_analyze_command(CLI::App& app, int* exit_code) {
    auto args = std::make_shared<AnalyzeArgs>();
    CLI::App* cmd = app.add_subcommand("analyze", "Rebuild sessions from Cowrie JSON logs and write all outputs");
    cmd->footer(
        "INPUT is any mix of files, folders (searched recursively), glob patterns and - (stdin).\n"
        "Compression (gzip, bzip2, zstd) is detected from content. In folders only Cowrie JSON\n"
        "event logs are read; text logs, TTY recordings and downloads are listed in summary.json.\n\n"
        "Outputs in OUTDIR: report.html, summary.json, sessions.jsonl, cowrie.sqlite, hints.json, tables/*.csv.\n"
        "Show the hints with `cowrie-batch hints OUTDIR`.\n\n"
        "Exit codes: 0 all input read; 1 outputs written but some files or lines were skipped\n"
        "(see stderr and summary.json); 2 usage error, no event log found, or OUTDIR holds files\n"
        "cowrie-batch did not write; 3 outputs could not be written; 130/143 interrupted (SIGINT/SIGTERM).\n"
        "OUTDIR is written as .NAME.tmp-PID beside it and swapped into place at the end: after 3, 130\n"
        "or 143 it is as it was before the run.");
    cmd->add_option("inputs", args->inputs, "Log files, folders, globs or - for stdin")->required();
    cmd->add_option("-o,--out", args->out_dir, "Output folder (created if missing; replaced as a whole at the end of the run)")->capture_default_str();
    cmd->add_option("-t,--threads", args->threads, "Worker threads (default: all cores)")
        ->check(CLI::Range(0u, 1024u));
    cmd->add_option("--idle-timeout", args->idle_timeout,
                    "Cowrie's [honeypot] idle_timeout in seconds, used to tell idle timeouts from disconnects")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    cmd->add_option("--auth-timeout", args->auth_timeout,
                    "Cowrie's [honeypot] authentication_timeout in seconds (sessions without a successful login)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    cmd->add_option("--cowrie-cfg", args->cowrie_cfg,
                    "The sensor's cowrie.cfg: hints then also check which identity settings are still defaults");
    cmd->add_option("--novelty-days", args->novelty_days, "Window of novelty_recent.csv: new in the last N days")
        ->capture_default_str()
        ->check(CLI::Range(1, 3650));
    cmd->add_flag("--no-analyses", args->no_analyses,
                  "Only sessions, the basic count tables and the summary (faster; no predisconnect, forks, hints, ...)");
    add_limit_options(cmd, &args->limits);
    cmd->add_flag("--stats", args->stats, "Print wall and CPU time per phase and per writer thread to stderr (lines start with #)");
    cmd->add_flag("-q,--quiet", args->quiet, "No progress bar and no summary; problems still go to stderr");
    cmd->callback([args, exit_code] { *exit_code = run_analyze(*args); });
}

}  // namespace cb::cli
