#include "cb/parse/command_template.hpp"

#include <cctype>

namespace cb {

std::uint64_t stable_hash64(std::string_view s, std::uint64_t seed) {
    std::uint64_t h = 1469598103934665603ULL ^ (seed * 0x9E3779B97F4A7C15ULL);
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

namespace {

bool is_word_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
}
bool is_b64_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '='; }
bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Length of an IPv4 address (optionally :port) at s[i], or 0.
std::size_t ipv4_len(std::string_view s, std::size_t i) {
    std::size_t p = i;
    for (int part = 0; part < 4; ++part) {
        const std::size_t start = p;
        while (p < s.size() && is_digit(s[p]) && p - start < 3) ++p;
        if (p == start) return 0;
        if (part < 3) {
            if (p >= s.size() || s[p] != '.') return 0;
            ++p;
        }
    }
    if (p < s.size() && (is_digit(s[p]) || std::isalpha(static_cast<unsigned char>(s[p])))) return 0;
    if (p + 1 < s.size() && s[p] == ':' && is_digit(s[p + 1])) {
        ++p;
        while (p < s.size() && is_digit(s[p])) ++p;
    }
    return p - i;
}

// A word that looks machine-made: letters and digits mixed, or irregular case.
bool looks_random(std::string_view w) {
    if (w.size() < 6 || w.size() > 64) return false;
    int digits = 0, lower = 0, upper = 0, other = 0;
    for (char c : w) {
        if (is_digit(c)) ++digits;
        else if (std::islower(static_cast<unsigned char>(c))) ++lower;
        else if (std::isupper(static_cast<unsigned char>(c))) ++upper;
        else ++other;
    }
    if (other > 0) return false;
    const int letters = lower + upper;
    if (digits >= 2 && letters >= 2) return true;
    // Irregular case (xKfjQaZp), not CamelCase or a device name (ttyGSM): many case switches.
    int switches = 0;
    for (std::size_t k = 1; k < w.size(); ++k)
        switches += (std::isupper(static_cast<unsigned char>(w[k])) != 0) != (std::isupper(static_cast<unsigned char>(w[k - 1])) != 0);
    return w.size() >= 8 && switches >= 4;
}

bool all_upper(std::string_view w) {
    if (w.size() < 4) return false;
    for (char c : w)
        if (c < 'A' || c > 'Z') return false;
    return true;
}

// True when the word at s[i] directly follows a "busybox" word.
bool after_busybox(std::string_view s, std::size_t i) {
    std::size_t p = i;
    while (p > 0 && s[p - 1] == ' ') --p;
    return p >= 7 && s.substr(p - 7, 7) == "busybox";
}

}  // namespace

std::string command_template(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    bool space = false;
    std::size_t i = 0;
    auto emit = [&](std::string_view t) {
        if (space && !out.empty()) out.push_back(' ');
        space = false;
        out.append(t);
    };
    while (i < s.size() && out.size() < 400) {
        const char c = s[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            space = true;
            ++i;
            continue;
        }
        const bool word_start = i == 0 || !is_word_char(s[i - 1]);
        // URL
        if (word_start) {
            for (std::string_view scheme : {"http://", "https://", "ftp://", "tftp://"}) {
                if (s.substr(i, scheme.size()) == scheme) {
                    std::size_t p = i + scheme.size();
                    while (p < s.size() && !std::isspace(static_cast<unsigned char>(s[p])) && s[p] != ';' &&
                           s[p] != '|' && s[p] != '&' && s[p] != '"' && s[p] != '\'' && s[p] != ')')
                        ++p;
                    emit("<URL>");
                    i = p;
                    goto next;
                }
            }
        }
        // \xNN escape runs (echo -e '\x45\x4c\x46')
        if (c == '\\' && i + 3 < s.size() && s[i + 1] == 'x' && is_hex(s[i + 2]) && is_hex(s[i + 3])) {
            std::size_t p = i;
            while (p + 3 < s.size() && s[p] == '\\' && s[p + 1] == 'x' && is_hex(s[p + 2]) && is_hex(s[p + 3])) p += 4;
            emit("<HEX>");
            i = p;
            continue;
        }
        if (word_start && is_digit(c)) {
            if (const std::size_t n = ipv4_len(s, i)) {
                emit("<IP>");
                i += n;
                continue;
            }
        }
        if (word_start && is_b64_char(c)) {
            std::size_t p = i;
            bool hex_only = true;
            while (p < s.size() && is_b64_char(s[p])) {
                hex_only = hex_only && is_hex(s[p]);
                ++p;
            }
            const std::size_t n = p - i;
            const bool bounded = p == s.size() || !is_word_char(s[p]);
            if (bounded && hex_only && n >= 32) {
                emit("<HASH>");
                i = p;
                continue;
            }
            if (bounded && n >= 40) {
                emit("<B64>");
                i = p;
                continue;
            }
        }
        if (word_start && (is_word_char(c))) {
            std::size_t p = i;
            while (p < s.size() && is_word_char(s[p])) ++p;
            std::string_view w = s.substr(i, p - i);
            bool all_digits = true;
            for (char d : w) all_digits = all_digits && is_digit(d);
            if (all_digits) {
                emit("<N>");
            } else if (i >= 2 && s[i - 1] == '/' && s[i - 2] == '.' &&
                       (i < 3 || std::string_view(" \t;|&(`").find(s[i - 3]) != std::string_view::npos)) {
                emit("<FILE>");  // ./dropped-binary
            } else if (after_busybox(s, i) && all_upper(w)) {
                emit("<RAND>");  // Mirai-style probe: busybox with a random applet name
            } else if (looks_random(w)) {
                emit("<RAND>");
            } else {
                emit(w);
            }
            i = p;
            continue;
        }
        {
            // Punctuation: attach without a space to what came before unless the input had one.
            char buf[1] = {c};
            emit(std::string_view(buf, 1));
            ++i;
        }
    next:;
    }
    if (out.size() > 400) out.resize(400);
    return out;
}

std::string_view TemplateCache::get(std::string_view command) {
    auto it = map_.find(std::string(command));
    if (it == map_.end()) it = map_.emplace(std::string(command), command_template(command)).first;
    return it->second;
}

}  // namespace cb
