#include "run_options.hpp"

#include <cstdio>
#include <filesystem>

#include "cb/input/cowrie_config.hpp"
#include "cb/util/allocator.hpp"
#include "console.hpp"
#include "exit_codes.hpp"
#include "limit_options.hpp"

namespace cb::cli {

namespace {

// A number as `mr` reads it back: every digit that matters, so the tasks cut sessions exactly
// as the client would.
std::string exact(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

}  // namespace

void add_session_options(CLI::App* cmd, SessionFlags* flags) {
    cmd->add_option("--idle-timeout", flags->idle_timeout,
                    "Cowrie's [honeypot] idle_timeout in seconds, used to tell idle timeouts from disconnects")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    cmd->add_option("--auth-timeout", flags->auth_timeout,
                    "Cowrie's [honeypot] authentication_timeout in seconds (sessions without a successful login)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
}

std::vector<std::string> session_mr_args(const SessionFlags& flags) {
    return {"--idle-timeout", exact(flags.idle_timeout), "--auth-timeout", exact(flags.auth_timeout)};
}

SessionOptions session_options(const SessionFlags& flags) {
    SessionOptions s;
    s.idle_timeout_s = flags.idle_timeout;
    s.auth_timeout_s = flags.auth_timeout;
    return s;
}

void add_memory_options(CLI::App* cmd, RunFlags* flags) {
    cmd->add_option("--memory-limit", flags->memory_limit,
                    "Memory the sessions may take before they spill to disk: 512M, 4G (default: half of "
                    "the physical memory or of the cgroup limit; --stats prints it)")
        ->transform(CLI::AsSizeValue(false))
        ->check(CLI::Range(std::uint64_t{64} << 10, UINT64_MAX))
        ->group("Limits");
    cmd->add_option("--tmp-dir", flags->tmp_dir,
                    "Folder for spill files (default: the folder that holds OUTDIR); removed at the end")
        ->group("Limits");
}

void add_output_options(CLI::App* cmd, RunFlags* flags) {
    cmd->add_option("--sessions", flags->sessions_layout,
                    "How sessions are written: file (sessions.jsonl) or day (sessions/day=YYYY-MM-DD/sessions.jsonl, "
                    "one folder per day, read as one table by DuckDB, Spark and Hive; a day that did not change "
                    "keeps its file). Default: day with --state, else file")
        ->check(CLI::IsMember({"file", "day"}));
}

SessionsLayout sessions_layout(const RunFlags& flags) {
    if (flags.sessions_layout.empty()) return flags.state_dir.empty() ? SessionsLayout::File : SessionsLayout::Day;
    return flags.sessions_layout == "day" ? SessionsLayout::Day : SessionsLayout::File;
}

OutputLayout output_layout(const RunFlags& flags, const OutputDir& out) {
    OutputLayout layout{sessions_layout(flags), out.path().string(), flags.tmp_dir, nullptr};
    // --state: the last run's cowrie.sqlite is updated in place, or copied while the run reads
    // (SqliteCopy) when another hard link shares it or `serve` serves it
    // (sqlite_in_place_possible()); when the state has its row hashes (a run without them writes
    // the file in full)
    std::error_code ec;
    const std::string sqlite = layout.previous + "/cowrie.sqlite";
    if (flags.state_dir.empty() || !std::filesystem::exists(flags.state_dir + "/sqlite_rows", ec) ||
        !std::filesystem::exists(sqlite, ec))
        return layout;
    layout.sqlite_in_place = sqlite_in_place_possible(sqlite);
    if (!layout.sqlite_in_place)
        layout.sqlite_copy = std::make_shared<SqliteCopy>(sqlite, out.temp() + "/cowrie.sqlite.tmp");
    return layout;
}

void add_intel_options(CLI::App* cmd, RunFlags* flags) {
    cmd->add_option("--attack-rules", flags->attack_rules,
                    "ATT&CK rules file (TOML) instead of the built-in rules; `cowrie-batch rules attack` prints "
                    "those, to copy and edit (docs/ATTACK.md)");
    cmd->add_option("--geoip", flags->geoip,
                    "MaxMind DB file (GeoLite2/GeoIP2 or DB-IP; Country, City or ASN), repeatable: sessions get "
                    "country, asn and as_org, offline (docs/OUTPUTS.md)")
        ->take_all()
        ->allow_extra_args(false);
}

void add_run_options(CLI::App* cmd, RunFlags* flags) {
    cmd->add_option("inputs", flags->inputs, "Log files, folders, globs or - for stdin (analyze only)")->required();
    cmd->add_option("-o,--out", flags->out_dir,
                    "Output folder (created if missing; replaced as a whole at the end of the run)")
        ->capture_default_str();
    cmd->add_option("-t,--threads", flags->threads,
                    "Worker threads on this machine (default: all cores; hadoop: for the final merge and the outputs)")
        ->check(CLI::Range(0u, 1024u));
    add_session_options(cmd, &flags->session);
    cmd->add_option("--cowrie-cfg", flags->cowrie_cfg,
                    "The sensor's cowrie.cfg: hints then also check which identity settings are still defaults");
    add_intel_options(cmd, flags);
    cmd->add_option("--novelty-days", flags->novelty_days, "Window of novelty_recent.csv: new in the last N days")
        ->capture_default_str()
        ->check(CLI::Range(1, 3650));
    cmd->add_flag(
        "--no-analyses", flags->no_analyses,
        "Only sessions, the basic count tables and the summary (faster; no predisconnect, forks, hints, ...)");
    add_limit_options(cmd, &flags->limits);
    add_memory_options(cmd, flags);
    add_output_options(cmd, flags);
    cmd->add_flag("--stats", flags->stats,
                  "Print wall and CPU time per phase and per writer thread to stderr (lines start with #)");
    cmd->add_flag("-q,--quiet", flags->quiet, "No progress bar and no summary; problems still go to stderr");
}

int make_analyze_options(const RunFlags& flags, AnalyzeOptions* opt) {
    opt->inputs = flags.inputs;
    opt->threads = flags.threads;
    opt->session = session_options(flags.session);
    opt->analysis.novelty_days = flags.novelty_days;
    opt->analyses = !flags.no_analyses;
    opt->limits = flags.limits;
    opt->memory_limit = flags.memory_limit;
    keep_freed_memory(flags.memory_limit ? flags.memory_limit : default_memory_limit());
    opt->tmp_dir = flags.tmp_dir;
    opt->state_dir = flags.state_dir;
    std::string err;
    if (!flags.attack_rules.empty()) {
        opt->analysis.attack_rules = AttackRules::load(flags.attack_rules, &err);
        if (!opt->analysis.attack_rules) {
            std::fprintf(stderr, "cowrie-batch: --attack-rules: %s\n", err.c_str());
            return kExitUsage;
        }
    }
    if (!flags.geoip.empty()) {
        opt->analysis.geoip = GeoIp::open(flags.geoip, &err);
        if (!opt->analysis.geoip) {
            std::fprintf(stderr, "cowrie-batch: --geoip: %s\n", err.c_str());
            return kExitUsage;
        }
    }
    if (flags.cowrie_cfg.empty()) return kExitClean;
    if (!read_cowrie_cfg(flags.cowrie_cfg, &opt->analysis.cowrie_cfg, &err)) {
        std::fprintf(stderr, "cowrie-batch: --cowrie-cfg: %s\n", err.c_str());
        return kExitUsage;
    }
    opt->analysis.have_cowrie_cfg = true;
    return kExitClean;
}

void print_stats(const AnalyzeResult& res) {
    const SpillStats& sp = res.spill;
    std::fprintf(stderr, "# memory limit %.1f MiB; spilled: %llu key runs (%.1f MiB), %llu order runs (%.1f MiB)",
                 static_cast<double>(res.memory_limit) / (1 << 20), static_cast<unsigned long long>(sp.key_runs),
                 static_cast<double>(sp.key_run_bytes) / (1 << 20), static_cast<unsigned long long>(sp.order_runs),
                 static_cast<double>(sp.order_run_bytes) / (1 << 20));
    if (sp.peak_disk_bytes)
        std::fprintf(stderr, "; the spill folder took at most about %.1f MiB at once",
                     static_cast<double>(sp.peak_disk_bytes) / (1 << 20));
    std::fputc('\n', stderr);
    std::fprintf(stderr, "# %-26s %9s %9s %14s\n", "phase", "wall s", "cpu s", "peak RSS MiB");
    for (std::size_t i = 0; i < res.phase_seconds.size(); ++i) {
        const auto& [name, secs] = res.phase_seconds[i];
        const double cpu = i < res.phase_cpu_seconds.size() ? res.phase_cpu_seconds[i].second : 0;
        const double rss = i < res.phase_peak_rss.size() ? static_cast<double>(res.phase_peak_rss[i].second) : 0;
        std::fprintf(stderr, "# %-26s %9.3f %9.3f %14.1f\n", name.c_str(), secs, cpu, rss / (1 << 20));
    }
    std::fprintf(stderr, "# %-30s %9s\n", "step (one thread)", "cpu s");
    for (const auto& [name, cpu] : res.step_cpu_seconds) std::fprintf(stderr, "# %-30s %9.3f\n", name.c_str(), cpu);
}

int finish_run(const AnalyzeResult& res, OutputDir& out, const RunFlags& flags,
               std::chrono::steady_clock::time_point started) {
    for (const auto& note : res.notes) std::fprintf(stderr, "cowrie-batch: %s\n", note.c_str());
    if (!flags.quiet || flags.stats)
        for (const auto& line : res.info) std::fprintf(stderr, "cowrie-batch: %s\n", line.c_str());
    if (flags.stats) print_stats(res);
    const bool skipped = report_problems(res.run);
    if (const int rc = finish_output_dir(out, flags.out_dir, res.errors, res.finish_outputs)) return rc;
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (!flags.quiet) print_summary(res.run, flags.out_dir, sessions_layout(flags), secs);
    return skipped ? kExitSkipped : kExitClean;
}

LogCount count_logs(const InputSet& inputs) {
    LogCount n;
    for (const auto& f : inputs.files)
        if (f.kind == FileKind::JsonLog) {
            n.bytes += f.size;
            ++n.files;
        }
    return n;
}

int say_no_logs(const InputSet& inputs) {
    for (const auto& p : inputs.problems)
        std::fprintf(stderr, "cowrie-batch: %s: %s\n", p.path.c_str(), p.reason.c_str());
    std::fprintf(stderr, "cowrie-batch: no Cowrie JSON event log among the inputs (%s looked at)\n",
                 counted(inputs.files.size(), "file", "files").c_str());
    return kExitUsage;
}

}  // namespace cb::cli
