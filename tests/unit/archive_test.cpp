#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "cb/engine/ingest.hpp"
#include "cb/session/session.hpp"
#include "cb/util/archive.hpp"
#include "cb/util/fast_hash.hpp"

using namespace cb;

namespace {
struct Inner {
    std::string name;
    std::uint64_t counts[3] = {0, 0, 0};
    template <class Ar>
    void io(Ar& ar) {
        ar(name, counts);
    }
};
}  // namespace

TEST(Archive, RoundTripsNestedContainers) {
    std::map<std::string, Inner> m{{"a", {"x", {1, 2, 3}}}, {"b", {"", {0, 0, 9}}}};
    std::set<std::string> s{"p", "q"};
    std::vector<bool> bits{true, false, true};
    std::int64_t neg = -123456789;
    double d = 0.1;
    std::map<std::pair<std::uint64_t, std::uint64_t>, std::vector<std::string>> nested{{{1, 2}, {"u", "v"}}};
    std::string buf;
    OutArchive out(buf);
    out(m, s, bits, neg, d, nested);
    decltype(m) m2;
    decltype(s) s2;
    decltype(bits) bits2;
    std::int64_t neg2 = 0;
    double d2 = 0;
    decltype(nested) nested2;
    InArchive in(buf);
    in(m2, s2, bits2, neg2, d2, nested2);
    ASSERT_TRUE(in.ok());
    EXPECT_EQ(m2["a"].counts[2], 3u);
    EXPECT_EQ(m2["b"].counts[2], 9u);
    EXPECT_EQ(s2, s);
    EXPECT_EQ(bits2, bits);
    EXPECT_EQ(neg2, neg);
    EXPECT_EQ(d2, d);
    EXPECT_EQ(nested2, nested);
}

// Unordered containers go on the wire in key order, as a map or set of the same entries would:
// their own order follows the hash, seeded per process, and an archive must be the same bytes
// in every process (a state's checkpoint, a Hadoop task's records).
TEST(Archive, UnorderedContainersAreWrittenInKeyOrder) {
    std::unordered_map<std::string, std::uint64_t, StringHash> um;
    std::map<std::string, std::uint64_t> m;
    std::unordered_set<std::string, StringHash> us;
    std::set<std::string> s;
    for (std::uint64_t i = 0; i < 500; ++i) {
        const std::string k = "cmd " + std::to_string(i * 7919 % 1000);
        um[k] = m[k] = i;
        us.insert(k);
        s.insert(k);
    }
    auto bytes = [](const auto& c) {
        std::string out;
        OutArchive ar(out);
        ar(c);
        return out;
    };
    EXPECT_EQ(bytes(um), bytes(m));
    EXPECT_EQ(bytes(us), bytes(s));
    std::unordered_map<std::string, std::uint64_t, StringHash> back;
    const std::string wire = bytes(um);
    InArchive in(wire);
    in(back);
    EXPECT_TRUE(in.ok());
    EXPECT_EQ(back, um);
}

TEST(Archive, StringViewsAreStringsOnTheWire) {
    const std::string text("a\0b\xff", 4);
    std::string as_string, as_view;
    OutArchive to_string(as_string), to_view(as_view);
    to_string(text);
    to_view(std::string_view(text));
    EXPECT_EQ(as_view, as_string);
    std::string_view back;
    InArchive in(as_string);
    in(back);
    ASSERT_TRUE(in.ok());
    EXPECT_EQ(back, text);
    EXPECT_GE(back.data(), as_string.data()) << "a view into the input, not a copy";
    EXPECT_LE(back.data() + back.size(), as_string.data() + as_string.size());
    for (std::size_t cut = 0; cut < as_string.size(); ++cut) {
        std::string_view v;
        InArchive damaged(std::string_view(as_string).substr(0, cut));
        damaged(v);
        EXPECT_FALSE(damaged.ok()) << cut;
    }
}

TEST(Archive, DamagedInputFailsCleanly) {
    std::string buf;
    OutArchive out(buf);
    out(std::map<std::string, std::string>{{"k", "v"}});
    for (std::size_t cut = 0; cut < buf.size(); ++cut) {
        std::map<std::string, std::string> m;
        InArchive in(std::string_view(buf).substr(0, cut));
        in(m);
        EXPECT_FALSE(in.ok()) << cut;
    }
    std::string huge = "\xff\xff\xff\xff\x0f";  // claims 4 G elements
    std::vector<std::string> v;
    InArchive in(huge);
    in(v);
    EXPECT_TRUE(in.failed());
    // the largest value's tenth byte holds one bit: any other bit set there is damage
    std::string max;
    OutArchive largest(max);
    largest(UINT64_MAX);
    ASSERT_EQ(max.size(), 10u);
    for (int bit = 1; bit < 7; ++bit) {
        std::string damaged = max;
        damaged.back() = static_cast<char>(damaged.back() | (1 << bit));
        std::uint64_t x = 0;
        InArchive d(damaged);
        d(x);
        EXPECT_FALSE(d.ok()) << bit;
    }
    std::uint64_t x = 0;
    InArchive m(max);
    m(x);
    EXPECT_TRUE(m.ok() && x == UINT64_MAX);
}

TEST(Archive, Base64) {
    for (const std::string& s :
         std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar", std::string("\0\xff\x10", 3)}) {
        std::string back;
        ASSERT_TRUE(base64_decode(base64_encode(s), &back));
        EXPECT_EQ(back, s);
    }
    EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
    std::string x;
    EXPECT_FALSE(base64_decode("Zm9", &x));
    EXPECT_FALSE(base64_decode("Zm9v!mFy", &x));
}

TEST(SessionCodec, PartialRoundTripIsExact) {
    const std::string log =
        R"({"eventid":"cowrie.session.connect","timestamp":"2026-01-01T00:00:00Z","session":"s1","sensor":"a","src_ip":"1.2.3.4","src_port":5,"dst_port":22,"protocol":"ssh"})"
        "\n"
        R"({"eventid":"cowrie.login.success","timestamp":"2026-01-01T00:00:01Z","session":"s1","sensor":"a","username":"root","password":"x\u00e9"})"
        "\n"
        R"({"eventid":"cowrie.command.input","timestamp":"2026-01-01T00:00:02Z","session":"s1","sensor":"a","input":"uname -a"})"
        "\n"
        R"({"eventid":"cowrie.session.file_download","timestamp":"2026-01-01T00:00:02.5Z","session":"s1","sensor":"a","destfile":"/root/.ssh/authorized_keys","shasum":"ab","outfile":"dl/ab","size":7})"
        "\n"
        R"({"eventid":"cowrie.client.fingerprint","timestamp":"2026-01-01T00:00:00.5Z","session":"s1","sensor":"a","username":"root","fingerprint":"0c:9e","type":"ssh-rsa"})"
        "\n"
        R"({"eventid":"cowrie.session.closed","timestamp":"2026-01-01T00:00:03Z","session":"s1","sensor":"a","duration":3.0})"
        "\n";
    StringPool pool;
    EventParser parser;
    SessionMap m;
    FileReport rep;
    ingest_buffer(log, "t", parser, pool, m, rep);
    ASSERT_EQ(m.size(), 1u);
    const SessionPartial& p = m.begin()->second;
    std::string bin;
    encode_partial(p, bin);
    StringPool pool2;
    SessionPartial q;
    ASSERT_TRUE(decode_partial(bin, pool2, &q));
    std::string bin2;
    encode_partial(q, bin2);
    EXPECT_EQ(bin, bin2);
    ASSERT_EQ(q.items.size(), 4u);  // login, command, file write, key offer: the new kinds round-trip
    EXPECT_EQ(q.items[2].kind, ItemKind::FileWrite);
    EXPECT_EQ(q.items[2].a, "/root/.ssh/authorized_keys");
    EXPECT_EQ(q.items[2].num, 7);
    EXPECT_EQ(q.items[3].kind, ItemKind::Login);
    EXPECT_EQ(q.items[3].num, kKeyOffer);
    EXPECT_EQ(q.items[3].c, "0c:9e");
    EXPECT_EQ(q.key.session, "s1");
    EXPECT_EQ(q.close_duration_us, 3000000);
    SessionPartial r;
    EXPECT_FALSE(decode_partial(std::string_view(bin).substr(0, bin.size() - 1), pool2, &r));
}

// raw_records(): a vector of plain records as its bytes, between other fields; an archive of the
// other byte order, or one cut short, does not load.
TEST(Archive, RawRecordsRoundTripAndRefuseTheOtherByteOrder) {
    struct Rec {
        std::uint64_t a;
        std::uint32_t b, c;
    };
    std::vector<Rec> recs = {{1, 2, 3}, {0xFFFFFFFFFFFFFFFFull, 0, 7}, {42, 0x80000000u, 9}};
    std::string name = "after";
    std::string bytes;
    OutArchive out(bytes);
    auto raw = raw_records(recs);
    out(raw, name);
    EXPECT_EQ(bytes.size(), 1 + 1 + recs.size() * sizeof(Rec) + 1 + name.size());

    std::vector<Rec> back;
    std::string name_back;
    {
        InArchive in(bytes);
        auto raw_back = raw_records(back);
        in(raw_back, name_back);
        ASSERT_TRUE(in.ok());
    }
    ASSERT_EQ(back.size(), recs.size());
    for (std::size_t i = 0; i < recs.size(); ++i) {
        EXPECT_EQ(back[i].a, recs[i].a);
        EXPECT_EQ(back[i].b, recs[i].b);
        EXPECT_EQ(back[i].c, recs[i].c);
    }
    EXPECT_EQ(name_back, name);

    std::string other = bytes;
    other[1] = kHostByteOrder == 'L' ? 'B' : 'L';
    InArchive in_other(other);
    auto raw_other = raw_records(back);
    in_other(raw_other);
    EXPECT_TRUE(in_other.failed());

    InArchive in_short(std::string_view(bytes).substr(0, 2 + sizeof(Rec) * 2 + 3));
    auto raw_short = raw_records(back);
    in_short(raw_short);
    EXPECT_TRUE(in_short.failed());
}
