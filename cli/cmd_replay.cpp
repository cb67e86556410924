#include "cmd_replay.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cb/input/input_set.hpp"
#include "cb/tty/ttylog.hpp"
#include "cb/util/text.hpp"
#include "cb/util/time.hpp"
#include "exit_codes.hpp"
#include "limit_options.hpp"

namespace cb::cli {

namespace {

namespace fs = std::filesystem;

constexpr int kExitInterrupted = 130;

struct ReplayArgs {
    std::string target;
    std::string tty_dir;
    std::string log;
    double speed = 1.0;
    bool speed_given = false;
    bool no_delay = false;
    double max_delay = 3.0;
    bool input = false;
    bool both = false;
    std::string asciicast;
    std::string escapes = "auto";
    Limits limits;  // max_recording_bytes
};

// One recording to play, in order.
struct Recording {
    std::string path;
    TtyLogRef ref;  // empty for a FILE argument
    bool from_log = false;
};

volatile std::sig_atomic_t g_interrupted = 0;
extern "C" void on_sigint(int) { g_interrupted = 1; }

std::string shown(std::string_view s) { return sanitize_for_terminal(s, 400); }

void note(const std::string& msg) { std::fprintf(stderr, "cowrie-batch: %s\n", msg.c_str()); }

// The folder a --tty-dir names, without a trailing slash ("logs/tty/" -> "logs/tty").
fs::path clean_dir(const std::string& d) {
    fs::path p = fs::path(d).lexically_normal();
    if (p.has_parent_path() && p.filename().empty()) p = p.parent_path();
    return p;
}

// cowrie.json* files directly in dir, sorted.
std::vector<std::string> json_logs_in(const fs::path& dir) {
    std::vector<std::string> out;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.rfind("cowrie.json", 0) == 0 && it->is_regular_file(ec)) out.push_back(it->path().string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

// Sleeps `seconds`, waking every 50 ms to notice Ctrl-C. False when interrupted.
bool pause_for(double seconds) {
    using namespace std::chrono;
    const auto until = steady_clock::now() + duration_cast<steady_clock::duration>(duration<double>(seconds));
    while (!g_interrupted) {
        const auto now = steady_clock::now();
        if (now >= until) return true;
        std::this_thread::sleep_for(std::min<steady_clock::duration>(until - now, milliseconds(50)));
    }
    return false;
}

class Output {
public:
    explicit Output(FILE* f) : f_(f) {}
    // False after a write error; a closed pipe (EPIPE) ends the replay quietly.
    bool write(std::string_view s) {
        if (failed_ || s.empty()) return !failed_;
        if (std::fwrite(s.data(), 1, s.size(), f_) != s.size())
            fail();
        else
            last_ = s.back();
        return !failed_;
    }
    bool flush() {
        if (!failed_ && std::fflush(f_) != 0) fail();
        return !failed_;
    }
    bool failed() const { return failed_; }
    bool broken_pipe() const { return epipe_; }
    char last() const { return last_; }

private:
    void fail() {
        failed_ = true;
        epipe_ = errno == EPIPE;
    }
    FILE* f_;
    bool failed_ = false, epipe_ = false;
    char last_ = '\n';
};

struct Selection {
    bool output = true, input = false;  // INTERACT is always shown
    bool mark_input = false;            // input as "[input] " lines (--both, stdout not a terminal)
    bool shows(TtyDir d) const {
        return d == TtyDir::Interact || (d == TtyDir::Output && output) || (d == TtyDir::Input && input);
    }
};

// --both to a pipe: typed input arrives a character at a time between Cowrie's echoes ("llss").
// Input is gathered into lines and written as "[input] line" on a line of its own, output as is.
class InputLines {
public:
    // Filtered input bytes; complete lines are appended to out.
    void feed(std::string_view in, char last_out, std::string& out) {
        for (char c : in) {
            if (c == '\n' && after_cr_) {  // CR LF is one Enter
                after_cr_ = false;
                continue;
            }
            after_cr_ = c == '\r';
            if (c == '\r' || c == '\n') {
                emit(last_out, out);
                last_out = '\n';
            } else {
                line_.push_back(c);
                open_ = true;
            }
        }
    }
    // Filtered output: as is, minus the line break that ends the echo of a line already shown
    // (emit() ended that line itself).
    void output(std::string_view in, std::string& out) {
        if (owe_ && !in.empty()) {
            owe_ = false;
            if (in.substr(0, 2) == "\r\n")
                in.remove_prefix(2);
            else if (in[0] == '\n' || in[0] == '\r')
                in.remove_prefix(1);
        }
        out.append(in);
    }
    // What was typed without a final Enter.
    void finish(char last_out, std::string& out) {
        if (open_) emit(last_out, out);
    }

private:
    void emit(char last_out, std::string& out) {
        const char before = out.empty() ? last_out : out.back();
        owe_ = before != '\n';
        if (owe_) out.push_back('\n');
        out.append("[input] ").append(line_).push_back('\n');
        line_.clear();
        open_ = false;
    }
    std::string line_;
    bool open_ = false, after_cr_ = false, owe_ = false;
};

struct PlayResult {
    TtyStatus status = TtyStatus::Ok;
    std::string message;
    bool interrupted = false;
    bool write_failed = false;
};

// Plays one recording to stdout.
PlayResult play(const std::string& path, const ReplayArgs& a, const Selection& sel, EscapePolicy policy, bool delays,
                bool colour, Output& out) {
    const bool mark_input = sel.mark_input;
    InputLines typed;
    std::string piece;
    PlayResult res;
    TtyReader reader(path);
    reader.set_max_bytes(a.limits.max_recording_bytes);
    TermFilter filters[4] = {TermFilter(policy), TermFilter(policy), TermFilter(policy), TermFilter(policy)};
    std::string buf;
    Micros prev = kNoTime;
    TtyRecord r;
    TtyDir coloured = TtyDir::None;
    while (reader.next(&r)) {
        if (g_interrupted) {
            res.interrupted = true;
            break;
        }
        if (r.op != TtyOp::Write || !sel.shows(r.dir)) continue;
        if (r.piece_offset == 0) {
            if (delays && prev != kNoTime && r.ts > prev) {
                const double gap = static_cast<double>(r.ts - prev) / 1e6 / a.speed;
                if (!out.flush()) break;
                if (!pause_for(std::min(gap, a.max_delay))) {
                    res.interrupted = true;
                    break;
                }
            }
            prev = r.ts;
        }
        buf.clear();
        const bool want_colour = colour && r.dir != TtyDir::Output;
        if (want_colour && coloured != r.dir) buf.append(r.dir == TtyDir::Input ? "\x1b[33m" : "\x1b[36m");
        if (!want_colour && coloured != TtyDir::None) buf.append("\x1b[0m");
        coloured = want_colour ? r.dir : TtyDir::None;
        TermFilter& f = filters[static_cast<int>(r.dir)];
        if (mark_input && r.dir != TtyDir::Interact) {
            piece.clear();
            f.feed(r.data, piece);
            if (r.dir == TtyDir::Input)
                typed.feed(piece, out.last(), buf);
            else
                typed.output(piece, buf);
        } else {
            f.feed(r.data, buf);
        }
        // The exec command has no newline of its own; the output follows on the next line.
        if (r.dir == TtyDir::Interact && r.last_piece && (r.data.empty() || r.data.back() != '\n')) f.feed("\n", buf);
        if (!out.write(buf)) break;
        if (delays && !out.flush()) break;
    }
    buf.clear();
    if (coloured != TtyDir::None) buf.append("\x1b[0m");
    for (auto& f : filters) f.finish(buf);
    if (mark_input) typed.finish(out.last(), buf);
    out.write(buf);
    res.status = reader.status();
    res.message = reader.message();
    if (out.failed() && !out.broken_pipe()) res.write_failed = true;
    return res;
}

// Exports the recordings as one asciicast v2 file.
// The cast's start: the first record of the earliest recording (0 when none has one).
Micros first_record_time(const std::vector<Recording>& recs) {
    Micros start = kNoTime;
    for (const auto& rec : recs) {
        TtyReader probe(rec.path, 4096);
        TtyRecord r;
        if (probe.next(&r) && (start == kNoTime || r.ts < start)) start = r.ts;
    }
    return start == kNoTime ? 0 : start;
}

// The cast's text on its way to the file, written a MiB at a time; remembers the first error.
struct CastOut {
    FILE* f;
    std::string buf;
    bool ok = true;
    int err = 0;
    void flush() {
        if (ok && !buf.empty() && std::fwrite(buf.data(), 1, buf.size(), f) != buf.size()) ok = false, err = errno;
        buf.clear();
    }
};

// One recording's selected records as "o" events, times counted from `base`; `t` is the time of
// the last event written. Damaged recordings are reported and raise *worst.
void cast_recording(const Recording& rec, const ReplayArgs& a, const Selection& sel, Micros base, AsciicastWriter& w,
                    CastOut& out, double& t, int* worst) {
    TtyReader reader(rec.path);
    reader.set_max_bytes(a.limits.max_recording_bytes);
    TtyRecord r;
    while (out.ok && reader.next(&r)) {
        if (r.op != TtyOp::Write || !sel.shows(r.dir)) continue;
        t = static_cast<double>(r.ts - base) / 1e6;
        if (r.dir == TtyDir::Interact && r.last_piece && (r.data.empty() || r.data.back() != '\n')) {
            std::string line(r.data);  // the exec command, then a new line for its output
            line.push_back('\n');
            w.output(t, line, static_cast<int>(r.dir), out.buf);
        } else {
            w.output(t, r.data, static_cast<int>(r.dir), out.buf);
        }
        if (out.buf.size() > (std::size_t{1} << 20)) out.flush();
    }
    if (tty_status_damaged(reader.status()) || reader.status() == TtyStatus::NotTtyLog) {
        note(shown(rec.path) + ": " + shown(reader.message()));
        *worst = std::max(*worst, reader.status() == TtyStatus::NotTtyLog ? int(kExitUsage) : int(kExitSkipped));
    } else if (reader.status() == TtyStatus::NoClose) {
        note(shown(rec.path) + ": " + shown(reader.message()));
    }
}

int export_cast(const std::vector<Recording>& recs, const ReplayArgs& a, const Selection& sel, int width, int height,
                const std::string& title, int* worst) {
    const bool to_stdout = a.asciicast == "-";
    const std::string tmp = a.asciicast + ".tmp";  // renamed when complete: never a half-written cast
    FILE* f = to_stdout ? stdout : std::fopen(tmp.c_str(), "wb");
    if (!f) {
        note("cannot write " + shown(a.asciicast) + ": " + std::strerror(errno));
        return kExitFatal;
    }
    const Micros start = first_record_time(recs);  // event times count from it
    AsciicastWriter w;
    CastOut out{f, {}};
    AsciicastHeader h;
    h.width = width > 0 ? width : 80;
    h.height = height > 0 ? height : 24;
    h.timestamp = start / kMicrosPerSecond;
    h.idle_time_limit = a.max_delay;
    h.title = title;
    w.header(h, out.buf);
    double t = 0;
    for (const auto& rec : recs) cast_recording(rec, a, sel, start, w, out, t, worst);
    w.finish(t, out.buf);
    out.flush();
    if ((to_stdout ? std::fflush(f) : std::fclose(f)) != 0 && out.ok) out.ok = false, out.err = errno;
    if (out.ok && !to_stdout && std::rename(tmp.c_str(), a.asciicast.c_str()) != 0) out.ok = false, out.err = errno;
    if (!out.ok) {
        if (!to_stdout) std::remove(tmp.c_str());
        note("cannot write " + shown(a.asciicast) + ": " + std::strerror(out.err ? out.err : EIO));
        return kExitFatal;
    }
    return kExitClean;
}

// What to replay: the recordings, and what the session's log says about them.
struct ReplayPlan {
    std::vector<Recording> recs;
    int width = -1, height = -1;
    std::string title;
    int worst = kExitClean;  // the worst exit code so far (recordings not found)
};

// The JSON logs to look a session id up in (--log, or the folder above --tty-dir or the
// current one); `where` names them for messages.
std::vector<std::string> logs_to_search(const ReplayArgs& a, std::string* where) {
    std::vector<std::string> logs;
    if (!a.log.empty()) {
        *where = a.log;
        InputSet set = expand_inputs({a.log});
        for (const auto& p : set.problems) note("replay: " + shown(p.path) + ": " + shown(p.reason));
        for (const auto& f : set.files)
            if (f.kind == FileKind::JsonLog) logs.push_back(f.path);
        return logs;
    }
    fs::path dir = a.tty_dir.empty() ? fs::path(".") : clean_dir(a.tty_dir).parent_path();
    if (dir.empty()) dir = ".";
    *where = dir.string();
    logs = json_logs_in(dir);
    // Cowrie's own layout: var/lib/cowrie/tty beside var/log/cowrie.
    if (logs.empty() && dir.filename() == "cowrie" && dir.parent_path().filename() == "lib") {
        const fs::path alt = dir.parent_path().parent_path() / "log" / "cowrie";
        logs = json_logs_in(alt);
        if (!logs.empty()) *where = alt.string();
    }
    return logs;
}

// Each recording the log names, found on disk (or reported missing).
void add_found_recordings(const ReplayArgs& a, const SessionRecordings& found, ReplayPlan& plan) {
    const std::string tty_dir = a.tty_dir.empty() ? "" : clean_dir(a.tty_dir).string();
    for (const auto& ref : found.ttylogs) {
        const std::string path = locate_recording(ref, tty_dir);
        if (ref.duplicate)
            note("replay: " + shown(ref.ttylog) +
                 " is a duplicate: Cowrie kept only the first recording of this input" +
                 (ref.first_session.empty() ? std::string() : " (session " + shown(ref.first_session) + ")") +
                 ", so timing and output are that session's");
        if (path.empty()) {
            std::string looked;
            for (const auto& c : recording_candidates(ref, tty_dir)) looked += (looked.empty() ? "" : ", ") + c;
            note("replay: recording " + shown(ref.ttylog) + " of session " + shown(a.target) +
                 " not found (looked at " + shown(looked) + "); give --tty-dir");
            plan.worst = std::max(plan.worst, int(kExitSkipped));
            continue;
        }
        plan.recs.push_back({path, ref, true});
    }
}

// A session id (of `sensor` only, when given): its cowrie.log.closed events name the recordings.
// kExitClean or kExitUsage.
int plan_session(const ReplayArgs& a, ReplayPlan& plan, const std::string& session, const std::string& sensor = {}) {
    std::string where;
    const std::vector<std::string> logs = logs_to_search(a, &where);
    if (logs.empty()) {
        note("replay: " + shown(a.target) + " is not a file, and no Cowrie JSON log (cowrie.json*) was found in " +
             shown(where) + " to look it up as a session id; give --log DIR-or-file or --tty-dir DIR");
        return kExitUsage;
    }
    const SessionRecordings found = find_session_recordings(logs, session, sensor);
    for (const auto& p : found.problems) note("replay: " + shown(p));
    if (!found.session_seen) {
        note("replay: " + std::string(sensor.empty() ? "session " : "no such recording file, and session ") +
             shown(a.target) + " not found in " + std::to_string(logs.size()) + " JSON log(s) under " + shown(where));
        return kExitUsage;
    }
    if (found.ttylogs.empty()) {
        note("replay: session " + shown(a.target) +
             " has no TTY recording (no cowrie.log.closed event: no shell or exec channel, or ttylog disabled)");
        return kExitUsage;
    }
    if (found.sensors.size() > 1)
        note("replay: session id " + shown(a.target) + " occurs on " + std::to_string(found.sensors.size()) +
             " sensors; replaying the recordings of all of them");
    plan.width = found.width;
    plan.height = found.height;
    plan.title = "cowrie session " + a.target;
    add_found_recordings(a, found, plan);
    return plan.recs.empty() ? kExitUsage : kExitClean;
}

// The target is a recording file, a shasum under --tty-dir, or a session id (SESSION or
// SENSOR/SESSION).
int plan_replay(const ReplayArgs& a, ReplayPlan& plan) {
    std::error_code ec;
    if (fs::is_regular_file(a.target, ec)) {
        plan.recs.push_back({a.target, {}, false});
    } else if (fs::is_directory(a.target, ec)) {
        note("replay: " + shown(a.target) + " is a folder; give a recording file, or a session id with --tty-dir");
        return kExitUsage;
    } else if (const auto slash = a.target.rfind('/');
               slash != std::string::npos && slash > 0 && slash + 1 < a.target.size() && !fs::exists(a.target, ec)) {
        // SENSOR/SESSION, as hints.json, the report and sessions.jsonl name sessions
        return plan_session(a, plan, a.target.substr(slash + 1), a.target.substr(0, slash));
    } else if (a.target.find('/') != std::string::npos || fs::exists(a.target, ec)) {
        note("replay: " + shown(a.target) + ": no such recording file");
        return kExitUsage;
    } else if (!a.tty_dir.empty() && fs::is_regular_file(clean_dir(a.tty_dir) / a.target, ec)) {
        plan.recs.push_back({(clean_dir(a.tty_dir) / a.target).string(), {}, false});  // a shasum
    } else {
        return plan_session(a, plan, a.target);
    }
    return kExitClean;
}

// How a recording's end status counts: the exit code it asks for (kExitClean when fine).
int report_status(const Recording& rec, const PlayResult& res) {
    switch (res.status) {
        case TtyStatus::Ok:
            return kExitClean;
        case TtyStatus::NoClose:
            note(shown(rec.path) + ": " + shown(res.message));
            return kExitClean;
        case TtyStatus::NotTtyLog:
            note(shown(rec.path) + ": " + shown(res.message));
            return kExitUsage;
        default:
            note(shown(rec.path) + ": " + std::string(tty_status_name(res.status)) + ": " + shown(res.message) +
                 "; replayed up to there");
            return kExitSkipped;
    }
}

// Plays the recordings one after the other to stdout; returns the worst exit code.
int play_all(const ReplayPlan& plan, const ReplayArgs& a, Selection sel) {
    const auto& recs = plan.recs;
    int worst = plan.worst;
    const bool tty = ::isatty(1);
    sel.mark_input = sel.input && sel.output && !tty;
    const EscapePolicy policy = a.escapes == "safe"    ? EscapePolicy::Safe
                                : a.escapes == "strip" ? EscapePolicy::Strip
                                : tty                  ? EscapePolicy::Safe
                                                       : EscapePolicy::Strip;
    const bool delays = !a.no_delay && a.max_delay > 0 && (tty || a.speed_given);
    const bool colour = policy == EscapePolicy::Safe && tty && !std::getenv("NO_COLOR");
    Output out(stdout);
    g_interrupted = 0;
    auto old_handler = std::signal(SIGINT, on_sigint);
    for (std::size_t i = 0; i < recs.size(); ++i) {
        const auto& rec = recs[i];
        if (recs.size() > 1 || rec.from_log) {
            std::string what =
                "recording " + std::to_string(i + 1) + " of " + std::to_string(recs.size()) + ": " + shown(rec.path);
            if (rec.from_log) what += " (closed " + format_timestamp(rec.ref.ts) + ")";
            if (tty && out.last() != '\n') out.write("\n");
            out.flush();
            note(what);
        }
        const PlayResult res = play(rec.path, a, sel, policy, delays, colour, out);
        if (tty && out.last() != '\n') out.write("\n");  // leave the prompt on a line of its own
        out.flush();
        if (res.interrupted || res.write_failed) {
            std::signal(SIGINT, old_handler);
            note(res.interrupted ? std::string("replay: interrupted")
                                 : "replay: cannot write to stdout: " + std::string(std::strerror(errno)));
            return res.interrupted ? kExitInterrupted : kExitFatal;
        }
        if (out.broken_pipe()) break;
        worst = std::max(worst, report_status(rec, res));
    }
    std::signal(SIGINT, old_handler);
    return worst;
}

int run_replay(const ReplayArgs& a) {
    if (a.input && a.both) {
        note("replay: --input and --both exclude each other");
        return kExitUsage;
    }
    if (!(a.speed > 0) || !(a.max_delay >= 0)) {
        note("replay: --speed must be > 0 and --max-delay >= 0");
        return kExitUsage;
    }
    ReplayPlan plan;
    if (const int rc = plan_replay(a, plan); rc != kExitClean) return rc;
    Selection sel;
    if (a.input) sel = {false, true};
    if (a.both) sel = {true, true};
    if (!a.asciicast.empty()) {
        const int rc = export_cast(plan.recs, a, sel, plan.width, plan.height, plan.title, &plan.worst);
        return rc != kExitClean ? rc : plan.worst;
    }
    return play_all(plan, a, sel);
}

}  // namespace

void add_replay_command(CLI::App& app, int* exit_code) {
    auto a = std::make_shared<ReplayArgs>();
    CLI::App* cmd = app.add_subcommand("replay", "Replay a Cowrie TTY recording (a file, or a session id) safely");
    cmd->footer(
        "FILE is a recording (var/lib/cowrie/tty/<sha256>); SESSION is a session id or SENSOR/SESSION (as "
        "hints.json and the report name sessions), looked up in the JSON log "
        "(--log, default: cowrie.json* in the parent of --tty-dir, else the current folder). Terminal escapes "
        "from the recording are filtered: only text, CR/LF/TAB/BS, colours and simple cursor moves reach the "
        "terminal (docs/CLI.md). Exit codes: 0 replayed; 1 recording damaged or missing, replayed partly; "
        "2 usage error, not a recording, or session not found; 3 cannot write; 130 Ctrl-C.");
    cmd->add_option("target", a->target,
                    "Recording file, its SHA-256 name (with --tty-dir), or a session id (SESSION or SENSOR/SESSION)")
        ->required();
    cmd->add_option("--tty-dir", a->tty_dir, "Folder of the recordings (default: tty/ next to the JSON log)");
    cmd->add_option("--log", a->log, "JSON log file or folder to look the session up in");
    auto* speed = cmd->add_option("--speed", a->speed, "Play X times faster (default 1)");
    auto* nodelay = cmd->add_flag("--no-delay", a->no_delay, "No pauses (the default when stdout is not a terminal)");
    speed->excludes(nodelay);
    cmd->add_option("--max-delay", a->max_delay, "Longest pause in seconds, like Cowrie's playlog -m; 0: none")
        ->capture_default_str();
    auto* input = cmd->add_flag("--input", a->input, "Show what the attacker typed instead of the output");
    auto* both = cmd->add_flag("--both", a->both, "Show input and output");
    input->excludes(both);
    cmd->add_option("--asciicast", a->asciicast, "Write asciicast v2 to OUT.cast ('-' for stdout) instead of playing");
    cmd->add_option("--escapes", a->escapes,
                    "safe: keep colours and simple cursor moves; strip: plain text; auto: safe on a terminal, "
                    "strip otherwise")
        ->check(CLI::IsMember({"auto", "safe", "strip"}))
        ->capture_default_str();
    add_limit_options(cmd, &a->limits, kRecordingLimit);
    cmd->callback([a, speed, exit_code] {
        a->speed_given = speed->count() > 0;
        *exit_code = run_replay(*a);
    });
}

}  // namespace cb::cli
