// Escaping for every place an attacker-controlled string leaves the tool.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cb {

// One step of the one UTF-8 decoder (Unicode's well-formed sequences, table 3-7: no overlong
// forms, no surrogates, nothing above U+10FFFF).
struct Utf8Step {
    enum Kind : std::uint8_t {
        Ok,         // cp is the code point; len its byte count (1-4)
        Invalid,    // len: the bytes to replace with one U+FFFD (the longest valid prefix, >= 1)
        Truncated,  // valid so far but the bytes end first; len: all of them
    };
    Kind kind;
    std::uint8_t len;
    char32_t cp;  // only for Ok
};

// Decodes the sequence that starts at p[0], reading at most n (>= 1) bytes. Inline: it is
// on the hot paths (every log line is checked, every recording byte is decoded).
inline Utf8Step decode_utf8(const unsigned char* p, std::size_t n) {
    const unsigned char b0 = p[0];
    if (b0 < 0x80) return {Utf8Step::Ok, 1, b0};
    if (b0 < 0xC2 || b0 > 0xF4) return {Utf8Step::Invalid, 1, 0};  // continuation, overlong lead, > U+10FFFF
    const std::size_t need = b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : 4;
    // The second byte's range depends on the lead byte; later ones are any continuation byte.
    unsigned char lo = b0 == 0xE0 ? 0xA0 : b0 == 0xF0 ? 0x90 : 0x80;  // no overlong forms
    unsigned char hi = b0 == 0xED ? 0x9F : b0 == 0xF4 ? 0x8F : 0xBF;  // no surrogates, <= U+10FFFF
    char32_t cp = b0 & (need == 2 ? 0x1Fu : need == 3 ? 0x0Fu : 0x07u);
    for (std::size_t k = 1; k < need; ++k) {
        if (k == n) return {Utf8Step::Truncated, static_cast<std::uint8_t>(k), 0};
        const unsigned char b = p[k];
        if (b < lo || b > hi) return {Utf8Step::Invalid, static_cast<std::uint8_t>(k), 0};
        lo = 0x80;
        hi = 0xBF;
        cp = (cp << 6) | (b & 0x3Fu);
    }
    return {Utf8Step::Ok, static_cast<std::uint8_t>(need), cp};
}

inline Utf8Step decode_utf8(std::string_view s, std::size_t i) {
    return decode_utf8(reinterpret_cast<const unsigned char*>(s.data()) + i, s.size() - i);
}

// Appends code point cp (<= U+10FFFF) as UTF-8.
void append_utf8(std::string& out, char32_t cp);

// Unicode bidi controls (embeddings, overrides, isolates, marks), which can make a terminal or
// a page show text in another order than it is: replaced or escaped wherever text is shown.
inline bool is_bidi_control(char32_t cp) {
    return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E || cp == 0x200F ||
           cp == 0x061C;
}

// Appends s to out as a JSON string literal (with quotes). Control characters,
// quotes, backslashes, U+2028/U+2029 and "</" are escaped so the result is also
// safe inside an HTML <script type="application/json"> block. Input must be valid UTF-8
// (everything that went through the parser is).
void append_json_string(std::string& out, std::string_view s);

// Appends one RFC 4180 CSV cell. Cells starting with = + - @ (or TAB/CR, which
// spreadsheets also treat as formula starts) are prefixed with a single quote. Control
// bytes except LF (0x00-0x1F, 0x7F) are written as the four characters \xNN.
void append_csv_cell(std::string& out, std::string_view s);

// For console output: drops C0/C1 control characters and ESC sequences, replaces
// Unicode bidi overrides, and shortens to max_chars (… appended).
std::string sanitize_for_terminal(std::string_view s, std::size_t max_chars = 200);

// s cut to at most max bytes at a UTF-8 boundary, with a visible "… [cut: N bytes in all]"
// mark; the cut copy lives in buf. Returns s itself when it fits.
std::string_view clip_utf8(std::string_view s, std::size_t max, std::string& buf);

// s cut in its middle to at most max bytes, "…" in place of the middle, at UTF-8 boundaries:
// for paths, whose start and end (the file name) both matter.
std::string clip_middle_utf8(std::string_view s, std::size_t max);

// True if s is valid UTF-8.
bool is_valid_utf8(std::string_view s);

// Appends two lower-case hex digits per byte of `bytes` ("\x1f" -> "1f").
void append_hex(std::string& out, std::string_view bytes);

// Rewrites a JSON line whose bytes are not valid UTF-8: each invalid byte becomes the
// six characters \\xNN (a JSON-escaped backslash, then xNN), which decodes to the four
// characters \xNN that Cowrie itself uses for undecodable bytes. Lossless: the original
// byte can be recovered from the text.
std::string repair_utf8_json(std::string_view line);

// s as valid UTF-8 text: each invalid byte becomes the four characters \xNN (Cowrie's own
// notation), as for raw bytes that reach an output as text (reject samples of summary.json).
std::string escape_invalid_utf8(std::string_view s);

// Numbers for people: 1,234,567; and "1 log" / "2 logs".
std::string with_commas(std::uint64_t v);
std::string counted(std::uint64_t n, const char* one, const char* many);

}  // namespace cb
