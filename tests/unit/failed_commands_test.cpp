// failed_commands: commands Cowrie did not know, per line and per name, with how often the
// attacker left right after them.
#include <gtest/gtest.h>

#include "analysis_fixture.hpp"

using namespace cbtest;

namespace {

// A shell session (two lines or more) whose `failed` line Cowrie did not know; it closes 2 s
// after its last line.
std::string session(const std::string& id, const std::string& ip, const std::vector<std::string>& lines,
                    const std::string& failed) {
    std::string d = ev("s1", id, ip, "cowrie.session.connect", "2026-02-01T10:00:00Z", R"("protocol":"ssh")");
    d += ev("s1", id, ip, "cowrie.login.success", "2026-02-01T10:00:01Z", R"("username":"root","password":"x")");
    auto at = [](int sec) { return cat("2026-02-01T10:00:", sec < 10 ? "0" : "", sec, "Z"); };
    int sec = 2;
    for (const auto& l : lines) {
        const std::string ts = at(sec);
        d += ev("s1", id, ip, "cowrie.command.input", ts, cat(R"("input":)", js(l)));
        if (l == failed) d += ev("s1", id, ip, "cowrie.command.failed", ts, cat(R"("input":)", js(l)));
        ++sec;
    }
    d += ev("s1", id, ip, "cowrie.session.closed", at(sec + 1));
    return d;
}

}  // namespace

TEST(FailedCommands, CountsSessionsThatLeftOrWentOnPerLineAndName) {
    std::string d;
    // Left right after the unknown command (its line was the last step).
    for (const char* id : {"a1", "a2", "a3"}) d += session(id, "1.1.1.1", {"uname -a", "foo --bar"}, "foo --bar");
    // Went on after it.
    d += session("b1", "2.2.2.2", {"foo --bar", "ls"}, "foo --bar");
    d += session("b2", "2.2.2.3", {"foo --bar", "ls"}, "foo --bar");
    d += session("c1", "3.3.3.3", {"foo -x", "ls"}, "foo -x");
    cb::StringPool pool;
    const auto sessions = ingest(d, pool);
    ASSERT_EQ(sessions.size(), 6u);
    const cb::Findings f = run_one("failed_commands", sessions);

    // Per name: every session counted once, most sessions first.
    ASSERT_EQ(f.failed_command_names.size(), 1u);
    const cb::FailedCommandRow& foo = f.failed_command_names[0];
    EXPECT_EQ(foo.name, "foo");
    EXPECT_EQ(foo.sessions, 6u);
    EXPECT_EQ(foo.events, 6u);
    EXPECT_EQ(foo.src_ips, 4u);
    EXPECT_EQ(foo.left_after, 3u);
    EXPECT_EQ(foo.went_on, 3u);
    EXPECT_EQ(foo.examples, (std::vector<std::string>{"s1/a1", "s1/a2", "s1/a3"}));  // those that left

    // Per line as logged.
    const cb::Table* t = table(f, "failed_commands");
    ASSERT_NE(t, nullptr);
    ASSERT_EQ(t->rows.size(), 2u);
    const auto& bar = t->rows[0];
    EXPECT_EQ(text(bar[col(*t, "command")]), "foo --bar");
    EXPECT_EQ(text(bar[col(*t, "name")]), "foo");
    EXPECT_EQ(text(bar[col(*t, "sessions")]), "5");
    EXPECT_EQ(text(bar[col(*t, "left_after")]), "3");
    EXPECT_EQ(text(bar[col(*t, "went_on")]), "2");
    EXPECT_DOUBLE_EQ(std::get<double>(bar[col(*t, "disconnect_after_rate")]), 0.6);
    const auto& x = t->rows[1];
    EXPECT_EQ(text(x[col(*t, "command")]), "foo -x");
    EXPECT_EQ(text(x[col(*t, "left_after")]), "0");
    // Nobody left after it: the examples are sessions that ran it.
    EXPECT_EQ(text(x[col(*t, "example_sessions")]), "s1/c1");
    EXPECT_EQ(text(x[col(*t, "first_seen")]), "2026-02-01T10:00:00.000000Z");

    // The names table is built from the published rows.
    const cb::Table* n = table(f, "failed_command_names");
    ASSERT_NE(n, nullptr);
    ASSERT_EQ(n->rows.size(), 1u);
    EXPECT_EQ(text(n->rows[0][col(*n, "example_sessions")]), "s1/a1;s1/a2;s1/a3");
    expect_mergeable("failed_commands", sessions, {});

    // All analyses together: hints read the published rows ("foo" is no command: a note).
    const cb::Findings all = cb::run_analyses(sessions, cb::MarkerSet{}, cb::AnalysisConfig{}, 1);
    ASSERT_TRUE(all.hints);
    bool noted = false;
    for (const auto& h : *all.hints)
        if (h.id == "not-commands") noted = h.evidence_json.find(R"("sessions_by_name":"foo:6")") != std::string::npos;
    EXPECT_TRUE(noted);
}

TEST(FailedCommands, NothingWithoutFailedCommands) {
    cb::StringPool pool;
    const auto sessions = ingest(session("a1", "1.1.1.1", {"uname -a", "ls"}, ""), pool);
    const cb::Findings f = run_one("failed_commands", sessions);
    EXPECT_TRUE(f.failed_command_names.empty());
    ASSERT_NE(table(f, "failed_commands"), nullptr);
    EXPECT_TRUE(table(f, "failed_commands")->rows.empty());
}
