// attack.csv and attack_weekly.csv: the ATT&CK techniques sessions showed (Session::attack, set
// by the rules of attack.hpp), each session counted once per technique.
#include <algorithm>
#include <map>
#include <set>

#include "cb/analysis/attack.hpp"
#include "factories.hpp"
#include "table_cells.hpp"

namespace cb::analyses {

namespace {

using table_cells::col;
using table_cells::count;
using table_cells::when;

struct TechniqueStat {
    std::uint64_t sessions = 0, with_commands = 0;
    std::set<std::string> src_ips;
    Micros first = INT64_MAX, last = INT64_MIN;
    std::vector<std::string> examples;  // smallest session ids
    template <class Ar>
    void io(Ar& ar) {
        ar(sessions, with_commands, src_ips, first, last, examples);
    }
    void merge(TechniqueStat& o) {
        sessions += o.sessions;
        with_commands += o.with_commands;
        src_ips.merge(o.src_ips);
        first = std::min(first, o.first);
        last = std::max(last, o.last);
        for (auto& e : o.examples) keep_smallest(examples, e, 3);
    }
};

class AttackTable : public ArchivedAnalysis<AttackTable> {
public:
    template <class Ar>
    void io(Ar& ar) {
        ar(by_id_, weekly_);
    }
    std::string_view name() const override { return "attack"; }

    void add(const SessionFacts& f) override {
        const Session& s = *f.s;
        if (s.attack.empty()) return;
        const std::string week = format_iso_week(s.start);
        for_each_attack_id(s.attack, [&](std::string_view id_view) {
            const std::string id(id_view);
            TechniqueStat& t = by_id_[id];
            ++t.sessions;
            t.with_commands += s.commands > 0;
            if (!s.src_ip.empty()) t.src_ips.emplace(s.src_ip);
            t.first = std::min(t.first, s.start);
            t.last = std::max(t.last, s.start);
            keep_smallest(t.examples, f.id, 3);
            ++weekly_[{week, id}];
        });
    }

    void merge(Analysis&& other) override {
        auto& o = static_cast<AttackTable&>(other);
        for (auto& [k, v] : o.by_id_) by_id_[k].merge(v);
        for (auto& [k, v] : o.weekly_) weekly_[k] += v;
    }

    void finish(const AnalysisConfig& cfg, Findings& out) override {
        const AttackRules* rules = cfg.attack_rules.get();
        out.tables.push_back(techniques_table(rules));
        out.tables.push_back(weekly_table());
    }

private:
    Table techniques_table(const AttackRules* rules) const {
        Table t{"attack",
                "MITRE ATT&CK techniques the sessions showed (rules: rules/attack.toml or --attack-rules), most "
                "sessions first",
                {},
                {}};
        t.columns = {col("technique", ColumnType::Text, "ATT&CK technique id (T1105, T1098.004)"),
                     col("name", ColumnType::Text, "its name in the ATT&CK release the rules name"),
                     col("tactics", ColumnType::Text, "its tactics, short names joined by ';'"),
                     col("sessions", ColumnType::Integer, "sessions that showed it"),
                     col("sessions_with_commands", ColumnType::Integer, "of them, sessions that ran commands"),
                     col("src_ips", ColumnType::Integer, "distinct source addresses of those sessions"),
                     col("first_seen", ColumnType::Text, "start of the first such session (UTC)"),
                     col("last_seen", ColumnType::Text, "start of the last such session (UTC)"),
                     col("example_sessions", ColumnType::Text, "up to three of them (sensor/session)")};
        std::vector<const std::pair<const std::string, TechniqueStat>*> rows;
        for (const auto& e : by_id_) rows.push_back(&e);
        std::stable_sort(rows.begin(), rows.end(),
                         [](const auto* a, const auto* b) { return a->second.sessions > b->second.sessions; });
        for (const auto* e : rows) {
            const TechniqueStat& s = e->second;
            const AttackTechnique* tech = rules ? rules->find(e->first) : nullptr;
            t.rows.push_back({e->first, tech ? tech->name : std::string(),
                              tech ? join(tech->tactics, ";") : std::string(), count(s.sessions),
                              count(s.with_commands), count(s.src_ips.size()), when(s.first), when(s.last),
                              join(s.examples, " ")});
        }
        return t;
    }

    Table weekly_table() const {
        Table t{"attack_weekly", "sessions per ATT&CK technique and ISO week (by session start)", {}, {}};
        t.columns = {col("week", ColumnType::Text, "ISO week (2024-W14)"),
                     col("technique", ColumnType::Text, "ATT&CK technique id"),
                     col("sessions", ColumnType::Integer, "sessions started that week that showed it")};
        for (const auto& [k, n] : weekly_) t.rows.push_back({k.first, k.second, count(n)});
        return t;
    }

    std::map<std::string, TechniqueStat> by_id_;
    std::map<std::pair<std::string, std::string>, std::uint64_t> weekly_;  // (week, technique)
};

}  // namespace

std::unique_ptr<Analysis> make_attack() { return std::make_unique<AttackTable>(); }

}  // namespace cb::analyses
