// TTY recordings: the reader (every op and direction, every kind of damage, bounded memory,
// random truncations and bytes), the terminal filter (hostile sequences, chunking, random
// input checked by an independent safety checker), the last-lines model, the asciicast
// writer, and the session lookup (synthetic and on the generated samples).
#include <gtest/gtest.h>
#include <simdjson.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "cb/input/input_set.hpp"
#include "cb/tty/tty_link.hpp"
#include "cb/tty/ttylog.hpp"
#include "test_files.hpp"

using namespace cb;
namespace fs = std::filesystem;

namespace {

std::string samples_dir() { return std::string(CB_SOURCE_DIR) + "/../shared/samples"; }
const std::string kRun3 = "/generated/cowrie-v3.0.12-93-g1b51ef96-run3";

// One record as Cowrie writes it: struct "<iLiiLL" then the payload.
std::string rec(int op, int dir, std::uint32_t sec, std::uint32_t usec, std::string_view data = "",
                std::uint32_t tty = 0, std::int64_t length = -1) {  // length: as declared, when >= -2^31
    std::string out(24, '\0');
    auto put = [&](int at, std::uint32_t v) {
        for (int k = 0; k < 4; ++k) out[at + k] = static_cast<char>((v >> (8 * k)) & 0xFF);
    };
    put(0, static_cast<std::uint32_t>(op));
    put(4, tty);
    put(8, static_cast<std::uint32_t>(length != -1 ? length : static_cast<std::int64_t>(data.size())));
    put(12, static_cast<std::uint32_t>(dir));
    put(16, sec);
    put(20, usec);
    out.append(data);
    return out;
}
std::string open_rec(std::uint32_t sec = 1700000000) { return rec(1, 0, sec, 0); }
std::string close_rec(std::uint32_t sec = 1700000009) { return rec(2, 0, sec, 0); }
std::string out_rec(std::string_view d, std::uint32_t sec = 1700000001, std::uint32_t usec = 0) {
    return rec(3, 2, sec, usec, d);
}

struct Read {
    std::vector<TtyRecord> recs;     // data views are dangling; use datas
    std::vector<std::string> datas;  // per record (pieces joined)
    TtyStatus status;
    std::string message;
};

Read read_all(TtyReader& r) {
    Read out;
    TtyRecord x;
    while (r.next(&x)) {
        if (x.piece_offset == 0) {
            out.recs.push_back(x);
            out.datas.emplace_back();
        }
        out.datas.back().append(x.data);
    }
    out.status = r.status();
    out.message = r.message();
    return out;
}
Read read_bytes(std::string_view b, std::size_t piece = TtyReader::kDefaultMaxPiece) {
    auto r = TtyReader::from_bytes(b, piece);
    return read_all(r);
}

std::string temp_dir(const std::string& name) {
    const fs::path p = fs::path(::testing::TempDir()) / ("cb_ttylog_" + name);
    fs::remove_all(p);
    fs::create_directories(p);
    return p.string();
}
using cb::test::write_file;

using cb::test::gzip;

// ---- an independent checker for what may reach a terminal ----------------------------

// Decodes one UTF-8 sequence strictly; 0 when invalid.
std::size_t utf8_len(std::string_view s, std::size_t i, std::uint32_t* cp) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) return *cp = b, 1;
    std::size_t n = (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return 0;
    std::uint32_t v = n == 2 ? b & 0x1F : n == 3 ? b & 0x0F : b & 0x07;
    for (std::size_t k = 1; k < n; ++k) {
        const auto c = static_cast<unsigned char>(s[i + k]);
        if ((c & 0xC0) != 0x80) return 0;
        v = v << 6 | (c & 0x3F);
    }
    if ((n == 2 && v < 0x80) || (n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10FFFF)) ||
        (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return n;
}

// Safe: text, CR LF TAB BS, and ESC [ digits/;/: final-in-"mABCDHJK" (no J 3, no 8 in SGR).
// Strip: no ESC at all.
::testing::AssertionResult terminal_safe(std::string_view s, bool allow_csi) {
    for (std::size_t i = 0; i < s.size();) {
        const auto b = static_cast<unsigned char>(s[i]);
        if (b == 0x1B) {
            if (!allow_csi) return ::testing::AssertionFailure() << "ESC at " << i;
            if (i + 1 >= s.size() || s[i + 1] != '[') return ::testing::AssertionFailure() << "non-CSI ESC at " << i;
            std::size_t j = i + 2;
            while (j < s.size() && ((s[j] >= '0' && s[j] <= '9') || s[j] == ';' || s[j] == ':')) ++j;
            if (j >= s.size() || std::string_view("mABCDHJK").find(s[j]) == std::string_view::npos)
                return ::testing::AssertionFailure() << "CSI with a bad final at " << i;
            const std::string_view params = s.substr(i + 2, j - i - 2);
            if (s[j] == 'J' && params == "3") return ::testing::AssertionFailure() << "CSI 3 J at " << i;
            if (s[j] != 'm' && params.find(':') != std::string_view::npos)
                return ::testing::AssertionFailure() << "colon outside SGR at " << i;
            i = j + 1;
            continue;
        }
        if (b < 0x20 && b != '\r' && b != '\n' && b != '\t' && b != '\b')
            return ::testing::AssertionFailure() << "control 0x" << std::hex << int(b) << " at " << std::dec << i;
        if (b == 0x7F) return ::testing::AssertionFailure() << "DEL at " << i;
        std::uint32_t cp = 0;
        const std::size_t n = utf8_len(s, i, &cp);
        if (n == 0) return ::testing::AssertionFailure() << "invalid UTF-8 at " << i;
        if (cp >= 0x80 && cp <= 0x9F) return ::testing::AssertionFailure() << "C1 control at " << i;
        if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E || cp == 0x200F ||
            cp == 0x061C)
            return ::testing::AssertionFailure() << "bidi control at " << i;
        i += n;
    }
    return ::testing::AssertionSuccess();
}

// Random bytes biased towards the interesting ones (ESC, [, ], ;, digits, C1, UTF-8 leads).
std::string escape_soup(std::mt19937& rng, std::size_t n) {
    static const std::string pick = std::string("\x1b\x1b\x1b[[]]P_^X;;?0123456789mHJKhlq\\\x07\x18\x1a\r\n\b\t ") +
                                    "\xc2\x9b\xc2\x9d\x9b\x9d\xe2\x80\xae\xf0\x9f\x98\x80\xed\xa0\x80\xff\xfe" + "abc";
    std::string s;
    for (std::size_t i = 0; i < n; ++i) {
        const unsigned r = rng() % 10;
        s.push_back(r < 7 ? pick[rng() % pick.size()] : static_cast<char>(rng() & 0xFF));
    }
    return s;
}

std::string safe(std::string_view in) { return filter_terminal_text(in, EscapePolicy::Safe); }
std::string strip(std::string_view in) { return filter_terminal_text(in, EscapePolicy::Strip); }

}  // namespace

// ===================================================================== TtyReader

TEST(TtyReader, ReadsEveryOpAndDirection) {
    const std::string data = open_rec(1700000000) + rec(3, 3, 1700000000, 5, "uname -a") +
                             rec(3, 1, 1700000001, 999999, "ls\r") + out_rec("out\n", 1700000002, 7) +
                             rec(4, 0, 1700000003, 0) + rec(3, 2, 1700000004, 0, "", 7) + close_rec(1700000005);
    const Read r = read_bytes(data);
    ASSERT_EQ(r.status, TtyStatus::Ok) << r.message;
    ASSERT_EQ(r.recs.size(), 7u);
    EXPECT_EQ(r.recs[0].op, TtyOp::Open);
    EXPECT_EQ(r.recs[0].dir, TtyDir::None);
    EXPECT_EQ(r.recs[1].dir, TtyDir::Interact);
    EXPECT_EQ(r.datas[1], "uname -a");
    EXPECT_EQ(r.recs[1].ts, 1700000000LL * 1000000 + 5);
    EXPECT_EQ(r.recs[2].dir, TtyDir::Input);
    EXPECT_EQ(r.datas[2], "ls\r");
    EXPECT_EQ(r.recs[2].ts, 1700000001LL * 1000000 + 999999);
    EXPECT_EQ(r.recs[3].dir, TtyDir::Output);
    EXPECT_EQ(r.datas[3], "out\n");
    EXPECT_EQ(r.recs[3].offset, 24u + 32u + 27u);
    EXPECT_EQ(r.recs[4].op, TtyOp::Exec);
    EXPECT_EQ(r.recs[5].tty, 7u);
    EXPECT_EQ(r.datas[5], "");
    EXPECT_EQ(r.recs[6].op, TtyOp::Close);
    EXPECT_FALSE(tty_status_damaged(r.status));
    auto reader = TtyReader::from_bytes(data);
    TtyRecord x;
    while (reader.next(&x)) {}
    EXPECT_EQ(reader.records(), 7u);
    EXPECT_EQ(reader.bytes(), data.size());
    EXPECT_EQ(reader.first_ts(), 1700000000LL * 1000000);
    EXPECT_EQ(reader.last_ts(), 1700000005LL * 1000000);
}

TEST(TtyReader, EmptyAndOpenCloseOnly) {
    Read r = read_bytes("");
    EXPECT_EQ(r.status, TtyStatus::Empty);
    EXPECT_TRUE(tty_status_damaged(r.status));
    EXPECT_TRUE(r.recs.empty());
    r = read_bytes(open_rec() + close_rec());  // what Cowrie leaves for a channel with no I/O
    EXPECT_EQ(r.status, TtyStatus::Ok);
    EXPECT_EQ(r.recs.size(), 2u);
}

TEST(TtyReader, MissingCloseKeepsEveryRecord) {
    const Read r = read_bytes(open_rec() + out_rec("a") + out_rec("b"));
    EXPECT_EQ(r.status, TtyStatus::NoClose);
    EXPECT_FALSE(tty_status_damaged(r.status));
    ASSERT_EQ(r.recs.size(), 3u);
    EXPECT_EQ(r.datas[2], "b");
    EXPECT_FALSE(r.message.empty());
}

TEST(TtyReader, TruncatedHeaderAndPayload) {
    const std::string good = open_rec() + out_rec("hello");
    Read r = read_bytes(good + close_rec().substr(0, 10));
    EXPECT_EQ(r.status, TtyStatus::Truncated);
    EXPECT_EQ(r.recs.size(), 2u);
    EXPECT_NE(r.message.find("header"), std::string::npos) << r.message;

    const std::string cut = open_rec() + out_rec("hello world").substr(0, 24 + 5);
    auto reader = TtyReader::from_bytes(cut);
    TtyRecord x;
    ASSERT_TRUE(reader.next(&x));
    ASSERT_TRUE(reader.next(&x));
    EXPECT_EQ(x.data, "hello");
    EXPECT_TRUE(x.cut);
    EXPECT_FALSE(x.last_piece);
    EXPECT_EQ(x.length, 11u);
    EXPECT_FALSE(reader.next(&x));
    EXPECT_EQ(reader.status(), TtyStatus::Truncated);
    EXPECT_TRUE(tty_status_damaged(reader.status()));
    EXPECT_NE(reader.message().find("5 of 11"), std::string::npos) << reader.message();
}

TEST(TtyReader, NotARecording) {
    EXPECT_EQ(read_bytes("{\"eventid\":\"cowrie.session.connect\",\"session\":\"x\"}\n").status, TtyStatus::NotTtyLog);
    EXPECT_EQ(read_bytes("hello").status, TtyStatus::NotTtyLog);
    EXPECT_EQ(read_bytes(std::string(100, '\0')).status, TtyStatus::NotTtyLog);  // op 0
    // A few bytes that can start a record: a cut recording, not garbage.
    EXPECT_EQ(read_bytes(std::string("\x01\x00\x00", 3)).status, TtyStatus::Truncated);
}

TEST(TtyReader, GarbageAfterValidRecords) {
    const std::string good = open_rec() + out_rec("kept");
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"op", rec(9, 2, 1, 0, "x")},
        {"direction", rec(3, 5, 1, 0, "x")},
        {"direction", rec(3, 0, 1, 0, "x")},     // a WRITE needs a direction
        {"length", rec(3, 2, 1, 0, "", 0, -5)},  // negative
        {"length", rec(3, 2, 1, 0, "", 0, 0x7fffffff)},
        {"microseconds", rec(3, 2, 1, 1000000, "x")},
        {"op", std::string(40, '\xff')},
    };
    for (const auto& [what, tail] : bad) {
        const Read r = read_bytes(good + tail + close_rec());
        EXPECT_EQ(r.status, TtyStatus::Garbage) << what;
        ASSERT_EQ(r.recs.size(), 2u) << what;
        EXPECT_EQ(r.datas[1], "kept");
        EXPECT_NE(r.message.find(what), std::string::npos) << r.message;
        EXPECT_NE(r.message.find("offset " + std::to_string(good.size())), std::string::npos) << r.message;
    }
}

TEST(TtyReader, LongPayloadComesInBoundedPieces) {
    std::string payload(10u << 20, '\0');
    for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>('a' + i % 26);
    const std::string data = open_rec() + out_rec(payload) + close_rec();
    const std::size_t piece = 64u << 10;
    auto reader = TtyReader::from_bytes(data, piece);
    TtyRecord x;
    std::string joined;
    std::size_t pieces = 0, lasts = 0;
    while (reader.next(&x)) {
        EXPECT_LE(x.data.size(), piece);
        if (x.op != TtyOp::Write) continue;
        EXPECT_EQ(x.piece_offset, joined.size());
        joined.append(x.data);
        ++pieces;
        lasts += x.last_piece;
    }
    EXPECT_EQ(reader.status(), TtyStatus::Ok);
    EXPECT_EQ(joined, payload);
    EXPECT_EQ(pieces, payload.size() / piece);
    EXPECT_EQ(lasts, 1u);
    EXPECT_LT(reader.buffer_capacity(), 512u << 10);  // never the whole payload
}

// Limits::max_recording_bytes: for every limit, the reader returns a prefix of what it reads
// without one, stops with Limit at most one header past the limit when more data follows, and
// reads to the end (same status as without a limit) when nothing follows.
TEST(TtyReader, MaxBytesStopsAtTheLimitWithAPrefix) {
    std::string data = open_rec();
    for (int i = 0; i < 5; ++i) data += out_rec(std::string(37 * (i + 1), static_cast<char>('a' + i)), 1700000001 + i);
    data += close_rec();
    auto full_reader = TtyReader::from_bytes(data);
    const Read full = read_all(full_reader);
    ASSERT_EQ(full.status, TtyStatus::Ok);
    for (std::size_t limit = 1; limit <= data.size() + 2; ++limit)
        for (std::size_t piece : {std::size_t{7}, std::size_t{1} << 20}) {
            auto reader = TtyReader::from_bytes(data, piece);
            reader.set_max_bytes(limit);
            const Read r = read_all(reader);
            ASSERT_LE(r.recs.size(), full.recs.size());
            for (std::size_t i = 0; i < r.recs.size(); ++i) {
                EXPECT_EQ(r.datas[i], full.datas[i].substr(0, r.datas[i].size())) << limit;
                EXPECT_TRUE(i + 1 == r.recs.size() || r.datas[i] == full.datas[i]) << limit;
            }
            if (r.status == TtyStatus::Limit) {
                EXPECT_LT(limit, data.size());
                EXPECT_GE(reader.bytes(), limit);
                EXPECT_LE(reader.bytes(), limit + 24);
                EXPECT_TRUE(tty_status_damaged(r.status));
                EXPECT_NE(r.message.find("--max-recording-bytes"), std::string::npos) << r.message;
            } else {
                EXPECT_EQ(r.status, TtyStatus::Ok) << limit << " " << r.message;
                EXPECT_EQ(r.datas, full.datas) << limit;
                EXPECT_GE(limit + 24, data.size());
            }
        }
    auto unlimited = TtyReader::from_bytes(data);
    unlimited.set_max_bytes(0);
    EXPECT_EQ(read_all(unlimited).status, TtyStatus::Ok);
}

TEST(TtyReader, HugeDeclaredLengthDoesNotAllocateIt) {
    // 200 MB declared, 10 bytes present: truncated, read with a small buffer.
    const std::string data = open_rec() + rec(3, 2, 1, 0, "0123456789", 0, 200 << 20);
    auto reader = TtyReader::from_bytes(data);
    const Read r = read_all(reader);
    EXPECT_EQ(r.status, TtyStatus::Truncated);
    EXPECT_EQ(r.datas.back(), "0123456789");
    EXPECT_LT(reader.buffer_capacity(), 4u << 20);
}

TEST(TtyReader, FilesCompressedAndMissing) {
    const std::string dir = temp_dir("files");
    const std::string data = open_rec() + out_rec("zipped") + close_rec();
    write_file(dir + "/rec.gz", gzip(data));
    TtyReader gz(dir + "/rec.gz");
    const Read r = read_all(gz);
    EXPECT_EQ(r.status, TtyStatus::Ok) << r.message;
    ASSERT_EQ(r.datas.size(), 3u);
    EXPECT_EQ(r.datas[1], "zipped");

    TtyReader missing(dir + "/nope");
    EXPECT_EQ(read_all(missing).status, TtyStatus::ReadError);
    TtyReader folder(dir);
    EXPECT_EQ(read_all(folder).status, TtyStatus::ReadError);

    std::string cut_gz = gzip(data);
    cut_gz.resize(cut_gz.size() / 2);
    write_file(dir + "/cut.gz", cut_gz);
    TtyReader cut(dir + "/cut.gz");
    EXPECT_TRUE(tty_status_damaged(read_all(cut).status));
}

// Every cut of random recordings, read with random piece sizes: the records that come out
// are exactly a prefix of the original, and the status says where the cut fell.
TEST(TtyReader, FuzzEveryTruncation) {
    std::mt19937 rng(1234);
    for (int round = 0; round < 40; ++round) {
        std::string data = open_rec();
        std::vector<std::size_t> boundaries = {0, data.size()};
        std::vector<std::string> payloads = {""};
        const int n = 1 + static_cast<int>(rng() % 6);
        for (int i = 0; i < n; ++i) {
            std::string p(rng() % 40, '\0');
            for (auto& c : p) c = static_cast<char>(rng() & 0xFF);
            data += rec(3, 1 + static_cast<int>(rng() % 3), 1700000000 + i, rng() % 1000000, p);
            payloads.push_back(p);
            boundaries.push_back(data.size());
        }
        data += close_rec();
        payloads.push_back("");
        boundaries.push_back(data.size());
        for (std::size_t cut = 0; cut <= data.size(); ++cut) {
            const std::size_t piece = 1 + rng() % 50;
            const std::string part = data.substr(0, cut);
            const Read r = read_bytes(part, piece);
            // Complete records: as many as whole records fit, plus one cut payload if any.
            std::size_t whole = 0;
            while (whole + 1 < boundaries.size() && boundaries[whole + 1] <= cut) ++whole;
            const bool on_boundary = boundaries[whole] == cut;
            if (cut == 0) {
                EXPECT_EQ(r.status, TtyStatus::Empty);
            } else if (cut == data.size()) {
                EXPECT_EQ(r.status, TtyStatus::Ok);
            } else if (on_boundary) {
                EXPECT_EQ(r.status, TtyStatus::NoClose) << cut;
            } else {
                EXPECT_EQ(r.status, TtyStatus::Truncated) << cut;
            }
            const bool header_whole = !on_boundary && cut - boundaries[whole] >= 24;
            ASSERT_EQ(r.recs.size(), whole + (header_whole ? 1 : 0)) << "cut " << cut;
            for (std::size_t i = 0; i < r.recs.size(); ++i) {
                if (i < whole) {
                    EXPECT_EQ(r.datas[i], payloads[i]) << "cut " << cut << " record " << i;
                } else {
                    EXPECT_EQ(r.datas[i], payloads[i].substr(0, cut - boundaries[whole] - 24));
                }
            }
        }
    }
}

// Random damage anywhere: the reader stops or goes on, never crashes or loops, never
// returns more payload than the input holds, and only sane field values.
TEST(TtyReader, FuzzRandomBytes) {
    std::mt19937 rng(99);
    std::string base = open_rec();
    for (int i = 0; i < 20; ++i) base += out_rec(std::string(rng() % 30, 'x'), 1700000000 + i);
    base += close_rec();
    for (int round = 0; round < 3000; ++round) {
        std::string data;
        if (round % 3 == 0) {  // pure noise
            data.resize(rng() % 300);
            for (auto& c : data) c = static_cast<char>(rng() & 0xFF);
        } else {  // flips in a valid recording
            data = base;
            const int flips = 1 + static_cast<int>(rng() % 8);
            for (int k = 0; k < flips; ++k) data[rng() % data.size()] = static_cast<char>(rng() & 0xFF);
            if (round % 5 == 0) data.resize(rng() % data.size());
        }
        auto reader = TtyReader::from_bytes(data, 1 + rng() % 64);
        TtyRecord x;
        std::size_t total = 0, calls = 0;
        while (reader.next(&x)) {
            ASSERT_LT(++calls, data.size() + 2);
            total += x.data.size();
            ASSERT_GE(static_cast<int>(x.op), 1);
            ASSERT_LE(static_cast<int>(x.op), 4);
            ASSERT_LE(static_cast<int>(x.dir), 3);
        }
        EXPECT_LE(total, data.size());
        EXPECT_LE(reader.bytes(), data.size());
        if (reader.status() == TtyStatus::Ok) {
            EXPECT_EQ(reader.bytes(), data.size());
        }
    }
}

TEST(TtyReader, EveryRealRecordingReadsCleanly) {
    std::vector<std::string> dirs = {std::string(CB_SOURCE_DIR) + "/examples/logs/tty",
                                     std::string(CB_SOURCE_DIR) + "/tests/data/multi-sensor/honeypot-east/tty",
                                     std::string(CB_SOURCE_DIR) + "/tests/data/multi-sensor/honeypot-west/tty"};
    if (fs::is_directory(samples_dir())) {
        for (const auto& e : fs::directory_iterator(samples_dir() + "/generated")) dirs.push_back(e.path() / "tty");
        dirs.push_back(samples_dir() + "/wild/noahassd__cyberattack-detection-ART-TPot/data/Tpot_data/cowrie/log/tty");
    }
    int files = 0;
    for (const auto& d : dirs) {
        if (!fs::is_directory(d)) continue;
        for (const auto& e : fs::directory_iterator(d)) {
            TtyReader reader(e.path().string());
            const Read r = read_all(reader);
            EXPECT_EQ(r.status, TtyStatus::Ok) << e.path() << ": " << r.message;
            EXPECT_EQ(reader.bytes(), fs::file_size(e.path())) << e.path();
            EXPECT_EQ(r.recs.front().op, TtyOp::Open);
            ++files;
        }
    }
    EXPECT_GE(files, 7);
}

// ===================================================================== TermFilter

TEST(TermFilter, KeepsTextAndHarmlessSequences) {
    EXPECT_EQ(safe("plain text\r\n\ttab\bx"), "plain text\r\n\ttab\bx");
    EXPECT_EQ(safe("\x1b[31mred\x1b[0m"), "\x1b[31mred\x1b[0m");
    EXPECT_EQ(safe("\x1b[1;38;5;208mo\x1b[m"), "\x1b[1;38;5;208mo\x1b[m");
    EXPECT_EQ(safe("\x1b[A\x1b[2B\x1b[C\x1b[10D\x1b[H\x1b[5;10H\x1b[2J\x1b[K\x1b[1K"),
              "\x1b[A\x1b[2B\x1b[C\x1b[10D\x1b[H\x1b[5;10H\x1b[2J\x1b[K\x1b[1K");
    EXPECT_EQ(safe("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80"),
              "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80");
    EXPECT_EQ(strip("\x1b[31mred\x1b[0m \x1b[2Jx"), "red x");
}

TEST(TermFilter, DropsHostileSequences) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"a\x1b]0;pwned title\x07"
         "b",
         "ab"},                          // OSC title, BEL
        {"a\x1b]2;pwned\x1b\\b", "ab"},  // OSC title, ST
        {"a\x1b]52;c;ZWNobyBwd25lZA==\x07"
         "b",
         "ab"},                                                        // OSC 52 clipboard write
        {"a\x1b]8;;http://evil/\x1b\\link\x1b]8;;\x1b\\b", "alinkb"},  // hyperlink
        {"a\x1b[?1049hb\x1b[?1049l", "ab"},                            // alternate screen
        {"a\x1b[?25l\x1b[?1000h\x1b[?2004hb", "ab"},                   // cursor, mouse, bracketed paste
        {"a\x1b[200~paste\x1b[201~b", "apasteb"},
        {"a\x1bP1$qm\x1b\\b", "ab"},           // DCS request (DECRQSS)
        {"a\x1bPq#0;2;0;0;0~-\x1b\\b", "ab"},  // sixel
        {"a\x1b_apc payload\x1b\\b", "ab"},
        {"a\x1b^pm payload\x1b\\b", "ab"},
        {"a\x1bXsos payload\x1b\\b", "ab"},
        {"a\x1b[6n\x1b[c\x1b[>c\x1b[5n\x1b[21t\x1b[14tb", "ab"},  // reports and queries
        {"a\x1b[4h\x1b[4lb", "ab"},                               // insert mode (Cowrie sends it)
        {"a\x1b[3Jb", "ab"},                                      // erase scrollback
        {"a\x1b[1;24rb\x1b[0 q\x1b[!p", "ab"},                    // scroll region, cursor style, soft reset
        {"a\x1b"
         "cb",
         "ab"},                          // RIS: full reset
        {"a\x1b(0lqk\x1b(Bb", "alqkb"},  // line-drawing charset
        {"a\x1b#8b", "ab"},              // DECALN: fill the screen with E
        {"a\x1b=\x1b>\x1b"
         "7\x1b"
         "8b",
         "ab"},  // keypad modes, save/restore cursor
        {std::string("a\x0e\x0f\x07\x00\x05\x7f"
                     "b",
                     8),
         "ab"},  // SO/SI, BEL, NUL, ENQ, DEL
        {"a\xc2\x9b"
         "31mred\xc2\x9d"
         "0;t\xc2\x9c"
         "b",
         "aredb"},  // UTF-8 C1: CSI, OSC ... ST
        {"a\xc2\x85\xc2\x8e"
         "b",
         "ab"},  // NEL, SS2
        {"a\x9b"
         "31mb",
         "a\xef\xbf\xbd"
         "31mb"},  // raw 8-bit CSI is not UTF-8
        {"a\xe2\x80\xaeright\xe2\x81\xa6"
         "b",
         "a\xef\xbf\xbdright\xef\xbf\xbd"
         "b"},                                        // bidi
        {"a\x1b[8mhidden\x1b[0m", "ahidden\x1b[0m"},  // conceal removed
        {"a\x1b[1;8;31mx", "a\x1b[1;31mx\x1b[0m"},
        {"a\x1b[99999Ab", "ab"},                          // absurd count
        {"a\x1b[" + std::string(100, '1') + "mb", "ab"},  // overlong parameters
        {"a\x1b[1\x18"
         "b",
         "ab"},  // CAN cancels
    };
    for (const auto& [in, want] : cases) {
        EXPECT_EQ(safe(in), want) << "input: " << ::testing::PrintToString(in);
        EXPECT_TRUE(terminal_safe(safe(in), true)) << ::testing::PrintToString(in);
        EXPECT_TRUE(terminal_safe(strip(in), false)) << ::testing::PrintToString(in);
    }
}

TEST(TermFilter, SgrArgumentsAreNotConceal) {
    EXPECT_EQ(safe("\x1b[38;5;8mgrey\x1b[0m"), "\x1b[38;5;8mgrey\x1b[0m");  // colour 8, not conceal
    EXPECT_EQ(safe("\x1b[48;2;8;8;8mx\x1b[m"), "\x1b[48;2;8;8;8mx\x1b[m");
    EXPECT_EQ(safe("\x1b[38:5:8mx\x1b[m"), "\x1b[38:5:8mx\x1b[m");
    EXPECT_EQ(safe("\x1b[8;8mx"), "x");  // nothing but conceal: dropped
}

TEST(TermFilter, ResetsColourLeftOn) {
    EXPECT_EQ(safe("\x1b[31mred"), "\x1b[31mred\x1b[0m");
    EXPECT_EQ(safe("\x1b[31mred\x1b[0m"), "\x1b[31mred\x1b[0m");
    EXPECT_EQ(strip("\x1b[31mred"), "red");
}

TEST(TermFilter, Utf8AndSplits) {
    EXPECT_EQ(safe("\xff\xfe ok \xc3"), "\xef\xbf\xbd\xef\xbf\xbd ok \xef\xbf\xbd");
    EXPECT_EQ(safe("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  // surrogate
    EXPECT_EQ(safe("\xe2\x82x"), "\xef\xbf\xbdx");
    TermFilter f(EscapePolicy::Safe);
    std::string out;
    f.feed("\xe2\x82", out);
    f.feed("\xac \x1b]0;ti", out);
    f.feed(
        "tle\x07"
        "done \x1b[3",
        out);
    f.feed("1mred", out);
    f.finish(out);
    EXPECT_EQ(out, "\xe2\x82\xac done \x1b[31mred\x1b[0m");
    EXPECT_GE(f.stats().dropped_sequences, 1u);
}

TEST(TermFilter, UnterminatedStringEndsAfterALimit) {
    const std::string in = "a\x1b]0;" + std::string(20000, 'x') + "\nvisible";
    const std::string out = safe(in);
    EXPECT_EQ(out.substr(0, 1), "a");
    EXPECT_NE(out.find("\nvisible"), std::string::npos);
    EXPECT_LT(out.size(), 20000u);
}

// The result never depends on how the input is cut into feeds, and is always safe.
TEST(TermFilter, FuzzChunkingAndSafety) {
    std::mt19937 rng(7);
    for (int round = 0; round < 3000; ++round) {
        const std::string in = escape_soup(rng, rng() % 200);
        for (EscapePolicy pol : {EscapePolicy::Safe, EscapePolicy::Strip}) {
            const std::string whole = filter_terminal_text(in, pol);
            ASSERT_TRUE(terminal_safe(whole, pol == EscapePolicy::Safe)) << ::testing::PrintToString(in);
            TermFilter f(pol);
            std::string pieces;
            for (std::size_t i = 0; i < in.size();) {
                const std::size_t k = std::min<std::size_t>(in.size() - i, rng() % 5);
                f.feed(std::string_view(in).substr(i, k), pieces);
                i += k;
            }
            f.finish(pieces);
            ASSERT_EQ(pieces, whole) << ::testing::PrintToString(in);
        }
    }
}

// ===================================================================== LastLines

std::vector<std::string> last(std::string_view out, std::size_t n) {
    LastLines l(n);
    l.feed(out);
    return l.lines();
}
using Lines = std::vector<std::string>;

TEST(LastLines, CarriageReturnsBackspacesAndErases) {
    EXPECT_EQ(last("one\ntwo\nthree\n", 2), (Lines{"two", "three"}));
    EXPECT_EQ(last("progress 10%\rprogress 100%\n", 5), (Lines{"progress 100%"}));
    EXPECT_EQ(last("abcdef\rxy\n", 5), (Lines{"xycdef"}));
    EXPECT_EQ(last("$ lsx\b \b\n", 5), (Lines{"$ ls"}));
    EXPECT_EQ(last("$ lsx\x1b[D\x1b[P\n", 5), (Lines{"$ ls"}));  // twisted's backspace
    EXPECT_EQ(last("abcdef\x1b[3D\x1b[K\n", 5), (Lines{"abc"}));
    EXPECT_EQ(last("abcdef\x1b[2Kxy\n", 5), (Lines{"      xy"}));
    EXPECT_EQ(last("ac\x1b[D\x1b[4hb\x1b[4l\n", 5), (Lines{"abc"}));  // insert mode
    EXPECT_EQ(last("ac\x1b[Db\n", 5), (Lines{"ab"}));                 // overwrite
    EXPECT_EQ(last("a\tb\n", 5), (Lines{"a       b"}));
    EXPECT_EQ(last("old\n\x1b[H\x1b[2Jnew\n", 5), (Lines{"new"}));
    EXPECT_EQ(last("\x1b]0;title\x07\x1b[31mred\x1b[0m \xe2\x80\xae\n", 5), (Lines{"red \xef\xbf\xbd"}));
}

TEST(LastLines, PromptAndBlankLines) {
    EXPECT_EQ(last("a\n\nb\nroot@svr04:~# ", 3), (Lines{"", "b", "root@svr04:~#"}));
    EXPECT_EQ(last("a\nb\n\n\n\n", 2), (Lines{"a", "b"}));  // trailing blank lines do not push content out
    EXPECT_EQ(last("a\n\n\n\nb", 2), (Lines{"", "b"}));
    EXPECT_EQ(last("", 3), Lines{});
    EXPECT_EQ(last("x\n", 0), Lines{});
}

TEST(LastLines, MemoryIsBounded) {
    LastLines l(3, 100);
    for (int i = 0; i < 10000; ++i) l.feed("line " + std::to_string(i) + "\n");
    l.feed(std::string(100000, 'y'));
    const auto got = l.lines();
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0], "line 9998");
    EXPECT_EQ(got[2], std::string(100, 'y'));
}

TEST(LastOutput, SyntheticRecordingWithDamage) {
    const std::string data = open_rec() + rec(3, 1, 1, 0, "secret typed\n") + out_rec("$ cat x\nhello\n") +
                             out_rec("$ ") + out_rec("partial lin");
    const std::string cut = data.substr(0, data.size() - 3);
    auto reader = TtyReader::from_bytes(cut);
    const LastOutput lo = last_output(reader, 3);
    EXPECT_EQ(lo.status, TtyStatus::Truncated);
    EXPECT_EQ(lo.lines, (Lines{"$ cat x", "hello", "$ partial"}));  // input is not output
}

// Checked by hand against a byte dump of the recording (generated run3, session
// 4b09ac87026b: `uname -a`, then a wget that fails; the last line is the prompt).
TEST(WildLastOutput, RealRecordingUnameAndWget) {
    const std::string path =
        samples_dir() + kRun3 + "/tty/312df7a7e52e7630be27b635906c87dacf7c51fb4fd58b5d43e8350416382396";
    ASSERT_TRUE(fs::exists(path)) << "no samples at " << samples_dir();
    const LastOutput lo = last_output(path, 6);
    EXPECT_EQ(lo.status, TtyStatus::Ok) << lo.message;
    EXPECT_EQ(lo.lines,
              (Lines{
                  "Linux svr04 6.1.0-21-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.90-1 (2024-05-03) x86_64 GNU/Linux",
                  "root@svr04:~# wget http://127.0.0.1:9/bins.sh",
                  "--2026-11-26 11:30:08--  http://127.0.0.1:9/bins.sh",
                  "Resolving 127.0.0.1 (127.0.0.1)... failed: Temporary failure in name resolution.",
                  "wget: unable to resolve host address \xe2\x80\x98"
                  "127.0.0.1\xe2\x80\x99",
                  "root@svr04:~#",
              }));
    EXPECT_EQ(lo.end_ts, 1795692609LL * 1000000 + 418481);  // the CLOSE record
}

TEST(WildLastOutput, RealExecAndHistoryRecall) {
    const std::string dir = samples_dir() + kRun3 + "/tty/";
    ASSERT_TRUE(fs::is_directory(dir)) << "no samples at " << samples_dir();
    // exec channel: `uname -a; cat /proc/cpuinfo | head -5; echo done`
    EXPECT_EQ(last_output(dir + "5e3c5f3ef2cba4d1e1726a51c7caa3ff6eed3165399066a7a278a81169d6992d", 2).lines,
              (Lines{"head: invalid option -- '5'", "done"}));
    // shell with an up-arrow recall (ESC [ K) and non-UTF-8 input that Cowrie did not echo
    EXPECT_EQ(last_output(dir + "174f70e109433182a51bb8126e4648d8df3e876ad935d30e0376d9821100eafe", 3).lines,
              (Lines{"root@svr04:~# echo after-bad-bytes", "after-bad-bytes", "root@svr04:~# exit"}));
}

// ===================================================================== Asciicast

TEST(Asciicast, ValidJsonLinesWithEscapedBytes) {
    AsciicastWriter w;
    std::string out;
    AsciicastHeader h;
    h.width = 120;
    h.height = 40;
    h.timestamp = 1795692607;
    h.idle_time_limit = 3;
    h.title = "cowrie \x1b]0;x\x07session";
    w.header(h, out);
    w.output(0.5, "a\nb\r\nc", 2, out);
    w.output(0.25, "\x1b]0;t\x07\xc2\x9b\xff \xe2\x80\xae\"\\", 2, out);  // earlier time: clamped
    w.output(1.0, "\xe2\x82", 2, out);                                    // cut UTF-8 sequence ...
    w.output(1.5, "\xac!", 2, out);                                       // ... completed
    w.output(2.0, "\xf0\x9f", 1, out);                                    // cut, never completed
    w.finish(2.5, out);

    simdjson::dom::parser parser;
    std::vector<std::string> lines;
    for (std::size_t pos = 0; pos < out.size();) {
        const auto nl = out.find('\n', pos);
        ASSERT_NE(nl, std::string::npos);
        lines.push_back(out.substr(pos, nl - pos));
        pos = nl + 1;
    }
    ASSERT_EQ(lines.size(), 5u);
    simdjson::dom::element hdr;
    ASSERT_EQ(parser.parse(lines[0]).get(hdr), simdjson::SUCCESS) << lines[0];
    EXPECT_EQ(int64_t(hdr["version"]), 2);
    EXPECT_EQ(int64_t(hdr["width"]), 120);
    EXPECT_EQ(int64_t(hdr["height"]), 40);
    EXPECT_EQ(int64_t(hdr["timestamp"]), 1795692607);
    EXPECT_EQ(std::string_view(hdr["title"]), "cowrie session");
    std::vector<std::string> texts;
    double prev = 0;
    for (std::size_t i = 1; i < lines.size(); ++i) {
        for (char c : lines[i]) ASSERT_GE(static_cast<unsigned char>(c), 0x20) << lines[i];  // no raw controls
        simdjson::dom::element ev;
        ASSERT_EQ(parser.parse(lines[i]).get(ev), simdjson::SUCCESS) << lines[i];
        simdjson::dom::array arr = ev;
        ASSERT_EQ(arr.size(), 3u);
        const double t = arr.at(0);
        EXPECT_GE(t, prev);
        prev = t;
        EXPECT_EQ(std::string_view(arr.at(1)), "o");
        texts.emplace_back(std::string_view(arr.at(2)));
    }
    EXPECT_EQ(texts[0], "a\r\nb\r\nc");
    EXPECT_EQ(texts[1], "\x1b]0;t\x07\xc2\x9b\xef\xbf\xbd \xe2\x80\xae\"\\");  // raw, but as JSON escapes
    EXPECT_NE(lines[2].find("\\u001b]0;t\\u0007\\u009b"), std::string::npos) << lines[2];
    EXPECT_NE(lines[2].find("\\u202e"), std::string::npos) << lines[2];
    EXPECT_EQ(texts[2], "\xe2\x82\xac!");
    EXPECT_EQ(texts[3], "\xef\xbf\xbd");
}

TEST(Asciicast, FuzzEveryLineIsJsonAndTextIsKept) {
    std::mt19937 rng(5);
    simdjson::dom::parser parser;
    for (int round = 0; round < 500; ++round) {
        AsciicastWriter w;
        std::string out;
        w.header(AsciicastHeader{}, out);
        std::string all;
        const int n = 1 + static_cast<int>(rng() % 8);
        for (int i = 0; i < n; ++i) {
            const std::string piece = escape_soup(rng, rng() % 40);
            all += piece;
            w.output(i * 0.1, piece, 2, out);
        }
        w.finish(n * 0.1, out);
        std::string text;
        std::size_t pos = out.find('\n') + 1;
        while (pos < out.size()) {
            const auto nl = out.find('\n', pos);
            ASSERT_NE(nl, std::string::npos);
            const std::string line = out.substr(pos, nl - pos);
            for (char c : line) ASSERT_GE(static_cast<unsigned char>(c), 0x20);
            simdjson::dom::element ev;
            ASSERT_EQ(parser.parse(line).get(ev), simdjson::SUCCESS) << line;
            text += std::string(std::string_view(ev.at(2)));
            pos = nl + 1;
        }
        // Valid UTF-8 input comes out unchanged apart from LF -> CR LF.
        std::string valid;
        for (std::size_t i = 0; i < all.size();) {
            std::uint32_t cp;
            const std::size_t k = utf8_len(all, i, &cp);
            if (k == 0) {
                valid += "\xEF\xBF\xBD";
                ++i;
                continue;
            }
            valid.append(all, i, k);
            i += k;
        }
        if (valid.find("\xEF\xBF\xBD") == std::string::npos && valid.find('\n') == std::string::npos) {
            EXPECT_EQ(text, valid);
        }
        EXPECT_TRUE(terminal_safe(strip(text), false));
    }
}

TEST(LastLines, FuzzLinesHoldNoControls) {
    std::mt19937 rng(11);
    for (int round = 0; round < 1000; ++round) {
        LastLines l(1 + rng() % 5, 1 + rng() % 60);
        for (int i = 0; i < 5; ++i) l.feed(escape_soup(rng, rng() % 80));
        for (const auto& line : l.lines()) {
            EXPECT_TRUE(terminal_safe(line, false)) << ::testing::PrintToString(line);
            EXPECT_EQ(line.find_first_of("\r\n\t\b"), std::string::npos);
        }
    }
}

// ===================================================================== Session lookup

TEST(SessionLookup, SyntheticLogWithDuplicateAndCompressedLog) {
    const std::string dir = temp_dir("lookup");
    fs::create_directories(dir + "/tty");
    const std::string sha1(64, 'a'), sha2(64, 'b');
    auto ev = [](const std::string& sid, const std::string& ts, const std::string& rest) {
        return "{\"eventid\":" + rest + ",\"session\":\"" + sid + "\",\"sensor\":\"s1\",\"timestamp\":\"" + ts +
               "\"}\n";
    };
    std::string day1 =
        ev("first0000001", "2024-03-01T10:00:00.000000Z", "\"cowrie.session.connect\",\"src_ip\":\"1.2.3.4\"") +
        ev("first0000001", "2024-03-01T10:00:05.000000Z",
           "\"cowrie.log.closed\",\"ttylog\":\"var/lib/cowrie/tty/" + sha1 + "\",\"shasum\":\"" + sha1 +
               "\",\"size\":10,\"duplicate\":false") +
        ev("target000001", "2024-03-01T11:00:00.000000Z", "\"cowrie.session.connect\",\"src_ip\":\"1.2.3.5\"") +
        ev("target000001", "2024-03-01T11:00:01.000000Z", "\"cowrie.client.size\",\"width\":132,\"height\":43") +
        ev("target000001", "2024-03-01T11:00:09.000000Z",
           "\"cowrie.log.closed\",\"ttylog\":\"var/lib/cowrie/tty/" + sha2 + "\",\"shasum\":\"" + sha2 +
               "\",\"size\":5,\"duplicate\":false");
    std::string day2 = ev("target000001", "2024-03-01T11:00:04.000000Z",
                          "\"cowrie.log.closed\",\"ttylog\":\"var/lib/cowrie/tty/" + sha1 + "\",\"shasum\":\"" + sha1 +
                              "\",\"size\":10,\"duplicate\":true") +
                       "not json at all \"target000001\"\n";
    write_file(dir + "/cowrie.json.2024-03-01", day1);
    write_file(dir + "/cowrie.json.1.gz", gzip(day2));
    write_file(dir + "/tty/" + sha1, open_rec() + out_rec("first") + close_rec());

    const SessionRecordings s =
        find_session_recordings({dir + "/cowrie.json.2024-03-01", dir + "/cowrie.json.1.gz"}, "target000001");
    EXPECT_TRUE(s.session_seen);
    EXPECT_EQ(s.width, 132);
    EXPECT_EQ(s.height, 43);
    ASSERT_EQ(s.ttylogs.size(), 2u);
    EXPECT_EQ(s.ttylogs[0].shasum, sha1);  // by time, across files
    EXPECT_TRUE(s.ttylogs[0].duplicate);
    EXPECT_EQ(s.ttylogs[0].first_session, "first0000001");
    EXPECT_EQ(s.ttylogs[1].shasum, sha2);
    EXPECT_EQ(s.ttylogs[1].size, 5);
    EXPECT_EQ(locate_recording(s.ttylogs[0], ""), (fs::path(dir) / "tty" / sha1).string());
    EXPECT_EQ(locate_recording(s.ttylogs[1], ""), "");  // never written
    EXPECT_EQ(locate_recording(s.ttylogs[0], dir + "/tty"), dir + "/tty/" + sha1);

    EXPECT_FALSE(find_session_recordings({dir + "/cowrie.json.2024-03-01"}, "nosuchsession").session_seen);
    EXPECT_FALSE(find_session_recordings({dir + "/cowrie.json.2024-03-01"}, "target0000").session_seen);  // no prefixes
    const auto missing = find_session_recordings({dir + "/nope.json"}, "target000001");
    EXPECT_EQ(missing.problems.size(), 1u);
}

TEST(WildSessionLookup, GeneratedRun3) {
    const std::string dir = samples_dir() + kRun3;
    ASSERT_TRUE(fs::is_directory(dir)) << "no samples at " << samples_dir();
    const SessionRecordings s = find_session_recordings({dir + "/cowrie.json"}, "4b09ac87026b");
    ASSERT_EQ(s.ttylogs.size(), 1u);
    EXPECT_EQ(s.width, 120);
    EXPECT_EQ(s.height, 40);
    EXPECT_EQ(s.ttylogs[0].size, 671);
    EXPECT_FALSE(s.ttylogs[0].duplicate);
    const std::string path = locate_recording(s.ttylogs[0], "");
    EXPECT_EQ(fs::path(path).filename(), "312df7a7e52e7630be27b635906c87dacf7c51fb4fd58b5d43e8350416382396");
    // The `size` Cowrie logs is the OUTPUT byte count of the recording.
    TtyReader reader(path);
    std::uint64_t out_bytes = 0;
    TtyRecord r;
    while (reader.next(&r))
        if (r.dir == TtyDir::Output) out_bytes += r.data.size();
    EXPECT_EQ(out_bytes, 671u);
}

// ===================================================================== RecordingIndex

TEST(RecordingIndex, KnownRecordingsAsTheyWereAreNotReadAgain) {
    const fs::path dir = fs::temp_directory_path() / "cb-recording-index-test";
    fs::remove_all(dir);
    fs::copy(std::string(CB_SOURCE_DIR) + "/examples/logs/tty", dir);
    const InputSet inputs = expand_inputs({dir.string()}, Limits().max_file_bytes, nullptr);
    StringPool pool;
    const RecordingIndex first(inputs, pool);
    ASSERT_EQ(first.reads().size(), 7u);
    EXPECT_EQ(first.read_now(), 7u);
    for (const RecordingRead& r : first.reads()) {
        EXPECT_EQ(fs::path(r.path).filename().string(), r.hash);  // Cowrie names them by that hash
        EXPECT_NE(r.first, kNoTime);
        EXPECT_EQ(r.size, fs::file_size(r.path));
        EXPECT_EQ(recording_names(r).size(), 1u);
    }
    const RecordingIndex again(inputs, pool, Limits::kDefaultMaxRecordingBytes, nullptr, &first.reads());
    EXPECT_EQ(again.read_now(), 0u);
    ASSERT_EQ(again.reads().size(), first.reads().size());
    for (std::size_t i = 0; i < first.reads().size(); ++i) {
        EXPECT_EQ(again.reads()[i].hash, first.reads()[i].hash);
        EXPECT_EQ(again.reads()[i].first, first.reads()[i].first);
        EXPECT_EQ(again.reads()[i].last, first.reads()[i].last);
    }
    // One file touched (another modification time) is read again; one renamed has two names.
    const std::string touched = first.reads()[2].path;
    fs::last_write_time(touched, fs::last_write_time(touched) - std::chrono::hours(1));
    fs::rename(first.reads()[3].path, dir / "renamed.log");
    const InputSet now = expand_inputs({dir.string()}, Limits().max_file_bytes, nullptr);
    const RecordingIndex third(now, pool, Limits::kDefaultMaxRecordingBytes, nullptr, &first.reads());
    EXPECT_EQ(third.read_now(), 2u);
    for (const RecordingRead& r : third.reads())
        EXPECT_EQ(recording_names(r).size(), r.path == (dir / "renamed.log").string() ? 2u : 1u) << r.path;
    fs::remove_all(dir);
}

TEST(RecordingIndex, CouldLinkOnlyWhatBeganSoonEnoughAfterTheLookUp) {
    RecordingRead r;
    r.first = 10'000 * kMicrosPerSecond;
    EXPECT_TRUE(could_link(r, r.first + 1));                         // a duplicate session after it
    EXPECT_TRUE(could_link(r, r.first - 3599 * kMicrosPerSecond));   // within the hour before it
    EXPECT_FALSE(could_link(r, r.first - 3601 * kMicrosPerSecond));  // began too long after
    EXPECT_TRUE(could_link(r, INT64_MAX));                           // a look-up at a time unknown
    r.first = kNoTime;                                               // no record: never linked
    EXPECT_FALSE(could_link(r, 0));
}
