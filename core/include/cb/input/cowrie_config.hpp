// Reads a sensor's cowrie.cfg (INI) for the hints: which identity settings are still default.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace cb {

// "section.key" -> value, keys lower-cased; later files override earlier ones, as Cowrie does.
// Returns false and sets *error when the file cannot be read.
bool read_cowrie_cfg(const std::string& path, std::map<std::string, std::string>* out, std::string* error);

// The same for the text of a cowrie.cfg already in memory; never fails (bad lines are skipped).
void parse_cowrie_cfg(std::string_view text, std::map<std::string, std::string>* out);

}  // namespace cb
