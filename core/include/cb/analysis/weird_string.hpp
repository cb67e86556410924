// The string checks behind weird_strings.csv: one pass over the bytes, no regex.
#pragma once

#include <string>
#include <string_view>

namespace cb {

enum WeirdReason : unsigned {
    kWeirdEntropy = 1u << 0,     // a token of >= 20 bytes, >= 3 character classes, Shannon entropy >= 4.5 bits/byte
    kWeirdBase64Run = 1u << 1,   // >= 40 base64 characters in a row, with upper, lower and digits, few '/'
    kWeirdHexRun = 1u << 2,      // >= 32 hex digits in a row, with letters and digits
    kWeirdHexEscapes = 1u << 3,  // >= 8 \xNN escapes in a row (as typed, or Cowrie's escapes)
    kWeirdNonPrintable =
        1u << 4,                // raw control bytes (not TAB or CR), C1 controls, U+FFFD, or \xNN escapes of such bytes
    kWeirdBytesRepr = 1u << 5,  // a Python bytes repr b'...' holding \x escapes (Cowrie's undecodable input)
    kWeirdElf = 1u << 6,        // an ELF header: raw \x7fELF, \x7fELF or \177ELF as text, \x45\x4c\x46, or
                                // "ELF" glued to binary junk (ELF bytes typed on stdin, control bytes stripped)
};

struct WeirdCheck {
    unsigned reasons = 0;
    double token_entropy = 0;  // highest entropy (bits/byte) of a token of >= 20 bytes; 0 without one
};

WeirdCheck check_weird_string(std::string_view s);

// Shannon entropy of the whole string in bits per byte.
double shannon_entropy(std::string_view s);

// "entropy;base64_run" (fixed order, ';'-separated).
std::string weird_reasons_text(unsigned reasons);

}  // namespace cb
