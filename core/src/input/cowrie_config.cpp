#include "cb/input/cowrie_config.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>

namespace cb {

namespace {
std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) return {};
    const auto e = s.find_last_not_of(" \t\r");
    return s.substr(b, e - b + 1);
}
std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}
}  // namespace

bool read_cowrie_cfg(const std::string& path, std::map<std::string, std::string>* out, std::string* error) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        *error = "cannot read " + path;
        return false;
    }
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    parse_cowrie_cfg(text, out);
    return true;
}

void parse_cowrie_cfg(std::string_view text, std::map<std::string, std::string>* out) {
    std::string section, last_key;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t nl = text.find('\n', pos);
        if (nl == std::string_view::npos) nl = text.size();
        const std::string line(text.substr(pos, nl - pos));
        pos = nl + 1;
        if (!line.empty() && (line[0] == ' ' || line[0] == '\t') && !last_key.empty() && !trim(line).empty()) {
            std::string& value = (*out)[last_key];  // continuation line
            value.push_back('\n');
            value.append(trim(line));
            continue;
        }
        const std::string t = trim(line);
        if (t.empty() || t[0] == '#' || t[0] == ';') continue;
        if (t.front() == '[' && t.back() == ']') {
            section = lower(trim(t.substr(1, t.size() - 2)));
            last_key.clear();
            continue;
        }
        const auto eq = t.find_first_of("=:");
        if (eq == std::string::npos) continue;
        last_key = section + "." + lower(trim(t.substr(0, eq)));
        (*out)[last_key] = trim(t.substr(eq + 1));
    }
}

}  // namespace cb
