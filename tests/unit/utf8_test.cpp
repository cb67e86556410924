// The one UTF-8 decoder (decode_utf8 in text.hpp) and the helpers built on it.
#include <gtest/gtest.h>

#include <string>

#include "cb/util/text.hpp"

using namespace cb;

namespace {

Utf8Step decode(std::string_view s) { return decode_utf8(s, 0); }

void expect_ok(std::string_view s, char32_t cp) {
    const Utf8Step u = decode(s);
    EXPECT_EQ(u.kind, Utf8Step::Ok) << "bytes of U+" << std::hex << static_cast<unsigned>(cp);
    EXPECT_EQ(u.len, s.size());
    EXPECT_EQ(u.cp, cp);
}

void expect_invalid(std::string_view s, unsigned replaced) {
    const Utf8Step u = decode(s);
    EXPECT_EQ(u.kind, Utf8Step::Invalid) << "len " << s.size();
    EXPECT_EQ(u.len, replaced) << "len " << s.size();
}

}  // namespace

TEST(Utf8, DecodesEveryLengthAtItsBounds) {
    expect_ok(std::string_view("\0", 1), 0);
    expect_ok("\x7f", 0x7F);
    expect_ok("\xc2\x80", 0x80);
    expect_ok("\xdf\xbf", 0x7FF);
    expect_ok("\xe0\xa0\x80", 0x800);
    expect_ok("\xed\x9f\xbf", 0xD7FF);  // just below the surrogates
    expect_ok("\xee\x80\x80", 0xE000);  // just above them
    expect_ok("\xef\xbf\xbd", 0xFFFD);
    expect_ok("\xf0\x90\x80\x80", 0x10000);
    expect_ok("\xf4\x8f\xbf\xbf", 0x10FFFF);
    // Only the first sequence is decoded.
    EXPECT_EQ(decode("\xd0\xbf\xd0\xb0").len, 2);
}

TEST(Utf8, RejectsOverlongForms) {
    expect_invalid("\xc0\x80", 1);  // C0 and C1 can only start overlong forms
    expect_invalid("\xc1\xbf", 1);
    expect_invalid("\xe0\x80\x80", 1);  // U+0000 in three bytes
    expect_invalid("\xe0\x9f\xbf", 1);  // U+07FF in three bytes
    expect_invalid("\xf0\x80\x80\x80", 1);
    expect_invalid("\xf0\x8f\xbf\xbf", 1);  // U+FFFF in four bytes
}

TEST(Utf8, RejectsSurrogatesAndCodePointsAboveTheRange) {
    expect_invalid("\xed\xa0\x80", 1);      // U+D800
    expect_invalid("\xed\xbf\xbf", 1);      // U+DFFF
    expect_invalid("\xf4\x90\x80\x80", 1);  // U+110000
    expect_invalid("\xf5\x80\x80\x80", 1);  // F5..FF never start a sequence
    expect_invalid("\xff", 1);
    expect_invalid("\x80", 1);  // a stray continuation byte
    expect_invalid("\xbf", 1);
}

TEST(Utf8, InvalidCoversTheLongestValidPrefix) {
    expect_invalid(
        "\xe2\x82"
        "a",
        2);  // one U+FFFD for E2 82, then 'a' on its own
    expect_invalid(
        "\xf0\x9f\x98"
        "a",
        3);
    expect_invalid(
        "\xf0\x9f"
        "\xf0",
        2);
    expect_invalid(
        "\xc3"
        "A",
        1);
}

TEST(Utf8, SequencesCutByTheBufferEndAreTruncated) {
    for (std::string_view whole : {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"}) {
        for (std::size_t n = 1; n < whole.size(); ++n) {
            const Utf8Step u = decode(whole.substr(0, n));
            EXPECT_EQ(u.kind, Utf8Step::Truncated) << n << " of " << whole.size();
            EXPECT_EQ(u.len, n);
        }
        EXPECT_EQ(decode(whole).kind, Utf8Step::Ok);
    }
    // A bad second byte is Invalid, not Truncated, even at the end.
    EXPECT_EQ(decode("\xe0\x80").kind, Utf8Step::Invalid);
    EXPECT_EQ(decode("\xed\xa0").kind, Utf8Step::Invalid);
}

TEST(Utf8, DecodesAtAnOffsetWithinTheView) {
    const std::string s = "ab\xe2\x82\xac";
    EXPECT_EQ(decode_utf8(s, 2).cp, U'\u20ac');
    EXPECT_EQ(decode_utf8(std::string_view(s).substr(0, 4), 2).kind, Utf8Step::Truncated);
}

TEST(Utf8, EncoderRoundTripsEveryScalarValue) {
    for (char32_t cp = 0; cp <= 0x10FFFF; ++cp) {
        if (cp >= 0xD800 && cp <= 0xDFFF) continue;
        std::string s;
        append_utf8(s, cp);
        const Utf8Step u = decode(s);
        ASSERT_EQ(u.kind, Utf8Step::Ok) << std::hex << static_cast<unsigned>(cp);
        ASSERT_EQ(u.cp, cp);
        ASSERT_EQ(u.len, s.size());
    }
}

// is_valid_utf8 skips ASCII eight bytes at a time: a bad byte must be found at every position.
TEST(Utf8, ValidityCheckFindsABadByteAtEveryPosition) {
    for (std::size_t len = 0; len <= 24; ++len) {
        const std::string plain(len, 'x');
        EXPECT_TRUE(is_valid_utf8(plain));
        for (std::size_t pos = 0; pos <= len; ++pos) {
            for (std::string_view bad : {"\xff", "\xc0\xaf", "\xed\xa0\x80", "\xe2\x82"}) {
                std::string s = plain;
                s.insert(pos, bad);
                EXPECT_FALSE(is_valid_utf8(s)) << "len " << len << " pos " << pos;
            }
            std::string good = plain;
            good.insert(pos, "\xf0\x9f\x98\x80");
            EXPECT_TRUE(is_valid_utf8(good)) << "len " << len << " pos " << pos;
        }
    }
}

TEST(Utf8, TerminalSanitizerReplacesEachBadByte) {
    EXPECT_EQ(sanitize_for_terminal("a\xe2\x82"
                                    "b"),
              "a\xef\xbf\xbd\xef\xbf\xbd"
              "b");
    EXPECT_EQ(sanitize_for_terminal("\xc2\x9b"
                                    "x"),
              "\\x9bx");                                               // C1 CSI, UTF-8 encoded
    EXPECT_EQ(sanitize_for_terminal("\xe2\x80\xae"), "\xef\xbf\xbd");  // bidi override
}
