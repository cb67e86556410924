// Terminal text from TTY recordings: the escape-sequence parser, the TermFilter that makes
// output safe for a terminal, the LastLines line model, and the asciicast v2 writer.
#include <algorithm>
#include <cstdio>
#include <cstring>

#include "cb/tty/ttylog.hpp"
#include "cb/util/text.hpp"

namespace cb {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
constexpr std::size_t kMaxCsiParams = 32;                  // longer parameter strings are dropped
constexpr std::size_t kMaxCsiInter = 4;
constexpr std::size_t kMaxString = 8192;  // OSC/DCS/... bodies longer than this end

struct Csi {
    std::string params;  // parameter bytes 0x30-0x3F
    std::string inter;   // intermediate bytes 0x20-0x2F
    char final = 0;
    bool c1 = false;   // introduced by U+009B rather than ESC [
    bool bad = false;  // too long, or a parameter byte after an intermediate
};

// What the parser finds, in order.
class Sink {
public:
    virtual ~Sink() = default;
    virtual void text(std::string_view utf8) = 0;  // printable, valid UTF-8, no bidi controls
    virtual void control(unsigned char c) = 0;     // a C0 control (not ESC, CAN, SUB) or DEL
    virtual void csi(const Csi& s) = 0;            // a complete control sequence
    virtual void dropped() = 0;                    // any other sequence (OSC, DCS, ESC x, C1, ...)
    virtual void replaced() = 0;                   // U+FFFD was sent to text() for bad input
};

// ECMA-48 / xterm escape-sequence grammar, byte by byte, state kept between feeds.
class TermParser {
public:
    void feed(std::string_view in, Sink& sink) {
        const auto* p = reinterpret_cast<const unsigned char*>(in.data());
        const std::size_t n = in.size();
        std::size_t i = 0;
        while (i < n) {
            // Each state's step returns whether it consumed the byte (false: read it again).
            const unsigned char b = p[i];
            bool used = true;
            switch (st_) {
                case St::Ground:
                    if (b >= 0x20 && b < 0x7F && u8_len_ == 0) {  // a run of printable ASCII at once
                        std::size_t j = i + 1;
                        while (j < n && p[j] >= 0x20 && p[j] < 0x7F) ++j;
                        sink.text(in.substr(i, j - i));
                        i = j;
                        continue;
                    }
                    used = ground(b, sink);
                    break;
                case St::Esc:
                    used = esc(b, sink);
                    break;
                case St::EscInter:
                    used = esc_inter(b, sink);
                    break;
                case St::Csi:
                    used = csi(b, sink);
                    break;
                case St::Str:
                    used = str(b, sink);
                    break;
                case St::StrEsc:
                    used = str_esc(b, sink);
                    break;
            }
            if (used) ++i;
        }
    }

    void finish(Sink& sink) {
        if (st_ == St::Ground && u8_len_ > 0) {
            sink.text(kReplacement);
            sink.replaced();
        } else if (st_ != St::Ground) {
            sink.dropped();
        }
        st_ = St::Ground;
        u8_len_ = 0;
    }

private:
    enum class St : std::uint8_t { Ground, Esc, EscInter, Csi, Str, StrEsc };

    // Text and C0 controls; multi-byte UTF-8 is gathered in u8_ (it may span feeds).
    bool ground(unsigned char b, Sink& sink) {
        if (u8_len_ > 0) return continue_utf8(b, sink);
        if (b == 0x1B) {
            st_ = St::Esc;
        } else if (b < 0x80) {
            sink.control(b);
        } else if (decode_utf8(&b, 1).kind == Utf8Step::Truncated) {  // a lead byte
            u8_[0] = b;
            u8_len_ = 1;
        } else {  // a stray continuation byte, C0/C1 overlong lead, or F5..FF
            sink.text(kReplacement);
            sink.replaced();
        }
        return true;
    }

    bool continue_utf8(unsigned char b, Sink& sink) {
        u8_[u8_len_] = b;
        const Utf8Step u = decode_utf8(u8_, static_cast<std::size_t>(u8_len_) + 1);
        if (u.kind == Utf8Step::Invalid) {  // cut sequence: U+FFFD for it, then the byte on its own
            u8_len_ = 0;
            sink.text(kReplacement);
            sink.replaced();
            return false;
        }
        if (u.kind == Utf8Step::Truncated) {
            ++u8_len_;
        } else {
            u8_len_ = 0;
            code_point(u.cp, u.len, sink);
        }
        return true;
    }

    bool esc(unsigned char b, Sink& sink) {
        if (b == '[') {
            start_csi(false);
        } else if (b == ']' || b == 'P' || b == '_' || b == '^' || b == 'X') {
            start_string();
        } else if (b >= 0x20 && b <= 0x2F) {
            st_ = St::EscInter;
        } else if (b >= 0x30 && b <= 0x7E) {
            sink.dropped();
            st_ = St::Ground;
        } else {
            return interrupt(b, sink);  // a second ESC drops the first and starts anew
        }
        return true;
    }

    bool esc_inter(unsigned char b, Sink& sink) {
        if (b >= 0x30 && b <= 0x7E) {
            sink.dropped();
            st_ = St::Ground;
            return true;
        }
        return interrupt(b, sink);
    }

    bool csi(unsigned char b, Sink& sink) {
        if (b >= 0x30 && b <= 0x3F) {
            if (!csi_.inter.empty() || csi_.params.size() >= kMaxCsiParams)
                csi_.bad = true;
            else
                csi_.params.push_back(static_cast<char>(b));
        } else if (b >= 0x20 && b <= 0x2F) {
            if (csi_.inter.size() >= kMaxCsiInter)
                csi_.bad = true;
            else
                csi_.inter.push_back(static_cast<char>(b));
        } else if (b >= 0x40 && b <= 0x7E) {
            csi_.final = static_cast<char>(b);
            st_ = St::Ground;
            sink.csi(csi_);
        } else {
            return interrupt(b, sink);
        }
        return true;
    }

    // OSC, DCS, SOS, PM, APC bodies: dropped up to BEL, ST (ESC \ or C1 ST), CAN or SUB.
    bool str(unsigned char b, Sink& sink) {
        ++str_len_;
        if (b == 0x07 || b == 0x18 || b == 0x1A || (str_c2_ && b == 0x9C)) {
            sink.dropped();
            st_ = St::Ground;
        } else if (b == 0x1B) {
            st_ = St::StrEsc;
        } else if (str_len_ > kMaxString) {
            sink.dropped();  // unterminated: the rest is shown as text
            st_ = St::Ground;
        }
        str_c2_ = b == 0xC2;
        return true;
    }

    bool str_esc(unsigned char b, Sink& sink) {
        sink.dropped();
        if (b == '\\') {
            st_ = St::Ground;
            return true;
        }
        st_ = St::Esc;  // ESC ends the string and starts a new sequence
        return false;
    }

    // Inside ESC, ESC-intermediate and CSI sequences: ESC starts a new sequence, CAN and SUB
    // cancel, and a byte >= 0x80 ends the sequence and is read again as text (returns false).
    // Other bytes (C0 controls) are ignored there.
    bool interrupt(unsigned char b, Sink& sink) {
        if (b == 0x1B) {
            sink.dropped();
            st_ = St::Esc;
        } else if (b == 0x18 || b == 0x1A) {
            sink.dropped();
            st_ = St::Ground;
        } else if (b >= 0x80) {
            sink.dropped();
            st_ = St::Ground;
            return false;
        }
        return true;
    }

    void code_point(char32_t cp, std::size_t len, Sink& sink) {
        if (cp >= 0x80 && cp <= 0x9F) {  // C1 control, UTF-8 encoded
            if (cp == 0x9B)
                start_csi(true);
            else if (cp == 0x90 || cp == 0x98 || cp == 0x9D || cp == 0x9E || cp == 0x9F)
                start_string();
            else
                sink.dropped();
        } else if (is_bidi_control(cp)) {
            sink.text(kReplacement);
            sink.replaced();
        } else {
            sink.text(std::string_view(reinterpret_cast<const char*>(u8_), len));
        }
    }

    void start_csi(bool c1) {
        csi_.params.clear();
        csi_.inter.clear();
        csi_.final = 0;
        csi_.c1 = c1;
        csi_.bad = false;
        st_ = St::Csi;
    }
    void start_string() {
        st_ = St::Str;
        str_len_ = 0;
        str_c2_ = false;
    }

    St st_ = St::Ground;
    unsigned char u8_[4] = {};  // the UTF-8 sequence being gathered
    int u8_len_ = 0;            // its bytes so far (0: none)
    Csi csi_;
    std::size_t str_len_ = 0;
    bool str_c2_ = false;
};

// Splits CSI parameters on ';'.
std::vector<std::string_view> split_params(std::string_view s) {
    std::vector<std::string_view> out;
    if (s.empty()) return out;
    std::size_t start = 0;
    for (;;) {
        const auto semi = s.find(';', start);
        out.push_back(s.substr(start, semi == std::string_view::npos ? std::string_view::npos : semi - start));
        if (semi == std::string_view::npos) break;
        start = semi + 1;
    }
    return out;
}

// Parameter value (empty -> def; saturates at 99999).
long param_value(std::string_view t, long def) {
    if (t.empty()) return def;
    long v = 0;
    for (char c : t) {
        if (c < '0' || c > '9') return def;
        v = std::min(v * 10 + (c - '0'), 99999L);
    }
    return v;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// TermFilter

struct TermFilter::Impl final : Sink {
    EscapePolicy policy;
    TermParser parser;
    TermFilterStats stats;
    std::string* out = nullptr;
    bool colour_on = false;

    explicit Impl(EscapePolicy p) : policy(p) {}

    void text(std::string_view s) override { out->append(s); }
    void control(unsigned char c) override {
        if (c == '\r' || c == '\n' || c == '\t' || c == '\b')
            out->push_back(static_cast<char>(c));
        else
            ++stats.dropped_controls;
    }
    void dropped() override { ++stats.dropped_sequences; }
    void replaced() override { ++stats.replaced; }

    void csi(const Csi& s) override {
        if (policy == EscapePolicy::Safe && keep(s)) {
            ++stats.kept_sequences;
        } else {
            ++stats.dropped_sequences;
        }
    }

    // Writes s when it is on the allow-list; returns whether it was written.
    bool keep(const Csi& s) {
        if (s.c1 || s.bad || !s.inter.empty()) return false;
        int digits = 0;
        for (char c : s.params) {
            if (c >= '0' && c <= '9') {
                if (++digits > 4) return false;  // absurd counts: no terminal needs them
            } else if (c == ';' || (c == ':' && s.final == 'm')) {
                digits = 0;
            } else {
                return false;  // private markers ? < = > and anything else
            }
        }
        const auto tokens = split_params(s.params);
        switch (s.final) {
            case 'A':
            case 'B':
            case 'C':
            case 'D':
                if (tokens.size() > 1) return false;
                break;
            case 'H':
                if (tokens.size() > 2) return false;
                break;
            case 'J':
            case 'K':
                if (!(s.params.empty() || s.params == "0" || s.params == "1" || s.params == "2")) return false;
                break;
            case 'm':
                return keep_sgr(tokens, s.params.empty());
            default:
                return false;
        }
        out->append("\x1b[");
        out->append(s.params);
        out->push_back(s.final);
        return true;
    }

    // SGR without conceal (8), which would hide text from the analyst.
    bool keep_sgr(const std::vector<std::string_view>& tokens, bool reset) {
        if (reset) {  // CSI m
            out->append("\x1b[m");
            colour_on = false;
            return true;
        }
        std::string kept;
        bool any_set = false;
        for (std::size_t i = 0; i < tokens.size();) {
            std::size_t take = 1;
            const std::string_view t = tokens[i];
            if (t.find(':') == std::string_view::npos) {
                const long v = param_value(t, 0);
                if (v == 8) {  // conceal
                    ++i;
                    continue;
                }
                if ((v == 38 || v == 48 || v == 58) && i + 1 < tokens.size()) {
                    const long mode = param_value(tokens[i + 1], -1);
                    take = mode == 5 ? 3 : mode == 2 ? 5 : 1;
                    take = std::min(take, tokens.size() - i);
                }
                if (v != 0) any_set = true;
            } else {
                any_set = true;
            }
            for (std::size_t k = 0; k < take; ++k) {
                if (!kept.empty()) kept.push_back(';');
                kept.append(tokens[i + k]);
            }
            i += take;
        }
        if (kept.empty()) return false;
        out->append("\x1b[");
        out->append(kept);
        out->push_back('m');
        colour_on = any_set;
        return true;
    }
};

TermFilter::TermFilter(EscapePolicy policy) : impl_(std::make_unique<Impl>(policy)) {}
TermFilter::~TermFilter() = default;
TermFilter::TermFilter(TermFilter&&) noexcept = default;
TermFilter& TermFilter::operator=(TermFilter&&) noexcept = default;

void TermFilter::feed(std::string_view in, std::string& out) {
    impl_->out = &out;
    impl_->parser.feed(in, *impl_);
    impl_->out = nullptr;
}

void TermFilter::finish(std::string& out) {
    impl_->out = &out;
    impl_->parser.finish(*impl_);
    if (impl_->policy == EscapePolicy::Safe && impl_->colour_on) {
        out.append("\x1b[0m");
        impl_->colour_on = false;
    }
    impl_->out = nullptr;
}

const TermFilterStats& TermFilter::stats() const { return impl_->stats; }

std::string filter_terminal_text(std::string_view in, EscapePolicy policy) {
    TermFilter f(policy);
    std::string out;
    f.feed(in, out);
    f.finish(out);
    return out;
}

// ---------------------------------------------------------------------------------------
// LastLines

struct LastLines::Impl final : Sink {
    std::size_t n, max_chars;
    TermParser parser;
    std::deque<std::u32string> done;  // finished lines, at most n, never ending in empty ones
    std::size_t blank_run = 0;        // empty lines finished after the last non-empty one
    std::u32string cur;
    std::size_t col = 0;
    bool insert = false;

    Impl(std::size_t n_, std::size_t m) : n(n_), max_chars(std::max<std::size_t>(m, 1)) {}

    static void rtrim(std::u32string& s) {
        while (!s.empty() && s.back() == U' ') s.pop_back();
    }

    void commit() {
        rtrim(cur);
        if (cur.empty()) {
            ++blank_run;
        } else {
            for (std::size_t k = 0; k < std::min(blank_run, n); ++k) push(U"");
            blank_run = 0;
            push(std::move(cur));
        }
        cur.clear();
        col = 0;
    }
    void push(std::u32string s) {
        if (n == 0) return;
        done.push_back(std::move(s));
        while (done.size() > n) done.pop_front();
    }

    void put(char32_t cp) {
        if (col >= max_chars) return;
        if (cur.size() < col) cur.resize(col, U' ');
        if (insert && col < cur.size()) {
            cur.insert(cur.begin() + static_cast<std::ptrdiff_t>(col), cp);
            if (cur.size() > max_chars) cur.resize(max_chars);
        } else if (col < cur.size()) {
            cur[col] = cp;
        } else {
            cur.push_back(cp);
        }
        ++col;
    }

    void text(std::string_view s) override {
        for (std::size_t i = 0; i < s.size();) {  // valid UTF-8 (the parser checked it)
            const Utf8Step u = decode_utf8(s, i);
            put(u.cp);
            i += u.len;
        }
    }
    void control(unsigned char c) override {
        switch (c) {
            case '\r':
                col = 0;
                break;
            case '\n':
                commit();
                break;  // recordings hold bare LF; the pty added the CR
            case '\b':
                if (col > 0) --col;
                break;
            case '\t':
                col = std::min((col / 8 + 1) * 8, max_chars);
                break;
            default:
                break;
        }
    }
    void dropped() override {}
    void replaced() override {}

    void csi(const Csi& s) override {
        if (s.c1 || s.bad || !s.inter.empty()) return;
        if (!s.params.empty() && (s.params[0] < '0' || s.params[0] > ';')) return;  // private (? < = >)
        const auto tokens = split_params(s.params);
        const long p0 = tokens.empty() ? -1 : param_value(tokens[0], -1);
        const std::size_t count = static_cast<std::size_t>(std::max(1L, p0));
        switch (s.final) {
            case 'C':
                col = std::min(col + count, max_chars);
                break;
            case 'D':
                col -= std::min(col, count);
                break;
            case 'G':
                col = std::min(count - 1, max_chars);
                break;
            case 'K':
                if (p0 <= 0) {
                    if (col < cur.size()) cur.resize(col);
                } else if (p0 == 1) {
                    for (std::size_t k = 0; k <= col && k < cur.size(); ++k) cur[k] = U' ';
                } else if (p0 == 2) {
                    cur.clear();
                }
                break;
            case 'P':
                if (col < cur.size()) cur.erase(col, std::min(count, cur.size() - col));
                break;
            case '@':
                if (col < cur.size()) {
                    cur.insert(col, std::min(count, max_chars), U' ');
                    if (cur.size() > max_chars) cur.resize(max_chars);
                }
                break;
            case 'X':
                for (std::size_t k = col; k < cur.size() && k < col + count; ++k) cur[k] = U' ';
                break;
            case 'J':
                if (p0 == 2 || p0 == 3) {
                    done.clear();
                    blank_run = 0;
                    cur.clear();
                } else if (p0 <= 0 && col < cur.size()) {
                    cur.resize(col);
                }
                break;
            case 'h':
            case 'l':
                if (s.params == "4") insert = s.final == 'h';
                break;
            default:
                break;
        }
    }

    static std::string utf8(const std::u32string& s) {
        std::string out;
        for (char32_t c : s) append_utf8(out, c);
        return out;
    }
};

LastLines::LastLines(std::size_t n, std::size_t max_line_chars) : impl_(std::make_unique<Impl>(n, max_line_chars)) {}
LastLines::~LastLines() = default;
LastLines::LastLines(LastLines&&) noexcept = default;
LastLines& LastLines::operator=(LastLines&&) noexcept = default;

void LastLines::feed(std::string_view output) { impl_->parser.feed(output, *impl_); }

std::vector<std::string> LastLines::lines() const {
    std::vector<std::u32string> all(impl_->done.begin(), impl_->done.end());
    std::u32string cur = impl_->cur;
    Impl::rtrim(cur);
    if (!cur.empty()) {
        for (std::size_t k = 0; k < std::min(impl_->blank_run, impl_->n); ++k) all.emplace_back();
        all.push_back(std::move(cur));
    }
    // An unfinished UTF-8 sequence at the very end is not shown (it may be completed later).
    const std::size_t from = all.size() > impl_->n ? all.size() - impl_->n : 0;
    std::vector<std::string> out;
    for (std::size_t i = from; i < all.size(); ++i) out.push_back(Impl::utf8(all[i]));
    return out;
}

LastOutput last_output(TtyReader& reader, std::size_t n) {
    LastOutput res;
    LastLines lines(n);
    TtyRecord r;
    while (reader.next(&r)) {
        if (r.op != TtyOp::Write || r.dir != TtyDir::Output) continue;
        lines.feed(r.data);
        res.output_bytes += r.data.size();
    }
    res.lines = lines.lines();
    res.status = reader.status();
    res.message = reader.message();
    res.end_ts = reader.last_ts();
    return res;
}

LastOutput last_output(const std::string& path, std::size_t n) {
    TtyReader reader(path);
    return last_output(reader, n);
}

// ---------------------------------------------------------------------------------------
// AsciicastWriter

namespace {

void append_u_escape(std::string& out, std::uint32_t cp) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
    out.append(buf);
}

std::string format_seconds(double t) {
    if (!(t >= 0) || t > 1e12) t = 0;
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.6f", t);
    return buf;
}

}  // namespace

void AsciicastWriter::header(const AsciicastHeader& h, std::string& out) {
    out.append("{\"version\": 2, \"width\": ");
    out.append(std::to_string(h.width > 0 ? h.width : 80));
    out.append(", \"height\": ");
    out.append(std::to_string(h.height > 0 ? h.height : 24));
    out.append(", \"timestamp\": ");
    out.append(std::to_string(h.timestamp));
    if (h.idle_time_limit > 0) {
        std::string v = format_seconds(h.idle_time_limit);
        while (v.back() == '0') v.pop_back();
        if (v.back() == '.') v.pop_back();
        out.append(", \"idle_time_limit\": ");
        out.append(v);
    }
    if (!h.title.empty()) {
        out.append(", \"title\": ");
        append_json_string(out, filter_terminal_text(h.title, EscapePolicy::Strip));
    }
    out.append("}\n");
    last_t_ = 0;
}

namespace {

// One character of terminal output as asciicast JSON text. Controls, C1, bidi controls and
// the JavaScript line ends are \u escapes; bytes that are not UTF-8 (`utf8` empty) are U+FFFD.
void append_cast_char(std::string& text, char32_t cp, std::string_view utf8) {
    switch (cp) {
        case '"':
            text.append("\\\"");
            return;
        case '\\':
            text.append("\\\\");
            return;
        case '\n':
            text.append("\\n");
            return;
        case '\r':
            text.append("\\r");
            return;
        case '\t':
            text.append("\\t");
            return;
        default:
            break;
    }
    if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || is_bidi_control(cp) || cp == 0x2028 || cp == 0x2029)
        append_u_escape(text, cp);
    else if (utf8.empty())
        text.append(kReplacement);
    else
        text.append(utf8);
}

}  // namespace

void AsciicastWriter::encode(std::string_view bytes, Stream& s, std::string& text, bool final) {
    std::string joined;
    if (!s.carry.empty()) {
        joined = s.carry;
        joined.append(bytes);
        bytes = joined;
        s.carry.clear();
    }
    for (std::size_t i = 0; i < bytes.size();) {
        const Utf8Step u = decode_utf8(bytes, i);
        if (u.kind == Utf8Step::Truncated && !final) {  // valid so far, cut by the record boundary
            s.carry.assign(bytes.substr(i));
            break;
        }
        // Invalid or truncated at the end: one U+FFFD for the longest valid prefix.
        const bool ok = u.kind == Utf8Step::Ok;
        const char32_t cp = ok ? u.cp : 0xFFFD;
        if (cp == '\n' && !s.last_cr) text.append("\\r");
        s.last_cr = cp == '\r';
        append_cast_char(text, cp, ok ? bytes.substr(i, u.len) : std::string_view());
        i += u.len;
    }
}

void AsciicastWriter::event(double t, const std::string& text, std::string& out) {
    if (text.empty()) return;
    if (!(t >= last_t_)) t = last_t_;
    last_t_ = t;
    out.push_back('[');
    out.append(format_seconds(t));
    out.append(", \"o\", \"");
    out.append(text);
    out.append("\"]\n");
}

void AsciicastWriter::output(double t, std::string_view bytes, int stream, std::string& out) {
    Stream& s = streams_[stream < 0 || stream > 3 ? 0 : stream];
    std::string text;
    encode(bytes, s, text, false);
    event(t, text, out);
}

void AsciicastWriter::finish(double t, std::string& out) {
    for (auto& s : streams_) {
        if (s.carry.empty()) continue;
        std::string text;
        std::string rest = std::move(s.carry);
        s.carry.clear();
        encode(rest, s, text, true);
        event(t, text, out);
    }
}

}  // namespace cb
