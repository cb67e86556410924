// failed_commands.csv: what attackers ran that Cowrie could not emulate (cowrie.command.failed).
#include <algorithm>
#include <set>
#include <unordered_map>

#include "factories.hpp"

namespace cb::analyses {

namespace {

struct Stat {
    std::uint64_t sessions = 0, events = 0, left_after = 0;
    std::set<std::string> src_ips;
    Micros first = INT64_MAX, last = INT64_MIN;
    template <class Ar>
    void io(Ar& ar) {
        ar(sessions, events, left_after, src_ips, first, last);
    }
};

class FailedCommands : public ArchivedAnalysis<FailedCommands> {
public:
    template <class Ar>
    void io(Ar& ar) {
        ar(map_);
    }
    std::string_view name() const override { return "failed_commands"; }

    void add(const SessionFacts& f) override {
        if (f.failed_inputs.empty()) return;
        const std::size_t last_cmd = f.commands.empty() ? 0 : f.commands.size() - 1;
        std::vector<std::string_view> seen;
        for (std::size_t i = 0; i < f.failed_inputs.size(); ++i) {
            Stat& st = map_[std::string(f.failed_inputs[i])];
            ++st.events;
            if (std::find(seen.begin(), seen.end(), f.failed_inputs[i]) != seen.end()) continue;
            seen.push_back(f.failed_inputs[i]);
            ++st.sessions;
            // Leaving next: the unknown command was in the session's last line and the attacker's side closed.
            if (f.left && f.failed_owner[i] == last_cmd) ++st.left_after;
            if (!f.s->src_ip.empty()) st.src_ips.emplace(f.s->src_ip);
            st.first = std::min(st.first, f.s->start);
            st.last = std::max(st.last, f.s->end);
        }
    }

    void merge(Analysis&& other) override {
        for (auto& [k, o] : static_cast<FailedCommands&>(other).map_) {
            Stat& st = map_[k];
            st.sessions += o.sessions;
            st.events += o.events;
            st.left_after += o.left_after;
            st.src_ips.merge(o.src_ips);
            st.first = std::min(st.first, o.first);
            st.last = std::max(st.last, o.last);
        }
    }

    void finish(const AnalysisConfig&, Findings& out) override {
        Table t{"failed_commands", "commands Cowrie did not know (cowrie.command.failed), with how often attackers left right after", {}, {}};
        t.columns = {{"command", ColumnType::Text, "the unknown command and its arguments, as logged"},
                     {"name", ColumnType::Text, "its first word: what to implement"},
                     {"sessions", ColumnType::Integer, "sessions that ran it"},
                     {"events", ColumnType::Integer, "cowrie.command.failed events"},
                     {"src_ips", ColumnType::Integer, "distinct source addresses"},
                     {"disconnect_after_rate", ColumnType::Real,
                      "share of those sessions whose next step was leaving (it was in the last command line, "
                      "and the session ended by exit or disconnect, not by timeout)"},
                     {"first_seen", ColumnType::Text, "UTC"},
                     {"last_seen", ColumnType::Text, "UTC"}};
        std::vector<std::pair<const std::string*, const Stat*>> rows;
        for (const auto& [k, v] : map_) rows.emplace_back(&k, &v);
        std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
            return a.second->sessions > b.second->sessions;
        });
        for (const auto& [k, v] : rows) {
            std::string_view cmd = *k;
            const auto sp = cmd.find_first_of(" \t");
            t.rows.push_back({*k, std::string(cmd.substr(0, sp)), static_cast<std::int64_t>(v->sessions),
                              static_cast<std::int64_t>(v->events), static_cast<std::int64_t>(v->src_ips.size()),
                              static_cast<double>(v->left_after) / static_cast<double>(v->sessions),
                              format_timestamp(v->first), format_timestamp(v->last)});
        }
        out.tables.push_back(std::move(t));
    }

private:
    std::map<std::string, Stat> map_;
};

}  // namespace

std::unique_ptr<Analysis> make_failed_commands() { return std::make_unique<FailedCommands>(); }

}  // namespace cb::analyses
