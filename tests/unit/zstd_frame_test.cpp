#include "cb/util/zstd_frame.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

using namespace cb;

namespace {

// Bytes that compress a little: a counter's digits (more than a MiB, the step unzstd grows by).
std::string some_bytes(std::size_t n) {
    std::string s;
    for (std::uint64_t i = 0; s.size() < n; ++i) s += std::to_string(i * 2654435761u % 1000003) + ",";
    s.resize(n);
    return s;
}

}  // namespace

TEST(ZstdFrame, RoundTripsWhatever) {
    for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{4096}, (std::size_t{3} << 20) + 17}) {
        const std::string bytes = some_bytes(n);
        const std::string frame = zstd_frame(bytes);
        ASSERT_FALSE(frame.empty());
        const auto back = unzstd(frame);
        ASSERT_TRUE(back.has_value()) << n;
        EXPECT_EQ(*back, bytes) << n;
    }
}

TEST(ZstdFrame, AFrameCutOrDamagedIsNotRead) {
    const std::string bytes = some_bytes(std::size_t{2} << 20), frame = zstd_frame(bytes);
    EXPECT_FALSE(unzstd(frame.substr(0, frame.size() - 1)).has_value());  // the checksum cut
    EXPECT_FALSE(unzstd(frame.substr(0, frame.size() / 2)).has_value());
    std::string flipped = frame;
    flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x20);
    EXPECT_FALSE(unzstd(flipped).has_value());
    EXPECT_FALSE(unzstd("").has_value());
    EXPECT_FALSE(unzstd("not zstd at all").has_value());
}

// The content size in a frame's header is outside its checksum: one that says less or more than
// the frame holds is not trusted.
TEST(ZstdFrame, AHeaderSizeThatLiesIsNotTrusted) {
    const std::string bytes = some_bytes(5000), frame = zstd_frame(bytes);
    // zstd's frame header: magic (4), descriptor (1), then, for this size without a window
    // descriptor (single segment), the content size in 2 bytes, less 256
    const auto descriptor = static_cast<unsigned char>(frame[4]);
    ASSERT_EQ(descriptor >> 6, 1) << "a 2-byte content size";
    ASSERT_TRUE(descriptor & 0x20) << "single segment";
    for (int delta : {-1, +1, +1000}) {
        std::string lied = frame;
        const unsigned stored =
            static_cast<unsigned char>(lied[5]) | static_cast<unsigned>(static_cast<unsigned char>(lied[6])) << 8;
        const unsigned now = static_cast<unsigned>(static_cast<int>(stored) + delta);
        lied[5] = static_cast<char>(now & 0xFF);
        lied[6] = static_cast<char>(now >> 8);
        EXPECT_FALSE(unzstd(lied).has_value()) << delta;
    }
}

TEST(ZstdFrame, FramesOfAFileAreSplitWhole) {
    const std::string a = zstd_frame(some_bytes(100)), b = zstd_frame(some_bytes(70000)), file = a + b;
    const auto frames = zstd_frames(file);  // views into `file`
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(frames[0], a);
    EXPECT_EQ(frames[1], b);
    EXPECT_TRUE(zstd_frames(std::string_view(file).substr(0, file.size() - 3)).empty());  // the last one cut
}

// Parts compressed one after another make one frame of their bytes joined, whatever their sizes
// (empty ones too) and however many of zstd's own threads compress them.
TEST(ZstdFrame, PartsMakeOneFrameOfTheirBytesJoined) {
    const std::string a = some_bytes(10), b = some_bytes((std::size_t{3} << 20) + 5), c;
    for (const int workers : {0, 2}) {
        const std::string frame = zstd_frame({a, c, b, c}, workers);
        ASSERT_EQ(zstd_frames(frame).size(), 1u) << workers;
        const auto back = unzstd(frame);
        ASSERT_TRUE(back.has_value()) << workers;
        EXPECT_EQ(*back, a + b) << workers;
    }
    const auto none = unzstd(zstd_frame({c}));
    ASSERT_TRUE(none.has_value());
    EXPECT_TRUE(none->empty());
}

// Bytes compressed already go in a skippable frame as they are: zstd and zstd_frames() step
// over it, skipped_content() gives them back, and a frame whose size was damaged does not split.
TEST(ZstdFrame, SkippableFramesHoldTheirBytesAsTheyAre) {
    const std::string before = zstd_frame(some_bytes(100)), content = zstd_frame(some_bytes(5000));
    std::string file = before;
    ASSERT_TRUE(append_skippable_frame(file, [&](std::string& out) { out.append(content); }));
    const std::string after = zstd_frame(some_bytes(300));
    file += after;
    const auto frames = zstd_frames(file);
    ASSERT_EQ(frames.size(), 3u);
    EXPECT_EQ(frames[0], before);
    EXPECT_EQ(frames[2], after);
    ASSERT_TRUE(skipped_content(frames[1]).has_value());
    EXPECT_EQ(*skipped_content(frames[1]), content);
    EXPECT_FALSE(skipped_content(frames[0]).has_value());  // a zstd frame is none
    EXPECT_EQ(unzstd(frames[1]), std::string());           // nothing to zstd
    std::string flipped(frames[1]);                        // a byte of the content: its CRC-64 no longer matches
    flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x20);
    EXPECT_FALSE(skipped_content(flipped).has_value());
    std::string damaged = file;
    damaged[before.size() + 4] = static_cast<char>(damaged[before.size() + 4] + 7);  // its size, 7 bytes more
    const auto split = zstd_frames(damaged);
    EXPECT_TRUE(split.size() != 3 || split[2] != after);
    std::string empty;
    ASSERT_TRUE(append_skippable_frame(empty, [](std::string&) {}));
    ASSERT_EQ(zstd_frames(empty).size(), 1u);
    EXPECT_EQ(skipped_content(zstd_frames(empty)[0]), std::string_view());
}
