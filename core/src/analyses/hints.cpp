// hints.json: a catalogue of rules that turn evidence in the logs (and the sensor's cowrie.cfg,
// when given) into concrete changes to the honeypot. Each hint carries its evidence.
#include <algorithm>
#include <cmath>
#include <set>

#include "cb/json_writer.hpp"
#include "cb/text.hpp"
#include "compact.hpp"
#include "factories.hpp"

namespace cb::analyses {

namespace {

// Commands attackers use to test for a honeypot, and the setting that decides what they see.
struct Probe {
    const char* id;
    const char* what;
    std::vector<std::string_view> needles;  // substrings of the raw command line
    const char* recommendation;
};

const std::vector<Probe>& probes() {
    static const std::vector<Probe> p = {
        {"probe-uname", "uname (kernel and host name)", {"uname"},
         "Set [shell] kernel_version, kernel_build_string, hardware_platform and operating_system in cowrie.cfg to a "
         "current kernel of the distribution you imitate (defaults: 3.2.0-4-amd64 before v3.0, 6.1.0-21-amd64 since), "
         "and [honeypot] hostname (default svr04)."},
        {"probe-cpuinfo", "/proc/cpuinfo, lscpu, nproc", {"/proc/cpuinfo", "lscpu", "nproc"},
         "Replace /proc/cpuinfo in the honeypot file system (honeyfs, or data/fs.pickle since v3.0): the old default "
         "Intel Core2 Duo E8200 @ 2.66GHz with cpu MHz 2133.304 is on public detection lists; keep lscpu and nproc "
         "(txtcmds) consistent with it."},
        {"probe-home", "ls /home (looking for richard and phil)", {"ls /home", "/home/richard", "richard", "phil"},
         "Remove the default users phil (/etc/passwd, /home/phil) and richard (1.x) from the honeypot file system; "
         "botnets such as ZHtrap compare ls /home against them."},
        {"probe-mounts", "/proc/mounts", {"/proc/mounts"},
         "Make /proc/mounts in the honeyfs show the writable tmpfs mounts (/dev/shm, /run, /tmp) of a real host; bots "
         "read it to pick a writable folder and leave when none fits."},
        {"probe-echo-escape", "echo -e / echo -ne with \\x escapes", {"echo -e", "echo -ne", "echo -en"},
         "Check that Cowrie's echo prints escape sequences exactly as busybox/bash do (e.g. echo -ne '\\x45\\x4c\\x46' "
         "prints ELF); Hajime- and Mirai-like bots test this before sending a payload."},
        {"probe-busybox", "busybox with a random applet name", {"busybox "},
         "Check the answer to unknown busybox applets (Mirai expects '<APPLET>: applet not found') and that busybox "
         "lists applets a real device would have."},
        {"probe-ssh-v", "ssh -V", {"ssh -V"},
         "Make [shell] ssh_version agree with the SSH banner [ssh] version: Cowrie's default prints OpenSSH_7.9p1 "
         "while announcing OpenSSH_9.2p1."},
        {"probe-ping", "ping", {"ping "},
         "Cowrie's ping answers names from the fixed address 29.89.32.244; consider making ping fail like a host "
         "without ICMP egress."},
        {"probe-ifconfig", "ifconfig, ip addr", {"ifconfig", "ip a"},
         "Set [honeypot] internet_facing_ip so ifconfig shows a plausible address; the net-tools output with fixed "
         "counters is dated."},
        {"probe-meminfo", "free, /proc/meminfo", {"free -", "/proc/meminfo"},
         "Change /proc/meminfo (MemTotal 4054744 kB has been the default for years) in the honeyfs."},
    };
    return p;
}

constexpr std::size_t kExamples = 5;

struct ProbeStat {
    std::uint64_t sessions = 0, left_right_after = 0;
    std::vector<std::string> examples;  // smallest ids of sessions that left right after
    template <class Ar>
    void io(Ar& ar) {
        ar(sessions, left_right_after, examples);
    }
};

void keep_smallest(std::vector<std::string>& v, const std::string& id) { cb::keep_smallest(v, id, kExamples); }

const std::string kOldBanner = "SSH-2.0-OpenSSH_6.0p1 Debian-4+deb7u2";

int col(const Table& t, std::string_view name) {
    for (std::size_t i = 0; i < t.columns.size(); ++i)
        if (t.columns[i].name == name) return static_cast<int>(i);
    return -1;
}
std::string text_of(const Cell& c) {
    if (auto s = std::get_if<std::string>(&c)) return *s;
    if (auto i = std::get_if<std::int64_t>(&c)) return std::to_string(*i);
    if (auto d = std::get_if<double>(&c)) return format_number(*d, 4);
    return {};
}
double num_of(const Cell& c) {
    if (auto i = std::get_if<std::int64_t>(&c)) return static_cast<double>(*i);
    if (auto d = std::get_if<double>(&c)) return *d;
    return NAN;
}

struct Hint {
    std::string id, severity, title, recommendation, caveat;
    std::string evidence_json;  // an object
    int rank() const { return severity == "high" ? 0 : severity == "medium" ? 1 : severity == "low" ? 2 : 3; }
};

class Hints : public ArchivedAnalysis<Hints> {
public:
    Hints() : probes_(probes().size()) {}
    template <class Ar>
    void io(Ar& ar) {
        ar(sessions_, with_commands_, exec_sessions_, exec_single_, old_banner_, root_default_rejects_,
           default_user_logins_, sensors_, root_passwords_, users_ok_, old_banner_examples_, root_examples_,
           default_user_examples_, probes_);
    }
    std::string_view name() const override { return "hints"; }

    void add(const SessionFacts& f) override {
        const Session& s = *f.s;
        ++sessions_;
        insert_absent(sensors_, s.sensor);
        if (s.client_version == kOldBanner) {
            ++old_banner_;
            keep_smallest(old_banner_examples_, f.id);
        }
        bool root_ok = false;
        for (const Item& it : s.items) {
            if (it.kind != ItemKind::Login || !it.c.empty()) continue;
            if (it.a == "root") {
                if (it.flag) {
                    if (root_passwords_.size() < 100000) insert_absent(root_passwords_, it.b);
                    root_ok = true;
                } else if (it.b == "root" || it.b == "123456") {
                    ++root_default_rejects_;
                }
            }
            if (it.flag && (it.a == "phil" || it.a == "richard")) {
                ++default_user_logins_;
                keep_smallest(default_user_examples_, f.id);
            }
            if (it.flag && users_ok_.size() < 100000) insert_absent(users_ok_, it.a);
        }
        if (root_ok) keep_smallest(root_examples_, f.id);
        if (f.commands.empty()) return;
        ++with_commands_;
        if (s.channel == Channel::Exec) {
            ++exec_sessions_;
            exec_single_ += f.commands.size() == 1 && s.closed;
        }
        const std::size_t last = f.commands.size() - 1;
        const auto& catalogue = probes();
        for (std::size_t p = 0; p < probes_.size(); ++p) {
            bool ran = false, ran_last = false;
            for (std::size_t i = 0; i < f.commands.size(); ++i) {
                for (const std::string_view n : catalogue[p].needles) {
                    if (f.commands[i].find(n) != std::string_view::npos) {
                        ran = true;
                        ran_last = ran_last || i == last;
                    }
                }
            }
            if (!ran) continue;
            ++probes_[p].sessions;
            if (ran_last && f.left) {
                ++probes_[p].left_right_after;
                keep_smallest(probes_[p].examples, f.id);
            }
        }
    }

    void merge(Analysis&& other) override {
        auto& o = static_cast<Hints&>(other);
        sessions_ += o.sessions_;
        with_commands_ += o.with_commands_;
        exec_sessions_ += o.exec_sessions_;
        exec_single_ += o.exec_single_;
        old_banner_ += o.old_banner_;
        root_default_rejects_ += o.root_default_rejects_;
        default_user_logins_ += o.default_user_logins_;
        sensors_.merge(o.sensors_);
        for (auto& p : o.root_passwords_)
            if (root_passwords_.size() < 100000) root_passwords_.insert(p);
        for (auto& u : o.users_ok_)
            if (users_ok_.size() < 100000) users_ok_.insert(u);
        for (auto& e : o.old_banner_examples_) keep_smallest(old_banner_examples_, e);
        for (auto& e : o.root_examples_) keep_smallest(root_examples_, e);
        for (auto& e : o.default_user_examples_) keep_smallest(default_user_examples_, e);
        for (std::size_t p = 0; p < probes_.size(); ++p) {
            probes_[p].sessions += o.probes_[p].sessions;
            probes_[p].left_right_after += o.probes_[p].left_right_after;
            for (auto& e : o.probes_[p].examples) keep_smallest(probes_[p].examples, e);
        }
    }

    void finish(const AnalysisConfig& cfg, Findings& out) override {
        std::vector<Hint> hints;
        failed_command_hints(out, hints);
        fork_hints(out, hints);
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
        std::stable_sort(hints.begin(), hints.end(), [](const Hint& a, const Hint& b) { return a.rank() < b.rank(); });

        std::string json;
        JsonWriter w(json);
        w.begin_object().field("hints_version", 1).key("hints").begin_array();
        Table t{"hints", "concrete changes to the honeypot, most severe first (details in hints.json)", {}, {}};
        t.columns = {{"id", ColumnType::Text, ""}, {"severity", ColumnType::Text, "high, medium, low, info"},
                     {"title", ColumnType::Text, ""}, {"recommendation", ColumnType::Text, ""},
                     {"evidence", ColumnType::Text, "JSON"}};
        for (const Hint& h : hints) {
            w.begin_object().field("id", h.id).field("severity", h.severity).field("title", h.title);
            json.append(",\"evidence\":");
            json.append(h.evidence_json);
            w.field("recommendation", h.recommendation);
            if (!h.caveat.empty()) w.field("caveat", h.caveat);
            w.end_object();
            t.rows.push_back({h.id, h.severity, h.title, h.recommendation, h.evidence_json});
        }
        w.end_array().end_object();
        json.push_back('\n');
        out.facts["hints.json"] = json;
        out.tables.push_back(std::move(t));
    }

private:
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

    void failed_command_hints(const Findings& out, std::vector<Hint>& hints) const {
        const Table* t = out.table("failed_commands");
        if (!t) return;
        const int c_name = col(*t, "name"), c_cmd = col(*t, "command"), c_s = col(*t, "sessions"),
                  c_rate = col(*t, "disconnect_after_rate"), c_ips = col(*t, "src_ips");
        // Group by command name: "implement X" is per command, not per argument list.
        std::map<std::string, std::pair<double, double>> by_name;  // sessions, leaving sessions
        std::map<std::string, std::string> example_cmd;
        std::map<std::string, double> ips;
        for (const auto& r : t->rows) {
            const std::string name = text_of(r[c_name]);
            // "./x" runs a file the attacker dropped: nothing to implement.
            if (name.empty() || name.rfind("./", 0) == 0) continue;
            const double n = num_of(r[c_s]);
            by_name[name].first += n;
            by_name[name].second += n * num_of(r[c_rate]);
            ips[name] = std::max(ips[name], num_of(r[c_ips]));
            if (!example_cmd.count(name)) example_cmd[name] = text_of(r[c_cmd]);
        }
        std::vector<std::pair<std::string, std::pair<double, double>>> v(by_name.begin(), by_name.end());
        std::stable_sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.second.first > b.second.first; });
        for (std::size_t i = 0; i < v.size() && i < 10; ++i) {
            const auto& [name, st] = v[i];
            if (st.first < 3) break;
            const double rate = st.second / st.first;
            const std::string sev = st.first >= 20 && rate >= 0.3 ? "high" : st.first >= 10 ? "medium" : "low";
            static const std::set<std::string> kShellWords = {"while", "for", "if", "until", "case", "do",
                                                                "done", "then", "fi", "function", "select"};
            const bool shell_word = kShellWords.count(name) > 0;
            hints.push_back({"implement-" + name, sev,
                             shell_word ? "Support the shell construct " + name : "Implement the command " + name,
                             shell_word ? "Cowrie's shell reported '" + name +
                                              "' as an unknown command: its shell parser does not run this "
                                              "construct. Bots use it to read files they dropped; extend the "
                                              "shell (src/cowrie/shell/honeypot.py) or provide the command's "
                                              "expected output."
                                        : "Cowrie answered 'command not found' for " + name +
                                              ". Add its output as a text command (txtcmds_path, one file per "
                                              "command) or write a command plugin under src/cowrie/commands/; "
                                              "implement what attackers run, not more.",
                             name.find('/') != std::string::npos || name.size() > 40
                                 ? "This may be a path or a payload fragment rather than a command."
                                 : "",
                             "{\"sessions\":" + format_number(st.first, 0) + ",\"src_ips\":" + format_number(ips.at(name), 0) +
                                 ",\"disconnect_after_rate\":" + format_number(rate, 3) +
                                 ",\"example_command\":" + q(example_cmd[name]) + "}"});
        }
    }

    void fork_hints(const Findings& out, std::vector<Hint>& hints) const {
        const Table* t = out.table("forks");
        if (!t) return;
        const int c_cmd = col(*t, "command"), c_prefix = col(*t, "prefix"), c_reached = col(*t, "reached"),
                  c_stop = col(*t, "stopped"), c_cont = col(*t, "continued"), c_rate = col(*t, "stop_rate"),
                  c_low = col(*t, "stop_rate_low"), c_ex = col(*t, "example_sessions"), c_ch = col(*t, "channel");
        std::size_t n = 0;
        for (const auto& r : t->rows) {
            if (n >= 5) break;
            const double stopped = num_of(r[c_stop]), low = num_of(r[c_low]);
            // Both sides must be real: a script's normal end (nearly all stop) is no fork.
            if (stopped < 5 || low < 0.05 || num_of(r[c_cont]) < 3 || num_of(r[c_rate]) > 0.9) continue;
            ++n;
            const std::string cmd = text_of(r[c_cmd]);
            std::string ex = "[";
            const std::string ids = text_of(r[c_ex]);
            for (std::size_t p = 0; p < ids.size();) {
                auto e = ids.find(';', p);
                if (e == std::string::npos) e = ids.size();
                if (ex.size() > 1) ex += ',';
                ex += q(ids.substr(p, e - p));
                p = e + 1;
            }
            ex += "]";
            hints.push_back({"fork-" + std::to_string(n), stopped >= 20 && low >= 0.2 ? "high" : "medium",
                             "Scripts are cut short after: " + cmd,
                             "Sessions of the same script split here: some leave, the others go on. Look at what the "
                             "honeypot printed for this step (replay the sessions' TTY logs) and compare with a real "
                             "system; the step is a likely honeypot test.",
                             "Leaving can also be the script's own branch (e.g. nothing to do on this architecture).",
                             "{\"channel\":" + q(text_of(r[c_ch])) + ",\"prefix\":" + q(text_of(r[c_prefix])) +
                                 ",\"reached\":" + text_of(r[c_reached]) + ",\"stopped\":" + text_of(r[c_stop]) +
                                 ",\"continued\":" + text_of(r[c_cont]) + ",\"stop_rate\":" + text_of(r[c_rate]) +
                                 ",\"stop_rate_low\":" + text_of(r[c_low]) + ",\"example_sessions\":" + ex + "}"});
        }
    }

    void lift_hints(const Findings& out, std::vector<Hint>& hints) const {
        const Table* t = out.table("predisconnect");
        if (!t) return;
        const int c_kind = col(*t, "kind"), c_cmd = col(*t, "command"), c_left = col(*t, "left_last"),
                  c_with = col(*t, "sessions_with"), c_lift = col(*t, "lift"), c_low = col(*t, "lift_low"),
                  c_exec = col(*t, "last_exec"), c_last = col(*t, "sessions_last");
        std::size_t n = 0;
        for (const auto& r : t->rows) {
            if (n >= 5) break;
            if (text_of(r[c_kind]) != "template") continue;
            // Ending with exit or logout is how sessions end, not a reaction to the honeypot.
            const std::string cmd = text_of(r[c_cmd]);
            const auto tail = cmd.substr(cmd.find_last_of(";&|") == std::string::npos ? 0 : cmd.find_last_of(";&|") + 1);
            if (tail.find("exit") != std::string::npos || tail.find("logout") != std::string::npos) continue;
            const double left = num_of(r[c_left]), low = num_of(r[c_low]);
            // Exec channels close after their command by protocol: that is no signal.
            if (left < 5 || !(low > 1.5) || num_of(r[c_exec]) > 0.5 * num_of(r[c_last])) continue;
            ++n;
            hints.push_back({"lift-" + std::to_string(n), low > 3 ? "high" : "medium",
                             "Attackers leave after: " + text_of(r[c_cmd]),
                             "This command is last in leaving sessions " + format_number(num_of(r[c_lift]), 1) +
                                 " times as often as chance predicts. Check what the honeypot prints for it "
                                 "(TTY logs) against a real host.",
                             "Bots also end on their payload step; compare with forks.csv, where the same script "
                             "continues in other sessions.",
                             "{\"command\":" + q(text_of(r[c_cmd])) + ",\"sessions_with\":" + text_of(r[c_with]) +
                                 ",\"left_last\":" + text_of(r[c_left]) + ",\"lift\":" + text_of(r[c_lift]) +
                                 ",\"lift_low\":" + text_of(r[c_low]) + "}"});
        }
    }

    void probe_hints(std::vector<Hint>& hints) const {
        for (std::size_t p = 0; p < probes_.size(); ++p) {
            const ProbeStat& st = probes_[p];
            if (st.sessions == 0) continue;
            const double rate = static_cast<double>(st.left_right_after) / static_cast<double>(st.sessions);
            const std::string sev = st.sessions >= 10 && rate >= 0.3 ? "high" : st.sessions >= 3 ? "medium" : "low";
            hints.push_back({probes()[p].id, sev, std::string("Attackers check ") + probes()[p].what,
                             probes()[p].recommendation,
                             "Running a check is not proof of detection; the share that left right after it is the "
                             "signal.",
                             "{\"sessions\":" + std::to_string(st.sessions) +
                                 ",\"left_right_after\":" + std::to_string(st.left_right_after) +
                                 ",\"left_rate\":" + format_number(rate, 3) +
                                 ",\"example_sessions\":" + examples_json(st.examples) + "}"});
        }
    }

    void login_hints(std::vector<Hint>& hints) const {
        if (root_passwords_.size() >= 3) {
            hints.push_back({"default-userdb", root_default_rejects_ > 0 ? "high" : "medium",
                             "root logs in with almost any password",
                             "Cowrie's default user database accepts root with any password except root and 123456 "
                             "(and v3's userdb.example accepts any user). Write etc/userdb.txt with a few plausible "
                             "credentials, or use AuthRandom ([honeypot] auth_class) so acceptance is not universal.",
                             "A permissive policy collects more sessions; the tell is that many different passwords "
                             "succeed for one user while root/root fails.",
                             "{\"distinct_root_passwords_accepted\":" + std::to_string(root_passwords_.size()) +
                                 ",\"root_root_or_123456_rejected\":" + std::to_string(root_default_rejects_) +
                                 ",\"distinct_users_accepted\":" + std::to_string(users_ok_.size()) +
                                 ",\"example_sessions\":" + examples_json(root_examples_) + "}"});
        }
        if (default_user_logins_ > 0) {
            hints.push_back({"default-users", "medium", "Logins succeed for Cowrie's default users phil or richard",
                             "Remove phil (v2+) and richard (1.x) from the user database and the honeypot file system.",
                             "", "{\"logins\":" + std::to_string(default_user_logins_) +
                                     ",\"example_sessions\":" + examples_json(default_user_examples_) + "}"});
        }
    }

    void banner_and_sensor_hints(std::vector<Hint>& hints) const {
        if (old_banner_ > 0) {
            hints.push_back({"old-default-banner", "medium",
                             "Bots announce Cowrie's old default SSH banner as their own",
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
                             "{\"sensor\":\"svr04\"}"});
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
            {"shell.kernel_version", {"3.2.0-4-amd64", "6.1.0-21-amd64"}, "cfg-kernel", "The kernel version is a Cowrie default"},
            {"ssh.version",
             {"SSH-2.0-OpenSSH_6.0p1 Debian-4+deb7u2", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3"},
             "cfg-banner", "The SSH banner is a Cowrie default"},
            {"shell.ssh_version", {"OpenSSH_7.9p1, OpenSSL 1.1.1a  20 Nov 2018"}, "cfg-ssh-version",
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
                             "Set [" + section + "] " + key + " in cowrie.cfg to a value of a real system of the kind "
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
        const Table* t = out.table("tty_tells");
        if (!t) return;
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
        const int c_tell = col(*t, "tell"), c_what = col(*t, "what"), c_s = col(*t, "sessions"),
                  c_ex = col(*t, "example_session");
        for (const auto& r : t->rows) {
            const std::string tell = text_of(r[c_tell]);
            auto fix = kFix.find(tell);
            hints.push_back({"seen-" + tell, "high", "Attackers saw " + text_of(r[c_what]),
                             fix == kFix.end() ? "Change this default." : fix->second,
                             "Found in the output of TTY recordings given to analyze.",
                             "{\"sessions\":" + text_of(r[c_s]) + ",\"example_sessions\":[" + q(text_of(r[c_ex])) + "]}"});
        }
    }

    void exec_hint(std::vector<Hint>& hints) const {
        if (exec_sessions_ < 10) return;
        hints.push_back({"exec-one-command", "info", "Exec sessions close after one command",
                         "Cowrie ends an exec channel after its command, as OpenSSH does; bots that open several "
                         "channels on one connection see the difference. Nothing to configure; treat the last "
                         "command of exec sessions as no disconnect signal (predisconnect.csv separates them).",
                         "", "{\"exec_sessions\":" + std::to_string(exec_sessions_) +
                                 ",\"closed_after_one_command\":" + std::to_string(exec_single_) + "}"});
    }

    std::uint64_t sessions_ = 0, with_commands_ = 0, exec_sessions_ = 0, exec_single_ = 0, old_banner_ = 0;
    std::uint64_t root_default_rejects_ = 0, default_user_logins_ = 0;
    // Transparent comparator: look up by string_view, allocate only for a new value.
    std::set<std::string, std::less<>> sensors_, root_passwords_, users_ok_;
    std::vector<std::string> old_banner_examples_, root_examples_, default_user_examples_;
    std::vector<ProbeStat> probes_;
};

}  // namespace

std::unique_ptr<Analysis> make_hints() { return std::make_unique<Hints>(); }

}  // namespace cb::analyses
