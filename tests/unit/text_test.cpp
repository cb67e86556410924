#include <gtest/gtest.h>

#include "cb/text.hpp"

using namespace cb;

TEST(Text, JsonStringEscapesControlAndScriptBreakers) {
    std::string out;
    append_json_string(out, "a\"b\\c\n\x01</script>\xE2\x80\xA8");
    EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\u0001<\\/script>\\u2028\"");
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

TEST(Text, TerminalSanitizerDropsEscapes) {
    EXPECT_EQ(sanitize_for_terminal("ls\x1b[2J\x1b]0;pwned\x07"), "ls\\x1b[2J\\x1b]0;pwned\\x07");
    EXPECT_EQ(sanitize_for_terminal("abc\xE2\x80\xAE" "cba"), "abc\xEF\xBF\xBD" "cba");  // RLO override
    EXPECT_EQ(sanitize_for_terminal("\xff"), "\xEF\xBF\xBD");
    EXPECT_EQ(sanitize_for_terminal("abcdef", 3), "abc\xE2\x80\xA6");
}

TEST(Text, Utf8RepairIsLossless) {
    const std::string line = "{\"password\":\"\xff\xfe" "abc\"}";
    EXPECT_FALSE(is_valid_utf8(line));
    const std::string fixed = repair_utf8_json(line);
    EXPECT_EQ(fixed, "{\"password\":\"\\\\xff\\\\xfeabc\"}");
    EXPECT_TRUE(is_valid_utf8(fixed));
    EXPECT_TRUE(is_valid_utf8("\xd0\xbf\xd0\xb0"));  // Cyrillic
    EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));      // surrogate
}
