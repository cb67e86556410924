// hints.json: a catalogue of rules that turn evidence in the logs (and the sensor's cowrie.cfg,
// when given) into concrete changes to the honeypot. Each hint carries its evidence.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

#include "cb/analysis/compact_state.hpp"
#include "cb/parse/command_names.hpp"
#include "cb/util/json_writer.hpp"
#include "cb/util/text.hpp"
#include "factories.hpp"

namespace cb::analyses {

namespace {

// Commands attackers use to test for a honeypot, and the setting that decides what they see.
struct Probe {
    const char* id;
    const char* what;
    std::vector<std::string_view> needles;  // substrings of the raw command line
    const char* recommendation;
    bool random_applet = false;  // matches `busybox <a name no busybox has>` instead of needles
};

// `busybox WORD` (any path) where WORD is no real applet or command: Mirai's applet check.
bool runs_random_applet(std::string_view line) {
    for (std::size_t p = line.find("busybox "); p != std::string_view::npos; p = line.find("busybox ", p + 8)) {
        std::string_view rest = line.substr(p + 8);
        while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
        const std::string_view word = rest.substr(0, rest.find_first_of(" ;|&)'\"\n"));
        if (!word.empty() && !is_known_command(word)) return true;
    }
    return false;
}

const std::vector<Probe>& probes() {
    static const std::vector<Probe> p = {
        {"probe-uname",
         "uname (kernel and host name)",
         {"uname"},
         "Set [shell] kernel_version, kernel_build_string, hardware_platform and operating_system in cowrie.cfg to a "
         "current kernel of the distribution you imitate (defaults: 3.2.0-4-amd64 before v3.0, 6.1.0-21-amd64 since), "
         "and [honeypot] hostname (default svr04)."},
        {"probe-cpuinfo",
         "/proc/cpuinfo, lscpu, nproc",
         {"/proc/cpuinfo", "lscpu", "nproc"},
         "Replace /proc/cpuinfo in the honeypot file system (honeyfs, or data/fs.pickle since v3.0): the old default "
         "Intel Core2 Duo E8200 @ 2.66GHz with cpu MHz 2133.304 is on public detection lists; keep lscpu and nproc "
         "(txtcmds) consistent with it."},
        {"probe-home",
         "ls /home (looking for richard and phil)",
         {"ls /home", "/home/richard", "richard", "phil"},
         "Remove the default users phil (/etc/passwd, /home/phil) and richard (1.x) from the honeypot file system; "
         "botnets such as ZHtrap compare ls /home against them."},
        {"probe-mounts",
         "/proc/mounts",
         {"/proc/mounts"},
         "Make /proc/mounts in the honeyfs show the writable tmpfs mounts (/dev/shm, /run, /tmp) of a real host; bots "
         "read it to pick a writable folder and leave when none fits."},
        {"probe-echo-escape",
         "echo -e / echo -ne with \\x escapes",
         {"echo -e", "echo -ne", "echo -en"},
         "Check that Cowrie's echo prints escape sequences exactly as busybox/bash do (e.g. echo -ne '\\x45\\x4c\\x46' "
         "prints ELF); Hajime- and Mirai-like bots test this before sending a payload."},
        {"probe-busybox",
         "busybox with a random applet name",
         {},
         "Check the answer to unknown busybox applets (Mirai expects '<APPLET>: applet not found') and that busybox "
         "lists applets a real device would have.",
         true},
        {"probe-ssh-v",
         "ssh -V",
         {"ssh -V"},
         "Make [shell] ssh_version agree with the SSH banner [ssh] version: Cowrie's default prints OpenSSH_7.9p1 "
         "while announcing OpenSSH_9.2p1."},
        {"probe-ping",
         "ping",
         {"ping "},
         "Cowrie's ping answers names from the fixed address 29.89.32.244; consider making ping fail like a host "
         "without ICMP egress."},
        {"probe-ifconfig",
         "ifconfig, ip addr",
         {"ifconfig", "ip a"},
         "Set [honeypot] internet_facing_ip so ifconfig shows a plausible address; the net-tools output with fixed "
         "counters is dated."},
        {"probe-meminfo",
         "free, /proc/meminfo",
         {"free -", "/proc/meminfo"},
         "Change /proc/meminfo (MemTotal 4054744 kB has been the default for years) in the honeyfs."},
    };
    return p;
}

constexpr std::size_t kExamples = 5;

// A probe counted on steps: shell sessions that left right after it against those that went on.
struct ProbeStat {
    std::uint64_t sessions = 0;          // sessions that ran it (any channel, markers included)
    std::uint64_t exec_sessions = 0;     // ... on exec channels (closing after it is by design)
    std::uint64_t left_right_after = 0;  // shell sessions whose last step runs it and that left
    std::uint64_t went_on = 0;           // shell sessions that ran another step after it
    std::vector<std::string> examples;   // smallest ids of sessions that left right after, else that ran it
    std::vector<std::string> ran_examples;
    template <class Ar>
    void io(Ar& ar) {
        ar(sessions, exec_sessions, left_right_after, went_on, examples, ran_examples);
    }
};

// Adds v to a set that keeps only its `cap` smallest values: the same set whatever the order in
// which values come and states merge (the Analysis contract; an incremental run counts its new
// sessions after the checkpoint's old ones).
template <class Set>
void keep_smallest_values(Set& set, std::string_view v, std::size_t cap) {
    if (set.size() >= cap && !(v < std::string_view(*set.rbegin()))) return;
    if (set.find(v) != set.end()) return;
    set.emplace(v);
    if (set.size() > cap) set.erase(std::prev(set.end()));
}

// Root logins on one sensor: the default userdb accepts any root password but root and 123456.
// Cowrie's default list is deterministic: any other root password always succeeds, so a sensor
// that also rejects other root passwords, or accepts root/root, runs another policy. AuthRandom
// (T-Pot's default) accepts after a few tries per client, so one password is both accepted
// and rejected; a custom list rejects others consistently.
struct RootPolicy {
    std::set<std::string, std::less<>> passwords;  // distinct accepted root passwords (the smallest, capped)
    std::set<std::string, std::less<>> rejected;   // distinct rejected root passwords (the smallest, capped)
    std::uint64_t accepted = 0;                    // accepted root logins
    std::uint64_t default_rejects = 0;             // root/root or root/123456 rejected
    std::uint64_t honeypot_rejects = 0;            // a /honeypot/i password rejected (the default list does)
    std::uint64_t excluded_accepted = 0;           // root/root or root/123456 accepted
    std::uint64_t other_rejects = 0;               // any other root password rejected
    std::vector<std::string> examples;
    template <class Ar>
    void io(Ar& ar) {
        ar(passwords, rejected, accepted, default_rejects, honeypot_rejects, excluded_accepted, other_rejects,
           examples);
    }
    void merge(RootPolicy& o) {
        for (auto& p : o.passwords) keep_smallest_values(passwords, p, kMaxKeptPasswords);
        for (auto& p : o.rejected) keep_smallest_values(rejected, p, kMaxKeptPasswords);
        accepted += o.accepted;
        default_rejects += o.default_rejects;
        honeypot_rejects += o.honeypot_rejects;
        excluded_accepted += o.excluded_accepted;
        other_rejects += o.other_rejects;
        for (auto& e : o.examples) cb::keep_smallest(examples, e, 5);
    }
    std::size_t both_ways() const {  // passwords accepted for one login and rejected for another
        std::size_t n = 0;
        for (const auto& p : passwords) n += rejected.count(p);
        return n;
    }
    // The default list: nothing refused but root, 123456 and /honeypot/i, give or take a little noise.
    bool is_default_list() const {
        return passwords.size() >= 3 && excluded_accepted == 0 &&
               other_rejects <= std::max<std::uint64_t>(2, accepted / 50);
    }
    static constexpr std::size_t kMaxKeptPasswords = 100000;
};

bool excluded_by_default(std::string_view password) { return password == "root" || password == "123456"; }

// Cowrie's default list also refuses passwords matching /honeypot/i.
bool refused_by_default(std::string_view password) {
    std::string lower(password);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return excluded_by_default(password) || lower.find("honeypot") != std::string::npos;
}

constexpr std::size_t kMaxKept = 100000;

void keep_smallest(std::vector<std::string>& v, const std::string& id) { cb::keep_smallest(v, id, kExamples); }

const std::string kOldBanner = "SSH-2.0-OpenSSH_6.0p1 Debian-4+deb7u2";

// A count or a real as the tables write it (reals with 4 decimals), for evidence fields.
std::string num(std::uint64_t n) { return std::to_string(n); }
std::string num(double x) { return format_number(x, 4); }

// What an unknown command name is (failed_commands.csv's first word).
enum class CommandKind : std::uint8_t { Command, ShellConstruct, DeviceCli, Dropped, Other };

CommandKind classify_command(std::string_view name) {
    static const std::set<std::string_view> kShellWords = {
        "while", "for",  "if",       "until",  "case",  "do",       "done", "then", "fi", "else",
        "elif",  "esac", "function", "select", "break", "continue", "{",    "}",    "[[", "]]"};
    // Router and device CLIs (Cisco/Huawei/ZTE shells, MikroTik RouterOS paths): Mirai-family
    // bots try them on every target.
    static const std::set<std::string_view> kDeviceWords = {
        "enable", "system",  "shell", "linuxshell",  "start", "config",     "configure", "terminal",
        "show",   "display", "cli",   "development", "cmd",   "exit_shell", "ping_shell"};
    if (kShellWords.count(name)) return CommandKind::ShellConstruct;
    if (kDeviceWords.count(name)) return CommandKind::DeviceCli;
    // /ip, /system: RouterOS paths (no Linux command lives in /)
    if (name.size() > 1 && name[0] == '/' && name.find('/', 1) == std::string_view::npos) return CommandKind::DeviceCli;
    if (name.rfind("./", 0) == 0) return CommandKind::Dropped;  // runs a file the attacker dropped
    const auto slash = name.rfind('/');
    const std::string_view base = slash == std::string_view::npos ? name : name.substr(slash + 1);
    return is_known_command(base) ? CommandKind::Command : CommandKind::Other;
}

std::vector<std::string> split_ids(const std::string& ids) {
    std::vector<std::string> v;
    for (std::size_t p = 0; p < ids.size();) {
        auto e = ids.find(';', p);
        if (e == std::string::npos) e = ids.size();
        if (e > p) v.push_back(ids.substr(p, e - p));
        p = e + 1;
    }
    return v;
}

// True when every next step in forks.csv's next_commands ("template:count;...") only cleans up
// (rm, history -c, unset, kill): a script's other way to end, not a way to go on.
bool only_cleanup(const std::string& next_commands) {
    bool any = false;
    for (const auto& entry : split_ids(next_commands)) {
        const std::string step = entry.substr(0, entry.rfind(':'));
        const std::string word = step.substr(0, step.find(' '));
        if (word != "rm" && word != "history" && word != "unset" && word != "kill" && word != "pkill") return false;
        any = true;
    }
    return any;
}

// Shell sessions that left right after a step against those that went on: counts, the share
// and its 95 % interval, as evidence fields.
std::string leave_evidence(double left, double went_on) {
    const auto l = static_cast<std::uint64_t>(left), o = static_cast<std::uint64_t>(went_on);
    const Interval ci = wilson(l, l + o);
    return ",\"left_right_after\":" + format_number(left, 0) + ",\"went_on\":" + format_number(went_on, 0) +
           ",\"left_rate\":" + (l + o ? format_number(left / (left + went_on), 3) : std::string("null")) +
           ",\"left_rate_low\":" + format_number(ci.low, 3) + ",\"left_rate_high\":" + format_number(ci.high, 3);
}

// Leaving is a reaction only against sessions of the same kind that went on: with fewer than
// three, a step everybody ends with is a script's end. Then, with `any_step` the share of
// shell sessions' steps that were the last before leaving: high, at least 10 left and the lower
// bound of the leaving share is at least max(0.3, 2 x any_step); medium, at least 5 left and a
// lower bound of at least 0.1 and above any_step; else `otherwise`.
constexpr double kMinWentOn = 3;
std::string leave_severity(double left, double went_on, const std::string& otherwise, double any_step) {
    const Interval ci = wilson(static_cast<std::uint64_t>(left), static_cast<std::uint64_t>(left + went_on));
    if (went_on < kMinWentOn) return otherwise;
    if (left >= 10 && ci.low >= std::max(0.3, 2 * any_step)) return "high";
    if (left >= 5 && ci.low >= 0.1 && ci.low > any_step) return "medium";
    return otherwise;
}

class Hints : public ArchivedAnalysis<Hints> {
public:
    Hints() : probes_(probes().size()) {}
    template <class Ar>
    void io(Ar& ar) {
        ar(sessions_, with_commands_, exec_sessions_, exec_single_, old_banner_, default_user_logins_, sensors_,
           root_policy_, users_ok_, old_banner_examples_, default_user_examples_, svr04_examples_, probes_,
           shell_steps_, shell_left_);
    }
    std::string_view name() const override { return "hints"; }

    void add(const SessionFacts& f) override {
        const Session& s = *f.s;
        ++sessions_;
        insert_absent(sensors_, s.sensor);
        if (s.sensor == "svr04") keep_smallest(svr04_examples_, f.id);
        if (s.client_version == kOldBanner) {
            ++old_banner_;
            keep_smallest(old_banner_examples_, f.id);
        }
        add_logins(f);
        if (f.commands.empty()) return;
        ++with_commands_;
        if (s.channel == Channel::Exec) {
            ++exec_sessions_;
            exec_single_ += f.commands.size() == 1 && s.closed;
        }
        if (s.channel == Channel::Shell && (f.left || !f.steps.text.empty())) {
            shell_steps_ += f.steps.text.size();
            shell_left_ += f.left && !f.steps.text.empty();
        }
        for (std::size_t p = 0; p < probes_.size(); ++p) add_probe(f, probes()[p], probes_[p]);
    }

    void merge(Analysis&& other) override {
        auto& o = static_cast<Hints&>(other);
        sessions_ += o.sessions_;
        with_commands_ += o.with_commands_;
        exec_sessions_ += o.exec_sessions_;
        exec_single_ += o.exec_single_;
        old_banner_ += o.old_banner_;
        default_user_logins_ += o.default_user_logins_;
        shell_steps_ += o.shell_steps_;
        shell_left_ += o.shell_left_;
        sensors_.merge(o.sensors_);
        for (auto& [sensor, pol] : o.root_policy_) root_policy_[sensor].merge(pol);
        for (auto& u : o.users_ok_) keep_smallest_values(users_ok_, u, kMaxKept);
        for (auto& e : o.old_banner_examples_) keep_smallest(old_banner_examples_, e);
        for (auto& e : o.default_user_examples_) keep_smallest(default_user_examples_, e);
        for (auto& e : o.svr04_examples_) keep_smallest(svr04_examples_, e);
        for (std::size_t p = 0; p < probes_.size(); ++p) {
            ProbeStat& a = probes_[p];
            ProbeStat& b = o.probes_[p];
            a.sessions += b.sessions;
            a.exec_sessions += b.exec_sessions;
            a.left_right_after += b.left_right_after;
            a.went_on += b.went_on;
            for (auto& e : b.examples) keep_smallest(a.examples, e);
            for (auto& e : b.ran_examples) keep_smallest(a.ran_examples, e);
        }
    }

    void finish(const AnalysisConfig& cfg, Findings& out) override {
        std::vector<Hint> hints = collect(cfg, out);
        std::stable_sort(hints.begin(), hints.end(), [](const Hint& a, const Hint& b) { return a.rank() < b.rank(); });
        out.tables.push_back(table(hints));
        out.hints = std::move(hints);
    }

private:
    // Every rule, in catalogue order (the sort by severity keeps it within a severity).
    std::vector<Hint> collect(const AnalysisConfig& cfg, const Findings& out) const {
        std::vector<Hint> hints;
        failed_command_hints(out, hints);
        fork_hints(out, hints);
        stall_hints(out, hints);
        lift_hints(out, hints);
        probe_hints(hints);
        login_hints(hints);
        banner_and_sensor_hints(hints);
        config_hints(cfg, hints);
        output_hints(out, hints);
        exec_hint(hints);
        hints.push_back({"limits-transport", "info", "What these logs cannot show",
                         "Transport-level fingerprinting (banner quirks, KEX order, malformed packets; see Vetterl and "
                         "Clayton, Bitter Harvest, WOOT 2018) needs no login and leaves at most a connect and a client "
                         "version in the log. Test the sensor from outside with public detectors (detect-kippo-cowrie, "
                         "honeydet, Metasploit's ssh_honeypot module).",
                         "Hints here come only from what attackers did after connecting.",
                         "{\"sessions\":" + std::to_string(sessions_) + "}"});
        return hints;
    }

    static Table table(const std::vector<Hint>& hints) {
        Table t{"hints", "concrete changes to the honeypot, most severe first (details in hints.json)", {}, {}};
        t.columns = {
            {"id", ColumnType::Text, "stable name of the hint (its rule, and its subject when there are several)"},
            {"severity", ColumnType::Text, "high, medium, low, info"},
            {"title", ColumnType::Text, "one line: what was seen"},
            {"recommendation", ColumnType::Text, "what to change on the honeypot"},
            {"evidence", ColumnType::Text, "JSON"}};
        for (const Hint& h : hints) t.rows.push_back({h.id, h.severity, h.title, h.recommendation, h.evidence_json});
        return t;
    }

    void add_logins(const SessionFacts& f) {
        const Session& s = *f.s;
        bool root_ok = false;
        for (const Item& it : s.items) {
            if (it.kind != ItemKind::Login || !it.c.empty()) continue;
            if (it.a == "root") {
                RootPolicy& pol = policy_of(s.sensor);
                const bool excluded = excluded_by_default(it.b);
                if (it.flag) {
                    ++pol.accepted;
                    pol.excluded_accepted += excluded;
                    keep_smallest_values(pol.passwords, it.b, RootPolicy::kMaxKeptPasswords);
                    if (!root_ok) keep_smallest(pol.examples, f.id);
                    root_ok = true;
                } else if (excluded || refused_by_default(it.b)) {
                    ++(excluded ? pol.default_rejects : pol.honeypot_rejects);
                    keep_smallest_values(pol.rejected, it.b, RootPolicy::kMaxKeptPasswords);
                } else {
                    ++pol.other_rejects;
                    keep_smallest_values(pol.rejected, it.b, RootPolicy::kMaxKeptPasswords);
                }
            }
            if (it.flag && (it.a == "phil" || it.a == "richard")) {
                ++default_user_logins_;
                keep_smallest(default_user_examples_, f.id);
            }
            if (it.flag) keep_smallest_values(users_ok_, it.a, kMaxKept);
        }
    }

    RootPolicy& policy_of(std::string_view sensor) {
        auto it = root_policy_.find(sensor);
        if (it == root_policy_.end()) it = root_policy_.emplace(std::string(sensor), RootPolicy{}).first;
        return it->second;
    }

    // A probe "ran" when any command line matches (markers included: a busybox marker is a
    // probe too); leaving is judged on steps of shell sessions only. A bot sees the output of a
    // whole line before it reacts, so a step is the check only when the check leads it: its
    // first part other than cd matches, or it has at most two such parts. A payload line that
    // ends in `echo -e '\x..'` is the payload, not an echo check.
    static void add_probe(const SessionFacts& f, const Probe& probe, ProbeStat& st) {
        auto matches = [&](std::string_view line) {
            if (probe.random_applet) return runs_random_applet(line);
            for (const std::string_view n : probe.needles)
                if (line.find(n) != std::string_view::npos) return true;
            return false;
        };
        if (std::none_of(f.commands.begin(), f.commands.end(), matches)) return;
        ++st.sessions;
        keep_smallest(st.ran_examples, f.id);
        if (f.s->channel == Channel::Exec) ++st.exec_sessions;
        if (f.s->channel != Channel::Shell) return;
        const auto& steps = f.steps.text;
        std::size_t last_match = SIZE_MAX;
        std::vector<Segment> segs;
        for (std::size_t i = 0; i < steps.size(); ++i)
            if (matches(steps[i]) && check_leads(steps[i], matches, segs)) last_match = i;
        if (last_match == SIZE_MAX) return;
        if (last_match + 1 < steps.size()) {
            ++st.went_on;
        } else if (f.left) {
            ++st.left_right_after;
            keep_smallest(st.examples, f.id);
        }
    }

    template <class Match>
    static bool check_leads(std::string_view step, const Match& matches, std::vector<Segment>& segs) {
        split_segments(step, segs);
        std::size_t parts = 0;
        bool first_matches = false;
        for (const Segment& g : segs) {
            if (g.text.empty() || g.text.substr(0, 3) == "cd " || g.text == "cd") continue;
            if (parts++ == 0) first_matches = matches(g.text);
        }
        return first_matches || parts <= 2;
    }

    static std::string examples_json(const std::vector<std::string>& ids) {
        std::string o = "[";
        for (std::size_t i = 0; i < ids.size(); ++i) {
            if (i) o.push_back(',');
            append_json_string(o, ids[i]);
        }
        return o + "]";
    }
    static std::string q(std::string_view s) {
        std::string o;
        append_json_string(o, s);
        return o;
    }

    // Unknown commands grouped by what they are: real commands Cowrie lacks, shell constructs
    // its parser does not run, router CLI words, and lines that are no command at all.
    void failed_command_hints(const Findings& out, std::vector<Hint>& hints) const {
        // Names that are no command to implement, gathered into one info hint per kind.
        std::map<CommandKind, std::pair<std::map<std::string, std::uint64_t>, std::vector<std::string>>> gathered;
        std::size_t implement = 0;
        for (const FailedCommandRow& r : out.failed_command_names) {  // most sessions first
            const std::string& name = r.name;
            const CommandKind kind = classify_command(name);
            if (kind == CommandKind::Dropped) continue;
            if (kind == CommandKind::DeviceCli || kind == CommandKind::Other) {
                auto& [counts, examples] = gathered[kind];
                counts[name] = r.sessions;
                for (const auto& id : r.examples) keep_smallest(examples, id);
                continue;
            }
            const auto sessions = static_cast<double>(r.sessions), left = static_cast<double>(r.left_after),
                       on = static_cast<double>(r.went_on);
            if (implement >= 10 || sessions < 3) continue;
            ++implement;
            const bool construct = kind == CommandKind::ShellConstruct;
            hints.push_back(
                {(construct ? "shell-construct-" : "implement-") + name, leave_severity(left, on, "low", step_hazard()),
                 construct ? "Support the shell construct " + name : "Implement the command " + name,
                 construct ? "Cowrie's shell reported '" + name +
                                 "' as an unknown command: its shell parser does not run this "
                                 "construct. Bots use it to read files they dropped; extend the "
                                 "shell (src/cowrie/shell/honeypot.py) or provide the command's "
                                 "expected output."
                           : "Cowrie answered 'command not found' for " + name +
                                 ", a real command on Linux or busybox. Add its output as a text command "
                                 "(txtcmds_path, one file per command) or write a command plugin under "
                                 "src/cowrie/commands/; implement what attackers run, not more.",
                 "Severity comes from shell sessions that left right after it against those that went on.",
                 "{\"sessions\":" + format_number(sessions, 0) + ",\"src_ips\":" + num(r.src_ips) +
                     leave_evidence(left, on) + ",\"example_sessions\":" + examples_json(r.examples) + "}"});
        }
        for (const auto& [kind, g] : gathered) {
            const std::string evidence = "{\"sessions_by_name\":" + q(top_counts(g.first, 10)) +
                                         ",\"example_sessions\":" + examples_json(g.second) + "}";
            if (kind == CommandKind::DeviceCli)
                hints.push_back({"device-cli", "info", "Bots type router and device CLI words",
                                 "Words such as enable, system, shell or RouterOS paths (/ip) are tried on every "
                                 "target; they fail on a real Linux host too. Nothing to implement unless the sensor "
                                 "imitates a router.",
                                 "", evidence});
            else
                hints.push_back({"not-commands", "info", "Lines that are no command reached the shell",
                                 "Prompt text, payload fragments and random probe names (one address, or a name no "
                                 "system has) failed as commands. They are not worth implementing.",
                                 "", evidence});
        }
    }

    // What the honeypot printed last to the shell sessions that left after a step (template), from
    // the TTY recordings given to analyze (last_output.csv): `,"honeypot_printed":...` or "".
    static std::string printed_evidence(const Findings& out, const std::string& step) {
        for (const LastOutputRow& r : out.last_output)
            if (r.command == step)
                return ",\"honeypot_printed\":{\"last_lines\":" + q(r.last_lines) +
                       ",\"sessions_with_recording\":" + num(r.sessions) + ",\"share\":" + num(r.share) + "}";
        return {};
    }

    // Steps after which sessions of the same script (the same steps so far, on shell channels)
    // split: some leave, others go on. The only rule that can say `high`.
    void fork_hints(const Findings& out, std::vector<Hint>& hints) const {
        const double h = step_hazard();
        std::size_t n = 0;
        for (const ForkRow& r : out.forks) {
            if (n >= 10) break;
            const auto stopped = static_cast<double>(r.stopped), cont = static_cast<double>(r.continued);
            const double low = r.stop_rate_low;
            // Both sides must be real: a script's normal end (nearly all stop) is no fork. And
            // leaving there must beat leaving after any step (the any-step rate).
            if (stopped < 5 || low < 0.05 || low <= h || cont < 3 || r.stop_rate > 0.9) continue;
            ++n;
            // One step in is not yet a script: many scripts share a first step. And the others must
            // really go on, not just end another way (a cleanup such as `rm .s`, then gone).
            const bool other_end = r.went_further < 5 && only_cleanup(r.next_commands);
            const bool strong = r.depth >= 2 && stopped >= 10 && cont >= 5 && low >= std::max(0.2, 2 * h) && !other_end;
            // Stops on some sensors, goes on on others: another Cowrie version or configuration
            // there (or the honeypot closing), not one script reacting.
            const bool between_sensors = r.stopped_where_others_went_on < 5;
            hints.push_back({"fork-" + std::to_string(n),
                             between_sensors ? "low"
                             : strong        ? "high"
                                             : "medium",
                             between_sensors
                                 ? "Scripts end after this step on some sensors and go on on others: " + r.command
                                 : "Scripts are cut short after: " + r.command,
                             "Sessions of the same script split here: some leave, the others go on. Look at what the "
                             "honeypot printed for this step (replay the example sessions' TTY logs, last_output.csv) "
                             "and compare with a real system; the step is a likely honeypot test.",
                             "Leaving can also be the script's own branch (e.g. nothing to do on this architecture).",
                             fork_evidence(out, r)});
        }
    }

    static std::string fork_evidence(const Findings& out, const ForkRow& r) {
        return "{\"channel\":" + q(r.channel) + ",\"depth\":" + num(r.depth) + ",\"prefix\":" + q(r.prefix) +
               ",\"reached\":" + num(r.reached) + ",\"stopped\":" + num(r.stopped) +
               ",\"continued\":" + num(r.continued) + ",\"went_further\":" + num(r.went_further) +
               ",\"stop_rate\":" + num(r.stop_rate) + ",\"stop_rate_low\":" + num(r.stop_rate_low) +
               ",\"stop_rate_high\":" + num(r.stop_rate_high) + ",\"next_steps\":" + q(r.next_commands) +
               ",\"campaigns\":" + q(r.campaigns) + ",\"stopped_by_sensor\":" + q(r.stopped_by_sensor) +
               ",\"continued_by_sensor\":" + q(r.continued_by_sensor) +
               ",\"stopped_where_others_went_on\":" + num(r.stopped_where_others_went_on) +
               printed_evidence(out, r.command) + ",\"example_sessions\":" + examples_json(r.examples) + "}";
    }

    // Steps after which sessions of one script wait in vain (idle timeout, or a late close) while
    // others of it go on: the bot expected an answer it did not get, often to the marker it
    // sent after the step. Never high: a slow network stalls too.
    void stall_hints(const Findings& out, std::vector<Hint>& hints) const {
        std::size_t n = 0;
        for (const ForkRow& r : out.forks) {
            if (n >= 5) break;
            const auto stalled = static_cast<double>(r.stalled), cont = static_cast<double>(r.continued);
            const Interval ci = wilson(r.stalled, r.stalled + r.continued);
            if (stalled < 5 || cont < kMinWentOn || ci.low < 0.1) continue;
            ++n;
            hints.push_back(
                {"stall-" + std::to_string(n), r.depth >= 2 ? "medium" : "low", "Bots wait in vain after: " + r.command,
                 "Sessions of the same script sent nothing more after this step and waited until they "
                 "were closed, while others went on. The bot expected an answer it did not get: compare "
                 "what Cowrie prints for the step and for the line sent after it (stalled_after, often "
                 "a marker such as /bin/busybox NAME, whose answer must be 'NAME: applet not found') "
                 "with a real system.",
                 "A slow or broken connection stalls too.",
                 "{\"prefix\":" + q(r.prefix) + ",\"reached\":" + num(r.reached) + ",\"stalled\":" + num(r.stalled) +
                     ",\"continued\":" + num(r.continued) + ",\"stall_rate_low\":" + format_number(ci.low, 3) +
                     ",\"stalled_after\":" + q(r.stalled_after) +
                     ",\"example_sessions\":" + examples_json(r.stalled_examples) + "}"});
        }
    }

    // Steps that end leaving sessions more often than chance. Lift compares with all
    // sessions, not with the same script, so it is never `high`; a step that every session
    // running it ends with is a script's end, not evidence.
    void lift_hints(const Findings& out, std::vector<Hint>& hints) const {
        std::size_t n = 0;
        for (const PredisconnectRow& r : out.predisconnect) {
            if (n >= 5) break;
            if (!r.is_template) continue;
            const auto left = static_cast<double>(r.left_last);
            const double went_on = static_cast<double>(r.sessions_with) - static_cast<double>(r.sessions_last);
            if (left < 5 || !(r.lift_low > 2) || went_on < kMinWentOn) continue;
            ++n;
            // Lift compares with all sessions, never with the same script on the same sensor: low.
            hints.push_back({"lift-" + std::to_string(n), "low", "Attackers leave after: " + r.command,
                             "This step is last in leaving shell sessions " + format_number(r.lift, 1) +
                                 " times as often as chance predicts. Check what the honeypot prints for it "
                                 "(TTY logs) against a real host.",
                             "Lift compares with all sessions, not with the same script: see forks.csv for steps "
                             "where sessions of one script split.",
                             "{\"command\":" + q(r.command) + ",\"sessions_with\":" + num(r.sessions_with) +
                                 ",\"left_last\":" + num(r.left_last) + ",\"went_on\":" + format_number(went_on, 0) +
                                 ",\"lift\":" + num(r.lift) + ",\"lift_low\":" + num(r.lift_low) +
                                 printed_evidence(out, r.command) +
                                 ",\"example_sessions\":" + examples_json(r.examples) + "}"});
        }
    }

    // Baseline: the chance that a random step of a shell session is the one it left after.
    double step_hazard() const {
        return shell_steps_ ? static_cast<double>(shell_left_) / static_cast<double>(shell_steps_) : 0;
    }

    void probe_hints(std::vector<Hint>& hints) const {
        const double h = step_hazard();
        for (std::size_t p = 0; p < probes_.size(); ++p) {
            const ProbeStat& st = probes_[p];
            if (st.sessions == 0) continue;
            const double left = static_cast<double>(st.left_right_after), on = static_cast<double>(st.went_on);
            const Interval ci = wilson(st.left_right_after, st.left_right_after + st.went_on);
            // A check nobody leaves after is no finding; one everybody ends with is a script's end.
            std::string sev = "info";
            if (st.left_right_after >= 10 && st.went_on >= kMinWentOn && ci.low >= std::max(0.3, 2 * h))
                sev = "high";
            else if (st.left_right_after >= 5 && st.went_on >= kMinWentOn && ci.low > h)
                sev = "medium";
            else if (st.left_right_after > 0 && left / (left + on) > h)
                sev = "low";
            hints.push_back({probes()[p].id, sev, std::string("Attackers check ") + probes()[p].what,
                             probes()[p].recommendation,
                             "Running a check is not proof of detection; shell sessions that left right after it, "
                             "against those that went on and against the leaving rate of any step, are the signal. "
                             "Exec channels close after their command by design and do not count.",
                             "{\"sessions\":" + std::to_string(st.sessions) +
                                 ",\"exec_sessions\":" + std::to_string(st.exec_sessions) + leave_evidence(left, on) +
                                 ",\"any_step_left_rate\":" + format_number(h, 3) + ",\"example_sessions\":" +
                                 examples_json(st.examples.empty() ? st.ran_examples : st.examples) + "}"});
        }
    }

    // Per sensor: sensors of one fleet can run different user databases.
    static std::string policy_json(const std::string& sensor, const RootPolicy& pol) {
        return "{\"sensor\":" + q(sensor) +
               ",\"distinct_root_passwords_accepted\":" + std::to_string(pol.passwords.size()) +
               ",\"root_logins_accepted\":" + std::to_string(pol.accepted) +
               ",\"root_root_or_123456_rejected\":" + std::to_string(pol.default_rejects) +
               ",\"honeypot_passwords_rejected\":" + std::to_string(pol.honeypot_rejects) +
               ",\"root_root_or_123456_accepted\":" + std::to_string(pol.excluded_accepted) +
               ",\"other_root_passwords_rejected\":" + std::to_string(pol.other_rejects) +
               ",\"passwords_accepted_and_rejected\":" + std::to_string(pol.both_ways()) +
               ",\"example_sessions\":" + examples_json(pol.examples) + "}";
    }

    // Per sensor: sensors of one fleet can run different user databases. The default list is
    // a tell (any root password but two); a random or custom policy that lets many passwords in
    // is only worth a note.
    void login_hints(std::vector<Hint>& hints) const {
        std::string defaults, permissive, others;
        std::vector<std::string> default_examples, permissive_examples;
        std::size_t n_default = 0;
        bool tell = false;
        for (const auto& [sensor, pol] : root_policy_) {
            std::string& list = pol.is_default_list() ? defaults : pol.passwords.size() >= 3 ? permissive : others;
            if (!list.empty()) list += ',';
            list += policy_json(sensor, pol);
            if (pol.is_default_list()) {
                ++n_default;
                // The tell needs both sides: root/root refused, and enough other passwords let in.
                tell = tell || (pol.default_rejects > 0 && pol.passwords.size() >= 10);
                for (const auto& e : pol.examples) keep_smallest(default_examples, e);
            } else if (pol.passwords.size() >= 3) {
                for (const auto& e : pol.examples) keep_smallest(permissive_examples, e);
            }
        }
        if (n_default > 0) {
            hints.push_back({"default-userdb", tell ? "high" : "medium",
                             n_default == root_policy_.size() ? "root logs in with almost any password"
                                                              : "root logs in with almost any password on some sensors",
                             "Cowrie's default user database accepts root with any password except root and 123456 "
                             "(and v3's userdb.example accepts any user). Write etc/userdb.txt with a few plausible "
                             "credentials, or use AuthRandom ([honeypot] auth_class) so acceptance is not universal.",
                             "The tell is that many different passwords succeed for root, none other is refused, and "
                             "root/root fails. Judged per sensor; sensors with another policy are listed apart.",
                             "{\"sensors\":[" + defaults + "],\"other_sensors\":[" + permissive +
                                 (permissive.empty() || others.empty() ? "" : ",") + others +
                                 "],\"distinct_users_accepted\":" + std::to_string(users_ok_.size()) +
                                 ",\"example_sessions\":" + examples_json(default_examples) + "}"});
        }
        if (!permissive.empty()) {
            hints.push_back(
                {"permissive-logins", "low", "root logs in with many passwords, but not Cowrie's default list",
                 "Many different root passwords succeed while others fail: a random policy (AuthRandom, "
                 "T-Pot's default, accepts a client after a few tries; then a password is both accepted "
                 "and rejected) or a custom list. Bots that retry a credential that worked, or that "
                 "expect a first try to fail, can see it; keep the policy consistent per client.",
                 "",
                 "{\"sensors\":[" + permissive + "],\"example_sessions\":" + examples_json(permissive_examples) + "}"});
        }
        if (default_user_logins_ > 0) {
            hints.push_back({"default-users", "medium", "Logins succeed for Cowrie's default users phil or richard",
                             "Remove phil (v2+) and richard (1.x) from the user database and the honeypot file system.",
                             "",
                             "{\"logins\":" + std::to_string(default_user_logins_) +
                                 ",\"example_sessions\":" + examples_json(default_user_examples_) + "}"});
        }
    }

    void banner_and_sensor_hints(std::vector<Hint>& hints) const {
        if (old_banner_ > 0) {
            hints.push_back(
                {"old-default-banner", "low", "Bots announce Cowrie's old default SSH banner as their own",
                 "Clients sent " + kOldBanner +
                     ", Cowrie's default server banner from 2014 to 2025: it is on every detection list. "
                     "Make sure [ssh] version on your sensors is not this string (nor the current default).",
                 "Seeing it as a client version does not prove your sensor uses it.",
                 "{\"sessions\":" + std::to_string(old_banner_) +
                     ",\"example_sessions\":" + examples_json(old_banner_examples_) + "}"});
        }
        if (sensors_.count("svr04")) {
            hints.push_back({"sensor-svr04", "high", "A sensor is named svr04, Cowrie's default host name",
                             "Set [honeypot] hostname (and sensor_name) to a name that fits the network.", "",
                             "{\"sensor\":\"svr04\",\"example_sessions\":" + examples_json(svr04_examples_) + "}"});
        }
    }

    void config_hints(const AnalysisConfig& cfg, std::vector<Hint>& hints) const {
        if (!cfg.have_cowrie_cfg) return;
        auto get = [&](const std::string& k) {
            auto it = cfg.cowrie_cfg.find(k);
            return it == cfg.cowrie_cfg.end() ? std::string() : it->second;
        };
        struct Check {
            const char* key;
            std::vector<const char*> defaults;  // empty value (not set) counts as default too
            const char* id;
            const char* title;
        };
        const Check checks[] = {
            {"honeypot.hostname", {"svr04"}, "cfg-hostname", "The host name is Cowrie's default svr04"},
            {"shell.kernel_version",
             {"3.2.0-4-amd64", "6.1.0-21-amd64"},
             "cfg-kernel",
             "The kernel version is a Cowrie default"},
            {"ssh.version",
             {"SSH-2.0-OpenSSH_6.0p1 Debian-4+deb7u2", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3"},
             "cfg-banner",
             "The SSH banner is a Cowrie default"},
            {"shell.ssh_version",
             {"OpenSSH_7.9p1, OpenSSL 1.1.1a  20 Nov 2018"},
             "cfg-ssh-version",
             "ssh -V prints Cowrie's default, which does not match the banner"},
        };
        for (const auto& c : checks) {
            const std::string v = get(c.key);
            bool is_default = v.empty();
            for (const char* d : c.defaults) is_default = is_default || v == d;
            if (!is_default) continue;
            const std::string dot = c.key;
            const std::string section = dot.substr(0, dot.find('.')), key = dot.substr(dot.find('.') + 1);
            hints.push_back({c.id, "high", c.title,
                             "Set [" + section + "] " + key +
                                 " in cowrie.cfg to a value of a real system of the kind "
                                 "you imitate.",
                             "", "{\"key\":" + q(c.key) + ",\"value\":" + (v.empty() ? "null" : q(v)) + "}"});
        }
        const std::string banner = get("ssh.version"), sshv = get("shell.ssh_version");
        auto openssh = [](const std::string& s) {
            const auto p = s.find("OpenSSH_");
            return p == std::string::npos ? std::string() : s.substr(p + 8, s.find_first_of(" ,-", p + 8) - p - 8);
        };
        if (!banner.empty() && !sshv.empty() && openssh(banner) != openssh(sshv)) {
            hints.push_back({"cfg-ssh-mismatch", "high", "The SSH banner and ssh -V disagree",
                             "Make [shell] ssh_version report the same OpenSSH version as [ssh] version.", "",
                             "{\"banner\":" + q(banner) + ",\"ssh_version\":" + q(sshv) + "}"});
        }
    }

    // From the TTY recordings: Cowrie defaults that attackers actually saw.
    void output_hints(const Findings& out, std::vector<Hint>& hints) const {
        static const std::map<std::string, std::string> kFix = {
            {"hostname-svr04", "Set [honeypot] hostname in cowrie.cfg (the prompt shows root@svr04)."},
            {"kernel-3.2.0-4", "Set [shell] kernel_version and kernel_build_string to a current kernel."},
            {"kernel-6.1.0-21", "Set [shell] kernel_version and kernel_build_string to a kernel of your own choice."},
            {"cpu-core2-e8200", "Replace /proc/cpuinfo in the honeyfs: the Core2 Duo E8200 is on detection lists."},
            {"cpu-xeon-e5-2680", "Replace /proc/cpuinfo (data/fs.pickle in v3) with another CPU."},
            {"ssh-v-7.9p1", "Make [shell] ssh_version match the SSH banner [ssh] version."},
            {"ping-29.89.32.244", "Cowrie's ping shows the fixed address 29.89.32.244; make ping fail or look real."},
            {"user-phil", "Remove the user phil from etc/passwd and /home in the honeyfs."},
            {"memtotal-4054744", "Change MemTotal in /proc/meminfo (and free's output)."},
        };
        for (const TtyTellRow& r : out.tty_tells) {
            auto fix = kFix.find(r.tell);
            hints.push_back(
                {"seen-" + r.tell, "high", "Attackers saw " + r.what,
                 fix == kFix.end() ? "Change this default." : fix->second,
                 "Found in the output of TTY recordings given to analyze.",
                 "{\"sessions\":" + num(r.sessions) + ",\"example_sessions\":[" + q(r.example_session) + "]}"});
        }
    }

    void exec_hint(std::vector<Hint>& hints) const {
        if (exec_sessions_ < 10) return;
        hints.push_back({"exec-one-command", "info", "Exec sessions close after one command",
                         "Cowrie ends an exec channel after its command, as OpenSSH does; bots that open several "
                         "channels on one connection see the difference. Nothing to configure; treat the last "
                         "command of exec sessions as no disconnect signal (predisconnect.csv separates them).",
                         "",
                         "{\"exec_sessions\":" + std::to_string(exec_sessions_) +
                             ",\"closed_after_one_command\":" + std::to_string(exec_single_) + "}"});
    }

    std::uint64_t sessions_ = 0, with_commands_ = 0, exec_sessions_ = 0, exec_single_ = 0, old_banner_ = 0;
    std::uint64_t default_user_logins_ = 0;
    std::uint64_t shell_steps_ = 0, shell_left_ = 0;  // steps of shell sessions, and those that left
    // Transparent comparator: look up by string_view, allocate only for a new value.
    std::set<std::string, std::less<>> sensors_, users_ok_;
    std::map<std::string, RootPolicy, std::less<>> root_policy_;  // by sensor
    std::vector<std::string> old_banner_examples_, default_user_examples_, svr04_examples_;
    std::vector<ProbeStat> probes_;
};

}  // namespace

std::unique_ptr<Analysis> make_hints() { return std::make_unique<Hints>(); }

}  // namespace cb::analyses
