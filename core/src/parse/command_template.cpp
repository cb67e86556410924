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

bool is_word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.'; }
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
        if (is_digit(c))
            ++digits;
        else if (std::islower(static_cast<unsigned char>(c)))
            ++lower;
        else if (std::isupper(static_cast<unsigned char>(c)))
            ++upper;
        else
            ++other;
    }
    if (other > 0) return false;
    const int letters = lower + upper;
    if (digits >= 2 && letters >= 2) return true;
    // Irregular case (xKfjQaZp), not CamelCase or a device name (ttyGSM): many case switches.
    int switches = 0;
    for (std::size_t k = 1; k < w.size(); ++k)
        switches += (std::isupper(static_cast<unsigned char>(w[k])) != 0) !=
                    (std::isupper(static_cast<unsigned char>(w[k - 1])) != 0);
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

namespace {

// One token of a command line and what it becomes in the template.
struct Token {
    std::size_t len;        // bytes of the command line it covers
    std::string_view text;  // a placeholder such as "<URL>", or the token itself
};

// Bytes of the URL at s[i] (0 if none): its scheme, then up to a blank, a quote or a shell
// separator.
std::size_t url_len(std::string_view s, std::size_t i) {
    for (std::string_view scheme : {"http://", "https://", "ftp://", "tftp://"}) {
        if (s.substr(i, scheme.size()) != scheme) continue;
        std::size_t p = i + scheme.size();
        while (p < s.size() && !std::isspace(static_cast<unsigned char>(s[p])) && s[p] != ';' && s[p] != '|' &&
               s[p] != '&' && s[p] != '"' && s[p] != '\'' && s[p] != ')')
            ++p;
        return p - i;
    }
    return 0;
}

// Bytes of the run of \xNN escapes at s[i] (echo -e '\x45\x4c\x46'), 0 if none.
std::size_t hex_escapes_len(std::string_view s, std::size_t i) {
    std::size_t p = i;
    while (p + 3 < s.size() && s[p] == '\\' && s[p + 1] == 'x' && is_hex(s[p + 2]) && is_hex(s[p + 3])) p += 4;
    return p - i;
}

// A hash (32+ hex digits) or base64 blob (40+ characters) starting a word at s[i]; len 0 if
// it is neither.
Token encoded_token(std::string_view s, std::size_t i) {
    std::size_t p = i;
    bool hex_only = true;
    while (p < s.size() && is_b64_char(s[p])) {
        hex_only = hex_only && is_hex(s[p]);
        ++p;
    }
    const std::size_t n = p - i;
    const bool bounded = p == s.size() || !is_word_char(s[p]);
    if (bounded && hex_only && n >= 32) return {n, "<HASH>"};
    if (bounded && n >= 40) return {n, "<B64>"};
    return {0, {}};
}

// The word at s[i]: numbers, ./dropped-binary names and random-looking names are replaced.
Token word_token(std::string_view s, std::size_t i) {
    std::size_t p = i;
    while (p < s.size() && is_word_char(s[p])) ++p;
    const std::string_view w = s.substr(i, p - i);
    bool all_digits = true;
    for (char d : w) all_digits = all_digits && is_digit(d);
    if (all_digits) return {w.size(), "<N>"};
    if (i >= 2 && s[i - 1] == '/' && s[i - 2] == '.' &&
        (i < 3 || std::string_view(" \t;|&(`").find(s[i - 3]) != std::string_view::npos))
        return {w.size(), "<FILE>"};  // ./dropped-binary
    if (after_busybox(s, i) && all_upper(w))
        return {w.size(), "<RAND>"};  // Mirai-style probe: busybox with a random applet name
    if (looks_random(w)) return {w.size(), "<RAND>"};
    return {w.size(), w};
}

// The token at s[i], which is not blank.
Token next_token(std::string_view s, std::size_t i) {
    const char c = s[i];
    const bool word_start = i == 0 || !is_word_char(s[i - 1]);
    if (word_start)
        if (const std::size_t n = url_len(s, i)) return {n, "<URL>"};
    if (c == '\\')
        if (const std::size_t n = hex_escapes_len(s, i)) return {n, "<HEX>"};
    if (word_start && is_digit(c))
        if (const std::size_t n = ipv4_len(s, i)) return {n, "<IP>"};
    if (word_start && is_b64_char(c))
        if (const Token t = encoded_token(s, i); t.len) return t;
    if (word_start && is_word_char(c)) return word_token(s, i);
    return {1, std::string_view(s.data() + i, 1)};  // punctuation
}

}  // namespace

std::string command_template(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    bool space = false;
    for (std::size_t i = 0; i < s.size() && out.size() < 400;) {
        const char c = s[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            space = true;
            ++i;
            continue;
        }
        const Token t = next_token(s, i);
        // Tokens are separated by one space where the input had blanks; punctuation attaches.
        if (space && !out.empty()) out.push_back(' ');
        space = false;
        out.append(t.text);
        i += t.len;
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
