// Reads a sensor's cowrie.cfg (INI) for the hints: which identity settings are still default.
#pragma once

#include <map>
#include <string>

namespace cb {

// "section.key" -> value, keys lower-cased; later files override earlier ones, as Cowrie does.
// Returns false and sets *error when the file cannot be read.
bool read_cowrie_cfg(const std::string& path, std::map<std::string, std::string>* out, std::string* error);

}  // namespace cb
