#include "cb/util/direct_file.hpp"

#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace cb;

namespace {

std::string temp_path(const std::string& name) {
    return std::string(::testing::TempDir()) + "/cb-direct-" + std::to_string(::getpid()) + "-" + name;
}

std::string read_back(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// Bytes that differ at every position (a shifted or repeated block shows).
std::string pattern(std::size_t n) {
    std::string s(n, '\0');
    std::uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (std::size_t i = 0; i < n; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s[i] = static_cast<char>(x);
    }
    return s;
}

}  // namespace

// Whatever the size and however it is cut into writes, the file has exactly the bytes given:
// the block edges (4 KiB, the 4 MiB buffer) and the last partial block, past the page cache or
// through it.
TEST(DirectFile, WritesExactlyTheBytesGivenInAnyPieces) {
    constexpr std::size_t kBlock = DirectFile::kDirectBlockBytes;
    const std::vector<std::size_t> sizes{
        0, 1, 4095, 4096, 4097, kBlock - 1, kBlock, kBlock + 1, 2 * kBlock + 4096, 9 * (kBlock / 4) + 123};
    const std::vector<std::size_t> pieces{1, 7, 4096, 4099, 1 << 20, kBlock + 5};
    for (const bool direct : {true, false})
        for (const std::size_t size : sizes)
            for (const std::size_t piece : pieces) {
                if (piece == 1 && size > 3 * 4096 + 1) continue;  // a byte at a time: the small sizes tell
                const std::string data = pattern(size), path = temp_path("bytes");
                DirectFile f;
                ASSERT_EQ(f.open(path, direct), 0);
                for (std::size_t at = 0; at < size; at += piece)
                    ASSERT_EQ(f.write(std::string_view(data).substr(at, piece)), 0);
                ASSERT_EQ(f.close(), 0);
                EXPECT_FALSE(f.is_open());
                EXPECT_TRUE(read_back(path) == data)
                    << "size " << size << ", pieces of " << piece << ", direct " << direct;
                std::remove(path.c_str());
            }
}

// One object writes one file after another (a file per day), each from empty.
TEST(DirectFile, OneObjectWritesFileAfterFile) {
    DirectFile f;
    std::vector<std::string> paths, datas;
    for (const std::size_t size : {std::size_t{5}, DirectFile::kDirectBlockBytes + 3, std::size_t{4096}}) {
        paths.push_back(temp_path("day" + std::to_string(paths.size())));
        datas.push_back(pattern(size + paths.size()));
        ASSERT_EQ(f.open(paths.back()), 0);
        ASSERT_EQ(f.write(datas.back()), 0);
        ASSERT_EQ(f.close(), 0);
    }
    for (std::size_t i = 0; i < paths.size(); ++i) {
        EXPECT_TRUE(read_back(paths[i]) == datas[i]) << i;
        std::remove(paths[i].c_str());
    }
}

// Mode 0666 less the umask, as fopen() makes files (and every other output); and on the file
// systems that take O_DIRECT (ext4, XFS, Btrfs), its blocks do pass the page cache by.
TEST(DirectFile, MadeAsFopenMakesFilesAndDirectWhereTheFileSystemAllows) {
    const std::string path = temp_path("mode");
    const mode_t mask = ::umask(022);
    DirectFile f;
    ASSERT_EQ(f.open(path), 0);
    ASSERT_EQ(f.write(pattern(DirectFile::kDirectBlockBytes)), 0);
    const bool direct = f.direct();
    ASSERT_EQ(f.close(), 0);
    ::umask(mask);
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0644u);
    struct statfs fs {};
    ASSERT_EQ(::statfs(path.c_str(), &fs), 0);
    const auto type = static_cast<unsigned long>(fs.f_type);
    if (type == EXT4_SUPER_MAGIC || type == XFS_SUPER_MAGIC || type == BTRFS_SUPER_MAGIC)
        EXPECT_TRUE(direct) << "O_DIRECT refused on " << ::testing::TempDir();
    std::remove(path.c_str());
}

// A file-size limit inside the second block: O_DIRECT refuses the cut block (EINVAL), the rest
// goes through the page cache from the first byte not written, up to the limit (EFBIG). The file
// then holds the bytes given up to there, none twice.
TEST(DirectFile, RefusedMidFileGoesOnFromTheFirstByteNotWritten) {
    constexpr std::size_t kBlock = DirectFile::kDirectBlockBytes;
    const std::string path = temp_path("limit"), data = pattern(3 * kBlock);
    const rlim_t limit = kBlock + 1000;
    rlimit before{};
    ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &before), 0);
    if (before.rlim_max != RLIM_INFINITY && before.rlim_max < limit) GTEST_FAIL() << "file size limit too low";
    void (*sigxfsz)(int) = std::signal(SIGXFSZ, SIG_IGN);
    rlimit cut = before;
    cut.rlim_cur = limit;
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &cut), 0);
    DirectFile f;
    int err = f.open(path);
    if (!err) err = f.write(data);
    const int closed = f.close();
    ::setrlimit(RLIMIT_FSIZE, &before);
    std::signal(SIGXFSZ, sigxfsz);
    EXPECT_EQ(err, EFBIG);
    EXPECT_EQ(closed, EFBIG);
    EXPECT_TRUE(read_back(path) == data.substr(0, limit));
    std::remove(path.c_str());
}

TEST(DirectFile, OpeningAnExistingFileEmptiesIt) {
    const std::string path = temp_path("again");
    {
        DirectFile f;
        ASSERT_EQ(f.open(path), 0);
        ASSERT_EQ(f.write(pattern(3 * 4096 + 5)), 0);
        ASSERT_EQ(f.close(), 0);
    }
    DirectFile f;
    ASSERT_EQ(f.open(path), 0);
    ASSERT_EQ(f.write("short"), 0);
    ASSERT_EQ(f.close(), 0);
    EXPECT_EQ(read_back(path), "short");
    std::remove(path.c_str());
}

TEST(DirectFile, FailuresGiveTheErrnoAndStick) {
    DirectFile f;
    EXPECT_EQ(f.open(temp_path("no-such-folder/x")), ENOENT);
    EXPECT_FALSE(f.is_open());
    EXPECT_EQ(f.write("x"), ENOENT);  // the first failure sticks
    EXPECT_EQ(f.close(), ENOENT);

    DirectFile never_opened;
    EXPECT_EQ(never_opened.write("x"), EBADF);
    EXPECT_EQ(never_opened.close(), EBADF);

    // A full device: the write that meets it, and close(), say so
    DirectFile full;
    ASSERT_EQ(full.open("/dev/full", false), 0);
    EXPECT_EQ(full.write(pattern(DirectFile::kDirectBlockBytes + 1)), ENOSPC);
    EXPECT_EQ(full.close(), ENOSPC);
}

// replace_file(): the parts joined replace PATH whole, small files through stdio and large ones
// past the page cache alike; a failure (a file-size limit inside the large one) gives its errno
// and leaves PATH as it was.
TEST(ReplaceFile, PartsReplaceThePathWholeOrNotAtAll) {
    const std::string path = temp_path("replace");
    const std::string small = pattern(100), big = pattern((std::size_t{1} << 20) + 4097);
    ASSERT_EQ(replace_file(path, {small, "", small}), 0);
    EXPECT_TRUE(read_back(path) == small + small);
    ASSERT_EQ(replace_file(path, {big.substr(0, 10), big.substr(10)}), 0);
    EXPECT_TRUE(read_back(path) == big);

    rlimit before{};
    ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &before), 0);
    void (*sigxfsz)(int) = std::signal(SIGXFSZ, SIG_IGN);
    rlimit cut = before;
    cut.rlim_cur = 1 << 20;
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &cut), 0);
    const int err = replace_file(path, {small, big});
    ::setrlimit(RLIMIT_FSIZE, &before);
    std::signal(SIGXFSZ, sigxfsz);
    EXPECT_EQ(err, EFBIG);
    EXPECT_TRUE(read_back(path) == big);  // the earlier file, not a part of the new one
    std::remove(path.c_str());
    std::remove((path + ".tmp").c_str());
}
