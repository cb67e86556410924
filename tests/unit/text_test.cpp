#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "cb/util/fast_hash.hpp"
#include "cb/util/sha256.hpp"
#include "cb/util/string_pool.hpp"
#include "cb/util/text.hpp"

using namespace cb;

TEST(Text, JsonStringEscapesControlAndScriptBreakers) {
    std::string out;
    append_json_string(out, "a\"b\\c\n\x01</script>\xE2\x80\xA8");
    EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\u0001<\\/script>\\u2028\"");
}

// The escaper scans 16 bytes at a time with a padded tail: compare it with a byte-by-byte
// reference on every length and every position of each special byte.
std::string reference_json_string(std::string_view s) {
    static const char* hex = "0123456789abcdef";
    std::string out = "\"";
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c == '"')
            out += "\\\"";
        else if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else if (c == '\r')
            out += "\\r";
        else if (c == '\t')
            out += "\\t";
        else if (c < 0x20 || c == 0x7F)
            out += std::string("\\u00") + hex[c >> 4] + hex[c & 15];
        else if (c == '/' && i > 0 && s[i - 1] == '<')
            out += "\\/";
        else if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
                 (static_cast<unsigned char>(s[i + 2]) == 0xA8 || static_cast<unsigned char>(s[i + 2]) == 0xA9)) {
            out += static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
            i += 2;
        } else
            out += static_cast<char>(c);
    }
    return out + "\"";
}

TEST(Text, JsonStringMatchesByteByByteReferenceAtEveryPosition) {
    const std::string specials[] = {"\"",           "\\",           "\n",       "\x01", "\x1f", "\x7f", "</", "/",
                                    "\xE2\x80\xA8", "\xE2\x80\xA9", "\xE2\x80", "\xE2", "\x80", "\xff", " ",  "\x20"};
    for (std::size_t len = 0; len <= 40; ++len)
        for (std::size_t pos = 0; pos <= len; ++pos)
            for (const auto& sp : specials) {
                std::string s(len, 'x');
                s.insert(pos, sp);
                std::string out;
                append_json_string(out, s);
                ASSERT_EQ(out, reference_json_string(s)) << "len " << len << " pos " << pos;
            }
}

TEST(Text, CsvQuotesAndNeutralisesFormulas) {
    std::string out;
    append_csv_cell(out, "plain");
    out += '|';
    append_csv_cell(out, "a,b");
    out += '|';
    append_csv_cell(out, "say \"hi\"");
    out += '|';
    append_csv_cell(out, "=HYPERLINK(\"http://x\")");
    out += '|';
    append_csv_cell(out, "-1+1");
    out += '|';
    append_csv_cell(out, "@SUM(A1)");
    EXPECT_EQ(out, "plain|\"a,b\"|\"say \"\"hi\"\"\"|\"'=HYPERLINK(\"\"http://x\"\")\"|\"'-1+1\"|\"'@SUM(A1)\"");
}

TEST(Text, CsvEscapesControlBytes) {
    auto cell = [](std::string_view s) {
        std::string out;
        append_csv_cell(out, s);
        return out;
    };
    // SSH-2.0-\e[31mred\e[0m, a NUL, DEL, TAB and CR: each becomes \xNN text; LF stays (quoted).
    EXPECT_EQ(cell("SSH-2.0-\x1b[31mred\x1b[0m"), "SSH-2.0-\\x1b[31mred\\x1b[0m");
    EXPECT_EQ(cell(std::string_view("a\0b\x7f"
                                    "c\td\re",
                                    9)),
              "a\\x00b\\x7fc\\x09d\\x0de");
    EXPECT_EQ(cell("one\ntwo"), "\"one\ntwo\"");
    // Formula starts are still neutralised, escaped or not.
    EXPECT_EQ(cell("\t=1+1"), "\"'\\x09=1+1\"");
    EXPECT_EQ(cell("=1,\x1b"), "\"'=1,\\x1b\"");
    // No raw control byte but LF is left in any cell.
    for (int b = 0; b < 0x80; ++b) {
        const std::string out = cell(std::string(1, static_cast<char>(b)) + "x");
        for (unsigned char c : out) EXPECT_TRUE(c == '\n' || (c >= 0x20 && c != 0x7F)) << b;
    }
}

TEST(Text, ClipMiddleKeepsBothEnds) {
    EXPECT_EQ(clip_middle_utf8("short", 10), "short");
    const std::string path = "/var/log/" + std::string(100, 'd') + "/cowrie.json.2024-04-05";
    const std::string cut = clip_middle_utf8(path, 40);
    EXPECT_LE(cut.size(), 40u);
    EXPECT_EQ(cut.rfind("/var/log/", 0), 0u) << cut;
    EXPECT_NE(cut.find("\xE2\x80\xA6"), std::string::npos) << cut;
    EXPECT_EQ(cut.substr(cut.size() - 15), "json.2024-04-05") << cut;
    // Never inside a UTF-8 sequence, at any length.
    const std::string wide = "/\xC3\xA9t\xC3\xA9/" + std::string(30, 'x') + "\xE2\x82\xAC\xE2\x82\xAC.json";
    for (std::size_t max = 3; max < wide.size(); ++max) {
        const std::string c = clip_middle_utf8(wide, max);
        EXPECT_LE(c.size(), max);
        EXPECT_TRUE(is_valid_utf8(c)) << max;
    }
}

TEST(Text, TerminalSanitizerDropsEscapes) {
    EXPECT_EQ(sanitize_for_terminal("ls\x1b[2J\x1b]0;pwned\x07"), "ls\\x1b[2J\\x1b]0;pwned\\x07");
    EXPECT_EQ(sanitize_for_terminal("abc\xE2\x80\xAE"
                                    "cba"),
              "abc\xEF\xBF\xBD"
              "cba");  // RLO override
    EXPECT_EQ(sanitize_for_terminal("\xff"), "\xEF\xBF\xBD");
    EXPECT_EQ(sanitize_for_terminal("abcdef", 3), "abc\xE2\x80\xA6");
}

TEST(Text, Utf8RepairIsLossless) {
    const std::string line =
        "{\"password\":\"\xff\xfe"
        "abc\"}";
    EXPECT_FALSE(is_valid_utf8(line));
    const std::string fixed = repair_utf8_json(line);
    EXPECT_EQ(fixed, "{\"password\":\"\\\\xff\\\\xfeabc\"}");
    EXPECT_TRUE(is_valid_utf8(fixed));
    EXPECT_TRUE(is_valid_utf8("\xd0\xbf\xd0\xb0"));  // Cyrillic
    EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));     // surrogate
}

TEST(Text, EscapeInvalidUtf8KeepsValidTextAndShowsBadBytes) {
    EXPECT_EQ(escape_invalid_utf8("root \xd0\xbf"), "root \xd0\xbf");  // valid: unchanged
    EXPECT_EQ(escape_invalid_utf8("\xff\xfe not json \xc3"), "\\xff\\xfe not json \\xc3");
    EXPECT_EQ(escape_invalid_utf8("a\xed\xa0\x80"
                                  "b"),
              "a\\xed\\xa0\\x80b");  // a surrogate, byte by byte
    EXPECT_TRUE(is_valid_utf8(escape_invalid_utf8("\x80\xc0\xf5\xe2\x82")));
}

// SHA-256 test vectors (FIPS 180-4 examples), fed whole and in pieces.
TEST(Sha256, KnownVectorsWholeAndInPieces) {
    const auto hash = [](std::string_view data, std::size_t piece) {
        cb::Sha256 sha;
        for (std::size_t i = 0; i < data.size(); i += piece) sha.update(data.substr(i, piece));
        return sha.hex();
    };
    EXPECT_EQ(hash("", 1), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const std::string two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    const std::string million(1000000, 'a');
    for (std::size_t piece : {1, 7, 64, 1000000}) {
        EXPECT_EQ(hash("abc", piece), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        EXPECT_EQ(hash(two_blocks, piece), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
        if (piece >= 64) {
            EXPECT_EQ(hash(million, piece), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
        }
    }
}

// Streaming in odd-sized pieces (primes, crossing the 64-byte block boundary anywhere) gives
// the one-shot digest, for arbitrary bytes.
TEST(Sha256, OddPiecesEqualOneShot) {
    std::string data;
    for (std::size_t i = 0; i < 10007; ++i) data.push_back(static_cast<char>((i * 131 + i / 7) & 0xFF));
    cb::Sha256 whole;
    whole.update(data);
    const std::string expected = whole.hex();
    for (std::size_t piece : {3, 13, 63, 65, 127, 4099}) {
        cb::Sha256 sha;
        for (std::size_t i = 0; i < data.size(); i += piece) sha.update(std::string_view(data).substr(i, piece));
        EXPECT_EQ(sha.hex(), expected) << "piece " << piece;
    }
    const std::string million(1000000, 'a');
    cb::Sha256 sha;
    for (std::size_t i = 0; i < million.size(); i += 999) sha.update(std::string_view(million).substr(i, 999));
    EXPECT_EQ(sha.hex(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// Hash flooding: strings crafted offline to share the low 16 bits of the unseeded hash (what
// an attacker could do against a fixed seed) fill one slot of a table of 2^16; with the
// process's seed they spread over the table like any strings, and the pool still interns
// each once.
TEST(FastHash, CraftedCollisionsOfTheUnseededHashSpreadWithTheProcessSeed) {
    constexpr std::uint64_t kMask = 0xffff;
    std::vector<std::string> crafted;
    for (std::uint64_t i = 0; crafted.size() < 64; ++i) {
        std::string s = "wget http://x/" + std::to_string(i);
        if ((fast_hash(s) & kMask) == 0x1234) crafted.push_back(std::move(s));
    }
    std::set<std::uint64_t> unseeded, seeded;
    for (const std::string& s : crafted) {
        unseeded.insert(fast_hash(s) & kMask);
        seeded.insert(StringHash{}(s)&kMask);
    }
    EXPECT_EQ(unseeded.size(), 1u);
    EXPECT_GE(seeded.size(), 60u);  // 64 random slots of 65,536: a repeat or two at most, almost always
    StringPool pool;
    std::set<const char*> views;
    for (const std::string& s : crafted) {
        const std::string_view v = pool.intern(s);
        EXPECT_EQ(v, s);
        EXPECT_EQ(pool.intern(std::string(s)).data(), v.data());
        views.insert(v.data());
    }
    EXPECT_EQ(views.size(), crafted.size());
    EXPECT_NE(fast_hash_seed(), draw_fast_hash_seed());  // drawn from the system's random source
}

// clear() forgets every string and reuses the pool's blocks: strings interned afterwards are new
// (not the earlier views), equal values are shared again, and the pool takes no more blocks than
// the first fill did, big values apart.
TEST(StringPool, ClearForgetsStringsAndReusesBlocks) {
    StringPool pool;
    auto fill = [&](const std::string& prefix) {
        std::vector<std::string_view> views;
        for (int i = 0; i < 50000; ++i) views.push_back(pool.intern(prefix + std::to_string(i % 40000)));
        return views;
    };
    const std::vector<std::string_view> first = fill("a-");
    EXPECT_EQ(pool.distinct(), 40000u);
    EXPECT_EQ(first[0].data(), first[40000].data());
    const std::size_t filled = pool.bytes_used();
    EXPECT_GT(filled, 0u);
    pool.clear();
    EXPECT_EQ(pool.distinct(), 0u);
    EXPECT_EQ(pool.bytes_used(), 0u);
    const std::string big(600000, 'x');  // more than a quarter block: a block of its own
    EXPECT_EQ(pool.intern(big), big);
    const std::vector<std::string_view> second = fill("b-");
    EXPECT_EQ(pool.distinct(), 40001u);
    EXPECT_EQ(second[7], "b-7");
    EXPECT_EQ(second[7].data(), pool.intern("b-7").data());
    EXPECT_EQ(pool.bytes_used(), filled + big.size());
    pool.clear();
    EXPECT_EQ(pool.intern("b-7"), "b-7");
    EXPECT_EQ(pool.distinct(), 1u);
}
