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
    static const unsigned char kCompatible[12] = {};
    static const unsigned char kNat64[12] = {0, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0};
    bool zero_prefix = true;  // :: and ::1
    for (int i = 0; i < 15; ++i) zero_prefix = zero_prefix && a[i] == 0;
    if (zero_prefix && a[15] <= 1) return false;
    if (std::memcmp(a, kMapped, 12) == 0 || std::memcmp(a, kCompatible, 12) == 0 || std::memcmp(a, kNat64, 12) == 0)
        return shareable_v4(a + 12);
    if (a[0] == 0x20 && a[1] == 0x02) return shareable_v4(a + 2);  // 6to4
    if ((a[0] & 0xFE) == 0xFC) return false;                       // fc00::/7 unique local
    if (a[0] == 0xFE && (a[1] & 0xC0) == 0x80) return false;       // fe80::/10 link-local
    if (a[0] == 0xFF) return false;                                // multicast
    return true;
}

std::string canonical_host(std::string_view host) {
    std::string h(host);
    for (char& c : h)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
    if (const std::size_t zone = h.find('%'); zone != std::string::npos) h.resize(zone);
    if (h.size() > 1 && h.back() == '.') h.pop_back();
    return h;
}

bool is_shareable_host(std::string_view raw) {
    const std::string host = canonical_host(raw);
    if (host.empty() || host == "localhost" || host.ends_with(".localhost")) return false;
    if (address_family(host)) return is_shareable_address(host);
    const bool numeric = host.find_first_not_of("0123456789abcdefx.") == std::string::npos;
    in_addr a{};
    if (numeric && ::inet_aton(host.c_str(), &a) == 1) {  // what a client's resolver makes of it
        char dotted[INET_ADDRSTRLEN];
        return ::inet_ntop(AF_INET, &a, dotted, sizeof dotted) && is_shareable_address(dotted);
    }
    return true;
}

bool is_host_name(std::string_view host) {
    if (address_family(host)) return true;
    if (host.empty() || host.size() > 253) return false;
    for (char c : host)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
              c == '_'))
            return false;
    return true;
}

}  // namespace cb
