// campaigns.csv, session_campaigns.csv: sessions clustered into campaigns by their command
// template sets, across sensors.
//
// add() keys each session with commands by template_set_key() (its sorted, unique templates)
// and keeps small per-set statistics. finish() clusters the distinct sets: two sets are
// linked when their Jaccard similarity is at least 1/2 and they share at least two
// templates; campaigns are the connected components (union-find). The similar pairs are
// found *exactly* with a prefix-filtering similarity join (AllPairs), not with MinHash/LSH:
// see docs/ARCHITECTURE.md, "Why an exact similarity join for campaigns, and not MinHash with LSH?".
#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_map>

#include "cb/parse/command_template.hpp"
#include "cb/util/fast_hash.hpp"
#include "factories.hpp"

namespace cb::analyses {

namespace {

// Link threshold: Jaccard >= kNum / kDen (integer arithmetic, so no rounding questions).
constexpr std::uint64_t kNum = 1, kDen = 2;
// Two sets that share one template (say `uname -a`) are no evidence of a common script.
constexpr std::size_t kMinShared = 2;
constexpr std::size_t kExampleSessions = 3;
constexpr std::size_t kExampleCommands = 20;
constexpr std::size_t kExampleCommandBytes = 200;

using Counts = std::map<std::string, std::uint64_t, std::less<>>;

void bump(Counts& m, std::string_view k, std::uint64_t n = 1) {
    auto it = m.find(k);
    if (it == m.end())
        m.emplace(std::string(k), n);
    else
        it->second += n;
}

void merge_counts(Counts& into, Counts& from) {
    if (into.size() < from.size()) std::swap(into, from);
    for (auto& [k, v] : from) bump(into, k, v);
}

// "a:3;b:1": highest count first, ties by key.
std::string top_of(const Counts& m, std::size_t limit) {
    std::vector<const std::pair<const std::string, std::uint64_t>*> v;
    v.reserve(m.size());
    for (const auto& e : m) v.push_back(&e);
    const std::size_t n = std::min(limit, v.size());
    std::partial_sort(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n), v.end(), [](auto* a, auto* b) {
        return a->second != b->second ? a->second > b->second : a->first < b->first;
    });
    std::string out;
    for (std::size_t i = 0; i < n; ++i) {
        if (!out.empty()) out.push_back(';');
        out.append(v[i]->first);
        out.push_back(':');
        out.append(std::to_string(v[i]->second));
    }
    return out;
}

// Cuts s to at most max bytes without splitting a UTF-8 sequence; marks the cut with "…".
std::string clip(std::string_view s, std::size_t max) {
    if (s.size() <= max) return std::string(s);
    std::size_t n = max;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    return std::string(s.substr(0, n)) + "\xE2\x80\xA6";
}

std::string hex(std::uint64_t v, int digits) {
    static const char* d = "0123456789abcdef";
    std::string s(static_cast<std::size_t>(digits), '0');
    for (int i = digits - 1; i >= 0; --i, v >>= 4) s[static_cast<std::size_t>(i)] = d[v & 15];
    return s;
}

void put_u16(std::string& out, std::size_t n) {
    out.push_back(static_cast<char>(n & 0xFF));
    out.push_back(static_cast<char>((n >> 8) & 0xFF));
}

std::size_t get_u16(const std::string& in, std::size_t& pos) {
    const std::size_t n =
        static_cast<unsigned char>(in[pos]) | (static_cast<std::size_t>(static_cast<unsigned char>(in[pos + 1])) << 8);
    pos += 2;
    return n;
}

struct SetStat {
    std::uint64_t sessions = 0;
    Counts src_ips, sensors, credentials, urls, shasums;  // sessions per value
    Counts countries, asns;                               // sessions per country and "AS<n> <org>" (--geoip)
    Micros first = INT64_MAX, last = INT64_MIN;
    std::string example_id;                     // smallest "sensor/session" of the set
    std::vector<std::string> example_commands;  // that session's raw commands (clipped)
    std::vector<std::string> example_ids;       // the kExampleSessions smallest ids, sorted
    // Every member session as (u16 length, sensor, u16 length, session), for session_campaigns.
    std::string members;

    void offer_example_id(const std::string& id) {
        auto it = std::lower_bound(example_ids.begin(), example_ids.end(), id);
        if (it != example_ids.end() && *it == id) return;
        if (example_ids.size() >= kExampleSessions && it == example_ids.end()) return;
        example_ids.insert(it, id);
        if (example_ids.size() > kExampleSessions) example_ids.pop_back();
    }

    template <class Ar>
    void io(Ar& ar) {
        ar(sessions, src_ips, sensors, credentials, urls, shasums, countries, asns, first, last, example_id,
           example_commands, example_ids, members);
    }

    // After a load: every member record must be complete.
    bool valid() const {
        std::size_t pos = 0;
        for (int field = 0; pos < members.size(); field ^= 1) {
            if (pos + 2 > members.size()) return false;
            const std::size_t n = get_u16(members, pos);
            if (n > members.size() - pos) return false;
            pos += n;
            if (field == 1 && pos == members.size()) return true;
        }
        return members.empty();
    }

    void merge(SetStat&& o) {
        sessions += o.sessions;
        merge_counts(src_ips, o.src_ips);
        merge_counts(sensors, o.sensors);
        merge_counts(credentials, o.credentials);
        merge_counts(urls, o.urls);
        merge_counts(shasums, o.shasums);
        merge_counts(countries, o.countries);
        merge_counts(asns, o.asns);
        first = std::min(first, o.first);
        last = std::max(last, o.last);
        if (!o.example_id.empty() && (example_id.empty() || o.example_id < example_id)) {
            example_id = std::move(o.example_id);
            example_commands = std::move(o.example_commands);
        }
        for (const auto& id : o.example_ids) offer_example_id(id);
        members.append(o.members);
    }
};

// Union-find over set indices; the root is always the smallest index of its component.
struct Dsu {
    std::vector<std::uint32_t> p;
    explicit Dsu(std::size_t n) : p(n) { std::iota(p.begin(), p.end(), 0u); }
    std::uint32_t find(std::uint32_t x) {
        while (p[x] != x) {
            p[x] = p[p[x]];
            x = p[x];
        }
        return x;
    }
    void unite(std::uint32_t a, std::uint32_t b) {
        a = find(a);
        b = find(b);
        if (a == b) return;
        if (b < a) std::swap(a, b);
        p[b] = a;
    }
};

// |a ∩ b| of two sorted vectors.
std::size_t overlap(const std::vector<std::uint32_t>& a, const std::vector<std::uint32_t>& b) {
    std::size_t i = 0, j = 0, o = 0;
    while (i < a.size() && j < b.size()) {
        if (a[i] < b[j])
            ++i;
        else if (b[j] < a[i])
            ++j;
        else {
            ++o;
            ++i;
            ++j;
        }
    }
    return o;
}

bool similar(std::size_t o, std::size_t na, std::size_t nb) {
    // o / (na + nb - o) >= kNum / kDen
    return o >= kMinShared && kDen * o >= kNum * (na + nb - o);
}

// Smallest overlap a set of size n needs with any set to reach the threshold: ceil(n * t).
std::size_t min_overlap(std::size_t n) { return static_cast<std::size_t>((kNum * n + kDen - 1) / kDen); }

}  // namespace

namespace {

// Each set's templates renumbered by one global order, rarest first (ties by id), and sorted:
// prefixes then hold rare templates and the inverted lists probed stay short. `ntok`: the
// number of distinct ids.
std::vector<std::vector<std::uint32_t>> by_rarity(const std::vector<std::vector<std::uint32_t>>& sets_in,
                                                  std::uint32_t& ntok) {
    ntok = 0;
    for (const auto& s : sets_in)
        for (auto t : s) ntok = std::max(ntok, t + 1);
    std::vector<std::uint32_t> df(ntok, 0);
    for (const auto& s : sets_in)
        for (auto t : s) ++df[t];
    std::vector<std::uint32_t> order(ntok), rank(ntok);
    std::iota(order.begin(), order.end(), 0u);
    std::sort(order.begin(), order.end(), [&](auto a, auto b) { return df[a] != df[b] ? df[a] < df[b] : a < b; });
    for (std::uint32_t r = 0; r < ntok; ++r) rank[order[r]] = r;
    std::vector<std::vector<std::uint32_t>> sets(sets_in.size());
    for (std::size_t i = 0; i < sets_in.size(); ++i) {
        for (auto t : sets_in[i]) sets[i].push_back(rank[t]);
        std::sort(sets[i].begin(), sets[i].end());
    }
    return sets;
}

// Inverted lists of prefix tokens. Each list holds groups of sets already known to be in one
// component, so a big family of near-identical sets costs one check per list, not one per
// member (without this a 10^5-variant bot family would be quadratic).
class PrefixIndex {
public:
    struct Group {
        std::vector<std::uint32_t> members;
    };
    PrefixIndex(std::size_t ntok, std::size_t nsets, Dsu& dsu)
        : lists_(ntok), stamp_(nsets, 0), slot_(nsets, 0), dsu_(dsu) {}

    // The groups of token t, those of one component merged first (unions since the last look).
    std::vector<Group>& groups(std::uint32_t t) {
        compact(lists_[t]);
        return lists_[t];
    }

    // Lists set x under token t: in the group of its component, or as a new group.
    void add(std::uint32_t t, std::uint32_t x) {
        auto& list = lists_[t];
        const std::uint32_t rx = dsu_.find(x);
        for (auto& g : list)
            if (dsu_.find(g.members[0]) == rx) {
                g.members.push_back(x);
                return;
            }
        list.push_back(Group{{x}});
    }

private:
    void compact(std::vector<Group>& list) {
        ++pass_;
        std::size_t w = 0;
        for (std::size_t i = 0; i < list.size(); ++i) {
            const std::uint32_t r = dsu_.find(list[i].members[0]);
            if (stamp_[r] == pass_) {
                auto& dst = list[slot_[r]].members;
                auto& src = list[i].members;
                if (dst.size() < src.size()) std::swap(dst, src);
                dst.insert(dst.end(), src.begin(), src.end());
                continue;
            }
            stamp_[r] = pass_;
            slot_[r] = static_cast<std::uint32_t>(w);
            if (w != i) list[w] = std::move(list[i]);
            ++w;
        }
        list.resize(w);
    }

    std::vector<std::vector<Group>> lists_;
    std::vector<std::uint64_t> stamp_;  // per root: the compact() pass that saw it
    std::vector<std::uint32_t> slot_;   // per root: its group in the list being compacted
    std::uint64_t pass_ = 0;
    Dsu& dsu_;
};

}  // namespace

// Links every pair of template sets with Jaccard >= 1/2 and >= 2 shared templates; returns the
// component root (smallest index) of each set. `sets` holds each set's templates as sorted ids.
// Exposed for tests through campaign_components() below. Prefix filtering: two similar sets
// share a token among the first |x| - min_overlap(|x|) + 1 of the larger one.
std::vector<std::uint32_t> campaign_components(const std::vector<std::vector<std::uint32_t>>& sets_in) {
    const std::size_t n = sets_in.size();
    Dsu dsu(n);
    if (n == 0) return {};
    std::uint32_t ntok = 0;
    const std::vector<std::vector<std::uint32_t>> sets = by_rarity(sets_in, ntok);
    // Process by size (then index): every indexed set is no larger than the probing one.
    std::vector<std::uint32_t> proc(n);
    std::iota(proc.begin(), proc.end(), 0u);
    std::stable_sort(proc.begin(), proc.end(), [&](auto a, auto b) { return sets[a].size() < sets[b].size(); });
    PrefixIndex index(ntok, n, dsu);
    for (const std::uint32_t x : proc) {
        const auto& sx = sets[x];
        if (sx.size() < kMinShared) continue;
        const std::size_t prefix = sx.size() - min_overlap(sx.size()) + 1;
        const std::size_t min_size = min_overlap(sx.size());  // |y| >= t |x|
        for (std::size_t k = 0; k < prefix; ++k)
            for (auto& g : index.groups(sx[k])) {
                if (dsu.find(g.members[0]) == dsu.find(x)) continue;
                for (const std::uint32_t y : g.members) {
                    const auto& sy = sets[y];
                    if (sy.size() >= min_size && similar(overlap(sx, sy), sx.size(), sy.size())) {
                        dsu.unite(x, y);
                        break;
                    }
                }
            }
        for (std::size_t k = 0; k < prefix; ++k) index.add(sx[k], x);
    }
    std::vector<std::uint32_t> root(n);
    for (std::uint32_t i = 0; i < n; ++i) root[i] = dsu.find(i);
    return root;
}

namespace {

class Campaigns : public ArchivedAnalysis<Campaigns> {
public:
    template <class Ar>
    void io(Ar& ar) {
        ar(sets_);
    }
    bool load(std::string_view in) override {
        bool ok = ArchivedAnalysis<Campaigns>::load(in);
        for (const auto& [k, st] : sets_) ok = ok && st.valid();
        if (!ok) sets_.clear();
        return ok;
    }
    std::string_view name() const override { return "campaigns"; }

    void add(const SessionFacts& f) override {
        if (f.commands.empty()) return;
        const Session& s = *f.s;
        SetStat& st = sets_[template_set_key(f)];
        ++st.sessions;
        bump(st.src_ips, s.src_ip);
        bump(st.sensors, s.sensor);
        if (s.geo) {
            bump(st.countries, s.country.empty() ? std::string_view("?") : s.country);
            bump(st.asns, s.asn < 0 ? std::string("?") : "AS" + std::to_string(s.asn) + " " + std::string(s.as_org));
        }
        if (s.start != kNoTime) st.first = std::min(st.first, s.start);
        if (s.end != kNoTime) st.last = std::max(st.last, s.end);
        seen_.clear();
        for (const Item& it : s.items) {
            std::string_view k;
            Counts* m = nullptr;
            switch (it.kind) {
                case ItemKind::Login:
                    if (!it.flag) continue;
                    cred_.assign(it.a);
                    cred_.push_back('/');
                    if (it.b.empty() && !it.c.empty()) {
                        cred_.append("key:");
                        cred_.append(it.c);
                    } else {
                        cred_.append(it.b);
                    }
                    k = cred_;
                    m = &st.credentials;
                    break;
                case ItemKind::Download:
                case ItemKind::DownloadFailed:
                    if (it.a.empty()) continue;
                    k = it.a;
                    m = &st.urls;
                    if (it.kind == ItemKind::Download && !it.b.empty()) once(st.shasums, it.b);
                    break;
                case ItemKind::Upload:
                    if (it.b.empty()) continue;
                    k = it.b;
                    m = &st.shasums;
                    break;
                default:
                    continue;
            }
            once(*m, k);
        }
        if (st.example_id.empty() || f.id < st.example_id) {
            st.example_id = f.id;
            st.example_commands.clear();
            for (std::size_t i = 0; i < f.commands.size() && i < kExampleCommands; ++i)
                st.example_commands.push_back(clip(f.commands[i], kExampleCommandBytes));
        }
        st.offer_example_id(f.id);
        const std::string_view sensor = s.sensor.substr(0, 0xFFFF), session = s.session.substr(0, 0xFFFF);
        put_u16(st.members, sensor.size());
        st.members.append(sensor);
        put_u16(st.members, session.size());
        st.members.append(session);
    }

    void merge(Analysis&& other) override {
        for (auto& [k, o] : static_cast<Campaigns&>(other).sets_) sets_[k].merge(std::move(o));
    }

    void finish(const AnalysisConfig& cfg, Findings& out) override;

private:
    // Counts a value once per session (items can repeat a URL or a login). A session with
    // thousands of distinct values (1.x logs have bursts of logins) counts its first 256.
    void once(Counts& m, std::string_view k) {
        for (const auto& [pm, pk] : seen_)
            if (pm == &m && pk == k) return;
        if (seen_.size() >= 256) return;
        seen_.emplace_back(&m, std::string(k));
        bump(m, k);
    }

    std::unordered_map<std::string, SetStat, StringHash> sets_;
    std::vector<std::pair<const Counts*, std::string>> seen_;
    std::string cred_;
};

// The template sets clustered into campaigns.
struct Clustering {
    std::vector<std::pair<const std::string*, SetStat*>> sets;  // in key order
    std::vector<std::vector<std::uint32_t>> toks;               // per set: its sorted template ids
    std::vector<std::vector<std::uint32_t>> comps;              // per campaign: its sets, in key order
    std::vector<std::uint32_t> comp_of;                         // per set: its campaign
    std::vector<std::string> ids;                               // per campaign
};

// One campaign's totals, for its row and the order of rows.
struct CampaignTotals {
    std::size_t comp;
    std::uint64_t sessions = 0;
    Micros first = INT64_MAX, last = INT64_MIN;
    std::size_t rep = 0;  // the set with most sessions (ties: smallest key)
};

// Each set as its sorted, distinct template ids (templates numbered in order of appearance).
std::vector<std::vector<std::uint32_t>> template_ids(const std::vector<std::pair<const std::string*, SetStat*>>& sets) {
    std::unordered_map<std::string_view, std::uint32_t, StringHash> tid;
    std::vector<std::vector<std::uint32_t>> toks(sets.size());
    for (std::size_t i = 0; i < sets.size(); ++i) {
        std::string_view key = *sets[i].first;
        std::size_t pos = 0;
        while (true) {
            const std::size_t nl = key.find('\n', pos);
            const std::string_view t =
                key.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
            auto [it, fresh] = tid.emplace(t, static_cast<std::uint32_t>(tid.size()));
            toks[i].push_back(it->second);
            if (nl == std::string_view::npos) break;
            pos = nl + 1;
        }
        std::sort(toks[i].begin(), toks[i].end());
        toks[i].erase(std::unique(toks[i].begin(), toks[i].end()), toks[i].end());
    }
    return toks;
}

// Sets in key order (so indices, and ids, depend on neither input order nor threads), then
// campaigns as components, each listed in key order, with their ids: "C" + 8 hex of the hash
// of the smallest set key; on a (rare) collision, 16 hex.
Clustering cluster(std::unordered_map<std::string, SetStat, StringHash>& by_key) {
    Clustering c;
    c.sets.reserve(by_key.size());
    for (auto& [k, v] : by_key) c.sets.emplace_back(&k, &v);
    std::sort(c.sets.begin(), c.sets.end(), [](const auto& a, const auto& b) { return *a.first < *b.first; });
    const std::size_t n = c.sets.size();
    c.toks = template_ids(c.sets);
    const std::vector<std::uint32_t> root = campaign_components(c.toks);
    c.comp_of.resize(n);
    std::unordered_map<std::uint32_t, std::uint32_t> idx;
    for (std::uint32_t i = 0; i < n; ++i) {
        auto [it, fresh] = idx.emplace(root[i], static_cast<std::uint32_t>(c.comps.size()));
        if (fresh) c.comps.emplace_back();
        c.comps[it->second].push_back(i);
        c.comp_of[i] = it->second;
    }
    c.ids.resize(c.comps.size());
    std::unordered_map<std::string, std::uint32_t, StringHash> used;
    for (std::size_t k = 0; k < c.comps.size(); ++k) {
        c.ids[k] = "C" + hex(stable_hash64(*c.sets[c.comps[k][0]].first) >> 32, 8);
        ++used[c.ids[k]];
    }
    for (std::size_t k = 0; k < c.comps.size(); ++k)
        if (used[c.ids[k]] > 1) c.ids[k] = "C" + hex(stable_hash64(*c.sets[c.comps[k][0]].first), 16);
    return c;
}

// Per campaign: sessions, time span and its most common set; most sessions first (ties by id).
std::vector<CampaignTotals> totals(const Clustering& c) {
    std::vector<CampaignTotals> rows(c.comps.size());
    for (std::size_t k = 0; k < c.comps.size(); ++k) {
        CampaignTotals& r = rows[k];
        r.comp = k;
        r.rep = c.comps[k][0];
        for (auto i : c.comps[k]) {
            const SetStat& st = *c.sets[i].second;
            r.sessions += st.sessions;
            r.first = std::min(r.first, st.first);
            r.last = std::max(r.last, st.last);
            if (st.sessions > c.sets[r.rep].second->sessions) r.rep = i;
        }
    }
    std::sort(rows.begin(), rows.end(), [&](const CampaignTotals& a, const CampaignTotals& b) {
        return a.sessions != b.sessions ? a.sessions > b.sessions : c.ids[a.comp] < c.ids[b.comp];
    });
    return rows;
}

std::vector<Column> campaign_columns() {
    return {
        {"campaign", ColumnType::Text, "id: C + 8 hex of a stable hash of the campaign's smallest template set"},
        {"sessions", ColumnType::Integer, "sessions with commands in the campaign"},
        {"src_ips", ColumnType::Integer, "distinct source addresses"},
        {"sensors", ColumnType::Integer, "distinct sensors"},
        {"first_seen", ColumnType::Text, "UTC, earliest session start"},
        {"last_seen", ColumnType::Text, "UTC, latest session end"},
        {"top_credentials", ColumnType::Text, "successful logins username/password:sessions, most first"},
        {"downloads", ColumnType::Text, "download URLs (also failed ones):sessions, most first"},
        {"example_commands", ColumnType::Text,
         "raw command lines of the campaign's most common template set, from its smallest session id, "
         "one per line (at most 20, each cut at 200 bytes)"},
        {"template_sets", ColumnType::Integer, "distinct template sets (script variants) in the campaign"},
        {"templates", ColumnType::Integer, "distinct command templates over all its sets"},
        {"cohesion", ColumnType::Real,
         "session-weighted mean Jaccard of its sets with the most common set (1: one script; low: a chain)"},
        {"top_src_ips", ColumnType::Text, "src_ip:sessions, most first"},
        {"top_sensors", ColumnType::Text, "sensor:sessions, most first"},
        {"shasums", ColumnType::Text, "SHA-256 of downloaded and uploaded files:sessions, most first"},
        {"example_sessions", ColumnType::Text, "the smallest sensor/session ids, one per line"},
        {"top_countries", ColumnType::Text,
         "country:sessions of the source addresses, most first (--geoip; ? unknown; empty without it)"},
        {"top_asns", ColumnType::Text, "AS<number> <organisation>:sessions, most first (--geoip; ? unknown)"},
    };
}

// Commands one per line. Empty commands before the first non-empty one leave no empty line
// (the cell has always been written so).
std::string command_lines(const std::vector<std::string>& commands) {
    std::string cmds;
    for (const auto& c : commands) {
        if (!cmds.empty()) cmds.push_back('\n');
        cmds.append(c);
    }
    return cmds;
}

// One campaign's row. Moves the counts out of its sets: each set belongs to exactly one campaign.
std::vector<Cell> campaign_row(const Clustering& c, const CampaignTotals& r, std::size_t top) {
    const auto& members = c.comps[r.comp];
    Counts ips, sensors, creds, urls, shas, countries, asns;
    std::vector<std::string> ex;
    std::vector<std::uint32_t> all;
    double cohesion = 0;
    const auto& rt = c.toks[r.rep];
    for (auto i : members) {
        SetStat& st = *c.sets[i].second;
        merge_counts(ips, st.src_ips);
        merge_counts(sensors, st.sensors);
        merge_counts(creds, st.credentials);
        merge_counts(urls, st.urls);
        merge_counts(shas, st.shasums);
        merge_counts(countries, st.countries);
        merge_counts(asns, st.asns);
        ex.insert(ex.end(), st.example_ids.begin(), st.example_ids.end());
        all.insert(all.end(), c.toks[i].begin(), c.toks[i].end());
        const std::size_t o = overlap(c.toks[i], rt);
        cohesion += static_cast<double>(st.sessions) * static_cast<double>(o) /
                    static_cast<double>(c.toks[i].size() + rt.size() - o);
    }
    std::sort(all.begin(), all.end());
    const auto ntemplates = static_cast<std::size_t>(std::unique(all.begin(), all.end()) - all.begin());
    cohesion /= static_cast<double>(r.sessions);
    std::sort(ex.begin(), ex.end());
    ex.erase(std::unique(ex.begin(), ex.end()), ex.end());
    if (ex.size() > kExampleSessions) ex.resize(kExampleSessions);
    return {c.ids[r.comp],
            static_cast<std::int64_t>(r.sessions),
            static_cast<std::int64_t>(ips.size()),
            static_cast<std::int64_t>(sensors.size()),
            format_timestamp(r.first),
            format_timestamp(r.last),
            top_of(creds, top),
            top_of(urls, top),
            command_lines(c.sets[r.rep].second->example_commands),
            static_cast<std::int64_t>(members.size()),
            static_cast<std::int64_t>(ntemplates),
            std::round(cohesion * 1e4) / 1e4,
            top_of(ips, top),
            top_of(sensors, top),
            top_of(shas, top),
            join(ex, "\n"),
            top_of(countries, top),
            top_of(asns, top)};
}

// sessions -> campaign, sorted by sensor then session.
Table session_campaigns_table(const Clustering& c) {
    Table sc{"session_campaigns", "the campaign of every session with commands", {}, {}};
    sc.columns = {
        {"sensor", ColumnType::Text, "the session's sensor"},
        {"session", ColumnType::Text, "Cowrie's session id"},
        {"campaign", ColumnType::Text, "campaigns.campaign"},
        {"template_set", ColumnType::Text, "16 hex: stable hash of the session's template set (its variant)"}};
    struct Member {
        std::string_view sensor, session;
        std::uint32_t set;
    };
    std::vector<Member> mem;
    for (std::uint32_t i = 0; i < c.sets.size(); ++i) {
        const std::string& m = c.sets[i].second->members;
        std::size_t pos = 0;
        while (pos < m.size()) {
            std::size_t len = get_u16(m, pos);
            const std::string_view sensor(m.data() + pos, len);
            pos += len;
            len = get_u16(m, pos);
            const std::string_view session(m.data() + pos, len);
            pos += len;
            mem.push_back({sensor, session, i});
        }
    }
    std::sort(mem.begin(), mem.end(), [](const Member& a, const Member& b) {
        return a.sensor != b.sensor     ? a.sensor < b.sensor
               : a.session != b.session ? a.session < b.session
                                        : a.set < b.set;
    });
    std::vector<std::string> set_hash(c.sets.size());
    for (std::size_t i = 0; i < c.sets.size(); ++i) set_hash[i] = hex(stable_hash64(*c.sets[i].first), 16);
    sc.rows.reserve(mem.size());
    for (const Member& m : mem)
        sc.rows.push_back({std::string(m.sensor), std::string(m.session), c.ids[c.comp_of[m.set]], set_hash[m.set]});
    return sc;
}

void Campaigns::finish(const AnalysisConfig& cfg, Findings& out) {
    const std::size_t top = static_cast<std::size_t>(std::max(1, cfg.top_n));
    const Clustering c = cluster(sets_);
    Table t{"campaigns",
            "sessions clustered by their command template sets (Jaccard >= 0.5 and >= 2 shared templates, "
            "single linkage, exact), across sensors",
            campaign_columns(),
            {}};
    for (const CampaignTotals& r : totals(c)) t.rows.push_back(campaign_row(c, r, top));
    out.campaign_count = c.comps.size();
    for (std::size_t i = 0; i < c.sets.size(); ++i) out.campaign_of_set.emplace(*c.sets[i].first, c.ids[c.comp_of[i]]);
    out.tables.push_back(std::move(t));
    out.tables.push_back(session_campaigns_table(c));
}

}  // namespace

std::unique_ptr<Analysis> make_campaigns() { return std::make_unique<Campaigns>(); }

}  // namespace cb::analyses
