// outliers.csv: sessions that did more, longer or rarer things than their peers, scored on
// robust per-feature z-scores, with the features that made each one odd.
//
// Scoring needs global distributions (medians, MADs, template and client frequencies), so
// add() keeps one compact record per session (56 bytes, plus 8 bytes per distinct template
// for sessions with commands) and finish() computes everything from the merged records.
// All statistics are taken over quantised values (integers), so they do not depend on the
// order in which records were merged. See docs/ARCHITECTURE.md, "Why robust z-scores against
// peer groups for outliers.csv?".
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <unordered_map>

#include "cb/analysis/compact_state.hpp"
#include "cb/parse/command_template.hpp"
#include "cb/util/parallel.hpp"
#include "factories.hpp"

namespace cb::analyses {

namespace {

constexpr std::size_t kTopK = 500;       // rows (behaviours) written
constexpr std::size_t kTopFeatures = 3;  // features named per row
constexpr double kQuant = 1024.0;        // transformed values are kept as round(v * kQuant)

enum Feature : std::uint8_t {
    kDuration,
    kCommands,
    kTemplates,
    kTemplateRarity,
    kTtyBytes,
    kDownloads,
    kUploads,
    kClientRarity,
    kAttempts,
    kPasswords,
    kFeatureCount
};
constexpr std::array<const char*, kFeatureCount> kFeatureNames = {
    "duration",  "commands", "distinct_templates",    "template_rarity", "tty_bytes",
    "downloads", "uploads",  "client_version_rarity", "login_attempts",  "distinct_passwords"};

// Features that measure nearly the same thing (commands and distinct templates; attempts and
// distinct passwords) form one family: the score counts the larger of the two, not both.
constexpr std::array<std::uint8_t, kFeatureCount> kFamily = {0, 1, 1, 2, 3, 4, 5, 6, 7, 7};

// What an analyst looks for weighs more than volume: new commands, payloads, uploads and long
// interactive work count fully; command and login counts and the client's rarity count less.
constexpr std::array<double, kFeatureCount> kWeight = {1.0, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.35, 0.35};
constexpr std::size_t kExamples = 3;  // example session ids per row

// Peer groups: a session is compared with sessions that did the same kind of thing.
enum Group : std::uint8_t { kNoLogin, kLoginOnly, kWithCommands, kGroupCount };
constexpr std::array<const char*, kGroupCount> kGroupNames = {"no_login", "login_only", "commands"};

constexpr std::uint8_t kFlagSuccess = 1, kFlagIpv4 = 2;
constexpr std::uint8_t kSessionInArena = 0xFF;

struct Rec {
    Micros start;
    std::uint64_t session;   // up to 16 lowercase hex digits packed, or an arena offset
    std::uint32_t ip;        // IPv4 address, or an arena offset
    std::uint32_t tmpl_off;  // first template hash in tmpl_
    std::uint32_t sensor;    // index into sensors_
    std::uint32_t client;    // index into clients_
    float duration;
    std::uint32_t tty_bytes;  // saturates at 4 GiB
    std::uint32_t commands;
    std::uint16_t templates, downloads, uploads, attempts, passwords;
    std::uint8_t session_len;  // hex digits, or kSessionInArena
    std::uint8_t flags;
};
static_assert(sizeof(Rec) == 56);  // no padding: saved as bytes (raw_records())

std::uint16_t sat16(std::size_t v) { return static_cast<std::uint16_t>(std::min<std::size_t>(v, 0xFFFF)); }

bool parse_ipv4(std::string_view s, std::uint32_t& out) {
    std::uint32_t v = 0;
    int parts = 0;
    std::size_t i = 0;
    while (parts < 4) {
        if (i >= s.size() || s[i] < '0' || s[i] > '9') return false;
        const std::size_t begin = i;
        std::uint32_t octet = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - begin < 4)
            octet = octet * 10 + static_cast<std::uint32_t>(s[i++] - '0');
        if (octet > 255 || i - begin > 3 || (i - begin > 1 && s[begin] == '0')) return false;  // round trip exact
        v = (v << 8) | octet;
        if (++parts < 4) {
            if (i >= s.size() || s[i] != '.') return false;
            ++i;
        }
    }
    if (i != s.size()) return false;
    out = v;
    return true;
}

std::string format_ipv4(std::uint32_t v) {
    return std::to_string(v >> 24) + "." + std::to_string((v >> 16) & 255) + "." + std::to_string((v >> 8) & 255) +
           "." + std::to_string(v & 255);
}

// Inverse of the standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9).
double probit(double p) {
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                               1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615962015410583e+02, -1.556989798598866e+02,
                               6.680131188771972e+01, -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                               -2.549671010229420e+00, 4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                               3.754408661907416e+00};
    const double lo = 0.02425;
    if (p <= 0) return -40;
    if (p >= 1) return 40;
    if (p < lo) {
        const double q = std::sqrt(-2 * std::log(p));
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
               ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    if (p > 1 - lo) {
        const double q = std::sqrt(-2 * std::log(1 - p));
        return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
               ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    const double q = p - 0.5, r = q * q;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
           (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

// One feature in one peer group, over quantised values. z = (x - median) / scale with
//   scale = max(1.4826 MAD, (Q99 - median) / 2.326),
// the larger of the MAD scale and the scale that puts the 99th percentile at z = 2.326, as it
// would be for a normal distribution. The second term keeps common modes of multi-modal
// features (Cowrie's 120 s auth timeout, 3 % of the no-login sessions) from scoring as extreme
// when the MAD of the main mode is tight. When both are 0 (more than 99 % of the group share
// one value, e.g. uploads = 0), z is the normal quantile of the empirical upper tail P(X >= x).
struct Stat {
    using Counts = std::vector<std::pair<std::int64_t, std::uint32_t>>;  // value, how many; ascending

    std::vector<std::int64_t> above;  // the values above the median, sorted; kept only when scale is 0
    std::size_t n = 0;
    double median = 0, scale = 0;

    // From the distinct values of a group with their counts (n values in all).
    void build(const Counts& values, std::size_t count) {
        if (count == 0) return;
        n = count;
        from_counts(values);
    }

private:
    // The k-th smallest value (from 0) of counted values.
    static std::int64_t kth(const Counts& values, std::size_t k) {
        std::size_t seen = 0;
        for (const auto& [x, c] : values)
            if ((seen += c) > k) return x;
        return values.back().first;
    }

    // The median, the MAD and the 99th percentile give the scale; with scale 0, the values
    // above the median are kept for z().
    void from_counts(const Counts& values) {
        // Doubled units keep medians of even counts integral.
        const std::int64_t upper = kth(values, n / 2);
        const std::int64_t med2 = (n % 2 ? upper : kth(values, n / 2 - 1)) + upper;
        median = static_cast<double>(med2) / 2;
        Counts dev;  // |2x - med2|, ascending
        for (const auto& [x, c] : values) dev.emplace_back(std::llabs(2 * x - med2), c);
        std::sort(dev.begin(), dev.end());
        double mad = static_cast<double>(kth(dev, n / 2)) / 2;
        if (n % 2 == 0) mad = (mad + static_cast<double>(kth(dev, n / 2 - 1)) / 2) / 2;
        const double q99 = static_cast<double>(kth(values, (99 * n + 99) / 100 - 1));
        scale = std::max(1.4826 * mad, (q99 - median) / 2.326);
        if (scale > 0) return;
        for (const auto& [x, c] : values)  // z needs P(X >= x) for x above the median only
            if (static_cast<double>(x) > median) above.insert(above.end(), c, x);
    }

public:
    // Positive deviations only: sessions that did more, or rarer things, than their peers.
    double z(std::int64_t q) const {
        if (static_cast<double>(q) <= median) return 0;
        if (scale > 0) return (static_cast<double>(q) - median) / scale;
        if (n == 0) return 0;
        const auto it = std::lower_bound(above.begin(), above.end(), q);
        const double p = static_cast<double>(above.end() - it) / static_cast<double>(n);
        return std::max(0.0, -probit(p));
    }
};

Group group_of(const Rec& r) {
    if (r.commands > 0) return kWithCommands;
    return (r.flags & kFlagSuccess) ? kLoginOnly : kNoLogin;
}

// floor(log2(1 + x)) / per: the bin of a count or a duration in a behaviour's shape.
std::uint64_t log_bin(double x, int per) {
    return static_cast<std::uint64_t>(std::min(63.0, std::floor(std::log2(1 + std::max(0.0, x)) / per)));
}
// The same for a count, without the logarithm (bit_width(1 + x) - 1 is floor(log2(1 + x))).
std::uint64_t log_bin(std::uint32_t x, int per) {
    return static_cast<std::uint64_t>(std::bit_width(std::uint64_t{x} + 1) - 1) / static_cast<std::uint64_t>(per);
}

// The binned feature vector of a session: sessions of one behaviour agree on it.
std::uint64_t shape_of(const Rec& r) {
    const std::uint32_t c[] = {r.commands, r.templates, r.downloads, r.uploads, r.attempts, r.passwords};
    std::uint64_t s = group_of(r);
    s = (s << 6) | log_bin(static_cast<double>(r.duration), 2);  // log4 bins: these two jitter most
    s = (s << 6) | log_bin(r.tty_bytes, 2);
    for (std::uint32_t x : c) s = (s << 6) | log_bin(x, 1);
    return s;
}

// Everything finish() derives from the merged records.
struct Scores {
    std::vector<double> score2;  // squared score per record
    std::vector<std::array<float, kTopFeatures>> z;
    std::vector<std::array<std::uint8_t, kTopFeatures>> f;
};

// Keeps the kTopFeatures largest weighted z of a record, largest first (ties keep the earlier feature).
void keep_top(std::array<float, kTopFeatures>& tz, std::array<std::uint8_t, kTopFeatures>& tf,
              std::array<float, kTopFeatures>& tw, double z, double w, int f) {
    for (std::size_t k = 0; k < kTopFeatures; ++k) {
        if (static_cast<float>(w) <= tw[k]) continue;
        for (std::size_t m = kTopFeatures - 1; m > k; --m) {
            tz[m] = tz[m - 1];
            tf[m] = tf[m - 1];
            tw[m] = tw[m - 1];
        }
        tz[k] = static_cast<float>(z);
        tf[k] = static_cast<std::uint8_t>(f);
        tw[k] = static_cast<float>(w);
        return;
    }
}

using NameIndex = StrMap<std::uint32_t>;

class Outliers : public ArchivedAnalysis<Outliers> {
public:
    template <class Ar>
    void io(Ar& ar) {
        auto recs = raw_records(recs_);  // as bytes: a state of every session, saved and loaded on every run
        auto tmpl = raw_records(tmpl_);
        ar(recs, tmpl, arena_, sensors_, clients_);
    }
    void save(std::string& out) override {
        // a state of every session (tens of MB in a year's state): reserved, not grown by doubling
        std::size_t names = 0;
        for (const auto* v : {&sensors_, &clients_})
            for (const std::string& n : *v) names += n.size() + 10;
        out.reserve(out.size() + recs_.size() * sizeof(Rec) + tmpl_.size() * sizeof(std::uint64_t) + arena_.size() +
                    names + 64);
        ArchivedAnalysis<Outliers>::save(out);
    }
    bool load(std::string_view in) override {
        const bool ok = ArchivedAnalysis<Outliers>::load(in) && valid();
        sensor_idx_.clear();
        client_idx_.clear();
        if (!ok) {
            recs_.clear();
            tmpl_.clear();
            arena_.clear();
            sensors_.clear();
            clients_.clear();
            return false;
        }
        for (std::uint32_t i = 0; i < sensors_.size(); ++i) sensor_idx_.emplace(sensors_[i], i);
        for (std::uint32_t i = 0; i < clients_.size(); ++i) client_idx_.emplace(clients_[i], i);
        return sensor_idx_.size() == sensors_.size() && client_idx_.size() == clients_.size();
    }
    std::string_view name() const override { return "outliers"; }

    void add(const SessionFacts& f) override {
        const Session& s = *f.s;
        Rec r{};
        r.start = s.start;
        r.sensor = intern(sensor_idx_, sensors_, s.sensor);
        r.client = intern(client_idx_, clients_, s.client_version);
        if (s.session.size() <= 16 && !s.session.empty() && std::all_of(s.session.begin(), s.session.end(), [](char c) {
                return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
            })) {
            std::uint64_t v = 0;
            for (char c : s.session) v = (v << 4) | static_cast<std::uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
            r.session = v;
            r.session_len = static_cast<std::uint8_t>(s.session.size());
        } else {
            r.session = arena_put(s.session);
            r.session_len = kSessionInArena;
        }
        std::uint32_t v4 = 0;
        if (parse_ipv4(s.src_ip, v4)) {
            r.ip = v4;
            r.flags |= kFlagIpv4;
        } else {
            r.ip = static_cast<std::uint32_t>(arena_put(s.src_ip));
        }
        r.duration = static_cast<float>(std::max(0.0, s.duration_s));
        r.commands = static_cast<std::uint32_t>(f.commands.size());
        r.attempts = sat16(s.login_attempts);
        if (s.login_successes > 0) r.flags |= kFlagSuccess;
        double tty = 0;
        std::size_t downloads = 0, uploads = 0;
        pw_.clear();
        for (const Item& it : s.items) {
            switch (it.kind) {
                case ItemKind::Login:
                    if (!it.b.empty() || it.c.empty()) pw_.push_back(it.b);
                    break;
                case ItemKind::Download:
                    ++downloads;
                    break;
                case ItemKind::Upload:
                    ++uploads;
                    break;
                case ItemKind::TtyLog:
                    if (it.num > 0) tty += static_cast<double>(it.num);
                    break;
                default:
                    break;
            }
        }
        std::sort(pw_.begin(), pw_.end());
        r.passwords = sat16(static_cast<std::size_t>(std::unique(pw_.begin(), pw_.end()) - pw_.begin()));
        r.downloads = sat16(downloads);
        r.uploads = sat16(uploads);
        r.tty_bytes = static_cast<std::uint32_t>(std::min(tty, 4294967295.0));
        r.tmpl_off = static_cast<std::uint32_t>(tmpl_.size());
        if (!f.templates.empty()) {
            th_.clear();
            for (auto t : f.templates) th_.push_back(stable_hash64(t));
            std::sort(th_.begin(), th_.end());
            th_.erase(std::unique(th_.begin(), th_.end()), th_.end());
            if (th_.size() > 0xFFFF) th_.resize(0xFFFF);
            tmpl_.insert(tmpl_.end(), th_.begin(), th_.end());
            r.templates = static_cast<std::uint16_t>(th_.size());
        }
        recs_.push_back(r);
    }

    void merge(Analysis&& other) override {
        auto& o = static_cast<Outliers&>(other);
        std::vector<std::uint32_t> smap(o.sensors_.size()), cmap(o.clients_.size());
        for (std::size_t i = 0; i < o.sensors_.size(); ++i) smap[i] = intern(sensor_idx_, sensors_, o.sensors_[i]);
        for (std::size_t i = 0; i < o.clients_.size(); ++i) cmap[i] = intern(client_idx_, clients_, o.clients_[i]);
        const std::uint64_t arena_shift = arena_.size();
        const std::uint32_t tmpl_shift = static_cast<std::uint32_t>(tmpl_.size());
        arena_.append(o.arena_);
        tmpl_.insert(tmpl_.end(), o.tmpl_.begin(), o.tmpl_.end());
        // by half as much again at least: a state loaded in pieces merges up to 31 of them in turn
        if (const std::size_t need = recs_.size() + o.recs_.size(); need > recs_.capacity())
            recs_.reserve(std::max(need, recs_.capacity() + recs_.capacity() / 2));
        for (Rec r : o.recs_) {
            r.sensor = smap[r.sensor];
            r.client = cmap[r.client];
            if (r.session_len == kSessionInArena) r.session += arena_shift;
            if (!(r.flags & kFlagIpv4)) r.ip = static_cast<std::uint32_t>(r.ip + arena_shift);
            r.tmpl_off += tmpl_shift;
            recs_.push_back(r);
        }
    }

    void finish(const AnalysisConfig& cfg, Findings& out) override;
    bool finishes_alone() const override { return true; }   // its own state only: the longest finish
    bool saved_in_pieces() const override { return true; }  // a record per session

private:
    struct Behaviour;
    double raw(const Rec& r, int f) const;
    void count_frequencies();
    void quantised(int f, std::vector<std::int64_t>& q) const;
    void feature_z(int f, const std::vector<std::uint8_t>& grp, const std::array<std::uint64_t, kGroupCount>& group_n,
                   std::vector<std::int64_t>& q, std::vector<double>& z) const;
    Scores score(unsigned threads) const;
    std::uint64_t address_key(const Rec& r) const;
    std::uint64_t who_of(const Rec& r) const;
    std::string id_of(const Rec& r) const;
    void id_into(const Rec& r, std::string& id) const;
    std::vector<Behaviour> collapse(const Scores& sc) const;
    static std::string features_text(const Scores& sc, std::uint32_t i);
    static double score_of(const Scores& sc, std::uint32_t i);
    Table table(const Scores& sc, const std::vector<Behaviour>& bs) const;

    static std::uint32_t intern(NameIndex& idx, std::vector<std::string>& names, std::string_view s) {
        auto it = idx.find(s);
        if (it != idx.end()) return it->second;
        const auto i = static_cast<std::uint32_t>(names.size());
        names.emplace_back(s);
        idx.emplace(names.back(), i);
        return i;
    }
    // (u16 length, bytes) in arena_; returns the offset.
    std::uint64_t arena_put(std::string_view s) {
        s = s.substr(0, 0xFFFF);
        const std::uint64_t off = arena_.size();
        arena_.push_back(static_cast<char>(s.size() & 0xFF));
        arena_.push_back(static_cast<char>(s.size() >> 8));
        arena_.append(s);
        return off;
    }
    bool arena_ok(std::uint64_t off) const {
        if (off > arena_.size() || arena_.size() - off < 2) return false;
        const std::size_t n = static_cast<unsigned char>(arena_[off]) |
                              (static_cast<std::size_t>(static_cast<unsigned char>(arena_[off + 1])) << 8);
        return n <= arena_.size() - off - 2;
    }
    // After a load: indexes and offsets point inside the loaded tables.
    bool valid() const {
        for (const Rec& r : recs_) {
            if (r.sensor >= sensors_.size() || r.client >= clients_.size()) return false;
            if (r.tmpl_off > tmpl_.size() || tmpl_.size() - r.tmpl_off < r.templates) return false;
            if (r.session_len == kSessionInArena ? !arena_ok(r.session) : (r.session_len == 0 || r.session_len > 16))
                return false;
            if (!(r.flags & kFlagIpv4) && !arena_ok(r.ip)) return false;
        }
        return true;
    }
    std::string_view arena_get(std::uint64_t off) const {
        const std::size_t n = static_cast<unsigned char>(arena_[off]) |
                              (static_cast<std::size_t>(static_cast<unsigned char>(arena_[off + 1])) << 8);
        return std::string_view(arena_).substr(off + 2, n);
    }
    std::string session_of(const Rec& r) const {
        if (r.session_len == kSessionInArena) return std::string(arena_get(r.session));
        std::string s(r.session_len, '0');
        std::uint64_t v = r.session;
        for (int i = r.session_len - 1; i >= 0; --i, v >>= 4)
            s[static_cast<std::size_t>(i)] = "0123456789abcdef"[v & 15];
        return s;
    }
    std::string ip_of(const Rec& r) const {
        return (r.flags & kFlagIpv4) ? format_ipv4(r.ip) : std::string(arena_get(r.ip));
    }

    std::vector<Rec> recs_;
    std::vector<std::uint64_t> tmpl_;  // per record with commands: its distinct template hashes, sorted
    std::string arena_;                // session ids and addresses that do not pack
    std::vector<std::string> sensors_, clients_;
    NameIndex sensor_idx_, client_idx_;
    std::vector<std::string_view> pw_;
    std::vector<std::uint64_t> th_;
    // Set by count_frequencies() in finish(): the rarity (bits) of each template hash among the
    // sessions with commands, and of each client among all sessions.
    std::unordered_map<std::uint64_t, double> template_rarity_;
    std::vector<double> client_rarity_;
};

}  // namespace

// Raw feature values (before the log transform); rarities are in bits.
double Outliers::raw(const Rec& r, int f) const {
    switch (f) {
        case kDuration:
            return r.duration;
        case kCommands:
            return r.commands;
        case kTemplates:
            return r.templates;
        case kTemplateRarity: {
            if (r.templates == 0) return 0;
            double sum = 0;
            for (std::uint32_t k = 0; k < r.templates; ++k) sum += template_rarity_.at(tmpl_[r.tmpl_off + k]);
            return sum / r.templates;
        }
        case kTtyBytes:
            return r.tty_bytes;
        case kDownloads:
            return r.downloads;
        case kUploads:
            return r.uploads;
        case kClientRarity:
            return client_rarity_[r.client];
        case kAttempts:
            return r.attempts;
        case kPasswords:
            return r.passwords;
    }
    return 0;
}

void Outliers::count_frequencies() {
    std::unordered_map<std::uint64_t, std::uint32_t> df;  // sessions per template hash
    std::uint64_t with_commands = 0;
    for (const Rec& r : recs_) {
        if (r.templates == 0) continue;
        ++with_commands;
        for (std::uint32_t k = 0; k < r.templates; ++k) ++df[tmpl_[r.tmpl_off + k]];
    }
    template_rarity_.clear();
    template_rarity_.reserve(df.size());
    for (const auto& [hash, n] : df)
        template_rarity_.emplace(hash, std::log2(static_cast<double>(with_commands) / static_cast<double>(n)));
    std::vector<std::uint64_t> client_n(clients_.size(), 0);
    for (const Rec& r : recs_) ++client_n[r.client];
    client_rarity_.assign(clients_.size(), 0);
    for (std::size_t c = 0; c < clients_.size(); ++c)
        if (client_n[c] > 0)
            client_rarity_[c] = std::log2(static_cast<double>(recs_.size()) / static_cast<double>(client_n[c]));
}

namespace {

// round(log1p(v) * kQuant), the quantised value of a count (or of a duration), read from
// `table` for the counts most values are (quantised_counts()).
const std::vector<std::int64_t>& quantised_counts() {
    static const std::vector<std::int64_t> table = [] {
        std::vector<std::int64_t> t(1 << 16);
        for (std::size_t i = 0; i < t.size(); ++i) t[i] = std::llround(std::log1p(static_cast<double>(i)) * kQuant);
        return t;
    }();
    return table;
}
std::int64_t quantised_count(double v, const std::vector<std::int64_t>& table) {
    if (v >= 0 && v < static_cast<double>(table.size()) && v == std::floor(v))
        return table[static_cast<std::size_t>(v)];
    return std::llround(std::log1p(v) * kQuant);
}
std::int64_t quantised_count(std::uint32_t v, const std::vector<std::int64_t>& table) {
    return v < table.size() ? table[v] : std::llround(std::log1p(static_cast<double>(v)) * kQuant);
}

// The distinct values of each group with their counts (grp: each value's group): counted in an
// array where a group's values span fewer than 2^16 (quantised values span a few thousand),
// else sorted (linear against n log n).
std::array<Stat::Counts, kGroupCount> group_counts(const std::vector<std::int64_t>& q,
                                                   const std::vector<std::uint8_t>& grp) {
    constexpr std::uint64_t kCountedSpan = std::uint64_t{1} << 16;
    std::array<std::int64_t, kGroupCount> lo, hi;
    lo.fill(INT64_MAX);
    hi.fill(INT64_MIN);
    for (std::size_t i = 0; i < q.size(); ++i) {
        lo[grp[i]] = std::min(lo[grp[i]], q[i]);
        hi[grp[i]] = std::max(hi[grp[i]], q[i]);
    }
    std::array<std::vector<std::uint32_t>, kGroupCount> count;  // by value - lo, where counted
    std::array<std::vector<std::int64_t>, kGroupCount> sorted;  // the values, where not
    std::array<bool, kGroupCount> counted{};
    for (std::size_t g = 0; g < kGroupCount; ++g) {
        if (lo[g] > hi[g]) continue;  // no values
        counted[g] = static_cast<std::uint64_t>(hi[g]) - static_cast<std::uint64_t>(lo[g]) < kCountedSpan;
        if (counted[g]) count[g].assign(static_cast<std::size_t>(hi[g] - lo[g]) + 1, 0);
    }
    for (std::size_t i = 0; i < q.size(); ++i) {
        const std::uint8_t g = grp[i];
        if (counted[g])
            ++count[g][static_cast<std::size_t>(q[i] - lo[g])];
        else
            sorted[g].push_back(q[i]);
    }
    std::array<Stat::Counts, kGroupCount> out;
    for (std::size_t g = 0; g < kGroupCount; ++g) {
        for (std::size_t k = 0; k < count[g].size(); ++k)
            if (count[g][k]) out[g].emplace_back(lo[g] + static_cast<std::int64_t>(k), count[g][k]);
        std::sort(sorted[g].begin(), sorted[g].end());
        for (std::int64_t x : sorted[g])
            if (out[g].empty() || out[g].back().first != x)
                out[g].emplace_back(x, 1);
            else
                ++out[g].back().second;
    }
    return out;
}

}  // namespace

// The quantised values of feature f, one per record: the log of a count (quantised_count()),
// a rarity in bits times kQuant.
void Outliers::quantised(int f, std::vector<std::int64_t>& q) const {
    const std::size_t n = recs_.size();
    const std::vector<std::int64_t>& table = quantised_counts();
    q.resize(n);
    auto each = [&](auto value) {
        for (std::size_t i = 0; i < n; ++i) q[i] = value(recs_[i]);
    };
    auto count = [&](auto field) {
        each([&](const Rec& r) { return quantised_count(std::uint32_t{field(r)}, table); });
    };
    switch (f) {
        case kTemplateRarity:
        case kClientRarity:
            return each([&](const Rec& r) { return std::llround(raw(r, f) * kQuant); });
        case kDuration:
            return each([&](const Rec& r) { return quantised_count(static_cast<double>(r.duration), table); });
        case kCommands:
            return count([](const Rec& r) { return r.commands; });
        case kTemplates:
            return count([](const Rec& r) { return r.templates; });
        case kTtyBytes:
            return count([](const Rec& r) { return r.tty_bytes; });
        case kDownloads:
            return count([](const Rec& r) { return r.downloads; });
        case kUploads:
            return count([](const Rec& r) { return r.uploads; });
        case kAttempts:
            return count([](const Rec& r) { return r.attempts; });
        case kPasswords:
            return count([](const Rec& r) { return r.passwords; });
    }
}

// The robust z of every record's feature f against its peer group (grp: each record's group;
// group_n: their sizes), into z; q: working memory (both reused from feature to feature).
void Outliers::feature_z(int f, const std::vector<std::uint8_t>& grp,
                         const std::array<std::uint64_t, kGroupCount>& group_n, std::vector<std::int64_t>& q,
                         std::vector<double>& z) const {
    quantised(f, q);
    const std::array<Stat::Counts, kGroupCount> counts = group_counts(q, grp);
    std::array<Stat, kGroupCount> st;
    for (std::size_t g = 0; g < kGroupCount; ++g) st[g].build(counts[g], group_n[g]);
    z.resize(q.size());
    for (std::size_t i = 0; i < q.size(); ++i) z[i] = st[grp[i]].z(q[i]);
}

// Per feature and peer group: robust z of every record; the score sums the squared weighted z,
// the larger one per family. The features' z are made `threads` at a time, side by side, and
// folded into the scores in feature order, each thread a slice of the records: the same scores
// for any number of threads, with working memory for `threads` features only (their values and
// z: 16 bytes a record each).
Scores Outliers::score(unsigned threads) const {
    const std::size_t n = recs_.size();
    threads = std::max(1u, std::min<unsigned>(threads, kFeatureCount));
    Scores sc;
    sc.score2.assign(n, 0);
    sc.z.assign(n, {});
    sc.f.assign(n, {});
    std::vector<std::array<float, kTopFeatures>> tw(n);
    std::vector<double> family(n, 0);
    std::vector<std::uint8_t> grp(n);
    std::array<std::uint64_t, kGroupCount> group_n{};
    for (std::size_t i = 0; i < n; ++i) ++group_n[grp[i] = group_of(recs_[i])];
    std::vector<std::vector<double>> zs(threads);
    std::vector<std::vector<std::int64_t>> qs(threads);
    for (int first = 0; first < kFeatureCount; first += static_cast<int>(threads)) {
        const int count = std::min(static_cast<int>(threads), kFeatureCount - first);
        parallel_for(static_cast<std::size_t>(count), threads,
                     [&](std::size_t k) { feature_z(first + static_cast<int>(k), grp, group_n, qs[k], zs[k]); });
        for_slices(n, threads, [&](unsigned, std::size_t lo, std::size_t hi) {
            for (int k = 0; k < count; ++k) {
                const int f = first + k;
                const std::vector<double>& zf = zs[static_cast<std::size_t>(k)];
                const bool new_family = f > 0 && kFamily[f] != kFamily[f - 1];
                for (std::size_t i = lo; i < hi; ++i) {
                    if (new_family) {
                        sc.score2[i] += family[i] * family[i];
                        family[i] = 0;
                    }
                    const double z = zf[i];
                    if (z <= 0) continue;
                    family[i] = std::max(family[i], kWeight[f] * z);
                    keep_top(sc.z[i], sc.f[i], tw[i], z, kWeight[f] * z, f);
                }
            }
        });
    }
    for (std::size_t i = 0; i < n; ++i) sc.score2[i] += family[i] * family[i];
    return sc;
}

// Sessions of one behaviour: the same binned shape and client, and the same source address
// (sessions without commands) or the same set of command templates (the same script).
struct Outliers::Behaviour {
    std::uint32_t first = 0;  // the first member met
    std::uint32_t best = 0;   // the highest-scoring member (ties: smallest sensor/session)
    std::uint32_t sessions = 0;
    // With a second member (a lone one's are its own id and address, not stored): the smallest
    // sensor/session ids, sorted, and the members' address keys (address_key(); distinct after
    // collapse()).
    std::vector<std::string> examples;
    std::vector<std::uint64_t> ips;
    std::string best_id;        // with a second member: the id of `best`
    std::uint32_t src_ips = 1;  // distinct addresses
};

// Equal for equal source addresses, and (but for 64-bit hash collisions) only for them: an
// IPv4 address packed, any other one hashed.
std::uint64_t Outliers::address_key(const Rec& r) const {
    return (r.flags & kFlagIpv4) ? (std::uint64_t{1} << 32) | r.ip : stable_hash64(arena_get(r.ip), 1);
}

std::uint64_t Outliers::who_of(const Rec& r) const {
    if (r.templates == 0) return address_key(r);
    const std::string_view bytes(reinterpret_cast<const char*>(&tmpl_[r.tmpl_off]),
                                 r.templates * sizeof(std::uint64_t));
    return stable_hash64(bytes, 2);
}

std::string Outliers::id_of(const Rec& r) const {
    std::string id;
    id_into(r, id);
    return id;
}

void Outliers::id_into(const Rec& r, std::string& id) const {
    id.assign(sensors_[r.sensor]);
    id.push_back('/');
    if (r.session_len == kSessionInArena) {
        id.append(arena_get(r.session));
        return;
    }
    const std::size_t at = id.size();
    id.resize(at + r.session_len);
    std::uint64_t v = r.session;
    for (std::size_t i = r.session_len; i-- > 0; v >>= 4) id[at + i] = "0123456789abcdef"[v & 15];
}

namespace {

// What makes sessions one behaviour (Outliers::collapse()).
struct BehaviourKey {
    std::uint64_t who, shape, client;
    bool operator==(const BehaviourKey&) const = default;
};

// Behaviour numbers by key: open addressing with linear probing, at most half full.
class BehaviourIndex {
public:
    // The number of key, or `next` when it is new (then given that number).
    std::uint32_t find_or_add(const BehaviourKey& key, std::uint32_t next) {
        if (2 * (used_ + 1) > slots_.size()) grow();
        for (std::size_t at = slot_of(key);; at = (at + 1) & (slots_.size() - 1)) {
            Slot& s = slots_[at];
            if (s.number == kEmpty) {
                s = {key, next};
                ++used_;
                return next;
            }
            if (s.key == key) return s.number;
        }
    }

private:
    static constexpr std::uint32_t kEmpty = UINT32_MAX;
    struct Slot {
        BehaviourKey key{};
        std::uint32_t number = kEmpty;
    };
    std::size_t slot_of(const BehaviourKey& k) const {
        const std::uint64_t h = (k.who ^ (k.shape * 0x9E3779B97F4A7C15ull) ^ (k.client << 1)) * 0xD6E8FEB86659FD93ull;
        return static_cast<std::size_t>(h >> 32) & (slots_.size() - 1);
    }
    void grow() {
        std::vector<Slot> old(std::max<std::size_t>(1024, 2 * slots_.size()));
        old.swap(slots_);
        used_ = 0;
        for (const Slot& s : old)
            if (s.number != kEmpty) find_or_add(s.key, s.number);
    }
    std::vector<Slot> slots_;
    std::size_t used_ = 0;
};

}  // namespace

std::vector<Outliers::Behaviour> Outliers::collapse(const Scores& sc) const {
    std::vector<std::uint64_t> client_hash(clients_.size());
    for (std::size_t c = 0; c < clients_.size(); ++c) client_hash[c] = stable_hash64(clients_[c]);
    BehaviourIndex index;
    std::vector<Behaviour> out;
    std::string id;
    for (std::uint32_t i = 0; i < recs_.size(); ++i) {
        if (sc.score2[i] <= 0) continue;
        const Rec& r = recs_[i];
        const auto number = static_cast<std::uint32_t>(out.size());
        const std::uint32_t k = index.find_or_add({who_of(r), shape_of(r), client_hash[r.client]}, number);
        if (k == number) {
            out.push_back({i, i, 1, {}, {}, {}});
            continue;
        }
        Behaviour& b = out[k];
        if (b.sessions++ == 1) {  // its second member: the first one's id and address are stored now
            b.best_id = id_of(recs_[b.first]);
            b.examples.push_back(b.best_id);
            b.ips.push_back(address_key(recs_[b.first]));
        }
        b.ips.push_back(address_key(r));
        id_into(r, id);
        if (sc.score2[i] > sc.score2[b.best] || (sc.score2[i] == sc.score2[b.best] && id < b.best_id)) {
            b.best = i;
            b.best_id = id;
        }
        if (b.examples.size() == kExamples && id >= b.examples.back()) continue;  // it would not stay
        b.examples.insert(std::lower_bound(b.examples.begin(), b.examples.end(), id), id);
        if (b.examples.size() > kExamples) b.examples.pop_back();
    }
    for (Behaviour& b : out) {
        if (b.sessions == 1) continue;
        std::sort(b.ips.begin(), b.ips.end());
        b.src_ips = static_cast<std::uint32_t>(std::unique(b.ips.begin(), b.ips.end()) - b.ips.begin());
        std::vector<std::uint64_t>().swap(b.ips);
    }
    return out;
}

void Outliers::finish(const AnalysisConfig& cfg, Findings& out) {
    count_frequencies();
    const Scores sc = score(cfg.threads);
    std::vector<Behaviour> bs = collapse(sc);
    // Top K behaviours by the score of their best session; ties by sensor, then session.
    auto less = [&](const Behaviour& a, const Behaviour& b) {
        if (sc.score2[a.best] != sc.score2[b.best]) return sc.score2[a.best] > sc.score2[b.best];
        const Rec &ra = recs_[a.best], &rb = recs_[b.best];
        if (const int c = sensors_[ra.sensor].compare(sensors_[rb.sensor]); c != 0) return c < 0;
        return session_of(ra) < session_of(rb);
    };
    const std::size_t k = std::min(kTopK, bs.size());
    std::partial_sort(bs.begin(), bs.begin() + static_cast<std::ptrdiff_t>(k), bs.end(), less);
    bs.resize(k);
    out.tables.push_back(table(sc, bs));
    out.outliers_scored = recs_.size();
}

std::string Outliers::features_text(const Scores& sc, std::uint32_t i) {
    std::string feats;
    for (std::size_t m = 0; m < kTopFeatures && sc.z[i][m] > 0; ++m) {
        if (!feats.empty()) feats.push_back(';');
        feats.append(kFeatureNames[sc.f[i][m]]);
        char buf[32];
        std::snprintf(buf, sizeof buf, "=+%.1f", static_cast<double>(sc.z[i][m]));
        feats.append(buf);
    }
    return feats;
}

double Outliers::score_of(const Scores& sc, std::uint32_t i) {
    return std::round(std::sqrt(sc.score2[i]) * 1000) / 1000;
}

Table Outliers::table(const Scores& sc, const std::vector<Behaviour>& bs) const {
    Table t{
        "outliers",
        "behaviours (near-identical sessions collapsed) scored on weighted robust z-scores of their features against "
        "their peer group, highest first",
        {},
        {}};
    t.columns = {
        {"sensor", ColumnType::Text, "of the row's session: the behaviour's highest-scoring session"},
        {"session", ColumnType::Text, "Cowrie's session id of that session"},
        {"src_ip", ColumnType::Text, "its source address"},
        {"start", ColumnType::Text, "UTC"},
        {"score", ColumnType::Real,
         "root of the summed squares of the weighted positive feature z-scores (the larger one of commands and "
         "distinct_templates, and of login_attempts and distinct_passwords)"},
        {"sessions", ColumnType::Integer,
         "sessions of this behaviour (same binned features and client, same address or same command set)"},
        {"src_ips", ColumnType::Integer, "distinct source addresses among them"},
        {"example_sessions", ColumnType::Text, "the three smallest sensor/session ids of the behaviour, one per line"},
        {"top_features", ColumnType::Text,
         "the features that weigh most in the score, as feature=+z, largest first (at most 3)"},
        {"peer_group", ColumnType::Text, "compared with: no_login, login_only (logged in, no commands), commands"},
        {"duration_s", ColumnType::Real, "session duration"},
        {"commands", ColumnType::Integer, "command lines"},
        {"distinct_templates", ColumnType::Integer, "distinct command templates"},
        {"template_rarity", ColumnType::Real,
         "mean over its distinct templates of log2(sessions with commands / sessions that ran the template)"},
        {"tty_bytes", ColumnType::Integer, "TTY log output size, summed (the byte count Cowrie logs)"},
        {"downloads", ColumnType::Integer, "file downloads"},
        {"uploads", ColumnType::Integer, "file uploads (SFTP/SCP)"},
        {"client_version", ColumnType::Text, "SSH client identification string (empty for telnet)"},
        {"client_version_rarity", ColumnType::Real, "log2(sessions / sessions with this client version)"},
        {"login_attempts", ColumnType::Integer, "login events (password and public key)"},
        {"distinct_passwords", ColumnType::Integer, "distinct passwords tried"},
        {"login_success", ColumnType::Integer, "1 when a login succeeded"},
    };
    auto r3 = [](double v) { return std::round(v * 1000) / 1000; };
    auto lines = [](const std::vector<std::string>& v) {
        std::string s;
        for (const auto& x : v) s += (s.empty() ? "" : "\n") + x;
        return s;
    };
    for (const Behaviour& b : bs) {
        const Rec& r = recs_[b.best];
        t.rows.push_back({sensors_[r.sensor],
                          session_of(r),
                          ip_of(r),
                          format_timestamp(r.start),
                          score_of(sc, b.best),
                          static_cast<std::int64_t>(b.sessions),
                          static_cast<std::int64_t>(b.src_ips),
                          b.sessions == 1 ? id_of(recs_[b.first]) : lines(b.examples),
                          features_text(sc, b.best),
                          std::string(kGroupNames[group_of(r)]),
                          r3(r.duration),
                          static_cast<std::int64_t>(r.commands),
                          static_cast<std::int64_t>(r.templates),
                          r3(raw(r, kTemplateRarity)),
                          static_cast<std::int64_t>(r.tty_bytes),
                          static_cast<std::int64_t>(r.downloads),
                          static_cast<std::int64_t>(r.uploads),
                          clients_[r.client],
                          r3(raw(r, kClientRarity)),
                          static_cast<std::int64_t>(r.attempts),
                          static_cast<std::int64_t>(r.passwords),
                          static_cast<std::int64_t>((r.flags & kFlagSuccess) ? 1 : 0)});
    }
    return t;
}

std::unique_ptr<Analysis> make_outliers() { return std::make_unique<Outliers>(); }

}  // namespace cb::analyses
