#include <gtest/gtest.h>

#include "cb/util/time.hpp"

using namespace cb;

TEST(Time, ParsesEveryCowrieForm) {
    const Micros base = *parse_timestamp("2017-02-11T10:50:44.693595Z");
    EXPECT_EQ(format_timestamp(base), "2017-02-11T10:50:44.693595Z");
    EXPECT_EQ(*parse_timestamp("2017-02-11T10:50:44Z"), base - 693595);
    EXPECT_EQ(*parse_timestamp("2017-02-11T12:50:44.693595+0200"), base);
    EXPECT_EQ(*parse_timestamp("2017-02-11T12:50:44.693595+02:00"), base);
    EXPECT_EQ(*parse_timestamp("2017-02-11T10:50:44.693595+0000"), base);
    EXPECT_EQ(*parse_timestamp("2017-02-11 10:50:44.693595"), base);
    EXPECT_EQ(*parse_timestamp("2017-02-11T10:50:44.6935951Z"), base);  // 7 digits: truncated to us
}

TEST(Time, RejectsGarbage) {
    EXPECT_FALSE(parse_timestamp(""));
    EXPECT_FALSE(parse_timestamp("yesterday"));
    EXPECT_FALSE(parse_timestamp("2017-13-11T10:50:44Z"));
    EXPECT_FALSE(parse_timestamp("2017-02-11T10:50:44Zjunk"));
    EXPECT_FALSE(parse_timestamp("2017-02-11T10:50:44."));
    EXPECT_FALSE(parse_timestamp("2024-02-30T00:00:03Z"));
    EXPECT_FALSE(parse_timestamp("2023-02-29T00:00:03Z"));
    EXPECT_TRUE(parse_timestamp("2024-02-29T00:00:03Z"));
}

TEST(Time, DaysAndWeeks) {
    const Micros t = *parse_timestamp("2024-12-30T00:00:00Z");  // Monday of ISO week 2025-W01
    EXPECT_EQ(format_day(t), "2024-12-30");
    EXPECT_EQ(format_iso_week(t), "2025-W01");
    EXPECT_EQ(format_iso_week(*parse_timestamp("2024-04-05T12:00:00Z")), "2024-W14");
    EXPECT_EQ(format_iso_week(*parse_timestamp("2021-01-03T12:00:00Z")), "2020-W53");
    EXPECT_EQ(format_day(*parse_timestamp("1969-12-31T23:59:59Z")), "1969-12-31");
}

TEST(Time, CachedParseAgreesWithPlainParse) {
    const char* cases[] = {"2017-02-11T10:50:44.693595Z",
                           "2017-02-11T10:50:45Z",
                           "2017-02-11T12:50:44.693595+0200",
                           "2017-02-11 10:50:44.693595",
                           "2017-02-11T25:50:44Z",
                           "2017-02-11T10:50:44Zjunk",
                           "2017-02-11T10:50:44.",
                           "2024-02-30T00:00:03Z",
                           "2024-02-29T00:00:03Z",
                           "2024-02-29T00:00:03Z",
                           "2024-02-29",
                           "2024-02-29X00:00:03Z",
                           "yesterday",
                           "",
                           "2017-02-11T10:50:44.1Z"};
    TimestampCache cache;
    for (int round = 0; round < 2; ++round)
        for (const char* c : cases) EXPECT_EQ(parse_timestamp(c, cache), parse_timestamp(c)) << c;
}
