// hints: each rule fires on its evidence (typed rows published by earlier analyses, or the
// sessions themselves) and not without it; and hints_json() writes what hints.json holds.
#include <gtest/gtest.h>

#include "../../core/src/analysis/factories.hpp"
#include "synthetic_sessions.hpp"

using namespace cbtest;

namespace {

// The hints analysis over `specs`, finished on `seed` (what earlier analyses published).
cb::Findings hints_of(const std::vector<Spec>& specs, cb::Findings seed = {}, const cb::AnalysisConfig& cfg = {}) {
    const Corpus c = build(specs);
    auto a = cb::analyses::make_hints();
    FactsBuilder fb;
    for (const auto& s : c.sessions) a->add(fb(s));
    a->finish(cfg, seed);
    return seed;
}

const cb::Hint* find(const cb::Findings& f, std::string_view id) {
    for (const auto& h : *f.hints)
        if (h.id == id) return &h;
    return nullptr;
}

std::string ids(const cb::Findings& f) {
    std::string o;
    for (const auto& h : *f.hints) o += h.id + " ";
    return o;
}

Spec login(const std::string& id, const std::string& user, const std::string& pass, bool ok) {
    Spec s;
    s.session = id;
    s.logins = {{user, pass, ok}};
    return s;
}

cb::FailedCommandRow failed(const std::string& name, std::uint64_t sessions, std::uint64_t left, std::uint64_t on) {
    return {name, sessions, sessions, 1, left, on, {"s1/x"}, 0, 0};
}

}  // namespace

TEST(Hints, WithoutEvidenceOnlyTheLimitsNote) {
    const cb::Findings f = hints_of({});
    ASSERT_TRUE(f.hints);
    ASSERT_EQ(f.hints->size(), 1u) << ids(f);
    EXPECT_EQ(f.hints->front().id, "limits-transport");
    EXPECT_EQ(f.hints->front().evidence_json, R"({"sessions":0})");
    const cb::Table* t = f.table("hints");
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->rows.size(), 1u);
}

TEST(Hints, UnknownCommandsByKind) {
    cb::Findings seed;
    seed.failed_command_names = {failed("lscpu", 20, 12, 8), failed("nproc", 6, 5, 1), failed("while", 4, 0, 4),
                                 failed("enable", 9, 0, 0),  failed("xyzzy", 7, 0, 0), failed("./x", 50, 40, 0),
                                 failed("top", 2, 2, 0)};
    const cb::Findings f = hints_of({}, seed);
    // A real command, left after in 12 of 20 with 8 that went on: high.
    ASSERT_NE(find(f, "implement-lscpu"), nullptr) << ids(f);
    EXPECT_EQ(find(f, "implement-lscpu")->severity, "high");
    EXPECT_NE(find(f, "implement-lscpu")
                  ->evidence_json.find(R"("sessions":20,"src_ips":1,"left_right_after":12,"went_on":8,)"),
              std::string::npos);
    // Left after, but only one went on: no comparison, low.
    ASSERT_NE(find(f, "implement-nproc"), nullptr);
    EXPECT_EQ(find(f, "implement-nproc")->severity, "low");
    ASSERT_NE(find(f, "shell-construct-while"), nullptr);
    ASSERT_NE(find(f, "device-cli"), nullptr);
    EXPECT_NE(find(f, "device-cli")->evidence_json.find(R"("sessions_by_name":"enable:9")"), std::string::npos);
    ASSERT_NE(find(f, "not-commands"), nullptr);
    EXPECT_NE(find(f, "not-commands")->evidence_json.find(R"("sessions_by_name":"xyzzy:7")"), std::string::npos);
    // A dropped file is no command to implement; two sessions are too few.
    EXPECT_EQ(ids(f).find("./x"), std::string::npos);
    EXPECT_EQ(find(f, "implement-top"), nullptr);
    EXPECT_EQ(f.hints->front().id, "implement-lscpu");  // the only high one
}

TEST(Hints, ForkRowsAndWhatTheHoneypotPrinted) {
    cb::ForkRow r;
    r.channel = "shell";
    r.depth = 3;
    r.prefix = "a \xE2\x86\x92 b \xE2\x86\x92 cat /proc/cpuinfo";
    r.command = "cat /proc/cpuinfo";
    r.reached = 40;
    r.stopped = 20;
    r.continued = 20;
    r.went_further = 20;
    r.stop_rate = 0.5;
    r.stop_rate_low = 0.35;
    r.stop_rate_high = 0.65;
    r.next_commands = "wget:20";
    r.stopped_where_others_went_on = 20;
    r.examples = {"s1/a", "s1/b"};
    cb::Findings seed;
    seed.forks = {r};
    seed.last_output = {{"cat /proc/cpuinfo", 7, "model name : Intel(R) Core(TM)2 Duo CPU E8200", 0.75, 2, "s1/a"}};
    cb::Findings f = hints_of({}, seed);
    const cb::Hint* h = find(f, "fork-1");
    ASSERT_NE(h, nullptr) << ids(f);
    EXPECT_EQ(h->severity, "high");
    EXPECT_NE(
        h->evidence_json.find(
            R"("honeypot_printed":{"last_lines":"model name : Intel(R) Core(TM)2 Duo CPU E8200","sessions_with_recording":7,"share":0.75},"example_sessions":["s1/a","s1/b"]})"),
        std::string::npos)
        << h->evidence_json;

    // A script's end (nearly all stop) is no fork; nor is a split with too few stoppers.
    seed.forks[0].stop_rate = 0.95;
    EXPECT_EQ(find(hints_of({}, seed), "fork-1"), nullptr);
    seed.forks[0].stop_rate = 0.5;
    seed.forks[0].stopped = 4;
    EXPECT_EQ(find(hints_of({}, seed), "fork-1"), nullptr);
    // Stops go on only as a cleanup: at most medium.
    seed.forks[0].stopped = 20;
    seed.forks[0].went_further = 0;
    seed.forks[0].next_commands = "rm -rf .s:20";
    EXPECT_EQ(find(hints_of({}, seed), "fork-1")->severity, "medium");
}

TEST(Hints, TellsSeenInRecordings) {
    cb::Findings seed;
    seed.tty_tells = {{"hostname-svr04", "the default host name svr04", 3, "s1/a"},
                      {"new-tell", "something", 1, "s1/b"}};
    const cb::Findings f = hints_of({}, seed);
    const cb::Hint* h = find(f, "seen-hostname-svr04");
    ASSERT_NE(h, nullptr);
    EXPECT_EQ(h->severity, "high");
    EXPECT_EQ(h->title, "Attackers saw the default host name svr04");
    EXPECT_EQ(h->evidence_json, R"({"sessions":3,"example_sessions":["s1/a"]})");
    EXPECT_EQ(find(f, "seen-new-tell")->recommendation, "Change this default.");
}

TEST(Hints, RootLoginPolicies) {
    // Cowrie's default list: a dozen root passwords let in, root/root refused: the tell.
    std::vector<Spec> d;
    for (int i = 0; i < 12; ++i) d.push_back(login("d" + std::to_string(i), "root", "pw" + std::to_string(i), true));
    d.push_back(login("d99", "root", "root", false));
    const cb::Findings f = hints_of(d);
    ASSERT_NE(find(f, "default-userdb"), nullptr) << ids(f);
    EXPECT_EQ(find(f, "default-userdb")->severity, "high");
    EXPECT_EQ(find(f, "permissive-logins"), nullptr);

    // Three passwords and no refusal seen: the default list, not yet the tell.
    const cb::Findings few = hints_of({d[0], d[1], d[2]});
    ASSERT_NE(find(few, "default-userdb"), nullptr);
    EXPECT_EQ(find(few, "default-userdb")->severity, "medium");

    // root/root accepted: not the default list, but many passwords succeed.
    std::vector<Spec> p = {d[0], d[1], d[2], login("p", "root", "root", true)};
    const cb::Findings perm = hints_of(p);
    EXPECT_EQ(find(perm, "default-userdb"), nullptr);
    ASSERT_NE(find(perm, "permissive-logins"), nullptr);
    EXPECT_EQ(find(perm, "permissive-logins")->severity, "low");

    // Two passwords: no policy to judge.
    EXPECT_EQ(find(hints_of({d[0], d[1]}), "default-userdb"), nullptr);
}

TEST(Hints, DefaultUsersBannerAndSensorName) {
    Spec phil = login("a", "phil", "x", true);
    Spec banner = login("b", "admin", "x", false);
    banner.client = "SSH-2.0-OpenSSH_6.0p1 Debian-4+deb7u2";
    Spec svr = login("c", "admin", "x", false);
    svr.sensor = "svr04";
    const cb::Findings f = hints_of({phil, banner, svr});
    ASSERT_NE(find(f, "default-users"), nullptr) << ids(f);
    EXPECT_EQ(find(f, "default-users")->evidence_json, R"({"logins":1,"example_sessions":["s1/a"]})");
    ASSERT_NE(find(f, "old-default-banner"), nullptr);
    ASSERT_NE(find(f, "sensor-svr04"), nullptr);
    EXPECT_EQ(find(f, "sensor-svr04")->severity, "high");
    // phil failing, another banner, another sensor name: none of them.
    phil.logins[0].ok = false;
    banner.client = "SSH-2.0-Go";
    svr.sensor = "web01";
    const cb::Findings none = hints_of({phil, banner, svr});
    EXPECT_EQ(none.hints->size(), 1u) << ids(none);
}

TEST(Hints, CowrieCfgDefaults) {
    cb::AnalysisConfig cfg;
    EXPECT_EQ(find(hints_of({}, {}, cfg), "cfg-hostname"), nullptr);  // no cowrie.cfg given
    cfg.have_cowrie_cfg = true;
    const cb::Findings f = hints_of({}, {}, cfg);
    for (const char* id : {"cfg-hostname", "cfg-kernel", "cfg-banner", "cfg-ssh-version"}) {
        ASSERT_NE(find(f, id), nullptr) << id << ": " << ids(f);
        EXPECT_EQ(find(f, id)->severity, "high");
    }
    EXPECT_EQ(find(f, "cfg-hostname")->evidence_json, R"({"key":"honeypot.hostname","value":null})");
    cfg.cowrie_cfg = {{"honeypot.hostname", "web01"},
                      {"ssh.version", "SSH-2.0-OpenSSH_8.4p1 Debian-5"},
                      {"shell.ssh_version", "OpenSSH_9.2p1 Debian-2, OpenSSL 3.0.11"}};
    const cb::Findings set = hints_of({}, {}, cfg);
    EXPECT_EQ(find(set, "cfg-hostname"), nullptr);
    EXPECT_EQ(find(set, "cfg-banner"), nullptr);
    ASSERT_NE(find(set, "cfg-ssh-mismatch"), nullptr);  // 8.4p1 against 9.2p1
}

TEST(Hints, ExecSessionsAndProbes) {
    std::vector<Spec> exec;
    for (int i = 0; i < 10; ++i) {
        Spec s = login("e" + std::to_string(i), "root", "x", true);
        s.commands = {"uname -a"};
        exec.push_back(s);
    }
    const cb::Findings f = hints_of(exec);
    ASSERT_NE(find(f, "exec-one-command"), nullptr) << ids(f);
    EXPECT_EQ(find(f, "exec-one-command")->evidence_json, R"({"exec_sessions":10,"closed_after_one_command":10})");
    // Running uname is a probe; on exec channels leaving after it means nothing: info.
    ASSERT_NE(find(f, "probe-uname"), nullptr);
    EXPECT_EQ(find(f, "probe-uname")->severity, "info");
    EXPECT_EQ(find(f, "probe-cpuinfo"), nullptr);
    exec.pop_back();
    EXPECT_EQ(find(hints_of(exec), "exec-one-command"), nullptr);  // nine are too few
}

TEST(Hints, JsonIsTheOneSerializer) {
    cb::Findings f;
    EXPECT_EQ(cb::hints_json(f), "");  // hints did not run: hints.json is empty
    f.hints = std::vector<cb::Hint>{{"a", "high", "T\"", "R", "", "{\"x\":1}"}, {"b", "info", "T2", "R2", "C", "{}"}};
    EXPECT_EQ(
        cb::hints_json(f),
        R"({"hints_version":1,"hints":[{"id":"a","severity":"high","title":"T\"","evidence":{"x":1},"recommendation":"R"},)"
        R"({"id":"b","severity":"info","title":"T2","evidence":{},"recommendation":"R2","caveat":"C"}]})"
        "\n");
}
