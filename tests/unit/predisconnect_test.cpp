// predisconnect: after which steps attackers leave, against how often the steps run; and the
// lift hints that read its rows.
#include <gtest/gtest.h>

#include <cmath>

#include "../../core/src/analysis/factories.hpp"
#include "synthetic_sessions.hpp"

using namespace cbtest;

namespace {

Spec shell(const std::string& id, std::vector<std::string> commands, bool wait_for_timeout = false) {
    Spec s;
    s.session = id;
    s.logins = {{"root", "x", true}};
    s.duration_s = wait_for_timeout ? 400.0 * static_cast<double>(commands.size() + 4) : 5;
    s.commands = std::move(commands);
    return s;
}

const cb::PredisconnectRow* row(const cb::Findings& f, bool is_template, std::string_view command) {
    for (const auto& r : f.predisconnect)
        if (r.is_template == is_template && r.command == command) return &r;
    return nullptr;
}

const std::vector<std::string> kLong = {"w", "id", "ls", "ps", "df", "who", "last", "free", "uptime"};

// 8 sessions run nine steps and leave right after `cat /proc/mounts` (their last); 4 run it
// among the nine and wait until the idle timeout; 3 exec sessions run `uname`.
Corpus corpus() {
    std::vector<Spec> specs;
    for (int i = 0; i < 8; ++i) {
        auto cmds = kLong;
        cmds.back() = "cat /proc/mounts";
        specs.push_back(shell("left" + std::to_string(i), cmds));
    }
    for (int i = 0; i < 4; ++i) {
        auto cmds = kLong;
        cmds[3] = "cat /proc/mounts";
        specs.push_back(shell("wait" + std::to_string(i), cmds, true));
    }
    for (int i = 0; i < 3; ++i) specs.push_back(shell("exec" + std::to_string(i), {"uname"}));
    return build(specs);
}

}  // namespace

TEST(Predisconnect, CountsLeavingAfterAStepAgainstRunningIt) {
    const Corpus c = corpus();
    const cb::Findings f = run_all(cb::analyses::make_predisconnect, c.sessions);
    const cb::PredisconnectRow* r = row(f, true, "cat /proc/mounts");
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->sessions_with, 12u);
    EXPECT_EQ(r->sessions_last, 8u);
    EXPECT_EQ(r->left_last, 8u);
    EXPECT_DOUBLE_EQ(r->share_last, 8.0 / 12.0);
    // Each leaving session ran it once in nine steps: 8/9 expected last by chance.
    EXPECT_NEAR(r->expected_left_last, 8.0 / 9.0, 1e-9);
    EXPECT_NEAR(r->lift, 9.0, 1e-6);
    EXPECT_GT(r->lift_low, 2.0);
    EXPECT_EQ(r->end_kinds, "exit:0;disconnect:8;timeout:0;unknown:0");
    EXPECT_EQ(r->last_shell, 8u);
    EXPECT_EQ(r->last_exec, 0u);
    EXPECT_EQ(r->examples, (std::vector<std::string>{"s1/left0", "s1/left1", "s1/left2"}));
    // A step nobody ends with: never last, lift 0.
    const cb::PredisconnectRow* w = row(f, true, "w");
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->sessions_with, 12u);
    EXPECT_EQ(w->sessions_last, 0u);
    EXPECT_EQ(w->left_last, 0u);
    // Exec sessions close after their command by design: last, but never "left".
    const cb::PredisconnectRow* u = row(f, true, "uname");
    ASSERT_NE(u, nullptr);
    EXPECT_EQ(u->sessions_last, 3u);
    EXPECT_EQ(u->last_exec, 3u);
    EXPECT_EQ(u->left_last, 0u);
    EXPECT_TRUE(std::isnan(u->lift));  // no leaving session ran it: nothing expected
    // Template rows come first, and the table is built from the same rows.
    ASSERT_FALSE(f.predisconnect.empty());
    EXPECT_TRUE(f.predisconnect.front().is_template);
    EXPECT_FALSE(f.predisconnect.back().is_template);
    const cb::Table* t = f.table("predisconnect");
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->rows.size(), f.predisconnect.size());
    for (std::size_t i = 0; i < t->rows.size(); ++i) {
        if (f.predisconnect[i].command == "uname") {  // no lift: an empty cell
            EXPECT_TRUE(std::holds_alternative<std::monostate>(t->rows[i][col(*t, "lift")]));
        }
    }
}

TEST(Predisconnect, HighLiftWithSessionsThatWentOnIsALiftHint) {
    const Corpus c = corpus();
    const cb::Findings f = cb::run_analyses(c.sessions, cb::MarkerSet{}, cb::AnalysisConfig{}, 1);
    ASSERT_TRUE(f.hints);
    const cb::Hint* lift = nullptr;
    for (const auto& h : *f.hints)
        if (h.id == "lift-1") lift = &h;
    ASSERT_NE(lift, nullptr);
    EXPECT_EQ(lift->severity, "low");  // lift compares with all sessions: never more
    EXPECT_EQ(lift->title, "Attackers leave after: cat /proc/mounts");
    EXPECT_NE(lift->evidence_json.find(
                  R"({"command":"cat /proc/mounts","sessions_with":12,"left_last":8,"went_on":4,"lift":9,)"),
              std::string::npos)
        << lift->evidence_json;
}

TEST(Predisconnect, NoLiftHintWithoutSessionsThatWentOn) {
    // Every session that ran it ended with it: a script's end, not evidence.
    std::vector<Spec> specs;
    for (int i = 0; i < 8; ++i) {
        auto cmds = kLong;
        cmds.back() = "cat /proc/mounts";
        specs.push_back(shell("left" + std::to_string(i), cmds));
    }
    const Corpus c = build(specs);
    const cb::Findings f = cb::run_analyses(c.sessions, cb::MarkerSet{}, cb::AnalysisConfig{}, 1);
    ASSERT_TRUE(f.hints);
    for (const auto& h : *f.hints) EXPECT_NE(h.id.rfind("lift-", 0), 0u) << h.id;
}
