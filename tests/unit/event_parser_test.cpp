#include <gtest/gtest.h>

#include <string>

#include "cb/event_parser.hpp"

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
    const std::string head = R"({"eventid":"cowrie.session.closed","timestamp":"2026-03-20T00:19:33.238873Z","session":"5ad191cb742d",)";
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
    auto r = parse(p, "{\"eventid\":\"cowrie.command.input\",\"timestamp\":\"2022-05-29T01:00:00Z\","
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
    EXPECT_EQ(parse(p, R"({"eventid":"x","timestamp":"2017-02-11T10:50:44Z"} trailing)").reject,
              Reject::InvalidJson);
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
