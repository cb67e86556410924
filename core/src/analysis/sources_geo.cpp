// sources_by_country.csv and sources_by_asn.csv (with --geoip): where sessions come from, per
// country and per autonomous system of their source address (geoip.hpp).
#include <algorithm>
#include <map>
#include <set>

#include "factories.hpp"
#include "source_tables.hpp"
#include "table_cells.hpp"

namespace cb::analyses {

namespace {

using table_cells::col;
using table_cells::count;
using table_cells::when;

struct SourceStat {
    std::uint64_t sessions = 0, login_successes = 0, commands = 0, downloads = 0;
    std::set<std::string, std::less<>> src_ips;
    std::string as_org;  // by ASN: the organisation the database names (the smallest, if several)
    Micros first = INT64_MAX, last = INT64_MIN;
    template <class Ar>
    void io(Ar& ar) {
        ar(sessions, login_successes, commands, downloads, src_ips, as_org, first, last);
    }
    void add(const Session& s) {
        ++sessions;
        login_successes += s.login_successes;
        commands += s.commands;
        downloads += downloads_of(s);
        if (!s.src_ip.empty()) insert_absent(src_ips, s.src_ip);
        if (!s.as_org.empty() && (as_org.empty() || s.as_org < as_org)) as_org = std::string(s.as_org);
        first = std::min(first, s.start);
        last = std::max(last, s.end == kNoTime ? s.start : s.end);
    }
    void merge(SourceStat& o) {
        sessions += o.sessions;
        login_successes += o.login_successes;
        commands += o.commands;
        downloads += o.downloads;
        src_ips.merge(o.src_ips);
        if (!o.as_org.empty() && (as_org.empty() || o.as_org < as_org)) as_org = o.as_org;
        first = std::min(first, o.first);
        last = std::max(last, o.last);
    }
};

std::vector<Column> stat_columns() {
    return {col("sessions", ColumnType::Integer, "sessions from addresses there"),
            col("src_ips", ColumnType::Integer, "distinct source addresses"),
            col("login_successes", ColumnType::Integer, "successful logins of those sessions"),
            col("commands", ColumnType::Integer, "command lines they ran"),
            col("downloads", ColumnType::Integer, "URL fetches they made (failed ones included)"),
            col("first_seen", ColumnType::Text, "start of the first such session (UTC)"),
            col("last_seen", ColumnType::Text, "end of the last such session (UTC)")};
}

void add_stat_cells(std::vector<Cell>& row, const SourceStat& s) {
    for (Cell c : {count(s.sessions), count(s.src_ips.size()), count(s.login_successes), count(s.commands),
                   count(s.downloads), when(s.first), when(s.last)})
        row.push_back(std::move(c));
}

// Most sessions first; ties by key (the map's order, kept by the stable sort).
template <typename Map>
std::vector<const typename Map::value_type*> by_sessions(const Map& m) {
    std::vector<const typename Map::value_type*> v;
    for (const auto& e : m) v.push_back(&e);
    std::stable_sort(v.begin(), v.end(),
                     [](const auto* a, const auto* b) { return a->second.sessions > b->second.sessions; });
    return v;
}

class SourcesGeo : public ArchivedAnalysis<SourcesGeo> {
public:
    template <class Ar>
    void io(Ar& ar) {
        ar(by_country_, by_asn_, weekly_);
    }
    std::string_view name() const override { return "sources_geo"; }

    void add(const SessionFacts& f) override {
        const Session& s = *f.s;
        if (!s.geo) return;
        by_country_[std::string(s.country)].add(s);
        by_asn_[s.asn].add(s);
        ++weekly_[{format_iso_week(s.start), std::string(s.country)}];
    }

    void merge(Analysis&& other) override {
        auto& o = static_cast<SourcesGeo&>(other);
        for (auto& [k, v] : o.by_country_) by_country_[k].merge(v);
        for (auto& [k, v] : o.by_asn_) by_asn_[k].merge(v);
        for (auto& [k, v] : o.weekly_) weekly_[k] += v;
    }

    void finish(const AnalysisConfig&, Findings& out) override {
        if (by_country_.empty()) return;  // without --geoip no session was looked up: no table
        Table c{"sources_by_country",
                "sessions per country of their source address (--geoip), most sessions first; an empty country: "
                "the address is in none of the databases (private, reserved, or not covered)",
                {col("country", ColumnType::Text, "ISO 3166-1 alpha-2 code; empty when unknown")},
                {}};
        for (Column& x : stat_columns()) c.columns.push_back(std::move(x));
        for (const auto* e : by_sessions(by_country_)) {
            c.rows.push_back({e->first});
            add_stat_cells(c.rows.back(), e->second);
        }
        Table a{"sources_by_asn",
                "sessions per autonomous system of their source address (--geoip), most sessions first",
                {col("asn", ColumnType::Integer, "AS number; empty when unknown"),
                 col("as_org", ColumnType::Text, "its organisation, as the database names it")},
                {}};
        for (Column& x : stat_columns()) a.columns.push_back(std::move(x));
        for (const auto* e : by_sessions(by_asn_)) {
            a.rows.push_back({e->first < 0 ? Cell{} : Cell{e->first}, e->second.as_org});
            add_stat_cells(a.rows.back(), e->second);
        }
        Table w{"sources_by_country_weekly",
                "sessions per ISO week and country of their source address (--geoip)",
                {col("week", ColumnType::Text, "ISO week (2024-W14), by session start"),
                 col("country", ColumnType::Text, "ISO 3166-1 alpha-2 code; empty when unknown"),
                 col("sessions", ColumnType::Integer, "sessions started that week from addresses there")},
                {}};
        for (const auto& [k, n] : weekly_) w.rows.push_back({k.first, k.second, count(n)});
        out.tables.push_back(std::move(c));
        out.tables.push_back(std::move(a));
        out.tables.push_back(std::move(w));
    }

private:
    std::map<std::string, SourceStat> by_country_;
    std::map<std::int64_t, SourceStat> by_asn_;
    std::map<std::pair<std::string, std::string>, std::uint64_t> weekly_;  // (week, country)
};

}  // namespace

std::unique_ptr<Analysis> make_sources_geo() { return std::make_unique<SourcesGeo>(); }

}  // namespace cb::analyses
