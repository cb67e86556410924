// Escaping for every place an attacker-controlled string leaves the tool.
#pragma once

#include <string>
#include <string_view>

namespace cb {

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

}  // namespace cb
