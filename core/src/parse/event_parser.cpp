#include "cb/parse/event_parser.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <limits>

#include "cb/util/text.hpp"

namespace cb {

namespace od = simdjson::ondemand;

std::string_view reject_reason_name(Reject r) {
    switch (r) {
        case Reject::None:
            return "none";
        case Reject::InvalidJson:
            return "invalid_json";
        case Reject::TruncatedLine:
            return "truncated_line";
        case Reject::NotAnObject:
            return "not_an_object";
        case Reject::TooDeep:
            return "too_deep";
        case Reject::MissingEventId:
            return "missing_eventid";
        case Reject::BadTimestamp:
            return "bad_timestamp";
        case Reject::TooLarge:
            return "too_large";
        case Reject::kCount:
            break;
    }
    return "unknown";
}

namespace {
constexpr std::string_view kFieldNames[] = {
    "other",    "arch",        "destfile", "dst_ip",   "dst_port", "duplicate", "duration", "duration_ms", "eventid",
    "filename", "fingerprint", "hassh",    "height",   "input",    "late",      "orig_ip",  "orig_port",   "outfile",
    "password", "protocol",    "sensor",   "session",  "shasum",   "size",      "src_ip",   "src_port",    "timestamp",
    "ttylog",   "type",        "url",      "username", "version",  "width"};
static_assert(std::size(kFieldNames) == static_cast<std::size_t>(Field::kCount));
constexpr std::string_view kFieldErrorNames[] = {"null",         "wrong_type", "coerced",
                                                 "out_of_range", "too_long",   "lone_surrogate"};
static_assert(std::size(kFieldErrorNames) == static_cast<std::size_t>(FieldError::kCount));
}  // namespace

std::string_view field_name(Field f) { return kFieldNames[static_cast<std::size_t>(f)]; }
std::string_view field_error_name(FieldError e) { return kFieldErrorNames[static_cast<std::size_t>(e)]; }
Field field_from_key(std::string_view key) {
    for (std::size_t i = 1; i < std::size(kFieldNames); ++i)
        if (kFieldNames[i] == key) return static_cast<Field>(i);
    return Field::Other;
}

namespace {

struct EventName {
    std::string_view id;
    EventType type;
};
constexpr EventName kEventNames[] = {
    {"cowrie.session.connect", EventType::SessionConnect},
    {"cowrie.session.closed", EventType::SessionClosed},
    {"cowrie.client.version", EventType::ClientVersion},
    {"cowrie.client.kex", EventType::ClientKex},
    {"cowrie.client.fingerprint", EventType::ClientFingerprint},
    {"cowrie.client.size", EventType::ClientSize},
    {"cowrie.login.success", EventType::LoginSuccess},
    {"cowrie.login.failed", EventType::LoginFailed},
    {"cowrie.command.input", EventType::CommandInput},
    {"cowrie.command.failed", EventType::CommandFailed},
    {"cowrie.command.success", EventType::CommandSuccess},
    {"cowrie.session.params", EventType::SessionParams},
    {"cowrie.session.file_download", EventType::FileDownload},
    {"cowrie.session.file_download.failed", EventType::FileDownloadFailed},
    {"cowrie.session.file_upload", EventType::FileUpload},
    {"cowrie.log.closed", EventType::LogClosed},
    {"cowrie.direct-tcpip.request", EventType::TcpipRequest},
    {"cowrie.direct-tcpip.data", EventType::TcpipData},
};

}  // namespace

EventType event_type_from_id(std::string_view id) {
    if (id.size() < 8 || id.substr(0, 7) != "cowrie.") return EventType::Other;
    for (const auto& e : kEventNames)
        if (e.id == id) return e.type;
    return EventType::Other;
}

std::string_view event_id_name(EventType t) {
    for (const auto& e : kEventNames)
        if (e.type == t) return e.id;
    return {};
}

namespace {

bool parse_double_text(std::string_view s, double* out) {
    // duration strings look like "12.3"; strtod needs a terminated copy.
    if (s.empty() || s.size() > 40) return false;
    char buf[48];
    std::memcpy(buf, s.data(), s.size());
    buf[s.size()] = 0;
    char* end = nullptr;
    const double v = std::strtod(buf, &end);
    if (end != buf + s.size()) return false;
    *out = v;
    return true;
}

// Key comparison with a compile-time length: the compiler turns it into a few loads.
template <std::size_t N>
inline bool is(std::string_view k, const char (&lit)[N]) {
    return k.size() == N - 1 && std::memcmp(k.data(), lit, N - 1) == 0;
}

// Which field of the event a destination is (slow paths only: errors are noted by the
// address the value was meant for, so the common path passes no field id).
Field field_of(const Event& ev, const void* p) {
    struct At {
        const void* at;
        Field f;
    };
    const At table[] = {
        {&ev.arch, Field::Arch},         {&ev.destfile, Field::Destfile},   {&ev.dst_ip, Field::DstIp},
        {&ev.dst_port, Field::DstPort},  {&ev.duplicate, Field::Duplicate}, {&ev.duration_us, Field::Duration},
        {&ev.eventid, Field::EventId},   {&ev.filename, Field::Filename},   {&ev.fingerprint, Field::Fingerprint},
        {&ev.hassh, Field::Hassh},       {&ev.height, Field::Height},       {&ev.input, Field::Input},
        {&ev.late, Field::Late},         {&ev.orig_ip, Field::OrigIp},      {&ev.orig_port, Field::OrigPort},
        {&ev.outfile, Field::Outfile},   {&ev.password, Field::Password},   {&ev.protocol, Field::Protocol},
        {&ev.sensor, Field::Sensor},     {&ev.session, Field::Session},     {&ev.shasum, Field::Shasum},
        {&ev.size, Field::Size},         {&ev.src_ip, Field::SrcIp},        {&ev.src_port, Field::SrcPort},
        {&ev.ttylog, Field::Ttylog},     {&ev.key_type, Field::Type},       {&ev.url, Field::Url},
        {&ev.username, Field::Username}, {&ev.version, Field::Version},     {&ev.width, Field::Width},
    };
    for (const auto& t : table)
        if (t.at == p) return t.f;
    return Field::Other;
}

// Text fields where a number is safely taken as its JSON text.
bool coercible(Field f) {
    return f == Field::Sensor || f == Field::Session || f == Field::Username || f == Field::Password ||
           f == Field::Input;
}

// Identifiers: text fields whose values are names, addresses or hashes, never free text.
bool is_identifier(Field f) {
    switch (f) {
        case Field::Sensor:
        case Field::Session:
        case Field::SrcIp:
        case Field::DstIp:
        case Field::OrigIp:
        case Field::Protocol:
        case Field::Hassh:
        case Field::Shasum:
        case Field::Version:
        case Field::Arch:
        case Field::Fingerprint:
        case Field::Type:
            return true;
        default:
            return false;
    }
}

// Reads one field's value into the event. A value the field cannot hold is noted (counted
// once the line is an event) and leaves the field absent; only syntax errors are returned.
// The common cases (a string under 4 KiB, a number in 0..65535) cost one compare more than
// before field errors were counted: the reader is one pointer, as it was, and the field is
// found from the destination's address only on the slow paths.
class FieldReader {
public:
    explicit FieldReader(EventParser* p) : p_(p) {}

    // No od::value is ever passed to a function that is not inlined: simdjson's value then
    // stays in registers (as a scalarized argument), which is most of the cost of a field.
    simdjson::error_code str(od::value v, std::string_view* out) {
        // Strings are the common case: try them first; a wrong type consumes nothing.
        // Over-long identifiers are dropped after the line (drop_long_identifiers), which
        // only lines over kMaxIdentifierBytes need.
        auto r = v.get_string();
        if (!r.error()) [[likely]] {
            *out = r.value_unsafe();
            return simdjson::SUCCESS;
        }
        if (r.error() != simdjson::INCORRECT_TYPE) return r.error();
        od::json_type t;
        if (auto e = v.type().get(t)) return e;
        not_text(out, t, t == od::json_type::number ? v.raw_json_token() : std::string_view());
        return simdjson::SUCCESS;
    }

    // The value as a double: a JSON number, or numeric text (as 1.x logs have). *ok is false,
    // with the field noted by numeric_text(), when it is neither. Inlined like the callers, so
    // the value stays in registers; the slow path runs only when get_double fails (which
    // consumes nothing).
    template <typename T>
    [[gnu::always_inline]] simdjson::error_code number(od::value& v, double* d, T* out, bool* ok) {
        *ok = true;
        if (!v.get_double().get(*d)) [[likely]]
            return simdjson::SUCCESS;
        od::json_type t;
        if (auto e = v.type().get(t)) return e;
        std::string_view text;
        if (t == od::json_type::string)
            if (auto e = v.get_string().get(text)) return e;
        *ok = numeric_text(t, text, d, out);
        return simdjson::SUCCESS;
    }

    // A number (or numeric text, as 1.x logs have), not negative; fractions are cut.
    template <typename Int>
    simdjson::error_code integer(od::value v, Int* out) {
        double d;
        bool ok;
        if (auto e = number(v, &d, out, &ok); e || !ok) return e;
        if (d >= 0 && d <= 65535) [[likely]]  // false for NaN
            *out = static_cast<Int>(d);
        else
            big_int(d, out);
        return simdjson::SUCCESS;
    }

    // Seconds as a number or a numeric string → microseconds.
    simdjson::error_code seconds(od::value v, std::int64_t* out_us) {
        double d;
        bool ok;
        if (auto e = number(v, &d, out_us, &ok); e || !ok) return e;
        if (d >= 0 && d <= 1e12)                                 // false for NaN
            *out_us = static_cast<std::int64_t>(d * 1e6 + 0.5);  // NOLINT(bugprone-incorrect-roundings): d >= 0
        else
            note(out_us, FieldError::OutOfRange);
        return simdjson::SUCCESS;
    }

    simdjson::error_code boolean(od::value v, bool* out) {
        od::json_type t;
        if (auto e = v.type().get(t)) return e;
        if (t == od::json_type::boolean) return v.get_bool().get(*out);
        if (t == od::json_type::number) {
            double d;
            if (v.get_double().get(d))
                note(out, FieldError::OutOfRange);
            else
                *out = d != 0;
        } else {
            note(out, t == od::json_type::null ? FieldError::Null : FieldError::WrongType);
        }
        return simdjson::SUCCESS;
    }

    [[gnu::noinline]] void note(const void* out, FieldError e) { p_->note(p_->field_at(out), e); }

private:
    // A value that is not a double where a number is read: numeric text is one (1.x logs).
    // True with *d set; otherwise the field error is noted.
    [[gnu::noinline]] bool numeric_text(od::json_type t, std::string_view text, double* d, const void* out) {
        if (t == od::json_type::string) {
            if (parse_double_text(text, d)) return true;
            note(out, FieldError::WrongType);
        } else {
            // A number simdjson cannot hold as a double (1e400) is a field error, not a bad line.
            note(out, t == od::json_type::null     ? FieldError::Null
                      : t == od::json_type::number ? FieldError::OutOfRange
                                                   : FieldError::WrongType);
        }
        return false;
    }

    // Anything but a string where text is read; `raw`: a number's JSON text.
    [[gnu::noinline]] void not_text(std::string_view* out, od::json_type t, std::string_view raw) {
        const Field f = p_->field_at(out);
        if (t == od::json_type::null) {
            p_->note(f, FieldError::Null);
        } else if (t == od::json_type::number && coercible(f)) {
            while (!raw.empty() &&
                   (raw.back() == ' ' || raw.back() == '\t' || raw.back() == '\r' || raw.back() == '\n'))
                raw.remove_suffix(1);
            if (raw.size() > kMaxIdentifierBytes && is_identifier(f)) {
                p_->note(f, FieldError::TooLong);
            } else {
                *out = p_->keep(raw);
                p_->note(f, FieldError::Coerced);
            }
        } else {
            p_->note(f, FieldError::WrongType);
        }
    }

    // Over 65535 (or negative, or NaN): ports cannot hold it, sizes and lengths can.
    template <typename Int>
    [[gnu::noinline]] void big_int(double d, Int* out) {
        const Field f = p_->field_at(out);
        const double max = f == Field::SrcPort || f == Field::DstPort || f == Field::OrigPort ? 65535
                           : f == Field::DurationMs ? 1e15  // no overflow in microseconds
                                                            // half the type's range, as an integer first:
                                                            // NOLINTNEXTLINE(bugprone-integer-division)
                                                    : static_cast<double>(std::numeric_limits<Int>::max() / 2);
        if (d >= 0 && d <= max)
            *out = static_cast<Int>(d);
        else
            p_->note(f, FieldError::OutOfRange);
    }

    EventParser* p_;
};

// Identifiers over kMaxIdentifierBytes are not identifiers: dropped, noted. Only lines longer
// than that can hold one, so the common path never comes here.
[[gnu::noinline]] void drop_long_identifiers(Event* ev, EventParser* p) {
    for (std::string_view* s : {&ev->sensor, &ev->session, &ev->src_ip, &ev->dst_ip, &ev->orig_ip, &ev->protocol,
                                &ev->hassh, &ev->shasum, &ev->version, &ev->arch, &ev->fingerprint, &ev->key_type})
        if (s->size() > kMaxIdentifierBytes) {
            p->note(p->field_at(s), FieldError::TooLong);
            *s = {};
        }
}

// Rewrites every lone surrogate escape (\uD800-\uDFFF without its pair) inside the strings
// of a JSON line as \uFFFD, noting the field whose value (or key) held it. Returns false
// when there was none.
// The four hex digits at line[i] as a number, or false.
bool hex4(std::string_view line, std::size_t i, unsigned* v) {
    if (i + 4 > line.size()) return false;
    unsigned x = 0;
    for (std::size_t k = i; k < i + 4; ++k) {
        const char c = line[k];
        x <<= 4;
        if (c >= '0' && c <= '9')
            x |= static_cast<unsigned>(c - '0');
        else if (c >= 'a' && c <= 'f')
            x |= static_cast<unsigned>(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            x |= static_cast<unsigned>(c - 'A' + 10);
        else
            return false;
    }
    *v = x;
    return true;
}

// Copies the body of the JSON string at line[i] (just after its opening quote) up to its
// closing quote, each lone surrogate escape written as \ufffd; i ends on the closing quote (or
// the line's end). Returns how many were fixed.
std::size_t copy_string_fixing_surrogates(std::string_view line, std::size_t& i, std::string* out) {
    std::size_t fixed = 0;
    while (i < line.size() && line[i] != '"') {
        if (line[i] != '\\' || i + 1 >= line.size()) {
            out->push_back(line[i++]);
            continue;
        }
        unsigned u = 0;
        if (line[i + 1] == 'u' && hex4(line, i + 2, &u) && u >= 0xD800 && u <= 0xDFFF) {
            unsigned lo = 0;
            if (u <= 0xDBFF && i + 7 < line.size() && line[i + 6] == '\\' && line[i + 7] == 'u' &&
                hex4(line, i + 8, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
                out->append(line.data() + i, 12);  // a proper pair
                i += 12;
            } else {
                out->append("\\ufffd");
                i += 6;
                ++fixed;
            }
            continue;
        }
        out->append(line.data() + i, 2);
        i += 2;
    }
    return fixed;
}

bool repair_surrogates(std::string_view line, std::string* out, std::vector<EventParser::SurrogateHit>* hits) {
    out->clear();
    out->reserve(line.size());
    bool any = false;
    std::string_view last_key;
    std::size_t i = 0;
    while (i < line.size()) {
        const char c = line[i];
        if (c != '"') {
            out->push_back(c);
            ++i;
            continue;
        }
        // A string: copy it, fixing lone surrogates, and count them for the field it belongs to.
        const std::size_t start = i + 1;
        out->push_back('"');
        ++i;
        const std::size_t fixed = copy_string_fixing_surrogates(line, i, out);
        const std::string_view text = line.substr(start, i - start);
        if (i < line.size()) {
            out->push_back('"');
            ++i;
        }
        std::size_t j = i;
        while (j < line.size() && (line[j] == ' ' || line[j] == '\t')) ++j;
        const bool is_key = j < line.size() && line[j] == ':';
        if (fixed) {
            any = true;
            hits->push_back({is_key ? Field::Other : field_from_key(last_key), fixed});
        }
        if (is_key) last_key = text;
    }
    return any;
}

Reject reject_from_error(simdjson::error_code e) {
    if (e == simdjson::DEPTH_ERROR) return Reject::TooDeep;
    if (e == simdjson::INCORRECT_TYPE) return Reject::NotAnObject;
    if (e == simdjson::CAPACITY) return Reject::TooLarge;
    return Reject::InvalidJson;
}

}  // namespace

EventParser::EventParser(std::size_t max_line_bytes) : max_line_bytes_(max_line_bytes) {}

Reject EventParser::parse(std::string_view line, std::size_t capacity, Event* ev) {
    if (line.size() > max_line_bytes_) return Reject::TooLarge;
    kept_n_ = 0;
    Reject r = parse_padded(simdjson::padded_string_view(line.data(), line.size(), capacity), ev);
    if (r == Reject::None) [[likely]] {
        if (line.size() > kMaxIdentifierBytes) [[unlikely]]
            drop_long_identifiers(ev, this);
        if (pending_n_) commit_pending();
        return r;
    }
    if (r != Reject::InvalidJson) return classify_rejected(line, r);
    // The slow paths: the line is kept after a lossless repair, or rejected.
    std::string_view text = line;
    bool utf8_fixed = false;
    if (!is_valid_utf8(line)) {
        // Raw non-UTF-8 bytes inside strings: keep the event, escape the bytes as \xNN text.
        repaired_ = repair_utf8_json(line);
        repaired_padded_ = simdjson::padded_string(repaired_);
        kept_n_ = 0;
        r = parse_padded(repaired_padded_, ev);
        text = repaired_;
        utf8_fixed = true;
    }
    surrogate_hits_.clear();
    if (r == Reject::InvalidJson && repair_surrogates(text, &surrogate_fixed_, &surrogate_hits_)) {
        // Lone surrogate escapes (Python's json writes them for undecodable bytes): U+FFFD.
        repaired_padded_ = simdjson::padded_string(surrogate_fixed_);
        kept_n_ = 0;
        r = parse_padded(repaired_padded_, ev);
        if (r == Reject::None) {
            ++surrogate_repairs_;
            for (const auto& h : surrogate_hits_)
                field_errors_[static_cast<std::size_t>(h.field)][static_cast<std::size_t>(FieldError::LoneSurrogate)] +=
                    h.count;
        }
    }
    if (r == Reject::None) {
        if (utf8_fixed) ++utf8_repairs_;
        drop_long_identifiers(ev, this);
        commit_pending();
        return r;
    }
    return classify_rejected(line, r);
}

Field EventParser::field_at(const void* out) const {
    if (out == &ts_text_) return Field::Timestamp;
    if (out == &duration_ms_) return Field::DurationMs;
    return field_of(*cur_ev_, out);
}

void EventParser::commit_pending() {
    for (std::size_t i = 0; i < pending_n_; ++i) {
        const auto& p = pending_[i];
        ++field_errors_[static_cast<std::size_t>(p.field)][static_cast<std::size_t>(p.error)];
        type_errors_ += p.error == FieldError::WrongType;
    }
    pending_n_ = 0;
}

std::string_view EventParser::keep(std::string_view s) {
    if (kept_n_ == kept_.size()) kept_.emplace_back();
    std::string& k = kept_[kept_n_++];
    k.assign(s);
    return k;
}

namespace {
// Deepest [ or { nesting outside strings; stops counting at `limit`.
std::size_t nesting_depth(std::string_view s, std::size_t limit) {
    std::size_t depth = 0, best = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (in_string) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            best = std::max(best, ++depth);
            if (best >= limit) return best;
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return best;
}
}  // namespace

// A rejected line gets the most telling reason: nesting beyond simdjson's depth limit,
// valid JSON that is not an object, or plain invalid JSON.
Reject EventParser::classify_rejected(std::string_view line, Reject r) {
    if (nesting_depth(line, simdjson::DEFAULT_MAX_DEPTH + 1) > simdjson::DEFAULT_MAX_DEPTH) return Reject::TooDeep;
    if (r == Reject::NotAnObject) {
        simdjson::dom::element el;
        if (validator_.parse(line.data(), line.size()).get(el)) return Reject::InvalidJson;
    }
    return r;
}

namespace {

// Reads the value of the field named `key` into the event; keys it does not know are
// skipped. The timestamp's text and duration_ms go to the parser's members (FieldReader finds
// a field by its destination's address). Always inlined, like FieldReader, so that the value
// stays in registers.
[[gnu::always_inline]] inline simdjson::error_code read_field(std::string_view key, od::value& v, FieldReader& rd,
                                                              Event* ev, std::string_view* timestamp,
                                                              std::int64_t* duration_ms) {
    simdjson::error_code e = simdjson::SUCCESS;
    switch (key[0]) {  // the first letter, then whole keys: most keys cost one compare
        case 'a':
            if (is(key, "arch")) e = rd.str(v, &ev->arch);
            break;
        case 'd':
            if (is(key, "dst_ip"))
                e = rd.str(v, &ev->dst_ip);
            else if (is(key, "dst_port"))
                e = rd.integer(v, &ev->dst_port);
            else if (is(key, "duration")) {
                if (ev->duration_us < 0) e = rd.seconds(v, &ev->duration_us);
            } else if (is(key, "duration_ms")) {
                *duration_ms = -1;
                e = rd.integer(v, duration_ms);
                if (*duration_ms >= 0) ev->duration_us = *duration_ms * 1000;
            } else if (is(key, "destfile"))
                e = rd.str(v, &ev->destfile);
            else if (is(key, "duplicate"))
                e = rd.boolean(v, &ev->duplicate);
            break;
        case 'e':
            if (is(key, "eventid")) e = rd.str(v, &ev->eventid);
            break;
        case 'f':
            if (is(key, "fingerprint"))
                e = rd.str(v, &ev->fingerprint);
            else if (is(key, "filename"))
                e = rd.str(v, &ev->filename);
            break;
        case 'h':
            if (is(key, "hassh"))
                e = rd.str(v, &ev->hassh);
            else if (is(key, "height"))
                e = rd.integer(v, &ev->height);
            break;
        case 'i':
            if (is(key, "input")) e = rd.str(v, &ev->input);
            break;
        case 'l':
            if (is(key, "late")) e = rd.boolean(v, &ev->late);
            break;
        case 'o':
            if (is(key, "outfile"))
                e = rd.str(v, &ev->outfile);
            else if (is(key, "orig_ip"))
                e = rd.str(v, &ev->orig_ip);
            else if (is(key, "orig_port"))
                e = rd.integer(v, &ev->orig_port);
            break;
        case 'p':
            if (is(key, "password"))
                e = rd.str(v, &ev->password);
            else if (is(key, "protocol"))
                e = rd.str(v, &ev->protocol);
            break;
        case 's':
            if (is(key, "session"))
                e = rd.str(v, &ev->session);
            else if (is(key, "sensor"))
                e = rd.str(v, &ev->sensor);
            else if (is(key, "src_ip"))
                e = rd.str(v, &ev->src_ip);
            else if (is(key, "src_port"))
                e = rd.integer(v, &ev->src_port);
            else if (is(key, "shasum"))
                e = rd.str(v, &ev->shasum);
            else if (is(key, "size"))
                e = rd.integer(v, &ev->size);
            break;
        case 't':
            if (is(key, "timestamp"))
                e = rd.str(v, timestamp);
            else if (is(key, "ttylog"))
                e = rd.str(v, &ev->ttylog);
            else if (is(key, "type"))
                e = rd.str(v, &ev->key_type);
            break;
        case 'u':
            if (is(key, "username"))
                e = rd.str(v, &ev->username);
            else if (is(key, "url"))
                e = rd.str(v, &ev->url);
            break;
        case 'v':
            if (is(key, "version")) e = rd.str(v, &ev->version);
            break;
        case 'w':
            if (is(key, "width")) e = rd.integer(v, &ev->width);
            break;
        default:
            break;
    }
    return e;
}

}  // namespace

Reject EventParser::parse_padded(simdjson::padded_string_view view, Event* ev) {
    *ev = Event{};
    pending_n_ = 0;
    // On-Demand stops at the object's closing brace; anything after it makes the line invalid.
    if (view.empty() || view.back() != '}')
        return view.empty() || view.front() == '{' ? Reject::InvalidJson : Reject::NotAnObject;
    od::document doc;
    if (auto e = parser_.iterate(view).get(doc)) return reject_from_error(e);
    od::object obj;
    if (auto e = doc.get_object().get(obj)) return reject_from_error(e);
    FieldReader rd(this);
    cur_ev_ = ev;
    ts_text_ = {};
    for (auto field_result : obj) {
        od::field field;
        if (auto e = std::move(field_result).get(field)) return reject_from_error(e);
        // Keys are read in place; only a key with an escape goes through simdjson's
        // unescaping (a copy into its string buffer). Stage 1 has found the key's closing
        // quote, so the scan stops inside the line.
        std::string_view key;
        {
            const char* k0 = field.key().raw();
            const char* k = k0;
            while (*k != '"' && *k != '\\') ++k;
            if (*k == '"')
                key = std::string_view(k0, static_cast<std::size_t>(k - k0));
            else if (auto e = field.unescaped_key().get(key))
                return reject_from_error(e);
        }
        od::value v = std::move(field).value();
        if (key.empty()) continue;
        if (auto e = read_field(key, v, rd, ev, &ts_text_, &duration_ms_)) return reject_from_error(e);
    }
    if (ev->eventid.empty()) return Reject::MissingEventId;
    // No timestamp, or one that is not text, leaves ts_text_ empty: BadTimestamp below.
    auto ts = parse_timestamp(ts_text_, ts_cache_);
    if (!ts) return Reject::BadTimestamp;
    ev->ts = *ts;
    ev->type = event_type_from_id(ev->eventid);
    return Reject::None;
}
}  // namespace cb
