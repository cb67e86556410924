#include <gtest/gtest.h>

#include <string>

#include "cb/engine/analyze.hpp"
#include "cb/engine/ingest.hpp"
#include "cb/output/outputs.hpp"  // append_session_json

using namespace cb;

namespace {

std::string ev(const std::string& id, const std::string& ts, const std::string& extra = "") {
    return R"({"eventid":")" + id + R"(","timestamp":")" + ts +
           R"(","session":"abc123abc123","sensor":"s1","src_ip":"1.2.3.4")" + (extra.empty() ? "" : "," + extra) +
           "}\n";
}

// Ingests several buffers (as separate files) and returns the finalized sessions.
std::vector<Session> run(const std::vector<std::string>& files, StringPool& pool, SessionOptions opt = {}) {
    EventParser parser;
    SessionMap merged;
    for (std::size_t i = 0; i < files.size(); ++i) {
        FileReport rep;
        std::string name = "f";
        name.append(std::to_string(i));
        ingest_buffer(files[i], name, parser, pool, merged, rep);
    }
    std::vector<SessionMap> shards(1);
    shards[0] = std::move(merged);
    return build_sessions(shards, opt, 2);
}

}  // namespace

TEST(Session, SplitAcrossMidnightFilesInAnyOrder) {
    const std::string day1 =
        ev("cowrie.session.connect", "2026-11-26T23:59:50Z", R"("protocol":"ssh","src_port":4000,"dst_port":22)") +
        ev("cowrie.login.success", "2026-11-26T23:59:52Z", R"("username":"root","password":"x")") +
        ev("cowrie.command.input", "2026-11-26T23:59:55Z", R"("input":"uname -a")");
    const std::string day2 = ev("cowrie.command.input", "2026-11-27T00:00:03Z", R"("input":"cat /proc/cpuinfo")") +
                             ev("cowrie.command.failed", "2026-11-27T00:00:03.1Z", R"("input":"lscpu")") +
                             ev("cowrie.session.closed", "2026-11-27T00:00:05Z", R"("duration":15.0)");
    for (const auto& order : {std::vector<std::string>{day1, day2}, std::vector<std::string>{day2, day1}}) {
        StringPool pool;
        auto sessions = run(order, pool);
        ASSERT_EQ(sessions.size(), 1u);
        const Session& s = sessions[0];
        EXPECT_EQ(s.protocol, "ssh");
        EXPECT_EQ(s.src_port, 4000);
        EXPECT_EQ(format_timestamp(s.start), "2026-11-26T23:59:50.000000Z");
        EXPECT_EQ(format_timestamp(s.end), "2026-11-27T00:00:05.000000Z");
        EXPECT_DOUBLE_EQ(s.duration_s, 15.0);
        EXPECT_EQ(s.commands, 2u);
        EXPECT_EQ(s.failed_commands, 1u);
        EXPECT_EQ(s.last_command, "cat /proc/cpuinfo");
        EXPECT_DOUBLE_EQ(s.secs_after_last_command, 2.0);
        EXPECT_TRUE(s.closed);
        // No pty and no session.params (as in 1.x): two lines on one connection are a shell fed lines.
        EXPECT_EQ(s.end_kind, EndKind::Disconnect);
        EXPECT_EQ(s.channel, Channel::Shell);
    }
}

// One channel (session.params, or a TTY log) per command line: exec requests, which close by design.
TEST(Session, ChannelFromChannelCount) {
    auto session = [](const std::string& extra_per_command) {
        std::string log = ev("cowrie.session.connect", "2026-11-26T10:00:00Z", R"("protocol":"ssh")") +
                          ev("cowrie.login.success", "2026-11-26T10:00:01Z", R"("username":"root","password":"x")");
        for (int i = 0; i < 2; ++i) {
            if (!extra_per_command.empty())
                log += ev(extra_per_command, "2026-11-26T10:00:0" + std::to_string(2 + 2 * i) + "Z",
                          R"("arch":"linux-x64-lsb")");
            log += ev("cowrie.command.input", "2026-11-26T10:00:0" + std::to_string(3 + 2 * i) + "Z",
                      R"("input":"uname -a")");
        }
        log += ev("cowrie.session.closed", "2026-11-26T10:00:09Z", R"("duration":9.0)");
        StringPool pool;
        auto v = run({log}, pool);
        return std::make_pair(v.at(0).channel, v.at(0).end_kind);
    };
    EXPECT_EQ(session("cowrie.session.params"), std::make_pair(Channel::Exec, EndKind::Exit));
    EXPECT_EQ(session(""), std::make_pair(Channel::Shell, EndKind::Disconnect));
}

TEST(Session, IdleTimeoutInferredFromGap) {
    const std::string f = ev("cowrie.session.connect", "2026-01-01T00:00:00Z") +
                          ev("cowrie.client.size", "2026-01-01T00:00:01Z", R"("width":80,"height":24)") +
                          ev("cowrie.login.success", "2026-01-01T00:00:02Z", R"("username":"root","password":"x")") +
                          ev("cowrie.command.input", "2026-01-01T00:00:05Z", R"("input":"w")") +
                          ev("cowrie.session.closed", "2026-01-01T00:03:05.2Z");
    StringPool pool;
    auto s = run({f}, pool);
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].end_kind, EndKind::Timeout);
    EXPECT_EQ(s[0].channel, Channel::Shell);
    SessionOptions longer;
    longer.idle_timeout_s = 300;
    StringPool pool2;
    auto s2 = run({f}, pool2, longer);
    EXPECT_EQ(s2[0].end_kind, EndKind::Disconnect);
}

TEST(Session, ExitAndUnknown) {
    const std::string f = ev("cowrie.session.connect", "2026-01-01T00:00:00Z") +
                          ev("cowrie.client.size", "2026-01-01T00:00:01Z", R"("width":80,"height":24)") +
                          ev("cowrie.command.input", "2026-01-01T00:00:05Z", R"("input":"id; exit")") +
                          ev("cowrie.session.closed", "2026-01-01T00:00:06Z");
    StringPool pool;
    EXPECT_EQ(run({f}, pool)[0].end_kind, EndKind::Exit);
    StringPool pool2;
    auto open = run({ev("cowrie.session.connect", "2026-01-01T00:00:00Z")}, pool2);
    EXPECT_EQ(open[0].end_kind, EndKind::Unknown);
    EXPECT_FALSE(open[0].closed);
}

TEST(Session, JsonRecordHasTheContractKeys) {
    StringPool pool;
    auto s = run({ev("cowrie.session.connect", "2026-01-01T00:00:00Z", R"("protocol":"telnet")") +
                  ev("cowrie.session.file_download", "2026-01-01T00:00:01Z",
                     R"("url":"http://1.2.3.4/x.sh","shasum":"ab","outfile":"dl/ab")")},
                 pool);
    std::string line;
    append_session_json(line, s[0]);
    for (const char* key : {"\"sensor\":",
                            "\"session\":",
                            "\"protocol\":\"telnet\"",
                            "\"src_ip\":",
                            "\"src_port\":",
                            "\"dst_ip\":",
                            "\"dst_port\":",
                            "\"start\":",
                            "\"end\":",
                            "\"duration_s\":",
                            "\"client_version\":",
                            "\"hassh\":",
                            "\"logins\":",
                            "\"commands\":",
                            "\"downloads\":[{",
                            "\"uploads\":",
                            "\"tcpip\":",
                            "\"ttylog\":",
                            "\"closed\":false",
                            "\"end_kind\":\"unknown\"",
                            "\"last_command\":null",
                            "\"secs_after_last_command\":null"})
        EXPECT_NE(line.find(key), std::string::npos) << key << " in " << line;
}

TEST(Session, RedirectAndStdinCapturesAreWritesNotDownloads) {
    StringPool pool;
    auto s = run({ev("cowrie.session.file_download", "2026-01-01T00:00:01Z",
                     R"("url":"http://1.2.3.4/x.sh","shasum":"aa","outfile":"dl/aa")") +
                  ev("cowrie.session.file_download", "2026-01-01T00:00:02Z",
                     R"("url":"tftp://1.2.3.4/y","destfile":"y","shasum":"bb","outfile":"dl/bb")") +
                  ev("cowrie.session.file_download", "2026-01-01T00:00:03Z",
                     R"("destfile":"/root/.ssh/authorized_keys","shasum":"cc","outfile":"dl/cc","duplicate":true)") +
                  ev("cowrie.session.file_download", "2026-01-01T00:00:04Z",
                     R"("destfile":"","shasum":"dd","outfile":"dl/dd")") +
                  ev("cowrie.session.file_download", "2026-01-01T00:00:05Z",
                     R"("url":"/etc/rc.local","destfile":"/etc/rc.local","shasum":"ee","outfile":"dl/ee")")},
                 pool);
    ASSERT_EQ(s.size(), 1u);
    std::vector<std::pair<ItemKind, std::string_view>> got;
    for (const Item& it : s[0].items) got.emplace_back(it.kind, it.a);
    const std::vector<std::pair<ItemKind, std::string_view>> want = {
        {ItemKind::Download, "http://1.2.3.4/x.sh"},
        {ItemKind::Download, "tftp://1.2.3.4/y"},
        {ItemKind::FileWrite, "/root/.ssh/authorized_keys"},
        {ItemKind::FileWrite, ""},
        {ItemKind::FileWrite, "/etc/rc.local"}};  // a URL without a scheme beside a destfile is a path
    EXPECT_EQ(got, want);
    std::string line;
    append_session_json(line, s[0]);
    EXPECT_NE(
        line.find(
            R"("file_writes":[{"time":"2026-01-01T00:00:03.000000Z","path":"/root/.ssh/authorized_keys","shasum":"cc","size":null,"duplicate":true,"persistence":"ssh_key"})"),
        std::string::npos)
        << line;
    EXPECT_NE(line.find(R"("path":null,"shasum":"dd")"), std::string::npos) << line;
}

TEST(Session, PersistencePaths) {
    EXPECT_EQ(persistence_kind("/root/.ssh/authorized_keys"), "ssh_key");
    EXPECT_EQ(persistence_kind("/home/a/.ssh/authorized_keys2"), "ssh_key");
    EXPECT_EQ(persistence_kind("/etc/crontab"), "cron");
    EXPECT_EQ(persistence_kind("/etc/cron.d/x"), "cron");
    EXPECT_EQ(persistence_kind("/var/spool/cron/crontabs/root"), "cron");
    EXPECT_EQ(persistence_kind("/etc/rc.local"), "init");
    EXPECT_EQ(persistence_kind("/etc/init.d/S99x"), "init");
    EXPECT_EQ(persistence_kind("/etc/systemd/system/x.service"), "init");
    EXPECT_EQ(persistence_kind("/root/.bashrc"), "shell_profile");
    EXPECT_EQ(persistence_kind("/home/u/.profile"), "shell_profile");
    EXPECT_EQ(persistence_kind("/dev/null"), "");
    EXPECT_EQ(persistence_kind("/tmp/up.txt"), "");
    EXPECT_EQ(persistence_kind(""), "");
    EXPECT_TRUE(has_url_scheme("ftp://h/x"));
    EXPECT_FALSE(has_url_scheme("/etc/rc.local"));
    EXPECT_FALSE(has_url_scheme("://x"));
    EXPECT_FALSE(has_url_scheme(""));
    EXPECT_TRUE(is_file_write("", false));
    EXPECT_TRUE(is_file_write("/etc/rc.local", true));
    EXPECT_FALSE(is_file_write("/etc/rc.local", false));  // a URL Cowrie logged as given: still a fetch
    EXPECT_FALSE(is_file_write("tftp://h/x", true));
}

TEST(Session, KeyOfferAnsweredByLoginEventCountsOnce) {
    StringPool pool;
    const std::string fp = R"("username":"root","fingerprint":"aa:bb","key":"ssh-rsa AAAA","type":"ssh-rsa")";
    auto s = run({ev("cowrie.client.fingerprint", "2026-01-01T00:00:01Z", fp) +
                  ev("cowrie.login.failed", "2026-01-01T00:00:01.1Z", R"("username":"root","fingerprint":"aa:bb")") +
                  ev("cowrie.client.fingerprint", "2026-01-01T00:00:02Z", fp) +  // not answered: one failed attempt
                  ev("cowrie.login.success", "2026-01-01T00:00:03Z", R"("username":"root","password":"")")},
                 pool);
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].login_attempts, 3u);
    EXPECT_EQ(s[0].login_successes, 1u);
    std::string line;
    append_session_json(line, s[0]);
    EXPECT_NE(
        line.find(
            R"("logins":[{"time":"2026-01-01T00:00:01.100000Z","username":"root","fingerprint":"aa:bb","success":false},)"
            R"({"time":"2026-01-01T00:00:02.000000Z","username":"root","fingerprint":"aa:bb","success":false},)"
            R"({"time":"2026-01-01T00:00:03.000000Z","username":"root","password":"","success":true}])"),
        std::string::npos)
        << line;
}

TEST(Session, EmptyLastCommandIsAValue) {
    StringPool pool;
    auto s = run({ev("cowrie.command.input", "2026-01-01T00:00:01Z", R"("input":"uname")") +
                  ev("cowrie.command.input", "2026-01-01T00:00:02Z", R"("input":"")") +
                  ev("cowrie.session.closed", "2026-01-01T00:00:05Z", R"("duration":5.0)")},
                 pool);
    std::string line;
    append_session_json(line, s[0]);
    EXPECT_NE(line.find(R"("last_command":"","secs_after_last_command":3,)"), std::string::npos) << line;
    EXPECT_NE(line.find(R"({"time":"2026-01-01T00:00:02.000000Z","input":"","failed":false})"), std::string::npos)
        << line;
}

TEST(SessionMap, FindInsertIterateAcrossGrowth) {
    StringPool pool;
    SessionMap m;
    constexpr int kN = 100000;
    for (int i = 0; i < kN; ++i) {
        const std::string id = std::to_string(i).insert(0, 1, 's');
        const SessionKey k{pool.intern(i % 3 ? "a" : "b"), pool.store(id)};
        const std::uint64_t h = SessionKeyHash{}(k);
        ASSERT_EQ(m.find_hashed(k, h), nullptr);
        m.insert_new(k, h).second.events = static_cast<std::uint32_t>(i);
    }
    ASSERT_EQ(m.size(), static_cast<std::size_t>(kN));
    for (int i = 0; i < kN; i += 7) {
        const std::string id = std::to_string(i).insert(0, 1, 's');
        auto it = m.find(SessionKey{i % 3 ? "a" : "b", id});
        ASSERT_NE(it, m.end());
        EXPECT_EQ(it->second.events, static_cast<std::uint32_t>(i));
        EXPECT_EQ(m.find(SessionKey{i % 3 ? "b" : "a", id}), m.end());
    }
    auto [it, inserted] = m.try_emplace(SessionKey{"a", "s1"}, SessionPartial{});
    EXPECT_FALSE(inserted);
    EXPECT_EQ(it->second.events, 1u);
    std::size_t n = 0;
    std::uint64_t sum = 0;
    for (const auto& [k, p] : m) {
        ++n;
        sum += p.events;
    }
    EXPECT_EQ(n, static_cast<std::size_t>(kN));
    EXPECT_EQ(sum, std::uint64_t{kN} * (kN - 1) / 2);
    SessionMap moved = std::move(m);
    EXPECT_EQ(moved.size(), static_cast<std::size_t>(kN));
    SessionMap().swap(moved);
    EXPECT_TRUE(moved.empty());
}

TEST(StringPool, InternDeduplicatesAcrossGrowth) {
    StringPool pool;
    std::vector<std::string_view> first;
    for (int i = 0; i < 50000; ++i) first.push_back(pool.intern("value-" + std::to_string(i)));
    for (int i = 0; i < 50000; ++i) {
        const std::string_view v = pool.intern("value-" + std::to_string(i));
        EXPECT_EQ(v.data(), first[static_cast<std::size_t>(i)].data());
        EXPECT_EQ(v, "value-" + std::to_string(i));
    }
    EXPECT_EQ(pool.distinct(), 50000u);
    EXPECT_TRUE(pool.intern("").empty());
    const std::string big(1 << 20, 'x');
    EXPECT_EQ(pool.intern(big).data(), pool.intern(big).data());
}

// Cowrie logs the inner command of `$( )` as a line of its own a millisecond later: one exec
// request, not a shell fed two lines. Real lines sent 10 ms apart stay lines.
TEST(Session, SubcommandsOfOneExecLineAreNoShell) {
    const std::string log =
        ev("cowrie.session.connect", "2026-11-26T10:00:00Z", R"("protocol":"ssh")") +
        ev("cowrie.login.success", "2026-11-26T10:00:01Z", R"("username":"root","password":"x")") +
        ev("cowrie.command.input", "2026-11-26T10:00:02.833893Z",
           R"x("input":"echo $(echo -n XSUCCESX && uname -a)")x") +
        ev("cowrie.command.input", "2026-11-26T10:00:02.834900Z", R"("input":"echo -n XSUCCESX && uname -a")") +
        ev("cowrie.session.closed", "2026-11-26T10:00:03Z", R"("duration":3.0)");
    StringPool pool;
    auto v = run({log}, pool);
    EXPECT_EQ(v.at(0).commands, 2u);  // both lines stay in the record
    EXPECT_EQ(v.at(0).channel, Channel::Exec);
    Item prev{}, sub{};
    prev.a = "nproc 2>/dev/null || (grep -c '^processor' /proc/cpuinfo 2>/dev/null) || echo 0";
    sub.a = "grep -c ^processor /proc/cpuinfo 2 > /dev/null";
    prev.ts = 1000000;
    sub.ts = 1000500;
    EXPECT_TRUE(is_subcommand(prev, prev.ts, sub));
    Item second{};  // the second inner command, 1 ms after the first: still part of the line
    second.a = "echo 0";
    second.ts = 1001500;
    EXPECT_FALSE(is_subcommand(prev, sub.ts, second));  // "echo" follows no "(" in the line
    prev.a = "x=$(uname -m); y=$(nproc)";
    second.a = "nproc";
    sub.a = "uname -m";
    EXPECT_TRUE(is_subcommand(prev, prev.ts, sub));
    EXPECT_TRUE(is_subcommand(prev, sub.ts, second));
    Item shc{};
    shc.a = "./x86";
    shc.ts = prev.ts + 2000;
    prev.a = "bash -c './x86'";
    EXPECT_TRUE(is_subcommand(prev, prev.ts, shc));
    Item line{};
    line.a = "sh";
    line.ts = 1010000;
    prev.a = "enable";
    EXPECT_FALSE(is_subcommand(prev, prev.ts, line));  // a burst of real lines
    sub.ts = 2000000;
    EXPECT_FALSE(is_subcommand(prev, prev.ts, sub));  // a second later: a line of its own
}

TEST(DayRuns, CountSessionsByStartDayInOrder) {
    DayRuns runs;
    for (std::int64_t day : {kNoDay, std::int64_t{19000}, std::int64_t{19000}, std::int64_t{19002}}) add_day(runs, day);
    ASSERT_EQ(runs, (DayRuns{{kNoDay, 1}, {19000, 2}, {19002, 1}}));
    EXPECT_EQ(sessions_in(runs), 4u);
    EXPECT_EQ(sessions_before(runs, 19000), 1u);  // the session without a time comes first
    EXPECT_EQ(sessions_before(runs, 19001), 3u);
    EXPECT_EQ(sessions_before(runs, INT64_MAX), 4u);
    EXPECT_EQ(first_sessions(runs, 2), (DayRuns{{kNoDay, 1}, {19000, 1}}));
    EXPECT_EQ(first_sessions(runs, 9), runs);
    EXPECT_TRUE(first_sessions(runs, 0).empty());
}

// FewKeys answers as has_key() does: for the keys it holds, for keys that share their top 16
// bits (the bitmap lets them through to the search) and for others.
TEST(FewKeys, AnswersAsHasKey) {
    std::vector<std::uint64_t> few;
    for (std::uint64_t i = 1; i <= 300; ++i) few.push_back(cb::session_key_hash("s", std::to_string(i)));
    few.push_back(0);
    few.push_back(UINT64_MAX);
    std::sort(few.begin(), few.end());
    const cb::FewKeys keys(few);
    std::size_t held = 0;
    for (std::uint64_t i = 0; i <= 20000; ++i) {
        const std::uint64_t k = cb::session_key_hash("s", std::to_string(i));
        for (std::uint64_t probe : {k, k ^ 1, k & ~((std::uint64_t{1} << 48) - 1)})
            ASSERT_EQ(keys.has(probe), cb::has_key(few, probe)) << probe;
        held += keys.has(k);
    }
    EXPECT_EQ(held, 300U);
    EXPECT_TRUE(keys.has(0) && keys.has(UINT64_MAX));
    const std::vector<std::uint64_t> none;
    EXPECT_FALSE(cb::FewKeys(none).has(0));
}
