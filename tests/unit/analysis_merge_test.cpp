// The algebra's promise: for any split of the sessions, analysing the parts and merging
// gives exactly (byte for byte) what analysing everything at once gives.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "cb/analysis/analysis.hpp"
#include "cb/engine/analyze.hpp"
#include "cb/parse/command_template.hpp"

using namespace cb;

namespace {

std::string samples_dir() { return std::string(CB_SOURCE_DIR) + "/../shared/samples"; }

// Feeds sessions[idx] to fresh analyses.
std::vector<std::unique_ptr<Analysis>> analyse(const std::vector<Session>& sessions,
                                               const std::vector<std::size_t>& idx) {
    auto a = make_analyses();
    TemplateCache cache;
    const MarkerSet markers = collect_markers(sessions, 1).finish();
    for (std::size_t i : idx) {
        SessionFacts f;
        build_session_facts(sessions[i], markers, cache, f);
        for (auto& x : a) x->add(f);
    }
    return a;
}

std::map<std::string, std::string> finish(std::vector<std::unique_ptr<Analysis>>& a) {
    Findings out;
    AnalysisConfig cfg;
    for (auto& x : a) x->finish(cfg, out);
    std::map<std::string, std::string> csv;
    for (const auto& t : out.tables) csv[t.name] = to_csv(t);
    csv["facts"] = report_facts_json(out);
    csv["hints.json"] = hints_json(out);
    return csv;
}

}  // namespace

// Every analysis, fed the sessions of `dir` in three random parts and merged (once in memory,
// once through save/load as on Hadoop), gives the tables of one pass over all of them.
void check_random_splits_merge_exactly(const std::string& dir, std::size_t min_sessions) {
    ASSERT_TRUE(std::filesystem::is_directory(dir)) << "no logs at " << dir;
    InputSet in = scan_inputs({dir});
    IngestOptions io;
    io.threads = 2;
    IngestResult r = ingest(in.files, io);
    std::vector<Session> sessions = build_sessions(r.shards, SessionOptions{}, 2);
    ASSERT_GT(sessions.size(), min_sessions);

    std::vector<std::size_t> all(sessions.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    auto whole = analyse(sessions, all);
    const auto expected = finish(whole);
    ASSERT_GE(expected.size(), 8u);

    std::mt19937 rng(20261126);
    for (int trial = 0; trial < 2; ++trial) {
        std::vector<std::vector<std::size_t>> parts(3);
        std::vector<std::size_t> shuffled = all;
        std::shuffle(shuffled.begin(), shuffled.end(), rng);
        for (std::size_t i : shuffled) parts[rng() % 3].push_back(i);
        auto merged = analyse(sessions, parts[0]);
        for (int p = 1; p < 3; ++p) {
            auto other = analyse(sessions, parts[p]);
            if (trial == 1) {
                // The Hadoop path: every partial state is saved and loaded before it merges.
                auto fresh = make_analyses();
                for (std::size_t k = 0; k < other.size(); ++k) {
                    std::string bytes;
                    other[k]->save(bytes);
                    ASSERT_TRUE(fresh[k]->load(bytes)) << other[k]->name();
                }
                other = std::move(fresh);
            }
            for (std::size_t k = 0; k < merged.size(); ++k) merged[k]->merge(std::move(*other[k]));
        }
        const auto got = finish(merged);
        ASSERT_EQ(got.size(), expected.size());
        for (const auto& [name, text] : expected)
            EXPECT_EQ(got.at(name), text) << "table " << name << ", trial " << trial;
    }
}

TEST(AnalysisMerge, RandomSplitsOfExampleSessionsMergeExactly) {
    check_random_splits_merge_exactly(std::string(CB_SOURCE_DIR) + "/examples/logs", 10);
}

// Two recorded sensors, a rotated half gzipped (tests/data/multi-sensor), and the damaged
// variants of tests/data/quirks: the same promise on the project's own data.
TEST(AnalysisMerge, RandomSplitsOfMultiSensorAndQuirkSessionsMergeExactly) {
    check_random_splits_merge_exactly(std::string(CB_SOURCE_DIR) + "/tests/data", 100);
}

TEST(WildAnalysisMerge, RandomSplitsOfRealSessionsMergeExactly) {
    check_random_splits_merge_exactly(samples_dir(), 10000);
}
