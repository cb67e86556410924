// failed_commands.csv: what attackers ran that Cowrie could not emulate (cowrie.command.failed),
// per command line as logged and, in failed_command_names.csv, per command name (its first word:
// what to implement), each session counted once.
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
    // One session that ran it; `final_step`: no step came after its line.
    void add_session(const SessionFacts& f, bool final_step) {
        ++sessions;
        keep_smallest(examples, f.id, kExamples);
        if (final_step && f.left) {
            ++left_after;
            keep_smallest(left_examples, f.id, kExamples);
        }
        went_on += !final_step;
        if (!f.s->src_ip.empty()) src_ips.emplace(f.s->src_ip);
        first = std::min(first, f.s->start);
        last = std::max(last, f.s->end);
    }
    void merge(Stat& o) {
        sessions += o.sessions;
        events += o.events;
        left_after += o.left_after;
        went_on += o.went_on;
        for (auto& e : o.examples) keep_smallest(examples, e, kExamples);
        for (auto& e : o.left_examples) keep_smallest(left_examples, e, kExamples);
        src_ips.merge(o.src_ips);
        first = std::min(first, o.first);
        last = std::max(last, o.last);
    }
};

std::string_view first_word(std::string_view cmd) { return cmd.substr(0, cmd.find_first_of(" \t")); }

class FailedCommands : public ArchivedAnalysis<FailedCommands> {
public:
    template <class Ar>
    void io(Ar& ar) {
        ar(map_, names_);
    }
    std::string_view name() const override { return "failed_commands"; }

    // Leaving next: no step came after the line of the unknown command, and the shell session
    // was closed by the attacker's side. Going on: a step came after it.
    void add(const SessionFacts& f) override {
        if (f.failed_inputs.empty()) return;
        const std::size_t last_step_line = f.steps.line.empty() ? 0 : f.steps.line.back();
        // Per key, the latest line it failed in: a session counts once per command and per name.
        std::map<std::string_view, std::size_t> lines, name_lines;
        auto latest = [](std::map<std::string_view, std::size_t>& m, std::string_view key, std::size_t line) {
            auto [it, fresh] = m.emplace(key, line);
            if (!fresh) it->second = std::max(it->second, line);
        };
        for (std::size_t i = 0; i < f.failed_inputs.size(); ++i) {
            ++map_[std::string(f.failed_inputs[i])].events;
            ++names_[std::string(first_word(f.failed_inputs[i]))].events;
            latest(lines, f.failed_inputs[i], f.failed_owner[i]);
            latest(name_lines, first_word(f.failed_inputs[i]), f.failed_owner[i]);
        }
        auto is_last = [&](std::size_t line) { return f.steps.line.empty() || line >= last_step_line; };
        for (const auto& [cmd, line] : lines) map_[std::string(cmd)].add_session(f, is_last(line));
        for (const auto& [name, line] : name_lines) names_[std::string(name)].add_session(f, is_last(line));
    }

    void merge(Analysis&& other) override {
        auto& o = static_cast<FailedCommands&>(other);
        for (auto& [k, v] : o.map_) map_[k].merge(v);
        for (auto& [k, v] : o.names_) names_[k].merge(v);
    }

    void finish(const AnalysisConfig&, Findings& out) override {
        const std::vector<FailedCommandRow> lines = rows(map_);
        out.failed_command_names = rows(names_);

        Table t{"failed_commands",
                "commands Cowrie did not know (cowrie.command.failed), with how often attackers left right after",
                {},
                {}};
        t.columns = {{"command", ColumnType::Text, "the unknown command and its arguments, as logged"},
                     {"name", ColumnType::Text, "its first word: what to implement"}};
        add_stat_columns(t);
        for (const auto& r : lines) {
            t.rows.push_back({r.name, std::string(first_word(r.name))});
            add_stat_cells(t.rows.back(), r);
        }
        out.tables.push_back(std::move(t));

        Table n{"failed_command_names", "unknown commands per name (first word), each session counted once", {}, {}};
        n.columns = {{"name", ColumnType::Text, "the command's first word"}};
        add_stat_columns(n);
        for (const auto& r : out.failed_command_names) {
            n.rows.push_back({r.name});
            add_stat_cells(n.rows.back(), r);
        }
        out.tables.push_back(std::move(n));
    }

private:
    // One row per key, most sessions first (ties by key).
    static std::vector<FailedCommandRow> rows(const std::map<std::string, Stat>& m) {
        std::vector<FailedCommandRow> rows;
        for (const auto& [k, v] : m)
            rows.push_back({k, v.sessions, v.events, v.src_ips.size(), v.left_after, v.went_on,
                            v.left_examples.empty() ? v.examples : v.left_examples, v.first, v.last});
        std::stable_sort(rows.begin(), rows.end(),
                         [](const auto& a, const auto& b) { return a.sessions > b.sessions; });
        return rows;
    }
    static void add_stat_columns(Table& t) {
        t.columns.insert(
            t.columns.end(),
            {{"sessions", ColumnType::Integer, "sessions that ran it"},
             {"events", ColumnType::Integer, "cowrie.command.failed events"},
             {"src_ips", ColumnType::Integer, "distinct source addresses"},
             {"disconnect_after_rate", ColumnType::Real,
              "share of those sessions whose next step was leaving: no step after its line (markers and exit do not "
              "count), and a shell session ended by exit or disconnect within 60 s (not timeout; exec channels "
              "never count)"},
             {"left_after", ColumnType::Integer, "sessions whose next step was leaving"},
             {"went_on", ColumnType::Integer, "sessions that ran another step after it"},
             {"example_sessions", ColumnType::Text, "sessions that left right after it, else any (sensor/session)"},
             {"first_seen", ColumnType::Text, "UTC"},
             {"last_seen", ColumnType::Text, "UTC"}});
    }
    static void add_stat_cells(std::vector<Cell>& row, const FailedCommandRow& v) {
        row.insert(row.end(), {static_cast<std::int64_t>(v.sessions), static_cast<std::int64_t>(v.events),
                               static_cast<std::int64_t>(v.src_ips),
                               static_cast<double>(v.left_after) / static_cast<double>(v.sessions),
                               static_cast<std::int64_t>(v.left_after), static_cast<std::int64_t>(v.went_on),
                               join(v.examples, ";"), format_timestamp(v.first), format_timestamp(v.last)});
    }

    std::map<std::string, Stat> map_;    // per command line as logged
    std::map<std::string, Stat> names_;  // per first word
};

}  // namespace

std::unique_ptr<Analysis> make_failed_commands() { return std::make_unique<FailedCommands>(); }

}  // namespace cb::analyses
