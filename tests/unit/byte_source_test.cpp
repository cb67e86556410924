#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "cb/input/byte_source.hpp"
#include "cb/input/input_set.hpp"
#include "test_files.hpp"

using namespace cb;

namespace {

std::string temp_path(const char* name) { return std::string(::testing::TempDir()) + "/" + name; }

void write(const std::string& path, const std::string& data) { cb::test::write_file(path, data); }

using cb::test::gzip;

std::string read_all(ByteSource& s) {
    std::string out;
    char buf[1000];
    for (std::size_t n; (n = s.read(buf, sizeof buf)) > 0;) out.append(buf, n);
    return out;
}

std::string lines(int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += "{\"eventid\":\"cowrie.session.connect\",\"n\":" + std::to_string(i) + "}\n";
    return s;
}

}  // namespace

TEST(ByteSource, GzipByMagicNotName) {
    const std::string data = lines(5000);
    const std::string path = temp_path("cowrie.json.2024-04-05");  // no .gz suffix
    write(path, gzip(data));
    std::string err;
    Compression c;
    auto src = open_source(path, &err, &c);
    ASSERT_TRUE(src);
    EXPECT_EQ(c, Compression::Gzip);
    EXPECT_EQ(read_all(*src), data);
    EXPECT_TRUE(src->error().empty());
}

TEST(ByteSource, ConcatenatedGzipMembers) {
    const std::string a = lines(10), b = lines(20);
    const std::string path = temp_path("multi.gz");
    write(path, gzip(a) + gzip(b));
    std::string err;
    auto src = open_source(path, &err);
    EXPECT_EQ(read_all(*src), a + b);
}

TEST(ByteSource, TruncatedGzipKeepsPrefixAndReportsIt) {
    const std::string data = lines(20000);
    const std::string z = gzip(data);
    const std::string path = temp_path("cut.json.gz");
    write(path, z.substr(0, z.size() / 2));
    std::string err;
    auto src = open_source(path, &err);
    const std::string got = read_all(*src);
    EXPECT_GT(got.size(), data.size() / 4);
    EXPECT_EQ(data.compare(0, got.size(), got), 0);  // a true prefix
    EXPECT_NE(src->error().find("truncated"), std::string::npos) << src->error();
}

TEST(InputSet, ClassifiesByContent) {
    EXPECT_EQ(classify_content(std::string(1000, '\0') + lines(2)), FileKind::JsonLog);
    EXPECT_EQ(classify_content("2024-04-05T12:00:01.123456Z [HoneyPotSSHTransport,1,1.2.3.4] Remote SSH version\n"),
              FileKind::TextLog);
    EXPECT_EQ(classify_content("[\n {\"repo\": \"x\"}\n]\n"), FileKind::Other);
    EXPECT_EQ(classify_content(""), FileKind::Empty);
    std::string tty(24, '\0');
    tty[0] = 1;
    const std::uint32_t sec = 1700000000;
    std::memcpy(tty.data() + 16, &sec, 4);
    EXPECT_EQ(classify_content(tty), FileKind::TtyLog);
}

TEST(InputSet, FoldersRecurseAndSymlinkLoopsEnd) {
    const std::string dir = temp_path("inset");
    std::system(("rm -rf " + dir + " && mkdir -p " + dir + "/a/b").c_str());
    write(dir + "/a/cowrie.json", lines(3));
    write(dir + "/a/b/cowrie.json.1.gz", gzip(lines(3)));
    write(dir + "/a/b/notes.txt", "hello\n");
    ASSERT_EQ(::symlink("..", (dir + "/a/b/loop").c_str()), 0);
    InputSet s = expand_inputs({dir, dir + "/missing.json"});
    int json = 0;
    for (const auto& f : s.files) json += f.kind == FileKind::JsonLog;
    EXPECT_EQ(json, 2);
    bool loop = false, missing = false;
    for (const auto& p : s.problems) {
        loop |= p.reason.find("loop") != std::string::npos;
        missing |= p.path.find("missing.json") != std::string::npos;
    }
    EXPECT_TRUE(loop);
    EXPECT_TRUE(missing);
}

// A log named twice (the folder and the file in it, a symlink, a hard link, "./" in the path) is
// one file: it is read once, under the first name met. Another file with the same bytes is not
// the same file.
TEST(InputSet, AFileNamedTwiceIsReadOnce) {
    const std::string dir = temp_path("twice");
    std::system(("rm -rf " + dir + " && mkdir -p " + dir + "/logs " + dir + "/other").c_str());
    write(dir + "/logs/cowrie.json", lines(3));
    write(dir + "/other/copy.json", lines(3));
    ASSERT_EQ(::symlink((dir + "/logs/cowrie.json").c_str(), (dir + "/other/sym.json").c_str()), 0);
    ASSERT_EQ(::link((dir + "/logs/cowrie.json").c_str(), (dir + "/other/hard.json").c_str()), 0);
    InputSet s = expand_inputs({dir + "/logs", dir + "/logs/./cowrie.json", dir + "/other"});
    std::vector<std::string> paths;
    for (const auto& f : s.files) paths.push_back(f.path);
    EXPECT_EQ(paths, (std::vector<std::string>{dir + "/logs/cowrie.json", dir + "/other/copy.json"}));
    EXPECT_TRUE(s.problems.empty());
}

// analyze --state: a file with the stat an earlier run saw is taken to be what it was then,
// unread (a daily run over a year of logs would otherwise read 64 KiB of each); any other stat
// (a touch, another size, another inode) is looked at again.
TEST(InputSet, KnownFilesAsTheyWereAreClassifiedUnread) {
    const std::string dir = temp_path("known");
    std::system(("rm -rf " + dir + " && mkdir -p " + dir).c_str());
    write(dir + "/cowrie.json", lines(3));
    write(dir + "/notes.txt", "hello\n");
    FileStat log, notes;
    ASSERT_TRUE(stat_file(dir + "/cowrie.json", &log));
    ASSERT_TRUE(stat_file(dir + "/notes.txt", &notes));
    // what a read would contradict: the log taken as gzip, the text file as a JSON log
    KnownFiles known{{{log.device, log.inode}, {log, FileKind::JsonLog, Compression::Gzip}},
                     {{notes.device, notes.inode}, {notes, FileKind::JsonLog, Compression::None}}};
    InputSet s = expand_inputs({dir}, 0, &known);
    ASSERT_EQ(s.files.size(), 2u);
    EXPECT_EQ(s.files[0].compression, Compression::Gzip);
    EXPECT_EQ(s.files[1].kind, FileKind::JsonLog);

    const timespec later[2] = {{0, UTIME_OMIT}, {notes.mtime_ns / 1000000000 + 1, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, (dir + "/notes.txt").c_str(), later, 0), 0);
    known.at({log.device, log.inode}).stat.size += 1;  // another size
    s = expand_inputs({dir}, 0, &known);
    ASSERT_EQ(s.files.size(), 2u);
    EXPECT_EQ(s.files[0].compression, Compression::None);
    EXPECT_EQ(s.files[0].kind, FileKind::JsonLog);
    EXPECT_EQ(s.files[1].kind, FileKind::Other);
}

TEST(ByteSource, LeadingRunAtEveryLengthAndOffset) {
    for (std::size_t n = 0; n < 40; ++n)
        for (std::size_t run = 0; run <= n; ++run) {
            std::string s(n, 'x');
            for (std::size_t i = 0; i < run; ++i) s[i] = '\0';
            EXPECT_EQ(leading_run(s.data(), s.size(), '\0'), run) << n << " " << run;
        }
}

// Limits (issue #11): a NUL run longer than the old 64 MiB look-ahead no longer hides the lines
// after it; a file of nothing but NULs is named from 1 MiB on; max_file_bytes ends the look.
TEST(InputSet, LongNulRunsAreSkippedAndAllNulFilesNamed) {
    const std::string dir = temp_path("nuls");
    std::system(("rm -rf " + dir + " && mkdir -p " + dir).c_str());
    write(dir + "/long.json.gz", gzip(std::string(std::size_t{70} << 20, '\0') + lines(2)));
    write(dir + "/hole.json", std::string(1000, '\0'));
    write(dir + "/zeros", std::string(std::size_t{2} << 20, '\0'));
    InputSet s = expand_inputs({dir});
    ASSERT_EQ(s.files.size(), 2u);
    EXPECT_EQ(s.files[0].path, dir + "/hole.json");
    EXPECT_EQ(s.files[0].kind, FileKind::Empty);
    EXPECT_EQ(s.files[1].path, dir + "/long.json.gz");
    EXPECT_EQ(s.files[1].kind, FileKind::JsonLog);
    ASSERT_EQ(s.problems.size(), 1u);
    EXPECT_EQ(s.problems[0].path, dir + "/zeros");
    EXPECT_EQ(s.problems[0].reason, "2097152 bytes, all NUL: no line to read");

    InputSet cut = expand_inputs({dir + "/long.json.gz"}, std::uint64_t{1} << 20);
    EXPECT_TRUE(cut.files.empty());
    ASSERT_EQ(cut.problems.size(), 1u);
    EXPECT_NE(cut.problems[0].reason.find("--max-file-bytes"), std::string::npos) << cut.problems[0].reason;
}

// Sparse files (a logrotate copytruncate hole): holes are made as NULs without reading them;
// every byte must come out as it is on disk, from any starting offset, in any read size.
TEST(ByteSource, SparseFilesReadExactly) {
    const std::string path = temp_path("sparse.json");
    std::remove(path.c_str());
    std::string expect;
    {
        std::FILE* f = std::fopen(path.c_str(), "wb");
        ASSERT_NE(f, nullptr);
        auto put = [&](std::uint64_t at, const std::string& s) {
            ASSERT_EQ(std::fseek(f, static_cast<long>(at), SEEK_SET), 0);
            ASSERT_EQ(std::fwrite(s.data(), 1, s.size(), f), s.size());
            if (expect.size() < at + s.size()) expect.resize(at + s.size(), '\0');
            expect.replace(at, s.size(), s);
        };
        put(0, "{\"eventid\":\"a\"}\n");
        put(std::uint64_t{3} << 20, std::string(5000, 'x') + "\n");
        put((std::uint64_t{7} << 20) + 123, "tail\n");
        std::fclose(f);
        ASSERT_EQ(::truncate(path.c_str(), static_cast<off_t>((9u << 20) + 7)), 0);  // a hole at the end
        expect.resize((9u << 20) + 7, '\0');
    }
    for (std::size_t chunk : {std::size_t{1000}, std::size_t{4096}, std::size_t{1} << 20}) {
        for (std::uint64_t start : {std::uint64_t{0}, std::uint64_t{5}, std::uint64_t{3} << 20, std::uint64_t{5} << 20,
                                    (std::uint64_t{7} << 20) + 125, std::uint64_t{9} << 20}) {
            std::string err;
            auto src = start == 0 ? open_source(path, &err) : open_plain_at(path, start, &err);
            ASSERT_TRUE(src) << err;
            std::string got;
            std::vector<char> buf(chunk);
            for (std::size_t n; (n = src->read(buf.data(), buf.size())) > 0;) got.append(buf.data(), n);
            EXPECT_TRUE(src->error().empty());
            EXPECT_EQ(got.size(), expect.size() - start) << chunk << " " << start;
            EXPECT_TRUE(got == expect.substr(start)) << chunk << " " << start;
            EXPECT_EQ(src->raw_bytes(), expect.size() - start);
        }
    }
}
