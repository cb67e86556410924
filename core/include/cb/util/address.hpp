// IP address literals: which family, and whether an address may be shared as an indicator.
#pragma once

#include <string_view>

namespace cb {

// 4 or 6 for an IPv4 or IPv6 literal (no brackets, no port), else 0.
int address_family(std::string_view s);

// False for addresses that never identify an attacker and must not be shared: private (RFC 1918,
// IPv6 unique local fc00::/7), loopback, link-local, unspecified, shared (100.64.0.0/10),
// multicast and broadcast, and the IPv6 forms that carry such an IPv4 address (mapped
// ::ffff:0:0/96, compatible ::/96, NAT64 64:ff9b::/96, 6to4 2002::/16). True for other literals;
// false for text that is no address.
bool is_shareable_address(std::string_view s);

// A host as a resolver takes it: lower case, without one trailing dot, [brackets] or a %zone.
std::string canonical_host(std::string_view host);

// Whether a host of a URL or a connection target may be shared: false for localhost and for
// addresses that is_shareable_address() refuses, in any form inet_aton() also takes
// (2130706433, 0x7f.1, 0177.0.0.1, 127.1); true for other names and addresses.
bool is_shareable_host(std::string_view host);

// An address literal or a DNS name (letters, digits, '.', '-', '_'; at most 253 bytes).
bool is_host_name(std::string_view host);

}  // namespace cb
