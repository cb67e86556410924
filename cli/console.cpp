#include "console.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <map>

#include "cb/util/text.hpp"
#include "cb/version.hpp"
#include "exit_codes.hpp"

namespace cb::cli {

namespace {

std::string human_bytes(std::uint64_t b) {
    char buf[32];
    if (b >= (1ull << 30))
        std::snprintf(buf, sizeof buf, "%.2f GB", static_cast<double>(b) / (1ull << 30));
    else if (b >= (1ull << 20))
        std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(b) / (1ull << 20));
    else
        std::snprintf(buf, sizeof buf, "%.1f KB", static_cast<double>(b) / 1024);
    return buf;
}

// What a limit reason means, after its count: " (over --max-line-bytes 16,777,216)".
std::string limit_note(const Limits& l, Reject r) {
    if (r == Reject::TooLarge) return " [over --max-line-bytes " + with_commas(l.max_line_bytes) + "]";
    if (r == Reject::TooDeep) return " [nested deeper than " + with_commas(kMaxNestingDepth) + "]";
    return "";
}

}  // namespace

int open_output_dir(OutputDir& dir, const std::string& out_dir) {
    std::string err;
    const OutputDir::Status st = dir.open(out_dir, &err);
    if (st == OutputDir::Status::Ok) return 0;
    std::fprintf(stderr, "cowrie-batch: %s\n", err.c_str());
    return st == OutputDir::Status::Refused ? kExitUsage : kExitFatal;
}

int finish_output_dir(OutputDir& dir, const std::string& out_dir, const std::vector<std::string>& errors,
                      const std::function<std::string(bool publish)>& last) {
    for (const auto& e : errors) std::fprintf(stderr, "cowrie-batch: error: %s\n", dir.as_final(e).c_str());
    if (errors.empty()) {
        const std::string err = dir.commit([&] { return last ? last(true) : std::string(); });
        if (err.empty()) return 0;
        std::fprintf(stderr, "cowrie-batch: error: %s\n", dir.as_final(err).c_str());
    }
    if (last) last(false);  // rolled back, unless commit() took it already
    dir.discard();
    std::fprintf(stderr, "cowrie-batch: nothing was written; %s is as it was before the run\n", out_dir.c_str());
    return kExitFatal;
}

namespace {
void (*g_stop)() = nullptr;
void last_words(int sig) {
    if (g_stop) g_stop();
    std::fprintf(stderr, "\ncowrie-batch: interrupted (%s); the output folder is as it was before the run\n",
                 sig == SIGINT    ? "SIGINT"
                 : sig == SIGTERM ? "SIGTERM"
                                  : strsignal(sig));
}
}  // namespace

void say_interrupted(void (*stop)()) {
    g_stop = stop;
    on_interrupt(last_words);
}

Progress::Progress(std::uint64_t total_bytes, bool enabled)
    : total_(std::max<std::uint64_t>(1, total_bytes)), enabled_(enabled && ::isatty(2)) {
    if (!enabled_) return;
    thread_ = std::thread([this] {
        const auto t0 = std::chrono::steady_clock::now();
        while (!stop_.load()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(150));
            const std::uint64_t d = std::min(done_.load(), total_);
            const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            const int width = 30;
            const int fill = static_cast<int>(static_cast<double>(d) / static_cast<double>(total_) * width);
            std::string bar(static_cast<std::size_t>(fill), '#');
            bar.resize(width, '.');
            std::fprintf(stderr, "\r  reading [%s] %3d%%  %s  %.0f MB/s ", bar.c_str(),
                         static_cast<int>(100 * d / total_), human_bytes(d).c_str(),
                         secs > 0 ? static_cast<double>(d) / (1 << 20) / secs : 0.0);
            std::fflush(stderr);
        }
        std::fprintf(stderr, "\r\033[K");
        std::fflush(stderr);
    });
}

Progress::~Progress() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
}

bool report_problems(const RunData& run) {
    bool any = false;
    for (const auto& p : run.inputs.problems) {
        std::fprintf(stderr, "cowrie-batch: skipped %s: %s\n", sanitize_for_terminal(p.path).c_str(), p.reason.c_str());
        any = true;
    }
    for (const auto& f : run.ingest.files) {
        // One line per problem file: damage first, then rejected lines.
        std::string msg;
        if (!f.error.empty()) msg = f.error + " (kept " + with_commas(f.counts.events) + " events read before it)";
        const std::uint64_t rej = f.counts.rejected_total();
        if (rej) {
            std::string reasons;
            for (std::size_t i = 1; i < f.counts.rejected.size(); ++i)
                if (f.counts.rejected[i])
                    reasons += (reasons.empty() ? "" : ", ") + std::string(reject_reason_name(static_cast<Reject>(i))) +
                               " " + with_commas(f.counts.rejected[i]) + limit_note(run.limits, static_cast<Reject>(i));
            const std::string first = f.samples.empty() ? "" : ", first at line " + std::to_string(f.samples[0].line);
            msg += (msg.empty() ? "" : "; ") + std::string("rejected ") + counted(rej, "line", "lines") + " (" +
                   reasons + ")" + first;
        }
        if (f.counts.nul_bytes >= kNulRunNotice)
            // Not a skip of data: the lines around the NULs were read (the exit code stays).
            std::fprintf(stderr,
                         "cowrie-batch: %s: skipped %s of NUL bytes (%s bytes; a logrotate copytruncate hole, "
                         "or zeros); the lines around them were read\n",
                         sanitize_for_terminal(f.file.path).c_str(), human_bytes(f.counts.nul_bytes).c_str(),
                         with_commas(f.counts.nul_bytes).c_str());
        if (msg.empty()) continue;
        std::fprintf(stderr, "cowrie-batch: %s%s: %s\n", sanitize_for_terminal(f.file.path).c_str(),
                     f.gone ? " (read by an earlier run; no longer among the inputs, last seen at this path)" : "",
                     msg.c_str());
        any = true;
    }
    for (const auto& r : run.recordings_cut) {
        std::fprintf(stderr,
                     "cowrie-batch: %s: TTY recording read up to %s bytes only (--max-recording-bytes %s); its last "
                     "lines are not in last_output.csv\n",
                     sanitize_for_terminal(r.path).c_str(), with_commas(r.bytes_read).c_str(),
                     with_commas(run.limits.max_recording_bytes).c_str());
        any = true;
    }
    return any;
}

namespace {

// The headline and what the attackers did: sessions, time range, logins, commands, files.
void print_activity(const RunData& run) {
    const auto& c = run.ingest.totals;
    const SessionTotals& t = run.totals;  // run.sessions holds only the report's when the run spilled
    std::printf("cowrie-batch %s: %s (%s) -> %s in %s from %s on %s\n", kVersion,
                counted(run.ingest.files.size(), "log file", "log files").c_str(), human_bytes(c.bytes).c_str(),
                counted(c.events, "event", "events").c_str(), counted(t.sessions, "session", "sessions").c_str(),
                counted(t.src_ips, "address", "addresses").c_str(), counted(t.sensors, "sensor", "sensors").c_str());
    if (t.sessions > 0)
        std::printf("  time range  %s .. %s (UTC)\n", format_timestamp(t.first).substr(0, 19).c_str(),
                    format_timestamp(t.last).substr(0, 19).c_str());
    std::printf("  logins      %s, %s successful\n", counted(t.login_attempts, "attempt", "attempts").c_str(),
                with_commas(t.login_successes).c_str());
    std::printf("  commands    %s, %s with a command Cowrie does not know\n",
                counted(t.commands, "line", "lines").c_str(), with_commas(t.failed_commands).c_str());
    std::printf("  downloads   %s\n", with_commas(run.totals.downloads).c_str());
    if (run.totals.file_writes)
        std::printf("  file writes %s (%s to persistence paths: authorized_keys, cron, init, shell profiles)\n",
                    with_commas(run.totals.file_writes).c_str(), with_commas(run.totals.persistence_writes).c_str());
    for (const auto& t : run.tables) {
        if (t.name != "commands" || t.rows.empty()) continue;
        std::printf("  top commands:\n");
        for (std::size_t i = 0; i < std::min<std::size_t>(5, t.rows.size()); ++i) {
            const std::string& line = std::get<std::string>(t.rows[i][0]);
            std::printf("    %8lld  %s\n", static_cast<long long>(std::get<std::int64_t>(t.rows[i][1])),
                        line.empty() ? "(empty line)" : sanitize_for_terminal(line, 90).c_str());
        }
    }
}

// What was not read as it stood: rejected lines, unusable fields, files that are not event logs.
void print_input_problems(const RunData& run) {
    const auto& c = run.ingest.totals;
    if (const std::uint64_t rej = c.rejected_total()) {
        std::string reasons;
        for (std::size_t i = 1; i < c.rejected.size(); ++i)
            if (c.rejected[i])
                reasons += (reasons.empty() ? "" : ", ") + std::string(reject_reason_name(static_cast<Reject>(i))) +
                           " " + with_commas(c.rejected[i]);
        std::printf("  rejected    %s (%s); samples in summary.json\n", counted(rej, "line", "lines").c_str(),
                    reasons.c_str());
    }
    if (!c.field_errors.empty()) {
        // Fields of kept events that were unusable or repaired (issue #11): the events are kept.
        std::uint64_t n = 0;
        std::string fields;
        for (const auto& [field, kinds] : c.field_errors) {
            std::uint64_t k = 0;
            for (const auto& [kind, m] : kinds) k += m;
            n += k;
            fields += (fields.empty() ? "" : ", ") + field + " " + with_commas(k);
        }
        std::printf("  fields      %s unusable or repaired, events kept (%s); see summary.json inputs.field_errors\n",
                    with_commas(n).c_str(), fields.c_str());
    }
    std::size_t others = 0;
    for (const auto& f : run.inputs.files) others += f.kind != FileKind::JsonLog;
    if (others)
        std::printf("  not event logs: %s (text logs, TTY recordings, downloads...), listed in summary.json\n",
                    counted(others, "file", "files").c_str());
}

}  // namespace

void print_summary(const RunData& run, const std::string& out_dir, SessionsLayout layout, double seconds) {
    print_activity(run);
    print_input_problems(run);
    for (const auto& t : run.tables) {
        if (t.name != "hints") continue;
        std::map<std::string, int> by;
        for (const auto& r : t.rows) ++by[std::get<std::string>(r[1])];
        std::printf("  hints       %zu (%d high, %d medium): cowrie-batch hints %s\n", t.rows.size(), by["high"],
                    by["medium"], sanitize_for_terminal(out_dir).c_str());
    }
    std::printf("  wrote %s/{report.html, summary.json, %s, %scowrie.sqlite, tables/*.csv} in %.2f s\n",
                sanitize_for_terminal(out_dir).c_str(),
                layout == SessionsLayout::Day ? "sessions/day=*/sessions.jsonl" : "sessions.jsonl",
                run.findings.hints ? "hints.json, " : "", seconds);
}

}  // namespace cb::cli
