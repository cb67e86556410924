// Command templates: the same action with different addresses, URLs, hashes, numbers,
// random file names and encoded blobs becomes one template, so
//   wget http://1.2.3.4/x.sh   and   wget http://5.6.7.8/y.sh   ->   wget <URL>
// Raw commands and templates are always reported side by side.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "cb/util/fast_hash.hpp"

namespace cb {

// Placeholders: <URL> <IP> <HASH> <B64> <HEX> <N> <RAND>, and ./<FILE> for a dropped file run
// from the current folder. Whitespace runs become one space; the result is capped at 400 bytes.
std::string command_template(std::string_view command);

// Memoises command_template (attackers repeat commands); one per thread.
class TemplateCache {
public:
    std::string_view get(std::string_view command);

private:
    std::unordered_map<std::string, std::string, StringHash> map_;
};

// A stable 64-bit hash (FNV-1a then a murmur finaliser): the same on every machine,
// used wherever an id must not depend on the platform's std::hash.
std::uint64_t stable_hash64(std::string_view s, std::uint64_t seed = 0);

}  // namespace cb
