// novelty.csv, novelty_recent.csv: when each credential, command template, URL, download hash,
// client version and HASSH was first seen, on how many sensors, sessions and addresses, and
// which of them are new in the last N days (AnalysisConfig::novelty_days).
//
// "Now" is the data's own last event (the latest session end), never the wall clock, so the
// same input gives the same table whenever it is analysed.
#include <algorithm>
#include <array>

#include "cb/analysis/compact_state.hpp"
#include "cb/util/json_writer.hpp"
#include "cb/util/text.hpp"
#include "factories.hpp"

namespace cb::analyses {

namespace {

enum Kind : std::uint8_t { kCredential, kKey, kTemplate, kUrl, kHash, kClientVersion, kHassh, kKinds };
constexpr std::array<std::string_view, kKinds> kKindNames = {
    "credential", "key_fingerprint", "command_template", "url", "download_hash", "client_version", "hassh"};

struct Stat {
    Micros first = INT64_MAX, last = INT64_MIN;
    std::uint32_t sessions = 0;
    IdBag src_ips, sensors;
    template <class Ar>
    void io(Ar& ar) {
        ar(first, last, sessions, src_ips, sensors);
    }
};

// Internal key: one kind byte, then the value. A credential is stored as
// varint(len(username)) + username + password, so no separator can be ambiguous.
void append_varint(std::string& out, std::size_t v) {
    while (v >= 0x80) {
        out.push_back(static_cast<char>(0x80 | (v & 0x7F)));
        v >>= 7;
    }
    out.push_back(static_cast<char>(v));
}

// The credential as shown: a JSON array ["username","password"] (exact, and readable with
// SQLite's json_extract(value, '$[0]')).
std::string credential_text(std::string_view body) {
    std::size_t ulen = 0, shift = 0, i = 0;
    while (i < body.size()) {
        const auto b = static_cast<unsigned char>(body[i++]);
        ulen |= static_cast<std::size_t>(b & 0x7F) << shift;
        if (!(b & 0x80)) break;
        shift += 7;
    }
    std::string out = "[";
    append_json_string(out, body.substr(i, ulen));
    out.push_back(',');
    append_json_string(out, body.substr(i + ulen));
    out.push_back(']');
    return out;
}

class Novelty : public ArchivedAnalysis<Novelty> {
public:
    template <class Ar>
    void io(Ar& ar) {
        ar(map_, ips_, sensors_, first_event_, last_event_);
    }
    std::string_view name() const override { return "novelty"; }

    void add(const SessionFacts& f) override {
        const Session& s = *f.s;
        if (s.start != kNoTime) first_event_ = std::min(first_event_, s.start);
        if (s.end != kNoTime) last_event_ = std::max(last_event_, s.end);
        if (s.start != kNoTime) last_event_ = std::max(last_event_, s.start);
        collect_keys(f);
        if (!keys_.empty()) count_keys(s);
    }

    void merge(Analysis&& other) override {
        auto& o = static_cast<Novelty&>(other);
        first_event_ = std::min(first_event_, o.first_event_);
        last_event_ = std::max(last_event_, o.last_event_);
        const auto ip_map = ips_.absorb(o.ips_);
        const auto sensor_map = sensors_.absorb(o.sensors_);
        for (auto& [k, ost] : o.map_) {
            Stat& st = map_[k];
            st.sessions += ost.sessions;
            st.first = std::min(st.first, ost.first);
            st.last = std::max(st.last, ost.last);
            st.src_ips.merge(ost.src_ips, ip_map);
            st.sensors.merge(ost.sensors, sensor_map);
        }
        o.map_.clear();
    }

    void finish(const AnalysisConfig& cfg, Findings& out) override {
        const int days = std::max(0, cfg.novelty_days);
        const bool have_data = last_event_ != INT64_MIN;
        const Micros window_start =
            have_data ? last_event_ - static_cast<Micros>(days) * 86400 * kMicrosPerSecond : INT64_MAX;
        // Without data before the window, everything would be "new": nothing is flagged then.
        const bool has_history = have_data && first_event_ < window_start;
        const std::vector<Row> all = rows(has_history, window_start);
        add_tables(all, out);
        NoveltyFacts facts = counts(all);
        facts.window_days = days;
        facts.has_history = has_history;
        if (have_data) facts.reference_time = format_timestamp(last_event_);
        out.novelty = std::move(facts);
        StrMap<Stat>().swap(map_);  // release the state before later analyses finish
    }

private:
    // The session's values as keys (kind byte, then the value) back to back in buf_, each
    // with its time.
    void collect_keys(const SessionFacts& f) {
        const Session& s = *f.s;
        buf_.clear();
        keys_.clear();
        auto put = [&](Kind k, std::string_view v, Micros ts) {
            if (v.empty()) return;
            const std::size_t off = buf_.size();
            buf_.push_back(static_cast<char>(k));
            buf_.append(v);
            keys_.push_back({off, buf_.size() - off, ts == kNoTime ? s.start : ts});
        };
        std::size_t ci = 0;
        for (const Item& it : s.items) {
            switch (it.kind) {
                case ItemKind::Login: {
                    if (!it.c.empty()) {  // a public key: the key is the value, whatever the user
                        put(kKey, it.c, it.ts);
                        break;
                    }
                    const std::size_t off = buf_.size();
                    buf_.push_back(static_cast<char>(kCredential));
                    append_varint(buf_, it.a.size());
                    buf_.append(it.a);
                    buf_.append(it.b);
                    keys_.push_back({off, buf_.size() - off, it.ts == kNoTime ? s.start : it.ts});
                    break;
                }
                case ItemKind::Command:
                    if (ci < f.templates.size()) put(kTemplate, f.templates[ci], it.ts);
                    ++ci;
                    break;
                case ItemKind::Download:
                    put(kUrl, it.a, it.ts);
                    put(kHash, it.b, it.ts);
                    break;
                case ItemKind::DownloadFailed:
                    put(kUrl, it.a, it.ts);
                    break;
                case ItemKind::Upload:
                case ItemKind::FileWrite:
                    put(kHash, it.b, it.ts);
                    break;
                default:
                    break;
            }
        }
        put(kClientVersion, s.client_version, s.start);
        put(kHassh, s.hassh, s.start);
    }

    // Each distinct key once for the session: its first and last time, address and sensor.
    void count_keys(const Session& s) {
        auto view = [&](const KeyRef& k) { return std::string_view(buf_).substr(k.off, k.len); };
        std::sort(keys_.begin(), keys_.end(), [&](const KeyRef& a, const KeyRef& b) {
            const auto va = view(a), vb = view(b);
            return va != vb ? va < vb : a.ts < b.ts;
        });
        const std::uint32_t ip = s.src_ip.empty() ? UINT32_MAX : ips_.id(s.src_ip);
        const std::uint32_t sensor = sensors_.id(s.sensor);
        for (std::size_t i = 0; i < keys_.size();) {
            const std::string_view v = view(keys_[i]);
            std::size_t j = i + 1;
            while (j < keys_.size() && view(keys_[j]) == v) ++j;
            auto it = map_.find(v);
            if (it == map_.end()) it = map_.emplace(std::string(v), Stat{}).first;
            Stat& st = it->second;
            ++st.sessions;
            st.first = std::min(st.first, keys_[i].ts);  // sorted by time within equal keys
            st.last = std::max(st.last, keys_[j - 1].ts);
            if (ip != UINT32_MAX) st.src_ips.insert(ip);
            st.sensors.insert(sensor);
            i = j;
        }
    }

    struct Row {
        Kind kind;
        std::string value;
        Stat* st;  // IdBag::count() is not const
        bool is_new;
    };

    // Every value, by kind, then first seen, then value.
    std::vector<Row> rows(bool has_history, Micros window_start) {
        std::vector<Row> rows;
        rows.reserve(map_.size());
        for (auto& [k, st] : map_) {
            const Kind kind = static_cast<Kind>(k[0]);
            std::string_view body = std::string_view(k).substr(1);
            rows.push_back({kind, kind == kCredential ? credential_text(body) : std::string(body), &st,
                            has_history && st.first >= window_start});
        }
        std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
            if (a.kind != b.kind) return a.kind < b.kind;
            if (a.st->first != b.st->first) return a.st->first < b.st->first;
            return a.value < b.value;
        });
        return rows;
    }

    static std::vector<Column> columns() {
        return {{"kind", ColumnType::Text,
                 "credential, key_fingerprint, command_template, url, download_hash, client_version or hassh"},
                {"value", ColumnType::Text,
                 "the value as logged; a credential is the JSON array [\"username\",\"password\"], a "
                 "key_fingerprint the key's fingerprint"},
                {"first_seen", ColumnType::Text, "earliest time it was seen (UTC)"},
                {"last_seen", ColumnType::Text, "latest time it was seen (UTC)"},
                {"sensors", ColumnType::Integer, "distinct sensors"},
                {"sessions", ColumnType::Integer, "distinct sessions"},
                {"src_ips", ColumnType::Integer, "distinct source addresses"},
                {"new_in_window", ColumnType::Integer,
                 "1 when first_seen is within the last novelty_days before the data's last event"}};
    }

    // novelty.csv (every value) and novelty_recent.csv (the new ones).
    static void add_tables(const std::vector<Row>& rows, Findings& out) {
        Table all{"novelty",
                  "when each credential, command template, URL, download hash, client version and HASSH "
                  "was first seen, and whether it is new in the last N days",
                  columns(),
                  {}};
        Table recent{"novelty_recent",
                     "only the values first seen in the last N days (novelty rows with new_in_window = 1)",
                     columns(),
                     {}};
        for (const Row& r : rows) {
            Stat& st = *r.st;
            std::vector<Cell> cells{std::string(kKindNames[r.kind]),
                                    r.value,
                                    format_timestamp(st.first),
                                    format_timestamp(st.last),
                                    static_cast<std::int64_t>(st.sensors.count()),
                                    static_cast<std::int64_t>(st.sessions),
                                    static_cast<std::int64_t>(st.src_ips.count()),
                                    static_cast<std::int64_t>(r.is_new ? 1 : 0)};
            if (r.is_new) recent.rows.push_back(cells);
            all.rows.push_back(std::move(cells));
        }
        out.tables.push_back(std::move(all));
        out.tables.push_back(std::move(recent));
    }

    // Per kind: new and all values, and the new values with the most sessions.
    static NoveltyFacts counts(const std::vector<Row>& rows) {
        std::array<std::uint64_t, kKinds> total{}, fresh{};
        std::array<std::vector<const Row*>, kKinds> top;
        for (const Row& r : rows) {
            ++total[r.kind];
            if (!r.is_new) continue;
            ++fresh[r.kind];
            top[r.kind].push_back(&r);
        }
        NoveltyFacts f;
        for (int k = 0; k < kKinds; ++k) {
            const std::string kind(kKindNames[k]);
            f.recent_counts.emplace_back(kind, fresh[k]);
            f.total_counts.emplace_back(kind, total[k]);
            auto& v = top[k];
            std::stable_sort(v.begin(), v.end(),
                             [](const Row* a, const Row* b) { return a->st->sessions > b->st->sessions; });
            auto& values = f.recent_top.emplace_back(kind, std::vector<NoveltyFacts::NewValue>{}).second;
            for (std::size_t i = 0; i < v.size() && i < 5; ++i)
                values.push_back({v[i]->value, format_timestamp(v[i]->st->first), v[i]->st->sessions});
        }
        return f;
    }

    struct KeyRef {
        std::size_t off, len;
        Micros ts;
    };
    StrMap<Stat> map_;
    Interner ips_, sensors_;
    Micros first_event_ = INT64_MAX, last_event_ = INT64_MIN;
    std::string buf_;           // scratch: this session's keys, back to back
    std::vector<KeyRef> keys_;  // scratch
};

}  // namespace

std::unique_ptr<Analysis> make_novelty() { return std::make_unique<Novelty>(); }

}  // namespace cb::analyses
