// OutputDir: the temporary folder beside OUTDIR, the swap, the safety rule, stale folders.
#include "cb/output/output_dir.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "test_files.hpp"

namespace fs = std::filesystem;

namespace {

class OutputDirTest : public ::testing::Test {
protected:
    void SetUp() override {
        root_ = fs::temp_directory_path() / ("cb-output-dir-test-" + std::to_string(::getpid()));
        fs::remove_all(root_);
        fs::create_directories(root_);
    }
    void TearDown() override { fs::remove_all(root_); }
    std::set<std::string> names(const fs::path& dir) const {
        std::set<std::string> out;
        for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
        return out;
    }
    fs::path root_;
};

TEST_F(OutputDirTest, NewFolderAppearsOnlyAtCommit) {
    cb::OutputDir d;
    std::string err;
    ASSERT_EQ(d.open((root_ / "out").string(), &err), cb::OutputDir::Status::Ok) << err;
    EXPECT_EQ(fs::path(d.temp()).parent_path(), root_);
    cb::test::write_file(d.temp() + "/summary.json", "{}");
    EXPECT_FALSE(fs::exists(root_ / "out"));
    EXPECT_EQ(d.commit(), "");
    EXPECT_EQ(names(root_), std::set<std::string>{"out"});
    EXPECT_EQ(names(root_ / "out"), std::set<std::string>{"summary.json"});
}

TEST_F(OutputDirTest, ExistingFolderIsSwappedWhole) {
    fs::create_directories(root_ / "out" / "tables");
    cb::test::write_file((root_ / "out" / "tables" / "old.csv").string(), "x");
    cb::test::write_file((root_ / "out" / "hints.json").string(), "old");
    cb::OutputDir d;
    std::string err;
    ASSERT_EQ(d.open((root_ / "out/").string(), &err), cb::OutputDir::Status::Ok) << err;
    cb::test::write_file(d.temp() + "/hints.json", "new");
    EXPECT_EQ(d.commit(), "");
    EXPECT_EQ(names(root_), std::set<std::string>{"out"});
    EXPECT_EQ(names(root_ / "out"), std::set<std::string>{"hints.json"});
}

TEST_F(OutputDirTest, DiscardLeavesTheOldFolder) {
    fs::create_directories(root_ / "out");
    cb::test::write_file((root_ / "out" / "hints.json").string(), "old");
    {
        cb::OutputDir d;
        std::string err;
        ASSERT_EQ(d.open((root_ / "out").string(), &err), cb::OutputDir::Status::Ok) << err;
        cb::test::write_file(d.temp() + "/hints.json", "new");
        EXPECT_EQ(d.as_final("cannot write " + d.temp() + "/hints.json"),
                  "cannot write " + (root_ / "out").string() + "/hints.json");
    }  // the destructor discards
    EXPECT_EQ(names(root_), std::set<std::string>{"out"});
    EXPECT_EQ(names(root_ / "out"), std::set<std::string>{"hints.json"});
}

TEST_F(OutputDirTest, ForeignFilesAreRefused) {
    for (const char* foreign : {"notes.txt", "tables/mine.txt"}) {
        fs::remove_all(root_ / "out");
        fs::create_directories(root_ / "out" / "tables");
        cb::test::write_file((root_ / "out" / foreign).string(), "mine");
        cb::OutputDir d;
        std::string err;
        EXPECT_EQ(d.open((root_ / "out").string(), &err), cb::OutputDir::Status::Refused);
        EXPECT_NE(err.find(foreign), std::string::npos) << err;
        EXPECT_EQ(names(root_), std::set<std::string>{"out"});
    }
    cb::test::write_file((root_ / "file").string(), "x");
    cb::OutputDir d;
    std::string err;
    EXPECT_EQ(d.open((root_ / "file").string(), &err), cb::OutputDir::Status::Refused);
    EXPECT_NE(err.find("not a folder"), std::string::npos) << err;
}

TEST_F(OutputDirTest, OwnNames) {
    for (const char* f :
         {"summary.json", "sessions.jsonl", "cowrie.sqlite", "cowrie.sqlite.tmp", "hints.json", "report.html"})
        EXPECT_TRUE(cb::own_entry(f, false, cb::OutFolder::Top)) << f;
    using cb::OutFolder;
    EXPECT_TRUE(cb::own_entry("tables", true, OutFolder::Top));
    EXPECT_TRUE(cb::own_entry("sessions", true, OutFolder::Top));
    EXPECT_TRUE(cb::own_entry(".hadoop-work", true, OutFolder::Top));
    EXPECT_TRUE(cb::own_entry("sessions.csv", false, OutFolder::Tables));
    EXPECT_TRUE(cb::own_entry("day=2024-04-05", true, OutFolder::Sessions));
    EXPECT_TRUE(cb::own_entry("_partitions.json", false, OutFolder::Sessions));
    EXPECT_TRUE(cb::own_entry("sessions.jsonl.tmp", false, OutFolder::Day));
    EXPECT_TRUE(cb::own_entry("iocs", true, OutFolder::Top));
    for (const char* f : {"iocs.csv", "stix2.json", "misp.json.tmp"})
        EXPECT_TRUE(cb::own_entry(f, false, OutFolder::Iocs)) << f;
    EXPECT_FALSE(cb::own_entry("notes.txt", false, OutFolder::Iocs));
    EXPECT_FALSE(cb::own_entry("tables", false, OutFolder::Top));
    EXPECT_FALSE(cb::own_entry("sessions", false, OutFolder::Top));
    EXPECT_FALSE(cb::own_entry("summary.json", true, OutFolder::Top));
    EXPECT_FALSE(cb::own_entry("README", false, OutFolder::Top));
    EXPECT_FALSE(cb::own_entry("x.txt", false, OutFolder::Tables));
    EXPECT_FALSE(cb::own_entry("sub", true, OutFolder::Tables));
    EXPECT_FALSE(cb::own_entry("notes.txt", false, OutFolder::Sessions));
    EXPECT_FALSE(cb::own_entry("day=2024-04-05", false, OutFolder::Sessions));
    EXPECT_FALSE(cb::own_entry("sub", true, OutFolder::Day));
    EXPECT_FALSE(cb::own_entry("other.jsonl", false, OutFolder::Day));
}

TEST_F(OutputDirTest, StaleFoldersOfDeadRunsAreRemoved) {
    // pid 999999999 is above any pid_max: dead. Our own pid: a leftover of an earlier run
    // that had it (pids are reused, in containers at once).
    for (const std::string& pid : {std::string("999999999"), std::to_string(::getpid())})
        fs::create_directories(root_ / (".out.tmp-" + pid) / "tables");
    fs::create_directories(root_ / ".out.tmp-1");  // pid 1 lives: not ours to remove
    fs::create_directories(root_ / ".other.tmp-999999999");
    cb::OutputDir d;
    std::string err;
    ASSERT_EQ(d.open((root_ / "out").string(), &err), cb::OutputDir::Status::Ok) << err;
    EXPECT_EQ(names(root_),
              (std::set<std::string>{".out.tmp-1", ".other.tmp-999999999", fs::path(d.temp()).filename().string()}));
}

TEST_F(OutputDirTest, SetAsideFolderComesBackWhenOutdirIsMissing) {
    fs::create_directories(root_ / ".out.old-999999999");
    cb::test::write_file((root_ / ".out.old-999999999" / "hints.json").string(), "old");
    cb::OutputDir d;
    std::string err;
    ASSERT_EQ(d.open((root_ / "out").string(), &err), cb::OutputDir::Status::Ok) << err;
    d.discard();
    EXPECT_EQ(names(root_), std::set<std::string>{"out"});
    EXPECT_EQ(names(root_ / "out"), std::set<std::string>{"hints.json"});
}

}  // namespace

namespace {

TEST_F(OutputDirTest, SwapByRenamesForFileSystemsWithoutExchange) {
    fs::create_directories(root_ / "out");
    fs::create_directories(root_ / "new");
    cb::test::write_file((root_ / "out" / "hints.json").string(), "old");
    cb::test::write_file((root_ / "new" / "hints.json").string(), "new");
    std::string err;
    const fs::path previous = cb::swap_by_renames(root_ / "new", root_ / "out", &err);
    EXPECT_EQ(err, "");
    EXPECT_EQ(previous.filename().string(), ".out.old-" + std::to_string(::getpid()));
    EXPECT_EQ(names(previous), std::set<std::string>{"hints.json"});
    EXPECT_EQ(names(root_), (std::set<std::string>{"out", previous.filename().string()}));
    std::ifstream in(root_ / "out" / "hints.json");
    std::string text;
    in >> text;
    EXPECT_EQ(text, "new");
    // A temporary folder that is gone: the previous OUTDIR goes back in place.
    EXPECT_TRUE(cb::swap_by_renames(root_ / "missing", root_ / "out", &err).empty());
    EXPECT_NE(err, "");
    EXPECT_TRUE(fs::exists(root_ / "out" / "hints.json"));
}

}  // namespace
