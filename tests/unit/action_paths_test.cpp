// action_paths: per-session template sequences, the transition graph and n-grams.
#include <gtest/gtest.h>

#include "analysis_fixture.hpp"

using namespace cbtest;

namespace {

std::string session(const std::string& id, const std::string& ip, const std::vector<std::string>& lines) {
    std::string d = ev("s1", id, ip, "cowrie.session.connect", "2026-03-01T10:00:00Z", R"("protocol":"ssh")");
    d += ev("s1", id, ip, "cowrie.login.success", "2026-03-01T10:00:01Z", R"("username":"root","password":"x")");
    int sec = 2;
    for (const auto& l : lines)
        d += ev("s1", id, ip, "cowrie.command.input", cat("2026-03-01T10:00:0", sec++, "Z"), cat(R"("input":)", js(l)));
    d += ev("s1", id, ip, "cowrie.session.closed", "2026-03-01T10:00:09Z");
    return d;
}

// Rows of t as "from>to" (or any two columns) -> the row.
std::map<std::string, const std::vector<cb::Cell>*> by(const cb::Table& t, std::string_view a, std::string_view b) {
    std::map<std::string, const std::vector<cb::Cell>*> m;
    for (const auto& r : t.rows) m[text(r[col(t, a)]) + ">" + text(r[col(t, b)])] = &r;
    return m;
}

}  // namespace

TEST(ActionPaths, SequencesTransitionsAndNgrams) {
    std::string d;
    d += session("a1", "1.1.1.1", {"uname -a", "w", "uname -a"});
    d += session("a2", "1.1.1.2", {"uname -a", "w", "uname -a"});
    d += session("b1", "2.2.2.2", {"uname -a", "id"});
    d += ev("s1", "z1", "9.9.9.9", "cowrie.session.connect", "2026-03-01T11:00:00Z");  // no commands
    cb::StringPool pool;
    const auto sessions = ingest(d, pool);
    const cb::Findings f = run_one("action_paths", sessions);

    // Behaviours: one per distinct sequence, sessions without commands left out.
    ASSERT_TRUE(f.behaviours);
    EXPECT_EQ(f.behaviours->sessions_with_commands, 3u);
    EXPECT_EQ(f.behaviours->unique_behaviours, 2u);
    const cb::Table* paths = table(f, "action_paths");
    ASSERT_NE(paths, nullptr);
    ASSERT_EQ(paths->rows.size(), 2u);
    const auto& top = paths->rows[0];  // most sessions first
    EXPECT_EQ(text(top[col(*paths, "sequence")]), "uname -a \xE2\x86\x92 w \xE2\x86\x92 uname -a");
    EXPECT_EQ(text(top[col(*paths, "length")]), "3");
    EXPECT_EQ(text(top[col(*paths, "sessions")]), "2");
    EXPECT_EQ(text(top[col(*paths, "src_ips")]), "2");
    EXPECT_EQ(text(top[col(*paths, "example_session")]), "s1/a1");

    // Transitions: counted per occurrence, and once per session.
    const cb::Table* tr = table(f, "transitions");
    ASSERT_NE(tr, nullptr);
    const auto edges = by(*tr, "from", "to");
    auto count = [&](const std::string& k, std::string_view c) {
        auto it = edges.find(k);
        if (it == edges.end()) {
            ADD_FAILURE() << "no transition " << k;
            return std::string();
        }
        return text((*it->second)[col(*tr, c)]);
    };
    EXPECT_EQ(count("^>uname -a", "count"), "3");
    EXPECT_EQ(count("uname -a>w", "count"), "2");
    EXPECT_EQ(count("w>uname -a", "sessions"), "2");
    EXPECT_EQ(count("uname -a>$", "count"), "2");
    EXPECT_EQ(count("uname -a>id", "sessions"), "1");
    EXPECT_EQ(count("id>$", "count"), "1");
    EXPECT_EQ(edges.count("w>$"), 0u);
    EXPECT_EQ(tr->rows.size(), 6u);

    // N-grams of 2 and 3 steps.
    const cb::Table* ng = table(f, "ngrams");
    ASSERT_NE(ng, nullptr);
    const auto grams = by(*ng, "n", "ngram");
    ASSERT_TRUE(grams.count("3>uname -a \xE2\x86\x92 w \xE2\x86\x92 uname -a"));
    EXPECT_EQ(text((*grams.at("3>uname -a \xE2\x86\x92 w \xE2\x86\x92 uname -a"))[col(*ng, "sessions")]), "2");
    EXPECT_EQ(text((*grams.at("2>uname -a \xE2\x86\x92 id"))[col(*ng, "count")]), "1");
    EXPECT_EQ(ng->rows.size(), 4u);  // uname→w, w→uname, uname→id; uname→w→uname
    expect_mergeable("action_paths", sessions, {});
}
