// weird_strings.csv: commands, usernames, passwords and URLs that look like payloads rather
// than typing: high-entropy tokens, long base64 or hex runs, runs of \xNN escapes, binary or
// non-printable bytes, Python bytes reprs, embedded ELF headers.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <map>

#include "cb/analysis/compact_state.hpp"
#include "cb/analysis/weird_string.hpp"
#include "cb/parse/command_template.hpp"
#include "factories.hpp"

namespace cb {

namespace {

constexpr std::size_t kMinEntropyLen = 20;
constexpr double kMinEntropy = 4.5;
constexpr std::size_t kMinBase64Run = 40;
constexpr std::size_t kMinHexRun = 32;
constexpr std::size_t kMinEscapeRun = 8;

enum : std::uint8_t { kUpper = 1, kLower = 2, kDigit = 4, kOther = 8 };

struct Tables {
    std::array<std::uint8_t, 256> cls{}, sep{}, b64{}, hex{};
    constexpr Tables() {
        for (int c = 0; c < 256; ++c) {
            cls[c] = c >= 'A' && c <= 'Z'   ? kUpper
                     : c >= 'a' && c <= 'z' ? kLower
                     : c >= '0' && c <= '9' ? kDigit
                                            : kOther;
            b64[c] = cls[c] != kOther || c == '+' || c == '/';
            hex[c] = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        }
        for (unsigned char c : std::string_view(" \t\r\n\v\f'\"`;|&()<>")) sep[c] = 1;
    }
};
constexpr Tables kT;

int hexval(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool nonprintable_byte(int v) { return v < 0x20 ? v != '\t' : v == 0x7f || (v >= 0x80 && v <= 0xff); }

double entropy_bytes(const unsigned char* p, std::size_t n) {
    if (n == 0) return 0;
    std::uint32_t cnt[256] = {};
    for (std::size_t i = 0; i < n; ++i) ++cnt[p[i]];
    double sum = 0;
    for (std::uint32_t c : cnt)
        if (c > 1) sum += c * std::log2(static_cast<double>(c));
    const double h = std::log2(static_cast<double>(n)) - sum / static_cast<double>(n);
    return h < 0 ? 0 : h;
}

bool starts_with_at(const unsigned char* p, std::size_t n, std::size_t i, std::string_view what) {
    return i + what.size() <= n && std::memcmp(p + i, what.data(), what.size()) == 0;
}

bool elf_at(const unsigned char* p, std::size_t n, std::size_t i) { return starts_with_at(p, n, i, "ELF"); }

}  // namespace

double shannon_entropy(std::string_view s) {
    return entropy_bytes(reinterpret_cast<const unsigned char*>(s.data()), s.size());
}

std::string weird_reasons_text(unsigned r) {
    static constexpr std::pair<unsigned, std::string_view> names[] = {{kWeirdEntropy, "entropy"},
                                                                      {kWeirdBase64Run, "base64_run"},
                                                                      {kWeirdHexRun, "hex_run"},
                                                                      {kWeirdHexEscapes, "hex_escapes"},
                                                                      {kWeirdNonPrintable, "nonprintable"},
                                                                      {kWeirdBytesRepr, "bytes_repr"},
                                                                      {kWeirdElf, "elf"}};
    std::string out;
    for (const auto& [bit, name] : names)
        if (r & bit) {
            if (!out.empty()) out.push_back(';');
            out.append(name);
        }
    return out;
}

namespace {

// Too short for the entropy and run rules, and nothing else that could matter: only bytes
// outside printable ASCII, a backslash, "ELF" or a bytes repr can flag a short string. The
// fast path for the common case (most usernames and passwords).
bool plain_short(std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    if (n >= kMinEntropyLen) return false;
    bool plain = true;
    for (std::size_t i = 0; i < n && plain; ++i) plain = p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\';
    return plain && s.find("ELF") == std::string_view::npos &&
           !(n >= 3 && p[0] == 'b' && (p[1] == '\'' || p[1] == '"'));
}

// One pass over the bytes, no regex: tokens (the entropy rule), base64 and hex runs, and the
// bytes that are neither letters nor digits (escapes, control bytes, ELF headers).
class WeirdScan {
public:
    explicit WeirdScan(std::string_view s)
        : s_(s), p_(reinterpret_cast<const unsigned char*>(s.data())), n_(s.size()) {}

    WeirdCheck run() {
        for (std::size_t i = 0; i < n_; ++i) {
            const unsigned char c = p_[i];
            const std::uint8_t cl = kT.cls[c];
            track_token(i, c, cl);
            track_runs(i, c, cl);
            if (cl == kOther) other_byte(i, c);  // letters and digits need nothing more
        }
        glued_elf();
        end_token(n_);
        if (b64_ != SIZE_MAX) end_b64(n_);
        if (hex_ != SIZE_MAX) end_hex(n_);
        if (n_ >= 3 && p_[0] == 'b' && (p_[1] == '\'' || p_[1] == '"') && p_[n_ - 1] == p_[1] &&
            s_.find("\\x") != std::string_view::npos)
            r_.reasons |= kWeirdBytesRepr;
        return r_;
    }

private:
    void track_token(std::size_t i, unsigned char c, std::uint8_t cl) {
        if (kT.sep[c]) {
            end_token(i);
            tok_ = i + 1;
            tok_cls_ = 0;
        } else if (c == '\\' && i + 1 < n_ && (p_[i + 1] == 'n' || p_[i + 1] == 't' || p_[i + 1] == 'r')) {
            // \n \t \r are blanks to echo -e and printf: "old\nNEW\nNEW"|passwd is three words.
            end_token(i);
            tok_ = i + 2;
            tok_cls_ = 0;
        } else if (i >= tok_) {
            tok_cls_ |= cl;
        }
    }

    void track_runs(std::size_t i, unsigned char c, std::uint8_t cl) {
        if (kT.b64[c]) {
            if (b64_ == SIZE_MAX) b64_ = i, b64_slash_ = 0, b64_cls_ = 0;
            b64_cls_ |= cl;
            b64_slash_ += c == '/';
        } else if (b64_ != SIZE_MAX) {
            end_b64(i);
        }
        if (kT.hex[c]) {
            if (hex_ == SIZE_MAX) hex_ = i, hex_cls_ = 0;
            hex_cls_ |= cl;
        } else if (hex_ != SIZE_MAX) {
            end_hex(i);
        }
    }

    void other_byte(std::size_t i, unsigned char c) {
        if (c == '\\' && i + 3 < n_ && (p_[i + 1] == 'x' || p_[i + 1] == 'X')) {
            escape(i);
        } else if (c == '\\' && starts_with_at(p_, n_, i + 1, "177ELF")) {
            r_.reasons |= kWeirdElf;
        } else if (c < 0x20) {
            // TAB is whitespace; a raw CR is a line-ending artifact (CRLF wordlists, telnet), not binary.
            if (c != '\t' && c != '\r') r_.reasons |= kWeirdNonPrintable;
        } else if (c == 0x7f) {
            r_.reasons |= kWeirdNonPrintable;
            if (elf_at(p_, n_, i + 1)) r_.reasons |= kWeirdElf;
        } else if (c == 0xC2 && i + 1 < n_ && p_[i + 1] >= 0x80 && p_[i + 1] <= 0x9f) {
            r_.reasons |= kWeirdNonPrintable;  // C1 control
        } else if (c == 0xEF && i + 2 < n_ && p_[i + 1] == 0xBF && p_[i + 2] == 0xBD) {
            r_.reasons |= kWeirdNonPrintable;  // U+FFFD: bytes lost in decoding
        }
    }

    // A \xNN escape at i (as typed, or Cowrie's escape of a byte).
    void escape(std::size_t i) {
        const int hi = hexval(p_[i + 2]), lo = hexval(p_[i + 3]);
        if (hi < 0 || lo < 0) return;
        const int v = hi * 16 + lo;
        if (nonprintable_byte(v)) r_.reasons |= kWeirdNonPrintable;
        esc_run_ = esc_end_ == i ? esc_run_ + 1 : 1;
        esc_end_ = i + 4;
        if (esc_run_ >= kMinEscapeRun) r_.reasons |= kWeirdHexEscapes;
        if (v == 0x7f && (elf_at(p_, n_, i + 4) || starts_with_at(p_, n_, i + 4, "\\x45\\x4c\\x46") ||
                          starts_with_at(p_, n_, i + 4, "\\x45\\x4C\\x46")))
            r_.reasons |= kWeirdElf;
        if (v == 0x45 && i + 12 <= n_ && p_[i + 4] == '\\' && (p_[i + 5] | 0x20) == 'x' && p_[i + 6] == '4' &&
            (p_[i + 7] | 0x20) == 'c' && p_[i + 8] == '\\' && (p_[i + 9] | 0x20) == 'x' && p_[i + 10] == '4' &&
            p_[i + 11] == '6')
            r_.reasons |= kWeirdElf;  // Mirai's echo -ne '\x45\x4c\x46' probe
    }

    // "ELF" glued to binary junk: Cowrie drops the 0x7f and the other control bytes of an ELF header
    // typed on stdin (">?A@/X'8ELFX@L"). Not after a letter (SELF, \x7fELF is handled above), a blank
    // or a quote (grep 'ELF'), and not before a lowercase letter (ELFes).
    void glued_elf() {
        for (std::size_t i = s_.find("ELF", 1); i != std::string_view::npos; i = s_.find("ELF", i + 1)) {
            const unsigned char prev = p_[i - 1];
            if (kT.sep[prev] || kT.cls[prev] == kUpper || kT.cls[prev] == kLower || prev == '\\') continue;
            if (i + 3 < n_ && p_[i + 3] >= 'a' && p_[i + 3] <= 'z') continue;
            r_.reasons |= kWeirdElf;
            break;
        }
    }

    void end_token(std::size_t i) {
        const std::size_t len = i - tok_;
        if (len >= kMinEntropyLen && __builtin_popcount(tok_cls_) >= 3) {
            const double h = entropy_bytes(p_ + tok_, len);
            r_.token_entropy = std::max(r_.token_entropy, h);
            if (h >= kMinEntropy) r_.reasons |= kWeirdEntropy;
        }
    }
    void end_b64(std::size_t i) {
        const std::size_t len = i - b64_;
        if (len >= kMinBase64Run && (b64_cls_ & (kUpper | kLower | kDigit)) == (kUpper | kLower | kDigit) &&
            b64_slash_ * 10 <= len)
            r_.reasons |= kWeirdBase64Run;
        b64_ = SIZE_MAX;
    }
    void end_hex(std::size_t i) {
        if (i - hex_ >= kMinHexRun && (hex_cls_ & kDigit) && (hex_cls_ & (kUpper | kLower))) r_.reasons |= kWeirdHexRun;
        hex_ = SIZE_MAX;
    }

    std::string_view s_;
    const unsigned char* p_;
    std::size_t n_;
    WeirdCheck r_;
    std::size_t tok_ = 0;                         // start of the current token
    std::uint8_t tok_cls_ = 0;                    // classes seen in it
    std::size_t b64_ = SIZE_MAX, b64_slash_ = 0;  // start of the current base64 run, its '/'s
    std::uint8_t b64_cls_ = 0;
    std::size_t hex_ = SIZE_MAX;  // start of the current hex run
    std::uint8_t hex_cls_ = 0;
    std::size_t esc_end_ = SIZE_MAX, esc_run_ = 0;  // the run of \xNN escapes ending at esc_end_
};

}  // namespace

WeirdCheck check_weird_string(std::string_view s) {
    if (plain_short(s)) return {};
    return WeirdScan(s).run();
}

namespace analyses {

namespace {

enum Kind : std::uint8_t { kCommand, kUsername, kPassword, kUrl, kKinds };
constexpr std::array<std::string_view, kKinds> kKindNames = {"command", "username", "password", "url"};
constexpr std::size_t kMaxValue = 500;

struct Stat {
    unsigned reasons = 0;
    double token_entropy = 0;
    std::uint64_t length = 0, count = 0;
    std::uint32_t sessions = 0;
    Micros first = INT64_MAX, last = INT64_MIN;
    IdBag src_ips;
    template <class Ar>
    void io(Ar& ar) {
        ar(reasons, token_entropy, length, count, sessions, first, last, src_ips);
    }
};

// The shown prefix: at most kMaxValue bytes, cut at a UTF-8 character boundary.
std::string_view shown(std::string_view v) {
    if (v.size() <= kMaxValue) return v;
    std::size_t cut = kMaxValue;
    while (cut > 0 && (static_cast<unsigned char>(v[cut]) & 0xC0) == 0x80) --cut;
    return v.substr(0, cut);
}

class WeirdStrings : public ArchivedAnalysis<WeirdStrings> {
public:
    template <class Ar>
    void io(Ar& ar) {
        ar(map_, ips_);
    }
    std::string_view name() const override { return "weird_strings"; }

    void add(const SessionFacts& f) override {
        const Session& s = *f.s;
        hits_.clear();
        buf_.clear();
        for (const Item& it : s.items) {
            switch (it.kind) {
                case ItemKind::Command:
                    check(kCommand, it.a, it.ts);
                    break;
                case ItemKind::Login:
                    check(kUsername, it.a, it.ts);
                    check(kPassword, it.b, it.ts);
                    break;
                case ItemKind::Download:
                case ItemKind::DownloadFailed:
                    check(kUrl, it.a, it.ts);
                    break;
                default:
                    break;
            }
        }
        if (hits_.empty()) return;
        auto view = [&](const Hit& h) { return std::string_view(buf_).substr(h.off, h.len); };
        std::sort(hits_.begin(), hits_.end(), [&](const Hit& a, const Hit& b) {
            const auto va = view(a), vb = view(b);
            return va != vb ? va < vb : a.ts < b.ts;
        });
        const std::uint32_t ip = s.src_ip.empty() ? UINT32_MAX : ips_.id(s.src_ip);
        for (std::size_t i = 0; i < hits_.size();) {
            const std::string_view k = view(hits_[i]);
            std::size_t j = i;
            auto it = map_.find(k);
            if (it == map_.end()) {
                Stat st;
                st.reasons = hits_[i].reasons;
                st.token_entropy = hits_[i].token_entropy;
                st.length = hits_[i].length;
                it = map_.emplace(std::string(k), std::move(st)).first;
            }
            Stat& st = it->second;
            ++st.sessions;
            for (; j < hits_.size() && view(hits_[j]) == k; ++j) ++st.count;
            st.first = std::min(st.first, hits_[i].ts);
            st.last = std::max(st.last, hits_[j - 1].ts);
            if (ip != UINT32_MAX) st.src_ips.insert(ip);
            i = j;
        }
    }

    void merge(Analysis&& other) override {
        auto& o = static_cast<WeirdStrings&>(other);
        const auto remap = ips_.absorb(o.ips_);
        for (auto& [k, ost] : o.map_) {
            auto it = map_.find(k);
            if (it == map_.end()) {
                Stat st;
                st.reasons = ost.reasons;
                st.token_entropy = ost.token_entropy;
                st.length = ost.length;
                it = map_.emplace(k, std::move(st)).first;
            }
            Stat& st = it->second;
            st.sessions += ost.sessions;
            st.count += ost.count;
            st.first = std::min(st.first, ost.first);
            st.last = std::max(st.last, ost.last);
            st.src_ips.merge(ost.src_ips, remap);
        }
        o.map_.clear();
    }

    void finish(const AnalysisConfig&, Findings& out) override {
        const std::vector<Row> all = rows();
        out.tables.push_back(table(all));
        out.weird_strings = counts(all);
        StrMap<Stat>().swap(map_);  // release the state before later analyses finish
    }

private:
    struct Row {
        Kind kind;
        std::string_view value;
        bool truncated;
        Stat* st;  // IdBag::count() is not const
        std::string_view key;
    };

    // Most sessions first, then by kind, value and key.
    std::vector<Row> rows() {
        std::vector<Row> rows;
        rows.reserve(map_.size());
        for (auto& [k, st] : map_) {
            // key: kind byte, then the shown value, then (when cut) '\0' + 8-byte hash of the whole value
            const Kind kind = static_cast<Kind>(k[0]);
            const bool cut = st.length > kMaxValue;
            std::string_view v = std::string_view(k).substr(1);
            if (cut) v = v.substr(0, v.size() - 9);
            rows.push_back({kind, v, cut, &st, k});
        }
        std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
            if (a.st->sessions != b.st->sessions) return a.st->sessions > b.st->sessions;
            if (a.kind != b.kind) return a.kind < b.kind;
            if (a.value != b.value) return a.value < b.value;
            return a.key < b.key;
        });
        return rows;
    }

    static Table table(const std::vector<Row>& rows) {
        Table t{"weird_strings",
                "commands, usernames, passwords and URLs flagged for high entropy, long base64/hex runs, \\xNN escape "
                "runs, non-printable bytes, bytes reprs or ELF headers",
                {},
                {}};
        t.columns = {
            {"kind", ColumnType::Text, "command, username, password or url"},
            {"value", ColumnType::Text, "the string as logged, cut to its first 500 bytes (see truncated)"},
            {"reasons", ColumnType::Text,
             "';'-separated: entropy, base64_run, hex_run, hex_escapes, nonprintable, bytes_repr, elf"},
            {"entropy", ColumnType::Real, "Shannon entropy of the whole string, bits per byte"},
            {"token_entropy", ColumnType::Real,
             "highest entropy of a token of 20+ bytes with 3+ character classes (the entropy rule); 0 if none"},
            {"length", ColumnType::Integer, "length of the whole string in bytes"},
            {"truncated", ColumnType::Integer, "1 when value is only the first 500 bytes"},
            {"count", ColumnType::Integer, "times seen"},
            {"sessions", ColumnType::Integer, "distinct sessions"},
            {"src_ips", ColumnType::Integer, "distinct source addresses"},
            {"first_seen", ColumnType::Text, "UTC"},
            {"last_seen", ColumnType::Text, "UTC"}};
        for (const Row& r : rows) {
            Stat& st = *r.st;
            t.rows.push_back({std::string(kKindNames[r.kind]), std::string(r.value), weird_reasons_text(st.reasons),
                              shannon_entropy(r.value), st.token_entropy, static_cast<std::int64_t>(st.length),
                              static_cast<std::int64_t>(r.truncated ? 1 : 0), static_cast<std::int64_t>(st.count),
                              static_cast<std::int64_t>(st.sessions), static_cast<std::int64_t>(st.src_ips.count()),
                              format_timestamp(st.first), format_timestamp(st.last)});
        }
        return t;
    }

    // Rows per kind (every kind, in kind order) and per reason (by name).
    static WeirdStringFacts counts(const std::vector<Row>& rows) {
        std::array<std::uint64_t, kKinds> per_kind{};
        std::map<std::string, std::uint64_t> per_reason;
        for (const Row& r : rows) {
            ++per_kind[r.kind];
            const std::string reasons = weird_reasons_text(r.st->reasons);
            for (std::size_t a = 0; a <= reasons.size();) {
                const std::size_t b = std::min(reasons.find(';', a), reasons.size());
                per_reason[reasons.substr(a, b - a)] += 1;
                a = b + 1;
            }
        }
        WeirdStringFacts facts;
        for (int k = 0; k < kKinds; ++k) facts.counts.emplace_back(kKindNames[k], per_kind[k]);
        facts.reasons.assign(per_reason.begin(), per_reason.end());
        return facts;
    }

    struct Hit {
        std::size_t off, len;
        Micros ts;
        unsigned reasons;
        double token_entropy;
        std::uint64_t length;
    };

    void check(Kind kind, std::string_view v, Micros ts) {
        if (v.empty()) return;
        const WeirdCheck w = check_weird_string(v);
        if (!w.reasons) return;
        const std::size_t off = buf_.size();
        buf_.push_back(static_cast<char>(kind));
        const std::string_view sv = shown(v);
        buf_.append(sv);
        if (sv.size() < v.size()) {
            // Two long strings with the same prefix stay apart: the whole value's hash ends the key.
            buf_.push_back('\0');
            const std::uint64_t h = stable_hash64(v);
            for (int b = 0; b < 8; ++b) buf_.push_back(static_cast<char>((h >> (8 * b)) & 0xFF));
        }
        hits_.push_back({off, buf_.size() - off, ts, w.reasons, w.token_entropy, v.size()});
    }

    StrMap<Stat> map_;  // key: kind byte + shown value (+ '\0' + hash when cut)
    Interner ips_;
    std::vector<Hit> hits_;  // scratch
    std::string buf_;        // scratch
};

}  // namespace

}  // namespace analyses

namespace analyses {
std::unique_ptr<Analysis> make_weird_strings() { return std::make_unique<WeirdStrings>(); }
}  // namespace analyses

}  // namespace cb
