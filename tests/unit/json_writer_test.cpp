// JsonWriter: commas, nesting, keys, numbers and timestamps.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "cb/util/json_writer.hpp"
#include "cb/util/time.hpp"

using namespace cb;

TEST(JsonWriter, CommasBetweenMembersAndElementsOnly) {
    std::string out;
    JsonWriter w(out);
    w.begin_object().field("a", 1).key("b").begin_array().value(1).value("x").begin_object().end_object();
    w.begin_array().end_array().end_array().field("c", true).end_object();
    EXPECT_EQ(out, R"({"a":1,"b":[1,"x",{},[]],"c":true})");
}

TEST(JsonWriter, EmptyContainersAndTopLevelValues) {
    std::string out;
    JsonWriter(out).begin_array().end_array();
    EXPECT_EQ(out, "[]");
    out.clear();
    JsonWriter(out).begin_object().key("n").null().end_object();
    EXPECT_EQ(out, R"({"n":null})");
}

TEST(JsonWriter, KeysFromRuntimeStringsAreEscaped) {
    std::string out;
    JsonWriter w(out);
    const std::string k = "we\"ird\n";
    w.begin_object().field(std::string_view(k), "v\\").end_object();
    EXPECT_EQ(out, "{\"we\\\"ird\\n\":\"v\\\\\"}");
}

TEST(JsonWriter, IntegersAtTheirLimits) {
    std::string out;
    JsonWriter w(out);
    w.begin_array()
        .value(std::numeric_limits<std::int64_t>::min())
        .value(std::numeric_limits<std::int64_t>::max())
        .value(std::numeric_limits<std::uint64_t>::max())
        .value(0)
        .value(-7)
        .value(false)
        .end_array();
    EXPECT_EQ(out, "[-9223372036854775808,9223372036854775807,18446744073709551615,0,-7,false]");
}

TEST(JsonWriter, NumbersLoseTrailingZerosAndNonFiniteIsNull) {
    EXPECT_EQ(format_number(1.5), "1.5");
    EXPECT_EQ(format_number(2.0), "2");
    EXPECT_EQ(format_number(0.1234567), "0.123457");  // six decimals by default, rounded
    EXPECT_EQ(format_number(1.0005, 3), "1");         // 1.0005 is just below in binary
    EXPECT_EQ(format_number(2.5, 0), "2");            // round half to even, like printf
    EXPECT_EQ(format_number(-0.0000001), "0");        // no "-0"
    EXPECT_EQ(format_number(1e20), "100000000000000000000");
    EXPECT_EQ(format_number(std::nan("")), "null");
    EXPECT_EQ(format_number(std::numeric_limits<double>::infinity()), "null");
    std::string out;
    JsonWriter(out).begin_array().value(0.25, 1).value(3.0).end_array();
    EXPECT_EQ(out, "[0.2,3]");
}

TEST(JsonWriter, TimestampsAreStringsAndMissingOnesEmpty) {
    std::string out;
    JsonWriter w(out);
    w.begin_object().key("t").timestamp(*parse_timestamp("2017-02-11T10:50:44.693595Z"));
    w.key("none").timestamp(kNoTime).end_object();
    EXPECT_EQ(out, R"({"t":"2017-02-11T10:50:44.693595Z","none":""})");
}

// The first 64 levels keep "nothing written yet" in a bit stack, deeper ones in a vector.
TEST(JsonWriter, DeepNestingKeepsCommasRightPastSixtyFourLevels) {
    for (int depth : {63, 64, 65, 100}) {
        std::string out, expected;
        JsonWriter w(out);
        for (int d = 0; d < depth; ++d) {
            w.begin_array().value(d);
            expected += '[';
            expected += std::to_string(d);
            expected += ',';
        }
        for (int d = 0; d < depth; ++d) {
            w.end_array().value(true);  // a value after each inner array
        }
        expected.pop_back();
        // Innermost: "[d" then "]" then ",true" for every closing level but the outermost.
        std::string tail;
        for (int d = 0; d < depth; ++d) tail += d + 1 < depth ? "],true" : "]";
        // The last end_array closes level 0; its .value(true) follows at depth 0 with no comma.
        EXPECT_EQ(out, expected + tail + "true") << "depth " << depth;
    }
}
