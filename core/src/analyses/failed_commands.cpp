// failed_commands.csv: what attackers ran that Cowrie could not emulate (cowrie.command.failed).
#include <algorithm>
#include <set>
#include <unordered_map>

#include "factories.hpp"

namespace cb::analyses {

namespace {

constexpr std::size_t kExamples = 3;

struct Stat {
    std::uint64_t sessions = 0, events = 0, left_after = 0, went_on = 0;
    std::set<std::string> src_ips;
    Micros first = INT64_MAX, last = INT64_MIN;
    std::vector<std::string> examples;       // smallest ids of sessions that ran it
    std::vector<std::string> left_examples;  // ... that left right after it
    template <class Ar>
    void io(Ar& ar) {
        ar(sessions, events, left_after, went_on, src_ips, first, last, examples, left_examples);
    }
};

class FailedCommands : public ArchivedAnalysis<FailedCommands> {
public:
    template <class Ar>
    void io(Ar& ar) {
        ar(map_);
    }
    std::string_view name() const override { return "failed_commands"; }

    // Leaving next: no step came after the line of the unknown command, and the shell session
    // was closed by the attacker's side. Going on: a step came after it.
    void add(const SessionFacts& f) override {
        if (f.failed_inputs.empty()) return;
        const std::size_t last_step_line = f.steps.line.empty() ? 0 : f.steps.line.back();
        std::vector<std::string_view> seen;
        for (std::size_t i = 0; i < f.failed_inputs.size(); ++i) {
            Stat& st = map_[std::string(f.failed_inputs[i])];
            ++st.events;
            if (std::find(seen.begin(), seen.end(), f.failed_inputs[i]) != seen.end()) continue;
            seen.push_back(f.failed_inputs[i]);
            ++st.sessions;
            keep_smallest(st.examples, f.id, kExamples);
            const bool last = f.steps.line.empty() || f.failed_owner[i] >= last_step_line;
            if (last && f.left) {
                ++st.left_after;
                keep_smallest(st.left_examples, f.id, kExamples);
            }
            st.went_on += !last;
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
            st.went_on += o.went_on;
            for (auto& e : o.examples) keep_smallest(st.examples, e, kExamples);
            for (auto& e : o.left_examples) keep_smallest(st.left_examples, e, kExamples);
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
                      "share of those sessions whose next step was leaving: no step after its line (markers and "
                      "exit do not count), and a shell session ended by exit or disconnect (not timeout; exec "
                      "channels never count)"},
                     {"left_after", ColumnType::Integer, "sessions whose next step was leaving"},
                     {"went_on", ColumnType::Integer, "sessions that ran another step after it"},
                     {"example_sessions", ColumnType::Text, "sessions that left right after it, else any (sensor/session)"},
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
                              static_cast<std::int64_t>(v->left_after), static_cast<std::int64_t>(v->went_on),
                              join(v->left_examples.empty() ? v->examples : v->left_examples, ";"),
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
