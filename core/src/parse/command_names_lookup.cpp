#include <algorithm>
#include <string>
#include <unordered_set>

#include "cb/parse/command_names.hpp"

namespace cb {

bool is_known_command(std::string_view name) {
    static const std::unordered_set<std::string_view> names(kCommandNames, kCommandNames + kCommandNameCount);
    return names.count(name) > 0;
}

}  // namespace cb
