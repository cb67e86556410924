#include <gtest/gtest.h>

#include <string>

#include "cb/parse/event_parser.hpp"

using namespace cb;

namespace {

struct Parsed {
    Reject reject;
    Event ev;
};

// Copies the line into a padded buffer, as the chunk reader provides.
Parsed parse(EventParser& p, const std::string& line) {
    static std::string buf;
    buf = line;
    buf.resize(line.size() + simdjson::SIMDJSON_PADDING, ' ');
    Parsed r;
    r.reject = p.parse(std::string_view(buf.data(), line.size()), buf.size(), &r.ev);
    return r;
}

}  // namespace

TEST(EventParser, Cowrie1xSpacedJsonWithoutProtocol) {
    EventParser p;
    auto r = parse(p, R"({"eventid": "cowrie.session.connect", "timestamp": "2017-02-11T10:50:44.693595Z", )"
                      R"("session": "630a36c1", "src_port": 55800, "system": "x", "isError": 0, "src_ip": )"
                      R"("89.173.75.35", "dst_port": 2222, "dst_ip": "10.8.41.81", "sensor": "scw-7462ef"})");
    ASSERT_EQ(r.reject, Reject::None);
    EXPECT_EQ(r.ev.type, EventType::SessionConnect);
    EXPECT_EQ(r.ev.session, "630a36c1");
    EXPECT_EQ(r.ev.src_port, 55800);
    EXPECT_EQ(r.ev.dst_port, 2222);
    EXPECT_TRUE(r.ev.protocol.empty());
}

TEST(EventParser, DurationEveryGeneration) {
    EventParser p;
    const std::string head =
        R"({"eventid":"cowrie.session.closed","timestamp":"2026-03-20T00:19:33.238873Z","session":"5ad191cb742d",)";
    EXPECT_EQ(parse(p, head + R"("duration":"2.0"})").ev.duration_us, 2000000);
    EXPECT_EQ(parse(p, head + R"("duration":12.25})").ev.duration_us, 12250000);
    EXPECT_EQ(parse(p, head + R"("duration_ms":11184})").ev.duration_us, 11184000);
    auto bad = parse(p, head + R"("duration":"soon"})");
    EXPECT_EQ(bad.reject, Reject::None);  // the event is kept; the field is ignored
    EXPECT_EQ(bad.ev.duration_us, -1);
    EXPECT_GT(p.type_errors(), 0u);
}

TEST(EventParser, KeepsEscapedBytesAsWritten) {
    EventParser p;
    auto r = parse(p, R"({"eventid":"cowrie.login.failed","timestamp":"2022-05-29T01:00:00Z","session":"a",)"
                      R"("username":"root","password":"b'\\xff\\xfe'"})");
    ASSERT_EQ(r.reject, Reject::None);
    EXPECT_EQ(r.ev.password, "b'\\xff\\xfe'");
}

TEST(EventParser, RepairsInvalidUtf8Losslessly) {
    EventParser p;
    auto r = parse(p,
                   "{\"eventid\":\"cowrie.command.input\",\"timestamp\":\"2022-05-29T01:00:00Z\","
                   "\"session\":\"a\",\"input\":\"echo \xff\xfe\"}");
    ASSERT_EQ(r.reject, Reject::None);
    EXPECT_EQ(r.ev.input, "echo \\xff\\xfe");
    EXPECT_EQ(p.utf8_repairs(), 1u);
}

TEST(EventParser, RejectReasons) {
    EventParser p;
    EXPECT_EQ(parse(p, R"({"eventid":"cowrie.session.connect","timestamp":"2017-02-11T10:5)").reject,
              Reject::InvalidJson);
    EXPECT_EQ(parse(p, R"([1,2,3])").reject, Reject::NotAnObject);
    EXPECT_EQ(parse(p, R"({"timestamp":"2017-02-11T10:50:44Z"})").reject, Reject::MissingEventId);
    EXPECT_EQ(parse(p, R"({"eventid":"x"})").reject, Reject::BadTimestamp);
    EXPECT_EQ(parse(p, R"({"eventid":"x","timestamp":"never"})").reject, Reject::BadTimestamp);
    EXPECT_EQ(parse(p, R"({"eventid":"x","timestamp":"2017-02-11T10:50:44Z"} trailing)").reject, Reject::InvalidJson);
    const std::string deep = R"({"eventid":"x","timestamp":"2017-02-11T10:50:44Z","n":)" + std::string(200000, '[') +
                             std::string(200000, ']') + "}";
    // A deep value under a key we do not read is skipped, not parsed: the event survives.
    auto kept = parse(p, deep);
    EXPECT_EQ(kept.reject, Reject::None);
    EXPECT_EQ(kept.ev.eventid, "x");
    // Deep nesting where the event should be is rejected, without a crash.
    EXPECT_EQ(parse(p, std::string(200000, '[') + std::string(200000, ']')).reject, Reject::TooDeep);
    std::string deep_obj;
    for (int i = 0; i < 5000; ++i) deep_obj += "{\"a\":";
    deep_obj += "1" + std::string(5000, '}');
    EXPECT_EQ(parse(p, deep_obj).reject, Reject::TooDeep);
    EXPECT_EQ(parse(p, "garbage").reject, Reject::InvalidJson);
    EXPECT_EQ(parse(p, "true").reject, Reject::NotAnObject);
}

TEST(EventParser, V3DirectTcpipFields) {
    EventParser p;
    auto r = parse(p, R"({"session":"c86f3a338d24","protocol":"ssh","src_ip":"8.163.110.93","dst_ip":"1.1.1.1",)"
                      R"("dst_port":443,"orig_ip":"10.0.0.1","orig_port":5555,"eventid":"cowrie.direct-tcpip.request",)"
                      R"("sensor":"s","timestamp":"2026-07-28T11:41:43.776612Z","late":true})");
    ASSERT_EQ(r.reject, Reject::None);
    EXPECT_EQ(r.ev.type, EventType::TcpipRequest);
    EXPECT_EQ(r.ev.orig_ip, "10.0.0.1");
    EXPECT_TRUE(r.ev.late);
}

namespace {
std::uint64_t fe(const EventParser& p, Field f, FieldError e) {
    return p.field_errors()[static_cast<std::size_t>(f)][static_cast<std::size_t>(e)];
}
const std::string kHead = R"({"eventid":"cowrie.session.connect","timestamp":"2024-01-01T00:00:00Z","session":"s1",)";
}  // namespace

// Issue #11: one field is never worth a line.
TEST(EventParserFieldTolerance, UnusableFieldsAreAbsentAndCounted) {
    EventParser p;
    auto r = parse(p, kHead + R"("sensor":null,"src_ip":{"a":[1]},"protocol":["ssh"],"username":true,"src_port":70000,)"
                              R"("dst_port":1e400,"size":-1,"duplicate":"yes","duration":"soon"})");
    ASSERT_EQ(r.reject, Reject::None);
    EXPECT_TRUE(r.ev.sensor.empty());
    EXPECT_TRUE(r.ev.src_ip.empty());
    EXPECT_TRUE(r.ev.protocol.empty());
    EXPECT_TRUE(r.ev.username.empty());
    EXPECT_EQ(r.ev.src_port, -1);
    EXPECT_EQ(r.ev.dst_port, -1);
    EXPECT_EQ(r.ev.size, -1);
    EXPECT_EQ(r.ev.duration_us, -1);
    EXPECT_EQ(fe(p, Field::Sensor, FieldError::Null), 1u);
    EXPECT_EQ(fe(p, Field::SrcIp, FieldError::WrongType), 1u);
    EXPECT_EQ(fe(p, Field::Protocol, FieldError::WrongType), 1u);
    EXPECT_EQ(fe(p, Field::Username, FieldError::WrongType), 1u);
    EXPECT_EQ(fe(p, Field::SrcPort, FieldError::OutOfRange), 1u);
    EXPECT_EQ(fe(p, Field::DstPort, FieldError::OutOfRange), 1u);
    EXPECT_EQ(fe(p, Field::Size, FieldError::OutOfRange), 1u);
    EXPECT_EQ(fe(p, Field::Duplicate, FieldError::WrongType), 1u);
    EXPECT_EQ(fe(p, Field::Duration, FieldError::WrongType), 1u);
    EXPECT_EQ(p.type_errors(), 5u);
}

TEST(EventParserFieldTolerance, NumbersBecomeTextWhereSafe) {
    EventParser p;
    auto r = parse(p, kHead + R"("sensor":42,"password":1.50,"input":-7 ,"src_ip":12})");
    ASSERT_EQ(r.reject, Reject::None);
    EXPECT_EQ(r.ev.sensor, "42");
    EXPECT_EQ(r.ev.password, "1.50");  // the JSON text, not a reformatted number
    EXPECT_EQ(r.ev.input, "-7");
    EXPECT_TRUE(r.ev.src_ip.empty());  // an address is never a bare number
    EXPECT_EQ(fe(p, Field::Sensor, FieldError::Coerced), 1u);
    EXPECT_EQ(fe(p, Field::Password, FieldError::Coerced), 1u);
    EXPECT_EQ(fe(p, Field::Input, FieldError::Coerced), 1u);
    EXPECT_EQ(fe(p, Field::SrcIp, FieldError::WrongType), 1u);
    auto s = parse(p, R"({"eventid":"x","timestamp":"2024-01-01T00:00:00Z","session":123456})");
    ASSERT_EQ(s.reject, Reject::None);
    EXPECT_EQ(s.ev.session, "123456");
}

TEST(EventParserFieldTolerance, OverLongIdentifiersAreAbsentTextIsKept) {
    EventParser p;
    const std::string big(kMaxIdentifierBytes + 1, 'A');
    auto r = parse(p, kHead + R"("sensor":")" + big + R"(","input":")" + big + R"("})");
    ASSERT_EQ(r.reject, Reject::None);
    EXPECT_TRUE(r.ev.sensor.empty());
    EXPECT_EQ(r.ev.input.size(), big.size());
    EXPECT_EQ(fe(p, Field::Sensor, FieldError::TooLong), 1u);
    EXPECT_EQ(fe(p, Field::Input, FieldError::TooLong), 0u);
}

TEST(EventParserFieldTolerance, LoneSurrogatesBecomeReplacementCharacters) {
    EventParser p;
    auto r =
        parse(p, kHead + R"("sensor":"s","src_ip":"\udcff","input":"a\ud800b\ud83d\ude00\\udcff","uuid":"\udcff"})");
    ASSERT_EQ(r.reject, Reject::None);
    EXPECT_EQ(r.ev.src_ip, "\xEF\xBF\xBD");
    // the lone high surrogate is replaced; the proper pair and the escaped backslash are kept
    EXPECT_EQ(r.ev.input,
              "a\xEF\xBF\xBD"
              "b\xF0\x9F\x98\x80\\udcff");
    EXPECT_EQ(fe(p, Field::SrcIp, FieldError::LoneSurrogate), 1u);
    EXPECT_EQ(fe(p, Field::Input, FieldError::LoneSurrogate), 1u);
    EXPECT_EQ(fe(p, Field::Other, FieldError::LoneSurrogate), 1u);  // uuid: not read, still repaired
    EXPECT_EQ(p.surrogate_repairs(), 1u);
    // with invalid UTF-8 on the same line: both repairs
    auto u = parse(p, kHead + "\"input\":\"\xff\",\"password\":\"\\udc80\"}");
    ASSERT_EQ(u.reject, Reject::None);
    EXPECT_EQ(u.ev.input, "\\xff");
    EXPECT_EQ(u.ev.password, "\xEF\xBF\xBD");
    EXPECT_EQ(p.utf8_repairs(), 1u);
}

TEST(EventParserFieldTolerance, RejectedLinesCountNoFieldErrors) {
    EventParser p;
    EXPECT_EQ(parse(p, R"({"sensor":null,"eventid":null,"timestamp":"2024-01-01T00:00:00Z"})").reject,
              Reject::MissingEventId);
    EXPECT_EQ(parse(p, R"({"sensor":7,"eventid":"x","timestamp":17})").reject, Reject::BadTimestamp);
    EXPECT_EQ(parse(p, R"({"sensor":"\udcff","eventid":"x","timestamp":"2024-01-01T00:00:00Z")").reject,
              Reject::InvalidJson);
    for (const auto& row : p.field_errors())
        for (auto n : row) EXPECT_EQ(n, 0u);
    EXPECT_EQ(p.type_errors(), 0u);
}
