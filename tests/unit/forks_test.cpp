// forks: the prefix tree of shell steps and the prefixes where sessions of one script split;
// and the fork and stall hints that read its rows.
#include <gtest/gtest.h>

#include "../../core/src/analysis/factories.hpp"
#include "synthetic_sessions.hpp"

using namespace cbtest;

namespace {

const std::vector<std::string> kScript = {"uname -a", "cat /proc/cpuinfo", "w", "id", "ls", "ps", "df", "who", "last",
                                          "free"};

// A shell session of the script: `steps` steps, then it leaves at once (or, with
// wait_for_timeout, waits until Cowrie's idle timeout closes it).
Spec scripted(const std::string& id, std::size_t steps, bool wait_for_timeout, const std::string& sensor = "s1") {
    Spec s;
    s.session = id;
    s.sensor = sensor;
    s.logins = {{"root", "x", true}};
    s.commands.assign(kScript.begin(), kScript.begin() + static_cast<std::ptrdiff_t>(steps));
    // Events are spread evenly: a long session leaves a gap after its last command past the
    // 180 s idle timeout.
    s.duration_s = wait_for_timeout ? 400.0 * static_cast<double>(steps + 4) : 5;
    return s;
}

// `stop` sessions leave after the second step, `go_on` run all ten steps and time out.
Corpus fork_corpus(std::size_t stop, std::size_t go_on, const std::string& stop_sensor = "s1",
                   bool stoppers_wait = false) {
    std::vector<Spec> specs;
    for (std::size_t i = 0; i < stop; ++i)
        specs.push_back(scripted("stop" + std::to_string(100 + i), 2, stoppers_wait, stop_sensor));
    for (std::size_t i = 0; i < go_on; ++i) specs.push_back(scripted("on" + std::to_string(100 + i), 10, true));
    return build(specs);
}

cb::Findings analyse(const Corpus& c) { return cb::run_analyses(c.sessions, cb::MarkerSet{}, cb::AnalysisConfig{}, 1); }

const cb::Hint* hint(const cb::Findings& f, std::string_view id) {
    if (!f.hints) return nullptr;
    for (const auto& h : *f.hints)
        if (h.id == id) return &h;
    return nullptr;
}

}  // namespace

TEST(Forks, FindsTheStepWhereOneScriptSplits) {
    const Corpus c = fork_corpus(20, 10);
    const cb::Findings f = run_all(cb::analyses::make_forks, c.sessions);
    // Only the second step has sessions on both sides: the first is passed by all, the last
    // goes on nowhere.
    ASSERT_EQ(f.forks.size(), 1u);
    const cb::ForkRow& r = f.forks[0];
    EXPECT_EQ(r.channel, "shell");
    EXPECT_EQ(r.depth, 2u);
    EXPECT_EQ(r.command, "cat /proc/cpuinfo");
    EXPECT_EQ(r.prefix, "uname -a \xE2\x86\x92 cat /proc/cpuinfo");
    EXPECT_EQ(r.reached, 30u);
    EXPECT_EQ(r.stopped, 20u);
    EXPECT_EQ(r.continued, 10u);
    EXPECT_EQ(r.went_further, 10u);
    EXPECT_EQ(r.next_commands, "w:10");
    EXPECT_EQ(r.stopped_where_others_went_on, 10u);
    EXPECT_DOUBLE_EQ(r.stop_rate, 20.0 / 30.0);
    EXPECT_LT(r.stop_rate_low, r.stop_rate);
    EXPECT_GT(r.stop_rate_high, r.stop_rate);
    EXPECT_EQ(r.examples, (std::vector<std::string>{"s1/stop100", "s1/stop101", "s1/stop102"}));
    EXPECT_EQ(r.stalled, 0u);
    // The table is built from the same rows.
    const cb::Table* t = f.table("forks");
    ASSERT_NE(t, nullptr);
    ASSERT_EQ(t->rows.size(), 1u);
    EXPECT_EQ(std::get<std::string>(t->rows[0][col(*t, "example_sessions")]), "s1/stop100;s1/stop101;s1/stop102");
    EXPECT_EQ(std::get<std::int64_t>(t->rows[0][col(*t, "stopped")]), 20);
}

TEST(Forks, TooFewSessionsMakeNoFork) {
    // Reached by 4 sessions: below min_fork_sessions (5).
    const Corpus c = fork_corpus(2, 2);
    EXPECT_TRUE(run_all(cb::analyses::make_forks, c.sessions).forks.empty());
}

TEST(Forks, StrongSplitWithinASensorIsAHighHint) {
    const cb::Findings f = analyse(fork_corpus(20, 10));
    const cb::Hint* h = hint(f, "fork-1");
    ASSERT_NE(h, nullptr);
    EXPECT_EQ(h->severity, "high");
    EXPECT_EQ(h->title, "Scripts are cut short after: cat /proc/cpuinfo");
    EXPECT_NE(h->evidence_json.find(
                  R"("depth":2,"prefix":"uname -a → cat /proc/cpuinfo","reached":30,"stopped":20,"continued":10,)"),
              std::string::npos)
        << h->evidence_json;
    EXPECT_EQ(f.hints->front().id, "fork-1");  // most severe first
}

TEST(Forks, FewStoppersAreNoHighHint) {
    // 8 stop and 4 go on: a fork, but fewer than 10 stopped and 5 went on on one sensor.
    const cb::Findings f = analyse(fork_corpus(8, 4));
    ASSERT_EQ(f.forks.size(), 1u);
    const cb::Hint* h = hint(f, "fork-1");
    ASSERT_NE(h, nullptr);
    EXPECT_NE(h->severity, "high");
    // And with 4 stoppers there is no fork hint at all.
    EXPECT_EQ(hint(analyse(fork_corpus(4, 4)), "fork-1"), nullptr);
}

TEST(Forks, SplitBetweenSensorsIsLow) {
    // All stoppers on one sensor, all that went on on another: another configuration, not a reaction.
    const cb::Findings f = analyse(fork_corpus(20, 10, "s2"));
    ASSERT_EQ(f.forks.size(), 1u);
    EXPECT_EQ(f.forks[0].stopped_where_others_went_on, 0u);
    const cb::Hint* h = hint(f, "fork-1");
    ASSERT_NE(h, nullptr);
    EXPECT_EQ(h->severity, "low");
    EXPECT_EQ(h->title.rfind("Scripts end after this step on some sensors", 0), 0u);
}

TEST(Forks, SessionsThatWaitInVainAreAStall) {
    // The "stoppers" wait for the idle timeout after the second step: stalled, not stopped.
    const cb::Findings f = analyse(fork_corpus(8, 6, "s1", true));
    ASSERT_EQ(f.forks.size(), 1u);
    EXPECT_EQ(f.forks[0].stopped, 0u);
    EXPECT_EQ(f.forks[0].stalled, 8u);
    EXPECT_EQ(f.forks[0].stalled_after, "cat /proc/cpuinfo:8");
    EXPECT_EQ(hint(f, "fork-1"), nullptr);  // nobody left
    const cb::Hint* h = hint(f, "stall-1");
    ASSERT_NE(h, nullptr);
    EXPECT_EQ(h->severity, "medium");  // depth 2
    EXPECT_EQ(h->title, "Bots wait in vain after: cat /proc/cpuinfo");
    // Without sessions that went on there is nothing to compare: no stall.
    EXPECT_EQ(hint(analyse(fork_corpus(8, 0, "s1", true)), "stall-1"), nullptr);
}
