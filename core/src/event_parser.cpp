#include "cb/event_parser.hpp"

#include <charconv>
#include <cstdlib>
#include <cstring>

#include "cb/text.hpp"

namespace cb {

namespace od = simdjson::ondemand;

std::string_view reject_reason_name(Reject r) {
    switch (r) {
        case Reject::None: return "none";
        case Reject::InvalidJson: return "invalid_json";
        case Reject::TruncatedLine: return "truncated_line";
        case Reject::NotAnObject: return "not_an_object";
        case Reject::TooDeep: return "too_deep";
        case Reject::MissingEventId: return "missing_eventid";
        case Reject::BadTimestamp: return "bad_timestamp";
        case Reject::TooLarge: return "too_large";
        case Reject::kCount: break;
    }
    return "unknown";
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

class FieldReader {
public:
    explicit FieldReader(std::uint64_t* type_errors) : type_errors_(type_errors) {}

    simdjson::error_code str(od::value v, std::string_view* out) {
        // Strings are the common case: try them first; a wrong type consumes nothing.
        auto r = v.get_string();
        if (!r.error()) {
            *out = r.value_unsafe();
            return simdjson::SUCCESS;
        }
        if (r.error() != simdjson::INCORRECT_TYPE) return r.error();
        od::json_type t;
        if (auto e = v.type().get(t)) return e;
        if (t != od::json_type::null) ++*type_errors_;
        return simdjson::SUCCESS;
    }

    template <typename Int>
    simdjson::error_code integer(od::value v, Int* out) {
        od::json_type t;
        if (auto e = v.type().get(t)) return e;
        if (t == od::json_type::number) {
            double d;
            if (auto e = v.get_double().get(d)) return e;
            *out = static_cast<Int>(d);
        } else if (t == od::json_type::string) {
            std::string_view s;
            if (auto e = v.get_string().get(s)) return e;
            double d;
            if (parse_double_text(s, &d))
                *out = static_cast<Int>(d);
            else
                ++*type_errors_;
        } else if (t != od::json_type::null) {
            ++*type_errors_;
        }
        return simdjson::SUCCESS;
    }

    // Seconds as a number or a numeric string → microseconds.
    simdjson::error_code seconds(od::value v, std::int64_t* out_us) {
        double d = -1;
        od::json_type t;
        if (auto e = v.type().get(t)) return e;
        if (t == od::json_type::number) {
            if (auto e = v.get_double().get(d)) return e;
        } else if (t == od::json_type::string) {
            std::string_view s;
            if (auto e = v.get_string().get(s)) return e;
            if (!parse_double_text(s, &d)) ++*type_errors_;
        } else {
            ++*type_errors_;
        }
        if (d >= 0) *out_us = static_cast<std::int64_t>(d * 1e6 + 0.5);
        return simdjson::SUCCESS;
    }

    simdjson::error_code boolean(od::value v, bool* out) {
        od::json_type t;
        if (auto e = v.type().get(t)) return e;
        if (t == od::json_type::boolean) return v.get_bool().get(*out);
        if (t == od::json_type::number) {
            double d;
            if (auto e = v.get_double().get(d)) return e;
            *out = d != 0;
        } else if (t != od::json_type::null) {
            ++*type_errors_;
        }
        return simdjson::SUCCESS;
    }

private:
    std::uint64_t* type_errors_;
};

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
    Reject r = parse_padded(simdjson::padded_string_view(line.data(), line.size(), capacity), ev);
    if (r == Reject::InvalidJson && !is_valid_utf8(line)) {
        // Raw non-UTF-8 bytes inside strings: keep the event, escape the bytes as \xNN text.
        repaired_ = repair_utf8_json(line);
        repaired_padded_ = simdjson::padded_string(repaired_);
        r = parse_padded(repaired_padded_, ev);
        if (r == Reject::None) ++utf8_repairs_;
    }
    if (r != Reject::None) r = classify_rejected(line, r);
    return r;
}

namespace {
// Deepest [ or { nesting outside strings; stops counting at `limit`.
std::size_t nesting_depth(std::string_view s, std::size_t limit) {
    std::size_t depth = 0, best = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (in_string) {
            if (c == '\\') ++i;
            else if (c == '"') in_string = false;
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

Reject EventParser::parse_padded(simdjson::padded_string_view view, Event* ev) {
    *ev = Event{};
    // On-Demand stops at the object's closing brace; anything after it makes the line invalid.
    if (view.empty() || view.back() != '}') return view.empty() || view.front() == '{' ? Reject::InvalidJson
                                                                                       : Reject::NotAnObject;
    od::document doc;
    if (auto e = parser_.iterate(view).get(doc)) return reject_from_error(e);
    od::object obj;
    if (auto e = doc.get_object().get(obj)) return reject_from_error(e);
    FieldReader rd(&type_errors_);
    std::string_view timestamp;
    bool have_ts = false;
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
        simdjson::error_code e = simdjson::SUCCESS;
        if (key.empty()) continue;
        switch (key[0]) {
            case 'a':
                if (is(key, "arch")) e = rd.str(v, &ev->arch);
                break;
            case 'd':
                if (is(key, "dst_ip")) e = rd.str(v, &ev->dst_ip);
                else if (is(key, "dst_port")) e = rd.integer(v, &ev->dst_port);
                else if (is(key, "duration")) { if (ev->duration_us < 0) e = rd.seconds(v, &ev->duration_us); }
                else if (is(key, "duration_ms")) {
                    std::int64_t ms = -1;
                    e = rd.integer(v, &ms);
                    if (ms >= 0) ev->duration_us = ms * 1000;
                } else if (is(key, "destfile")) e = rd.str(v, &ev->destfile);
                else if (is(key, "duplicate")) e = rd.boolean(v, &ev->duplicate);
                break;
            case 'e':
                if (is(key, "eventid")) e = rd.str(v, &ev->eventid);
                break;
            case 'f':
                if (is(key, "fingerprint")) e = rd.str(v, &ev->fingerprint);
                else if (is(key, "filename")) e = rd.str(v, &ev->filename);
                break;
            case 'h':
                if (is(key, "hassh")) e = rd.str(v, &ev->hassh);
                else if (is(key, "height")) e = rd.integer(v, &ev->height);
                break;
            case 'i':
                if (is(key, "input")) e = rd.str(v, &ev->input);
                break;
            case 'l':
                if (is(key, "late")) e = rd.boolean(v, &ev->late);
                break;
            case 'o':
                if (is(key, "outfile")) e = rd.str(v, &ev->outfile);
                else if (is(key, "orig_ip")) e = rd.str(v, &ev->orig_ip);
                else if (is(key, "orig_port")) e = rd.integer(v, &ev->orig_port);
                break;
            case 'p':
                if (is(key, "password")) e = rd.str(v, &ev->password);
                else if (is(key, "protocol")) e = rd.str(v, &ev->protocol);
                break;
            case 's':
                if (is(key, "session")) e = rd.str(v, &ev->session);
                else if (is(key, "sensor")) e = rd.str(v, &ev->sensor);
                else if (is(key, "src_ip")) e = rd.str(v, &ev->src_ip);
                else if (is(key, "src_port")) e = rd.integer(v, &ev->src_port);
                else if (is(key, "shasum")) e = rd.str(v, &ev->shasum);
                else if (is(key, "size")) e = rd.integer(v, &ev->size);
                break;
            case 't':
                if (is(key, "timestamp")) {
                    e = rd.str(v, &timestamp);
                    have_ts = true;
                } else if (is(key, "ttylog")) e = rd.str(v, &ev->ttylog);
                else if (is(key, "type")) e = rd.str(v, &ev->key_type);
                break;
            case 'u':
                if (is(key, "username")) e = rd.str(v, &ev->username);
                else if (is(key, "url")) e = rd.str(v, &ev->url);
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
        if (e) return reject_from_error(e);
    }
    if (ev->eventid.empty()) return Reject::MissingEventId;
    if (!have_ts) return Reject::BadTimestamp;
    auto ts = parse_timestamp(timestamp, ts_cache_);
    if (!ts) return Reject::BadTimestamp;
    ev->ts = *ts;
    ev->type = event_type_from_id(ev->eventid);
    return Reject::None;
}

}  // namespace cb
