// The file ledger (issue 13): for each rotation case, the plan (action, offset, line) and that
// reading per the plans over several runs gives what one whole read of the final files gives.
// Real files in a temp folder, built from the shipped logs.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "cb/engine/ingest.hpp"
#include "cb/input/byte_source.hpp"
#include "cb/input/file_ledger.hpp"
#include "cb/input/input_set.hpp"
#include "cb/util/crc64.hpp"
#include "test_files.hpp"

using namespace cb;
namespace fs = std::filesystem;
using Action = ReadPlan::Action;

namespace {

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string shipped(const char* rel) { return read_file(fs::path(CB_SOURCE_DIR) / rel); }

// The first n lines of text (each with its newline).
std::string first_lines(const std::string& text, std::size_t n) {
    std::size_t pos = 0;
    for (std::size_t i = 0; i < n; ++i) pos = text.find('\n', pos) + 1;
    return text.substr(0, pos);
}

std::uint64_t count_lines(std::string_view s) {
    return static_cast<std::uint64_t>(std::count(s.begin(), s.end(), '\n'));
}

// A run's plans and what ingest read per them.
struct Pass {
    ReadPlans plans;
    IngestResult ingest;
    std::vector<std::uint64_t> ids;  // the ledger entry of each plan after the run
    const ReadPlan& plan(const std::string& name) const {
        for (const auto& p : plans.reads)
            if (fs::path(p.path).filename() == name) return p;
        throw std::runtime_error("no plan for " + name);
    }
    const Consumed& consumed(const std::string& name) const {
        return ingest.consumed[static_cast<std::size_t>(&plan(name) - plans.reads.data())];
    }
};

class FileLedgerTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::path(::testing::TempDir()) /
               ("cb_ledger_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    fs::path at(const std::string& name) const { return dir_ / name; }
    void write(const std::string& name, const std::string& data) { test::write_file(at(name).string(), data); }
    void append(const std::string& name, const std::string& data) {
        std::ofstream(at(name), std::ios::binary | std::ios::app) << data;
    }

    // One incremental run over the folder: plan, ingest per the plan (ranges of split_bytes / 2
    // for uncompressed files), fold into the ledger, add up the counts.
    Pass run(std::uint64_t split_bytes = std::uint64_t{64} << 20) {
        const InputSet in = expand_inputs({dir_.string()});
        Pass r;
        r.plans = plan_reads(ledger_, in.files);
        IngestOptions opt;
        opt.threads = 2;
        opt.plans = &r.plans;
        opt.split_bytes = split_bytes;
        r.ingest = ingest(in.files, opt);
        ledger_ = ledger_.updated(r.plans, r.ingest.consumed, &r.ids);
        over_runs_.add(r.ingest.totals);
        return r;
    }

    // What one whole read of the folder's JSON logs counts, as a run without a ledger does.
    IngestCounts whole_read() const {
        IngestOptions opt;
        opt.threads = 1;
        return ingest(expand_inputs({dir_.string()}).files, opt).totals;
    }

    // The events, lines and rejects read over all runs are those of one whole read now.
    void expect_runs_equal_whole_read() const {
        const IngestCounts whole = whole_read();
        EXPECT_EQ(over_runs_.events, whole.events);
        EXPECT_EQ(over_runs_.lines, whole.lines);
        EXPECT_EQ(over_runs_.blank_lines, whole.blank_lines);
        EXPECT_EQ(over_runs_.rejected, whole.rejected);
        EXPECT_EQ(over_runs_.by_eventid, whole.by_eventid);
    }

    // The ledger's entry for a file holds the fingerprint of its decoded bytes read so far.
    void expect_entry_matches(std::uint64_t id, const std::string& decoded, std::uint64_t bytes) const {
        const LedgerEntry* e = ledger_.find(id);
        ASSERT_NE(e, nullptr);
        EXPECT_EQ(e->bytes, bytes);
        EXPECT_EQ(e->crc, crc64(0, decoded.data(), bytes));
        EXPECT_EQ(e->lines, count_lines(std::string_view(decoded).substr(0, bytes)));
        EXPECT_EQ(e->head_len, std::min<std::uint64_t>(bytes, kLedgerHeadBytes));
        EXPECT_EQ(e->head_crc, crc64(0, decoded.data(), e->head_len));
    }

    fs::path dir_;
    FileLedger ledger_;
    IngestCounts over_runs_;
};

const std::string kLive = shipped("examples/logs/cowrie.json");
const std::string kRotated = shipped("examples/logs/cowrie.json.2026-11-26");
const std::string kOtherLive = shipped("tests/data/multi-sensor/honeypot-west/cowrie.json");

}  // namespace

TEST(Crc64, CheckValueContinuationAndCombine) {
    EXPECT_EQ(crc64(0, "123456789"), 0x995DC9BBDF1939FAULL);  // CRC-64/XZ
    EXPECT_EQ(crc64_by_table(0, "123456789", 9), 0x995DC9BBDF1939FAULL);
    std::mt19937_64 rng(13);
    for (int i = 0; i < 200; ++i) {
        std::string data(rng() % 20000, '\0');
        for (auto& c : data) c = static_cast<char>(rng());
        const std::size_t cut = data.empty() ? 0 : rng() % (data.size() + 1);
        const std::uint64_t a = crc64(0, data.data(), cut), b = crc64(0, data.data() + cut, data.size() - cut);
        const std::uint64_t whole = crc64(0, data);
        EXPECT_EQ(crc64(a, data.data() + cut, data.size() - cut), whole);
        EXPECT_EQ(crc64_combine(a, b, data.size() - cut), whole);
        EXPECT_EQ(crc64_by_table(0, data.data(), data.size()), whole);
    }
}

TEST_F(FileLedgerTest, FirstRunReadsWholeThenUntouchedFilesAreSkippedUnread) {
    write("cowrie.json", kLive);
    write("cowrie.json.2026-11-26", kRotated);
    const Pass first = run();
    ASSERT_EQ(first.plans.reads.size(), 2u);
    for (const auto& p : first.plans.reads) EXPECT_EQ(p.action, Action::ReadWhole) << p.reason;
    EXPECT_EQ(first.consumed("cowrie.json").end, kLive.size());
    EXPECT_EQ(first.consumed("cowrie.json").lines, 110u);
    expect_entry_matches(1, kLive, kLive.size());  // ids in path order
    expect_entry_matches(2, kRotated, kRotated.size());

    const Pass second = run();
    for (const auto& p : second.plans.reads) {
        EXPECT_EQ(p.action, Action::Skip);
        EXPECT_EQ(p.reason, "unchanged since it was read");
    }
    EXPECT_EQ(second.plans.files_verified, 0u);  // the fast path: stat only
    EXPECT_TRUE(second.ingest.files.empty());
    EXPECT_TRUE(second.plans.gone.empty());
    expect_runs_equal_whole_read();
}

TEST_F(FileLedgerTest, LiveFileGrowsByHalfALineThenTheLineCompletes) {
    const std::string part = first_lines(kLive, 40), line41 = first_lines(kLive, 41).substr(part.size());
    write("cowrie.json", part);
    run();

    append("cowrie.json", line41.substr(0, line41.size() / 2));
    const Pass half = run();
    const ReadPlan& p = half.plan("cowrie.json");
    EXPECT_EQ(p.action, Action::ReadFrom) << p.reason;
    EXPECT_EQ(p.start_decoded_byte, part.size());
    EXPECT_EQ(p.start_line, 40u);
    const Consumed& c = half.consumed("cowrie.json");
    EXPECT_EQ(c.end, part.size());  // the half line is left for the next run
    EXPECT_EQ(c.held_tail, line41.size() / 2);
    EXPECT_EQ(half.ingest.totals.lines, 0u);
    EXPECT_EQ(half.ingest.totals.rejected_total(), 0u);  // not a truncated line

    append("cowrie.json", line41.substr(line41.size() / 2) + kLive.substr(first_lines(kLive, 41).size()));
    const Pass done = run();
    EXPECT_EQ(done.plan("cowrie.json").action, Action::ReadFrom);
    EXPECT_EQ(done.plan("cowrie.json").start_line, 40u);
    EXPECT_EQ(done.consumed("cowrie.json").end, kLive.size());
    EXPECT_EQ(done.ingest.totals.lines, 70u);
    expect_entry_matches(p.entry_id, kLive, kLive.size());
    expect_runs_equal_whole_read();
}

TEST_F(FileLedgerTest, RenamedAtRotationAndANewLiveFile) {
    write("cowrie.json", kLive);
    run();
    const std::uint64_t id = 1;

    fs::rename(at("cowrie.json"), at("cowrie.json.2026-12-03"));
    write("cowrie.json", first_lines(kOtherLive, 3));
    const Pass second = run();
    const ReadPlan& renamed = second.plan("cowrie.json.2026-12-03");
    EXPECT_EQ(renamed.action, Action::Skip);
    EXPECT_EQ(renamed.entry_id, id);
    EXPECT_EQ(renamed.reason, "unchanged since it was read as " + at("cowrie.json").string());
    EXPECT_EQ(second.plan("cowrie.json").action, Action::ReadWhole);
    EXPECT_EQ(second.plan("cowrie.json").entry_id, 0u);
    EXPECT_EQ(second.ids, (std::vector<std::uint64_t>{2, 1}));  // the new live file got a new entry
    EXPECT_EQ(second.plans.files_verified, 0u);  // the renamed file by device and inode; the new one by its head
    EXPECT_TRUE(second.plans.gone.empty());
    EXPECT_EQ(ledger_.find(id)->path, at("cowrie.json.2026-12-03").string());
    expect_runs_equal_whole_read();
}

TEST_F(FileLedgerTest, GrownThenRenamedIsReadOnFromWhereItStopped) {
    write("cowrie.json", first_lines(kLive, 70));
    run();
    write("cowrie.json", kLive);  // same inode, rewritten with the same start and more lines
    fs::rename(at("cowrie.json"), at("cowrie.json.2026-12-03"));
    const Pass second = run();
    const ReadPlan& p = second.plan("cowrie.json.2026-12-03");
    EXPECT_EQ(p.action, Action::ReadFrom) << p.reason;
    EXPECT_EQ(p.start_decoded_byte, first_lines(kLive, 70).size());
    EXPECT_EQ(p.start_line, 70u);
    EXPECT_EQ(second.plans.files_verified, 1u);
    expect_entry_matches(p.entry_id, kLive, kLive.size());
    expect_runs_equal_whole_read();
}

TEST_F(FileLedgerTest, GzipOfAFileReadBeforeIsNotReadAgain) {
    write("cowrie.json.2026-11-26", kRotated);
    run();
    write("cowrie.json.2026-11-26.gz", test::gzip(kRotated));  // logrotate compress
    fs::remove(at("cowrie.json.2026-11-26"));
    const Pass second = run();
    const ReadPlan& p = second.plan("cowrie.json.2026-11-26.gz");
    EXPECT_EQ(p.action, Action::Skip) << p.reason;
    EXPECT_EQ(p.entry_id, 1u);
    EXPECT_EQ(p.reason, "nothing new after the " + std::to_string(kRotated.size()) + " decoded bytes read before as " +
                            at("cowrie.json.2026-11-26").string());
    EXPECT_TRUE(second.plans.gone.empty());
    EXPECT_EQ(ledger_.find(1)->compression, Compression::Gzip);
    const Pass third = run();  // the compressed file by device and inode now
    EXPECT_EQ(third.plan("cowrie.json.2026-11-26.gz").reason, "unchanged since it was read");
    expect_runs_equal_whole_read();
}

TEST_F(FileLedgerTest, ShippedGzipOfARotatedLogMatchesItsPlainFileReadBefore) {
    // multi-sensor's east sensor: a day's log gzipped by the gzip tool, read first as it was
    // before logrotate compressed it.
    const std::string gz = shipped("tests/data/multi-sensor/honeypot-east/cowrie.json.2026-12-04.gz");
    std::string plain, err;
    test::write_file(at("decode.gz").string(), gz);
    {
        auto src = open_source(at("decode.gz").string(), &err);
        ASSERT_TRUE(src) << err;
        char buf[4096];
        for (std::size_t n; (n = src->read(buf, sizeof buf)) > 0;) plain.append(buf, n);
    }
    fs::remove(at("decode.gz"));
    write("cowrie.json.2026-12-04", plain);
    run();
    fs::remove(at("cowrie.json.2026-12-04"));
    write("cowrie.json.2026-12-04.gz", gz);
    const Pass second = run();
    const ReadPlan& p = second.plan("cowrie.json.2026-12-04.gz");
    EXPECT_EQ(p.action, Action::Skip) << p.reason;
    EXPECT_EQ(p.entry_id, 1u);
    EXPECT_EQ(second.plans.bytes_verified, 21358u);
    EXPECT_TRUE(second.plans.gone.empty());
    expect_entry_matches(1, plain, plain.size());
    expect_runs_equal_whole_read();
}

TEST_F(FileLedgerTest, GzipOfAFileThatGrewIsReadOnlyBeyondWhatWasRead) {
    write("cowrie.json", first_lines(kLive, 50));
    run();
    write("cowrie.json.1.gz", test::gzip(kLive));
    fs::remove(at("cowrie.json"));
    const Pass second = run();
    const ReadPlan& p = second.plan("cowrie.json.1.gz");
    EXPECT_EQ(p.action, Action::ReadFrom) << p.reason;
    EXPECT_EQ(p.start_decoded_byte, first_lines(kLive, 50).size());
    EXPECT_EQ(p.start_line, 50u);
    EXPECT_EQ(second.ingest.totals.lines, 60u);
    EXPECT_EQ(second.ingest.files.at(0).file.compression, Compression::Gzip);
    expect_entry_matches(p.entry_id, kLive, kLive.size());
    expect_runs_equal_whole_read();
}

TEST_F(FileLedgerTest, CopytruncateKeepsTheCopyAndReadsTheTruncatedFileAsNew) {
    write("cowrie.json", kLive);
    run();
    fs::copy_file(at("cowrie.json"), at("cowrie.json.1"));
    fs::resize_file(at("cowrie.json"), 0);
    append("cowrie.json", first_lines(kOtherLive, 20));
    const Pass second = run();
    EXPECT_EQ(second.plan("cowrie.json.1").action, Action::Skip) << second.plan("cowrie.json.1").reason;
    EXPECT_EQ(second.plan("cowrie.json.1").entry_id, 1u);
    EXPECT_EQ(second.plan("cowrie.json").action, Action::ReadWhole) << second.plan("cowrie.json").reason;
    expect_runs_equal_whole_read();
}

TEST_F(FileLedgerTest, ShrunkFileIsReadAgainWholeAndSaysWhy) {
    write("cowrie.json", kLive);
    run();
    const std::string kept = first_lines(kLive, 30);
    fs::resize_file(at("cowrie.json"), kept.size());
    const Pass second = run();
    const ReadPlan& p = second.plan("cowrie.json");
    EXPECT_EQ(p.action, Action::Reread);
    EXPECT_EQ(p.entry_id, 1u);  // the data taken from entry 1 is void
    EXPECT_EQ(p.start_decoded_byte, 0u);
    EXPECT_EQ(p.reason, "shrank: " + std::to_string(kLive.size()) + " decoded bytes were read, it has " +
                            std::to_string(kept.size()) +
                            " now; read again whole, the data taken from it before is void");
    EXPECT_EQ(second.ingest.totals.lines, 30u);
    expect_entry_matches(1, kept, kept.size());
}

TEST_F(FileLedgerTest, AByteChangedInTheMiddleIsReadAgainWhole) {
    write("cowrie.json", kLive);
    run();
    std::string changed = kLive;
    const std::size_t mid = changed.find("\"src_ip\":\"", changed.size() / 2) + 10;
    changed[mid] = changed[mid] == '9' ? '8' : '9';
    {
        std::fstream f(at("cowrie.json"), std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(static_cast<std::streamoff>(mid));
        f.put(changed[mid]);
    }
    // Same size: the mtime tells it changed (a later write; the test is faster than the clock's tick).
    fs::last_write_time(at("cowrie.json"), fs::last_write_time(at("cowrie.json")) + std::chrono::seconds(1));
    const Pass second = run();
    const ReadPlan& p = second.plan("cowrie.json");
    EXPECT_EQ(p.action, Action::Reread);
    EXPECT_EQ(p.reason, "changed: the first " + std::to_string(kLive.size()) +
                            " decoded bytes are not those read before; read again whole, the data taken from it "
                            "before is void");
    EXPECT_EQ(second.ingest.totals.lines, 110u);
    expect_entry_matches(1, changed, changed.size());
}

TEST_F(FileLedgerTest, RewrittenUnderTheSamePathWithTheSameStartIsReadAgainWhole) {
    write("cowrie.json", kLive);
    run();
    std::string edited = kLive;
    edited.erase(first_lines(kLive, 50).size(), first_lines(kLive, 51).size() - first_lines(kLive, 50).size());
    fs::remove(at("cowrie.json"));  // an editor writes a new file (a new inode) under the name
    write("cowrie.json", edited);
    const Pass second = run();
    const ReadPlan& p = second.plan("cowrie.json");
    EXPECT_EQ(p.action, Action::Reread) << p.reason;
    EXPECT_EQ(p.entry_id, 1u);
    EXPECT_EQ(second.ingest.totals.lines, 109u);
    EXPECT_TRUE(second.plans.gone.empty());
    expect_entry_matches(1, edited, edited.size());
}

TEST_F(FileLedgerTest, DeletedFileIsReportedGoneOnceAndNotReadAgainIfItReturns) {
    write("cowrie.json", kLive);
    write("cowrie.json.2026-11-26", kRotated);
    run();
    fs::rename(at("cowrie.json.2026-11-26"), dir_.parent_path() / "cb_ledger_kept");
    const Pass second = run();
    ASSERT_EQ(second.plans.gone.size(), 1u);
    EXPECT_EQ(second.plans.gone[0].path, at("cowrie.json.2026-11-26").string());
    EXPECT_EQ(second.plans.gone[0].bytes, kRotated.size());
    EXPECT_TRUE(ledger_.find(second.plans.gone[0].id)->missing);
    EXPECT_TRUE(run().plans.gone.empty());  // said once

    fs::rename(dir_.parent_path() / "cb_ledger_kept", at("cowrie.json.2026-11-26"));
    const Pass back = run();
    EXPECT_EQ(back.plan("cowrie.json.2026-11-26").action, Action::Skip);
    EXPECT_FALSE(ledger_.find(second.plans.gone[0].id)->missing);
}

TEST(FileStat, AnInodeNumberGivenToANewFileIsAnotherFile) {
    FileStat read{.device = 1, .inode = 7, .size = 10, .mtime_ns = 5, .btime_ns = 100};
    FileStat now = read;
    EXPECT_TRUE(now.same_file(read));
    now.btime_ns = 200;  // the file read before was deleted and its inode number reused
    EXPECT_FALSE(now.same_file(read));
    now.btime_ns = 0;  // a file system that keeps no birth time: the number is all there is
    EXPECT_TRUE(now.same_file(read));
}

// Retention deletes an old day and a new day's file gets its inode number (ext4 hands freed
// numbers out again): the new file is new, and the old one gone (its sessions stay), not a file
// "changed" in place that would void the state.
TEST_F(FileLedgerTest, ANewFileOnADeletedOnesInodeIsNewAndTheOldOneGone) {
    write("cowrie.json.2026-11-26", kRotated);
    write("cowrie.json", kLive);
    run();
    FileStat old{};
    ASSERT_TRUE(stat_file(at("cowrie.json.2026-11-26").string(), &old));
    fs::remove(at("cowrie.json.2026-11-26"));
    write("cowrie.json.2026-12-04", kOtherLive);
    FileStat fresh{};
    ASSERT_TRUE(stat_file(at("cowrie.json.2026-12-04").string(), &fresh));
    const Pass second = run();
    const ReadPlan& p = second.plan("cowrie.json.2026-12-04");
    EXPECT_EQ(p.action, Action::ReadWhole) << p.reason << (fresh.inode == old.inode ? " (inode reused)" : "");
    ASSERT_EQ(second.plans.gone.size(), 1u);
    EXPECT_EQ(second.plans.gone[0].path, at("cowrie.json.2026-11-26").string());
}

TEST_F(FileLedgerTest, RangesReadInParallelJoinIntoOneFingerprint) {
    std::string big;
    while (big.size() < 200000) big += kLive;                   // with ranges of 8 KB: many
    write("cowrie.json", big.substr(0, big.size() / 3 + 100));  // ends inside a line
    const Pass first = run(16384);
    const Consumed& c = first.consumed("cowrie.json");
    EXPECT_TRUE(c.joined);
    const std::size_t line_end = big.rfind('\n', big.size() / 3 + 99) + 1;
    EXPECT_EQ(c.end, line_end);
    EXPECT_EQ(c.crc, crc64(0, big.data(), line_end));
    EXPECT_EQ(c.held_tail, big.size() / 3 + 100 - line_end);

    write("cowrie.json", big);  // same inode, grown
    const Pass second = run(16384);
    EXPECT_EQ(second.plan("cowrie.json").action, Action::ReadFrom);
    EXPECT_EQ(second.plan("cowrie.json").start_decoded_byte, line_end);
    EXPECT_TRUE(second.consumed("cowrie.json").joined);
    expect_entry_matches(1, big, big.size());
    expect_runs_equal_whole_read();
}

TEST_F(FileLedgerTest, RejectSampleLineNumbersContinueAcrossRuns) {
    write("cowrie.json", first_lines(kLive, 60));
    run();
    append("cowrie.json", "{\"eventid\": broken\n" + kLive.substr(first_lines(kLive, 60).size()));
    const Pass second = run();
    ASSERT_EQ(second.ingest.samples.size(), 1u);
    EXPECT_EQ(second.ingest.samples[0].line, 61u);
    expect_runs_equal_whole_read();
}

TEST_F(FileLedgerTest, SavedAndLoadedLedgerPlansTheSame) {
    write("cowrie.json", kLive);
    run();
    const std::string path = at("files.ledger").string();
    std::string err;
    ASSERT_TRUE(ledger_.save(path, &err)) << err;
    FileLedger loaded;
    ASSERT_TRUE(FileLedger::load(path, &loaded, &err)) << err;
    ASSERT_EQ(loaded.entries().size(), 1u);
    EXPECT_EQ(loaded.entries()[0].crc, ledger_.entries()[0].crc);
    EXPECT_EQ(loaded.entries()[0].stat, ledger_.entries()[0].stat);
    fs::remove(path);
    const InputSet in = expand_inputs({dir_.string()});
    EXPECT_EQ(plan_reads(loaded, in.files).reads.at(0).action, Action::Skip);

    FileLedger none;
    EXPECT_TRUE(FileLedger::load(at("absent").string(), &none, &err));  // a first run
    EXPECT_TRUE(none.entries().empty());
    write("not-a-ledger", "{}");
    EXPECT_FALSE(FileLedger::load(at("not-a-ledger").string(), &none, &err));
    EXPECT_NE(err.find("not a file ledger"), std::string::npos);
}
