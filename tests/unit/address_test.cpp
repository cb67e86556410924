// util/address.hpp (which addresses may be shared as indicators) and uuid_v5 (util/sha256.hpp).
#include "cb/util/address.hpp"

#include <gtest/gtest.h>

#include "cb/util/sha256.hpp"

TEST(Address, FamilyOfLiterals) {
    EXPECT_EQ(cb::address_family("203.0.113.9"), 4);
    EXPECT_EQ(cb::address_family("2001:db8::1"), 6);
    EXPECT_EQ(cb::address_family("::ffff:10.0.0.1"), 6);
    for (const char* s : {"", "example.org", "1.2.3", "203.0.113.9:22", "[2001:db8::1]", "1.2.3.4 ", "999.1.1.1"})
        EXPECT_EQ(cb::address_family(s), 0) << s;
}

TEST(Address, PrivateLoopbackAndSpecialRangesAreNeverShared) {
    for (const char* s : {"10.0.0.1",
                          "10.255.255.255",
                          "172.16.0.1",
                          "172.31.255.255",
                          "192.168.0.1",
                          "127.0.0.1",
                          "127.255.0.9",
                          "0.0.0.0",
                          "169.254.1.1",
                          "100.64.0.1",
                          "100.127.255.255",
                          "224.0.0.1",
                          "255.255.255.255",
                          "::",
                          "::1",
                          "fe80::1",
                          "febf::1",
                          "fc00::1",
                          "fdff::1",
                          "ff02::1",
                          "::ffff:192.168.1.1",
                          "::ffff:127.0.0.1",
                          "not-an-address",
                          ""})
        EXPECT_FALSE(cb::is_shareable_address(s)) << s;
    for (const char* s : {"203.0.113.9", "8.8.8.8", "172.15.255.255", "172.32.0.0", "100.63.255.255", "100.128.0.0",
                          "11.0.0.1", "2001:db8::1", "2a00:1450::1", "fec0::1", "::8.8.8.8", "::ffff:8.8.8.8"})
        EXPECT_TRUE(cb::is_shareable_address(s)) << s;
}

TEST(Address, HostsInEveryFormAResolverTakes) {
    for (const char* h : {"localhost", "LOCALHOST", "a.localhost", "127.0.0.1.", "2130706433", "0x7f000001", "0x7f.1",
                          "0177.0.0.1", "127.1", "[::1]", "fe80::1%eth0", "[fe80::1%25eth0]", "::127.0.0.1",
                          "64:ff9b::7f00:1", "2002:7f00:1::", "2002:c0a8:101::", "10.1", ""})
        EXPECT_FALSE(cb::is_shareable_host(h)) << h;
    for (const char* h : {"evil.example", "Mail.Example.ORG.", "198.51.100.7", "[2001:db8::1]",
                          "2002:0808:0808::", "add.bed", "8.8.8.8"})
        EXPECT_TRUE(cb::is_shareable_host(h)) << h;
    EXPECT_EQ(cb::canonical_host("[FE80::1%eth0]"), "fe80::1");
    EXPECT_EQ(cb::canonical_host("Mail.Example.ORG."), "mail.example.org");
    EXPECT_TRUE(cb::is_host_name("mail.example.org"));
    EXPECT_TRUE(cb::is_host_name("2001:db8::1"));
    for (const char* h : {"a|b.example", "evil.example/x", "a b", "a:b", ""}) EXPECT_FALSE(cb::is_host_name(h)) << h;
}

TEST(Uuid, Version5IsStableAndWellFormed) {
    // RFC 4122's DNS namespace: uuid5(NAMESPACE_DNS, "python.org") is Python's documented example.
    const unsigned char dns[16] = {0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1,
                                   0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};
    EXPECT_EQ(cb::uuid_v5(dns, "python.org"), "886313e1-3b8a-5372-9b90-0c9aee199e5d");
    EXPECT_NE(cb::uuid_v5(dns, "a"), cb::uuid_v5(dns, "b"));
}
