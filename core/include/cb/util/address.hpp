// IP address literals: which family, and whether an address may be shared as an indicator.
#pragma once

#include <string_view>

namespace cb {

// 4 or 6 for an IPv4 or IPv6 literal (no brackets, no port), else 0.
int address_family(std::string_view s);

// False for addresses that never identify an attacker and must not be shared: private (RFC 1918,
// IPv6 unique local fc00::/7), loopback, link-local, unspecified, shared (100.64.0.0/10),
// multicast and broadcast, and IPv4-mapped IPv6 forms of them. True for other literals; false
// for text that is no address.
bool is_shareable_address(std::string_view s);

}  // namespace cb
