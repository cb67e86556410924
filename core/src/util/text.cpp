#include "cb/util/text.hpp"

#include <array>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace cb {

namespace {

constexpr char kHex[] = "0123456789abcdef";

// Bytes that may need escaping in JSON output: controls, '"', '\\', DEL, '/' (for "</"),
// and 0xE2 (the lead byte of U+2028/U+2029).
constexpr auto kJsonSpecial = [] {
    std::array<bool, 256> t{};
    for (int c = 0; c < 0x20; ++c) t[c] = true;
    t['"'] = t['\\'] = t[0x7F] = t['/'] = t[0xE2] = true;
    return t;
}();
// Index of the first byte at or after i that kJsonSpecial marks, or n. Sixteen bytes at a
// time with SSE2 (part of every x86-64): sessions.jsonl and report.html are hundreds of MB
// of mostly plain text.
std::size_t next_json_special(const unsigned char* p, std::size_t i, std::size_t n) {
#if defined(__SSE2__)
    const auto special_mask = [](__m128i x) {
        __m128i hit = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x1F)), x);  // x <= 0x1F
        hit = _mm_or_si128(hit, _mm_cmpeq_epi8(x, _mm_set1_epi8('"')));
        hit = _mm_or_si128(hit, _mm_cmpeq_epi8(x, _mm_set1_epi8('\\')));
        hit = _mm_or_si128(hit, _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7F)));
        hit = _mm_or_si128(hit, _mm_cmpeq_epi8(x, _mm_set1_epi8('/')));
        hit = _mm_or_si128(hit, _mm_cmpeq_epi8(x, _mm_set1_epi8(static_cast<char>(0xE2))));
        return static_cast<unsigned>(_mm_movemask_epi8(hit));
    };
    for (; i + 16 <= n; i += 16)
        if (const unsigned m = special_mask(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i))))
            return i + static_cast<std::size_t>(__builtin_ctz(m));
    if (i < n) {  // the last 1..15 bytes (most strings are shorter than 16): padded with a plain byte
        alignas(16) unsigned char tail[16];
        std::memset(tail, 'a', sizeof tail);
        std::memcpy(tail, p + i, n - i);
        const unsigned m = special_mask(_mm_load_si128(reinterpret_cast<const __m128i*>(tail)));
        return m ? i + static_cast<std::size_t>(__builtin_ctz(m)) : n;
    }
    return n;
#else
    while (i < n && !kJsonSpecial[p[i]]) ++i;
    return i;
#endif
}

// What a byte asks of a CSV cell (append_csv_cell()): quotes around the cell (',', '"', LF),
// or to be written otherwise ('"' doubled, the other control bytes and DEL as \xNN).
constexpr unsigned kCsvQuoted = 1, kCsvRewritten = 2;
constexpr auto kCsvClass = [] {
    std::array<std::uint8_t, 256> t{};
    for (int c = 0; c < 0x20; ++c) t[c] = kCsvRewritten;
    t[0x7F] = kCsvRewritten;
    t['\n'] = kCsvQuoted;
    t[','] = kCsvQuoted;
    t['"'] = kCsvQuoted | kCsvRewritten;
    return t;
}();

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
    out.push_back('"');
    std::size_t run = 0;  // start of the pending run of bytes that need no escaping
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    for (std::size_t i = next_json_special(p, 0, s.size()); i < s.size(); i = next_json_special(p, i + 1, s.size())) {
        const unsigned char c = p[i];
        const char* esc = nullptr;
        char buf[8];
        if (c == '"') {
            esc = "\\\"";
        } else if (c == '\\') {
            esc = "\\\\";
        } else if (c < 0x20 || c == 0x7F) {
            switch (c) {
                case '\n':
                    esc = "\\n";
                    break;
                case '\r':
                    esc = "\\r";
                    break;
                case '\t':
                    esc = "\\t";
                    break;
                default:
                    buf[0] = '\\';
                    buf[1] = 'u';
                    buf[2] = '0';
                    buf[3] = '0';
                    buf[4] = kHex[c >> 4];
                    buf[5] = kHex[c & 15];
                    buf[6] = 0;
                    esc = buf;
            }
        } else if (c == '/') {
            if (i == 0 || s[i - 1] != '<') continue;
            esc = "\\/";
        } else {  // 0xE2: escape U+2028 and U+2029, which end lines in JavaScript
            if (!(i + 2 < s.size() && p[i + 1] == 0x80 && (p[i + 2] == 0xA8 || p[i + 2] == 0xA9))) continue;
            out.append(s.data() + run, i - run);
            out.append(p[i + 2] == 0xA8 ? "\\u2028" : "\\u2029");
            i += 2;
            run = i + 1;
            continue;
        }
        out.append(s.data() + run, i - run);
        out.append(esc);
        run = i + 1;
    }
    out.append(s.data() + run, s.size() - run);
    out.push_back('"');
}

// Control bytes other than LF (0x00-0x1F, 0x7F) are written as the text \xNN, so a CSV
// stays text to grep and inert in a terminal; LF stays (quoted), as multi-value cells use it.
void append_csv_cell(std::string& out, std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    unsigned seen = 0;  // the kCsv* bits of all its bytes: most cells have none, and go as they are
    for (std::size_t i = 0; i < s.size(); ++i) seen |= kCsvClass[p[i]];
    const bool formula =
        !s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r');
    const bool quote = formula || (seen & kCsvQuoted);
    if (quote) out.push_back('"');
    if (formula) out.push_back('\'');
    if (!(seen & kCsvRewritten)) {
        out.append(s);
    } else {
        std::size_t run = 0;  // start of the pending bytes written as they are
        for (std::size_t i = 0; i < s.size(); ++i) {
            if (!(kCsvClass[p[i]] & kCsvRewritten)) continue;
            out.append(s.data() + run, i - run);
            run = i + 1;
            if (p[i] == '"') {
                out.append("\"\"");
            } else {
                out.append("\\x");
                append_hex(out, s.substr(i, 1));
            }
        }
        out.append(s.data() + run, s.size() - run);
    }
    if (quote) out.push_back('"');
}

std::string sanitize_for_terminal(std::string_view s, std::size_t max_chars) {
    std::string out;
    out.reserve(s.size() < max_chars ? s.size() : max_chars);
    std::size_t chars = 0;
    for (std::size_t i = 0; i < s.size();) {
        if (chars >= max_chars) {
            out.append("\xE2\x80\xA6");
            break;
        }
        const Utf8Step u = decode_utf8(s, i);
        if (u.kind != Utf8Step::Ok) {
            out.append("\xEF\xBF\xBD");
            ++i;
            ++chars;
            continue;
        }
        const std::size_t n = u.len;
        const char32_t cp = u.cp;
        if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0)) {
            // Control character: show it as a visible escape instead of sending it.
            out.append("\\x");
            out.push_back(kHex[(cp >> 4) & 15]);
            out.push_back(kHex[cp & 15]);
        } else if (is_bidi_control(cp)) {
            out.append("\xEF\xBF\xBD");
        } else {
            out.append(s.data() + i, n);
        }
        i += n;
        ++chars;
    }
    return out;
}

std::string_view clip_utf8(std::string_view s, std::size_t max, std::string& buf) {
    if (s.size() <= max) return s;
    std::size_t n = max;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    buf.assign(s.substr(0, n));
    buf += "\xE2\x80\xA6 [cut: " + std::to_string(s.size()) + " bytes in all]";
    return buf;
}

std::string clip_middle_utf8(std::string_view s, std::size_t max) {
    static constexpr std::string_view kMark = "\xE2\x80\xA6";
    if (s.size() <= max) return std::string(s);
    if (max < kMark.size()) return std::string(kMark);
    auto continuation = [&](std::size_t i) { return (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80; };
    const std::size_t keep = max - kMark.size();
    std::size_t head = keep / 2, tail = s.size() - (keep - keep / 2);
    while (head > 0 && continuation(head)) --head;
    while (tail < s.size() && continuation(tail)) ++tail;
    return std::string(s.substr(0, head)) + std::string(kMark) + std::string(s.substr(tail));
}

bool is_valid_utf8(std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    for (std::size_t i = 0; i < n;) {
        if (i + 8 <= n) {  // plain ASCII eight bytes at a time: almost all of a log line is
            std::uint64_t word;
            std::memcpy(&word, p + i, 8);
            if ((word & 0x8080808080808080ull) == 0) {
                i += 8;
                continue;
            }
        }
        const Utf8Step u = decode_utf8(p + i, n - i);
        if (u.kind != Utf8Step::Ok) return false;
        i += u.len;
    }
    return true;
}

void append_utf8(std::string& out, char32_t c) {
    if (c < 0x80) {
        out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (c >> 6)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (c >> 12)));
        out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (c >> 18)));
        out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
}

void append_hex(std::string& out, std::string_view bytes) {
    for (const char c : bytes) {
        const auto b = static_cast<unsigned char>(c);
        out.push_back(kHex[b >> 4]);
        out.push_back(kHex[b & 15]);
    }
}

namespace {

// s with each byte that is not part of valid UTF-8 written as `escape` and two hex digits.
std::string replace_invalid_bytes(std::string_view s, std::string_view escape) {
    std::string out;
    out.reserve(s.size() + 16);
    for (std::size_t i = 0; i < s.size();) {
        const Utf8Step u = decode_utf8(s, i);
        if (u.kind != Utf8Step::Ok) {
            out.append(escape);
            append_hex(out, s.substr(i, 1));
            ++i;
        } else {
            out.append(s.data() + i, u.len);
            i += u.len;
        }
    }
    return out;
}

}  // namespace

std::string repair_utf8_json(std::string_view line) { return replace_invalid_bytes(line, "\\\\x"); }

std::string escape_invalid_utf8(std::string_view s) {
    return is_valid_utf8(s) ? std::string(s) : replace_invalid_bytes(s, "\\x");
}

std::string with_commas(std::uint64_t v) {
    const std::string digits = std::to_string(v);
    std::string s;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i && (digits.size() - i) % 3 == 0) s.push_back(',');
        s.push_back(digits[i]);
    }
    return s;
}

std::string counted(std::uint64_t n, const char* one, const char* many) {
    return with_commas(n) + " " + (n == 1 ? one : many);
}

}  // namespace cb
