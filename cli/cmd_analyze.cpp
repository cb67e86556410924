#include "cmd_analyze.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>

#include "cb/engine/analyze.hpp"
#include "cb/output/outputs.hpp"
#include "console.hpp"
#include "exit_codes.hpp"
#include "run_options.hpp"

namespace cb::cli {

namespace {

int run_analyze(const RunFlags& a) {
    const auto t0 = std::chrono::steady_clock::now();
    // the state's checkpoint is read while the inputs are scanned (a daily run waits for it next)
    auto checkpoint_read = a.state_dir.empty() ? nullptr : std::make_shared<CheckpointRead>(a.state_dir);
    InputSet inputs = scan_inputs(a.inputs, a.limits, a.state_dir);
    const LogCount logs = count_logs(inputs);
    if (logs.files == 0) return say_no_logs(inputs);
    AnalyzeOptions opt;
    if (const int rc = make_analyze_options(a, &opt)) return rc;
    opt.checkpoint_read = std::move(checkpoint_read);
    if (!a.state_dir.empty() && a.limits.max_file_bytes) {
        std::fprintf(stderr,
                     "cowrie-batch: --state cannot be combined with --max-file-bytes: a log read in several runs "
                     "would be cut elsewhere than when read whole\n");
        return kExitUsage;
    }
    if (!a.state_dir.empty() && std::find(a.inputs.begin(), a.inputs.end(), "-") != a.inputs.end()) {
        std::fprintf(stderr, "cowrie-batch: --state: stdin (-) cannot be read incrementally; give files or folders\n");
        return kExitUsage;
    }
    OutputDir out;
    if (const int rc = open_output_dir(out, a.out_dir)) return rc;
    opt.out_dir = out.temp();
    // Deliberately never freed: tearing down millions of small allocations takes longer than
    // the process exit that follows, and the OS reclaims it all anyway.
    auto* leaked = new AnalyzeResult;
    AnalyzeResult& res = *leaked;
    {
        Progress progress(logs.bytes, !a.quiet);
        opt.progress_bytes = progress.counter();
        res = analyze(std::move(inputs), opt, writer_into(opt.out_dir, output_layout(a, out)));
    }
    if (!a.state_dir.empty() && (!a.quiet || a.stats))
        std::fprintf(stderr, "cowrie-batch: --state: read %s of %s%s\n", with_commas(res.logs_read).c_str(),
                     counted(logs.files, "log", "logs").c_str(),
                     res.logs_read < logs.files ? "; the others had nothing new" : "");
    return finish_run(res, out, a, t0);
}

}  // namespace

void add_analyze_command(CLI::App& app, int* exit_code) {
    auto args = std::make_shared<RunFlags>();
    CLI::App* cmd = app.add_subcommand("analyze", "Rebuild sessions from Cowrie JSON logs and write all outputs");
    cmd->footer(
        "INPUT is any mix of files, folders (searched recursively), glob patterns and - (stdin).\n"
        "Compression (gzip, bzip2, zstd) is detected from content. In folders only Cowrie JSON\n"
        "event logs are read; text logs, TTY recordings and downloads are listed in summary.json.\n\n"
        "Outputs in OUTDIR: report.html, summary.json, sessions.jsonl (with --sessions day: sessions/day=*/),\n"
        "cowrie.sqlite, hints.json, tables/*.csv.\n"
        "Show the hints with `cowrie-batch hints OUTDIR`. `cowrie-batch hadoop` takes every option above.\n\n"
        "Exit codes: 0 all input read; 1 outputs written but some files or lines were skipped\n"
        "(see stderr and summary.json); 2 usage error, no event log found, or OUTDIR holds files\n"
        "cowrie-batch did not write; 3 outputs could not be written; 130/143 interrupted (SIGINT/SIGTERM).\n"
        "OUTDIR is written as .NAME.tmp-PID beside it and swapped into place at the end: after 3, 130\n"
        "or 143 it is as it was before the run.");
    add_run_options(cmd, args.get());
    cmd->add_option("--state", args->state_dir,
                    "Incremental runs: keep what was read in this folder; a later run reads only what is new "
                    "(new files, grown or rotated logs) and writes the outputs of one run over everything")
        ->group("Incremental");
    cmd->callback([args, exit_code] { *exit_code = run_analyze(*args); });
}

}  // namespace cb::cli
