#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <set>

#include "analysis_fixture.hpp"
#include "cb/analysis/change_score.hpp"

using namespace cb;
using namespace cbtest;

namespace {

// Portable random numbers: mt19937_64's sequence is fixed by the standard; the samplers are ours
// (std::poisson_distribution differs between standard libraries), so the measured figures in
// docs/ANALYSES.md are reproducible everywhere.
struct Rng {
    std::mt19937_64 g;
    explicit Rng(std::uint64_t seed) : g(seed) {}
    double uniform() { return static_cast<double>(g() >> 11) * 0x1.0p-53; }
    double normal() {
        const double u1 = 1.0 - uniform(), u2 = uniform();
        return std::sqrt(-2 * std::log(u1)) * std::cos(6.283185307179586 * u2);
    }
    std::uint64_t poisson(double lambda) {
        if (lambda <= 0) return 0;
        if (lambda > 600)
            return static_cast<std::uint64_t>(std::max(0.0, std::round(lambda + std::sqrt(lambda) * normal())));
        const double u = uniform();
        double p = std::exp(-lambda), cdf = p;
        std::uint64_t x = 0;
        while (u > cdf && x < 100000) {
            ++x;
            p *= lambda / static_cast<double>(x);
            cdf += p;
        }
        return x;
    }
    // Marsaglia-Tsang, shape >= 1.
    double gamma(double shape, double scale) {
        const double d = shape - 1.0 / 3, c = 1 / std::sqrt(9 * d);
        for (;;) {
            double x, v;
            do {
                x = normal();
                v = 1 + c * x;
            } while (v <= 0);
            v = v * v * v;
            const double u = uniform();
            if (std::log(u) < 0.5 * x * x + d - d * v + d * std::log(v)) return d * v * scale;
        }
    }
};

std::vector<std::int64_t> consecutive_days(int n) {
    std::vector<std::int64_t> d(n);
    for (int i = 0; i < n; ++i) d[i] = 20000 + i;
    return d;
}

}  // namespace

TEST(ChangeScore, FlatSeriesWithOneJumpIsFlaggedThereOnly) {
    Rng rng(7);
    const int n = 60, jump_day = 40;
    std::vector<double> v(n);
    for (int i = 0; i < n; ++i) v[i] = static_cast<double>(rng.poisson(20));
    v[jump_day] += 40;  // about 9 standard deviations
    const auto s = score_counts(consecutive_days(n), v, ChangeParams{});
    for (int i = 0; i < n; ++i) {
        EXPECT_EQ(s[i].flag, i == jump_day) << "day " << i << " value " << v[i] << " score " << s[i].score;
        EXPECT_EQ(s[i].has_baseline, i >= 7) << i;  // 7 days of history needed
    }
    EXPECT_GT(s[jump_day].score, 4);
    EXPECT_NEAR(s[jump_day].baseline, 20, 4);
    // The day after the spike: its window holds the spike, the median ignores it.
    EXPECT_LT(std::fabs(s[jump_day + 1].score), 4);
}

TEST(ChangeScore, SparseCountsNeedAnAbsoluteDifference) {
    // A series of mostly zeros: MAD is 0, the floor (1) keeps the score finite, and 3 events are
    // never a change however small the baseline.
    std::vector<double> v(30, 0.0);
    v[20] = 3;
    v[25] = 9;
    const auto s = score_counts(consecutive_days(30), v, ChangeParams{});
    EXPECT_FALSE(s[20].flag);
    EXPECT_DOUBLE_EQ(s[20].score, 3.0);
    EXPECT_TRUE(s[25].flag);
    for (int i = 0; i < 30; ++i)
        if (i != 25) {
            EXPECT_FALSE(s[i].flag) << i;
        }
}

TEST(ChangeScore, GapsInTheDataAreNotZeros) {
    // Days 0..9 observed at 50 a day, then 20 days without any data (a sensor down, absent files),
    // then days 30..39 at 52. The window skips the gap: day 30 is compared with days 0..9, so
    // nothing is flagged (zeros for the gap would make day 30 a jump from 0 to 52).
    std::vector<std::int64_t> days;
    std::vector<double> v;
    for (int i = 0; i < 10; ++i) days.push_back(100 + i), v.push_back(50);
    for (int i = 30; i < 40; ++i) days.push_back(100 + i), v.push_back(52);
    auto s = score_counts(days, v, ChangeParams{});
    ASSERT_TRUE(s[10].has_baseline);
    EXPECT_EQ(s[10].history, 10);
    EXPECT_DOUBLE_EQ(s[10].baseline, 50);
    for (const auto& d : s) EXPECT_FALSE(d.flag);
    // The window is the last 14 days with data.
    EXPECT_EQ(s[19].history, 14);
    // A real drop across the gap is still a drop.
    for (std::size_t i = 10; i < v.size(); ++i) v[i] = 5;
    s = score_counts(days, v, ChangeParams{});
    EXPECT_TRUE(s[10].flag);
    EXPECT_LT(s[10].score, -4);
    // Beyond the lookback (56 days) there is no history: after a 60-day gap nothing is scored.
    for (std::size_t i = 10; i < days.size(); ++i) days[i] += 50;
    s = score_counts(days, v, ChangeParams{});
    for (std::size_t i = 10; i < 17; ++i) EXPECT_FALSE(s[i].has_baseline) << i;
    EXPECT_TRUE(s[17].has_baseline);
}

TEST(ChangeScore, LevelShiftIsFlaggedFromItsFirstDay) {
    Rng rng(11);
    const int n = 60, shift = 30;
    std::vector<double> v(n);
    for (int i = 0; i < n; ++i) v[i] = static_cast<double>(rng.poisson(i < shift ? 20 : 80));
    const auto s = score_counts(consecutive_days(n), v, ChangeParams{});
    int first_flag = -1, flags = 0;
    for (int i = 0; i < n; ++i)
        if (s[i].flag) {
            if (first_flag < 0) first_flag = i;
            ++flags;
        }
    EXPECT_EQ(first_flag, shift);
    // Flags continue until the new level is the window's median (about half a window), then stop.
    EXPECT_LE(flags, 8);
    EXPECT_FALSE(s[n - 1].flag);
}

TEST(ChangeScore, RateJump) {
    const int n = 40;
    std::vector<std::uint64_t> k(n), m(n, 20);
    Rng rng(3);
    for (int i = 0; i < n; ++i) {
        std::uint64_t x = 0;
        for (int t = 0; t < 20; ++t) x += rng.uniform() < 0.25;
        k[i] = x;
    }
    k[30] = 18;  // 90 % instead of 25 %
    m[12] = 3;   // too few trials to score
    k[12] = 3;
    const auto s = score_rates(consecutive_days(n), k, m, ChangeParams{});
    for (int i = 0; i < n; ++i) EXPECT_EQ(s[i].flag, i == 30) << i << " rate " << s[i].value << " score " << s[i].score;
    EXPECT_FALSE(s[12].has_baseline);
    EXPECT_TRUE(s[12].has_value);
    EXPECT_DOUBLE_EQ(s[12].value, 1.0);
}

namespace {

struct Study {
    int injected = 0, detected = 0, flags = 0, true_flags = 0, scored_days = 0;
    int up_injected[3] = {}, up_detected[3] = {};  // up jumps by k: [3,6), [6,9), [9,12]
    int down_injected = 0, down_detected = 0;
};

// 200 series of 90 days; level log-uniform in [3, 300]; two one-day jumps per series at random days
// (day >= 21, not adjacent) of k standard deviations of the noise, k uniform in [3, 12], 70 % up,
// 30 % down (a drop stops at 0, so drops at low levels are smaller than k sd).
// r = 0: Poisson noise (sd = sqrt(level)); r > 0: gamma-Poisson, sd = sqrt(level + level^2 / r).
Study run_study(std::uint64_t seed, double r) {
    Rng rng(seed);
    Study st;
    const int n = 90;
    const auto days = consecutive_days(n);
    for (int series = 0; series < 200; ++series) {
        const double level = 3 * std::pow(100.0, rng.uniform());
        const double sd = std::sqrt(level + (r > 0 ? level * level / r : 0));
        std::vector<double> v(n);
        for (int i = 0; i < n; ++i) {
            const double lam = r > 0 ? rng.gamma(r, level / r) : level;
            v[i] = static_cast<double>(rng.poisson(lam));
        }
        std::set<int> jumps;
        while (jumps.size() < 2) {
            const int d = 21 + static_cast<int>(rng.uniform() * (n - 21));
            if (!jumps.count(d) && !jumps.count(d - 1) && !jumps.count(d + 1)) jumps.insert(d);
        }
        std::vector<int> bucket(n, -1);  // 0..2 up by k, 3 down
        for (int d : jumps) {
            const double k = 3 + 9 * rng.uniform();
            const double size = std::round(k * sd);
            const bool up = rng.uniform() < 0.7;
            v[d] = up ? v[d] + size : std::max(0.0, v[d] - size);
            bucket[d] = !up ? 3 : k < 6 ? 0 : k < 9 ? 1 : 2;
        }
        const auto s = score_counts(days, v, ChangeParams{});
        for (int i = 0; i < n; ++i) {
            if (s[i].has_baseline) ++st.scored_days;
            if (s[i].flag) {
                ++st.flags;
                if (jumps.count(i)) ++st.true_flags;
            }
            if (!jumps.count(i)) continue;
            ++st.injected;
            st.detected += s[i].flag;
            if (bucket[i] == 3) {
                ++st.down_injected;
                st.down_detected += s[i].flag;
            } else {
                ++st.up_injected[bucket[i]];
                st.up_detected[bucket[i]] += s[i].flag;
            }
        }
    }
    return st;
}

double precision(const Study& st) { return st.flags ? static_cast<double>(st.true_flags) / st.flags : 1.0; }
double recall(const Study& st) { return static_cast<double>(st.detected) / st.injected; }

void report(const char* name, const Study& st) {
    std::printf(
        "[change study] %s: %d flags (%d on injected days), %d injected, %d detected -> precision %.3f, recall %.3f; "
        "up jumps k 3-6 %d/%d, k 6-9 %d/%d, k 9-12 %d/%d; down jumps %d/%d; "
        "false flags per scored day without a jump %.5f\n",
        name, st.flags, st.true_flags, st.injected, st.detected, precision(st), recall(st), st.up_detected[0],
        st.up_injected[0], st.up_detected[1], st.up_injected[1], st.up_detected[2], st.up_injected[2], st.down_detected,
        st.down_injected, static_cast<double>(st.flags - st.true_flags) / (st.scored_days - st.injected));
}

}  // namespace

TEST(ChangeScore, PrecisionRecallOnSyntheticInjections) {
    const Study poisson = run_study(2024, 0);
    report("poisson", poisson);
    const Study bursty = run_study(2025, 10);
    report("gamma-poisson r=10", bursty);
    // Asserted a little below the figures measured (docs/ANALYSES.md).
    EXPECT_GE(precision(poisson), 0.95);
    EXPECT_GE(static_cast<double>(poisson.up_detected[1] + poisson.up_detected[2]) /
                  (poisson.up_injected[1] + poisson.up_injected[2]),
              0.95);
    EXPECT_GE(precision(bursty), 0.5);
}

namespace {

// 2026-03-01 .. 2026-03-30 without 03-10 (no data that day). Ten shell sessions (a pty) a day run
// "uname -a" after a failed root/123456; two of them close (disconnect), the others never log a close.
// 03-20: all ten close. 03-25: forty sessions (eight close).
std::string changes_corpus() {
    std::string d;
    for (int day = 1; day <= 30; ++day) {
        if (day == 10) continue;
        const int sessions = day == 25 ? 40 : 10;
        const int closing = day == 20 ? 10 : sessions / 5;
        for (int i = 0; i < sessions; ++i) {
            char ts[32], ts2[32], ts3[32];
            std::snprintf(ts, sizeof ts, "2026-03-%02dT%02d:%02d:00Z", day, i % 24, i / 24);
            std::snprintf(ts2, sizeof ts2, "2026-03-%02dT%02d:%02d:05Z", day, i % 24, i / 24);
            std::snprintf(ts3, sizeof ts3, "2026-03-%02dT%02d:%02d:09Z", day, i % 24, i / 24);
            const std::string sid = cat("d", day, "s", i);
            const std::string ip = "10.1." + std::to_string(day) + "." + std::to_string(i);
            d += ev("s1", sid, ip, "cowrie.session.connect", ts);
            d += ev("s1", sid, ip, "cowrie.login.failed", ts, R"("username":"root","password":"123456")");
            d += ev("s1", sid, ip, "cowrie.client.size", ts, R"("width":80,"height":24)");
            d += ev("s1", sid, ip, "cowrie.command.input", ts2, R"("input":"uname -a")");
            if (i < closing) d += ev("s1", sid, ip, "cowrie.session.closed", ts3);
        }
    }
    return d;
}

}  // namespace

TEST(Changes, DailySeriesAndFlags) {
    StringPool pool;
    const auto sessions = ingest(changes_corpus(), pool);
    ASSERT_EQ(sessions.size(), 28u * 10 + 40);
    const Findings f = run_one("changes", sessions);
    const Table& t = *table(f, "changes");

    std::set<std::string> series;
    for (const auto& r : t.rows) series.insert(text(r[col(t, "series")]));
    EXPECT_EQ(series, (std::set<std::string>{"sessions", "logins", "logins_success", "template:uname -a",
                                             "credential:root/123456", "disconnect_after:uname -a"}));
    // 29 days per series: 03-10 had no data at all, so it is not a day of the series.
    EXPECT_EQ(t.rows.size(), 6u * 29);
    EXPECT_TRUE(rows_where(t, "day", "2026-03-10").empty());

    std::set<std::string> flagged;
    for (const auto& r : t.rows)
        if (std::get<std::int64_t>(r[col(t, "flag")]) == 1)
            flagged.insert(text(r[col(t, "series")]) + "@" + text(r[col(t, "day")]));
    EXPECT_EQ(flagged,
              (std::set<std::string>{"sessions@2026-03-25", "logins@2026-03-25", "template:uname -a@2026-03-25",
                                     "credential:root/123456@2026-03-25", "disconnect_after:uname -a@2026-03-20"}));

    for (const auto* r : rows_where(t, "series", "template:uname -a")) {
        if (text((*r)[col(t, "day")]) != "2026-03-25") continue;
        EXPECT_DOUBLE_EQ(std::get<double>((*r)[col(t, "value")]), 40);
        EXPECT_DOUBLE_EQ(std::get<double>((*r)[col(t, "baseline")]), 10);
        EXPECT_NEAR(std::get<double>((*r)[col(t, "score")]), 30 / std::sqrt(10.0), 1e-9);
    }
    for (const auto* r : rows_where(t, "series", "disconnect_after:uname -a")) {
        const std::string day = text((*r)[col(t, "day")]);
        EXPECT_EQ(std::get<std::int64_t>((*r)[col(t, "n")]), day == "2026-03-25" ? 40 : 10);
        EXPECT_DOUBLE_EQ(std::get<double>((*r)[col(t, "value")]), day == "2026-03-20" ? 1.0 : 0.2) << day;
        // Without 7 days of history (03-01 .. 03-07) there is no baseline.
        EXPECT_EQ(std::holds_alternative<std::monostate>((*r)[col(t, "baseline")]), day < "2026-03-08") << day;
    }
    // Published for the report: the flagged days counted above.
    EXPECT_EQ(f.changes_flagged.value_or(0), flagged.size());
}

TEST(Changes, TopNAndMerge) {
    std::string d = changes_corpus();
    // Extra variety: other templates and credentials on some days.
    for (int i = 0; i < 80; ++i) {
        char ts[32];
        std::snprintf(ts, sizeof ts, "2026-03-%02dT12:%02d:00Z", 1 + i % 28, i % 60);
        const std::string sid = cat("x", i), ip = cat("10.9.0.", i % 13);
        d += ev("s2", sid, ip, "cowrie.session.connect", ts);
        d += ev("s2", sid, ip, "cowrie.login.success", ts,
                "\"username\":\"u" + std::to_string(i % 7) + "\",\"password\":\"p" + std::to_string(i % 3) + "\"");
        static const char* cmds[] = {"ls -la", "id", "whoami", "free -m", "w"};
        d += ev("s2", sid, ip, "cowrie.command.input", ts, std::string("\"input\":\"") + cmds[i % 5] + "\"");
        if (i % 2) d += ev("s2", sid, ip, "cowrie.session.closed", ts);
    }
    StringPool pool;
    const auto sessions = ingest(d, pool);
    AnalysisConfig cfg;
    cfg.top_n = 3;
    const Findings f = run_one("changes", sessions, cfg);
    std::set<std::string> series;
    for (const auto& r : f.table("changes")->rows) series.insert(std::get<std::string>(r[0]));
    EXPECT_EQ(series.size(), 3u + 3 + 3 + 3);  // 3 totals, 3 templates, 3 credentials, 3 rates
    EXPECT_TRUE(series.count("template:uname -a"));
    EXPECT_TRUE(series.count("credential:root/123456"));
    expect_mergeable("changes", sessions, cfg);
    expect_mergeable("changes", sessions, AnalysisConfig{});
}
