#include "cb/util/address.hpp"

#include <arpa/inet.h>

#include <cstdint>
#include <cstring>
#include <string>

namespace cb {

namespace {

bool parse(std::string_view s, int family, void* out) {
    if (s.empty() || s.size() > 63) return false;
    const std::string z(s);
    return ::inet_pton(family, z.c_str(), out) == 1;
}

bool shareable_v4(const unsigned char* a) {
    const std::uint32_t v =
        (std::uint32_t{a[0]} << 24) | (std::uint32_t{a[1]} << 16) | (std::uint32_t{a[2]} << 8) | a[3];
    struct Net {
        std::uint32_t base;
        int bits;
    };
    static const Net kNot[] = {
        {0x00000000, 8},   // 0.0.0.0/8 "this network"
        {0x0A000000, 8},   // 10/8
        {0x64400000, 10},  // 100.64/10 shared (CGNAT)
        {0x7F000000, 8},   // loopback
        {0xA9FE0000, 16},  // link-local
        {0xAC100000, 12},  // 172.16/12
        {0xC0A80000, 16},  // 192.168/16
        {0xE0000000, 4},   // multicast
        {0xF0000000, 4},   // reserved and broadcast
    };
    for (const Net& n : kNot)
        if ((v >> (32 - n.bits)) == (n.base >> (32 - n.bits))) return false;
    return true;
}

}  // namespace

int address_family(std::string_view s) {
    unsigned char buf[16];
    if (parse(s, AF_INET, buf)) return 4;
    if (parse(s, AF_INET6, buf)) return 6;
    return 0;
}

bool is_shareable_address(std::string_view s) {
    unsigned char a[16];
    if (parse(s, AF_INET, a)) return shareable_v4(a);
    if (!parse(s, AF_INET6, a)) return false;
    static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    if (std::memcmp(a, kMapped, 12) == 0) return shareable_v4(a + 12);
    bool zero_prefix = true;  // :: and ::1
    for (int i = 0; i < 15; ++i) zero_prefix = zero_prefix && a[i] == 0;
    if (zero_prefix && a[15] <= 1) return false;
    if ((a[0] & 0xFE) == 0xFC) return false;                  // fc00::/7 unique local
    if (a[0] == 0xFE && (a[1] & 0xC0) == 0x80) return false;  // fe80::/10 link-local
    if (a[0] == 0xFF) return false;                           // multicast
    return true;
}

}  // namespace cb
