// predisconnect.csv: after which commands attackers leave, against how often those commands
// run at all. See docs/ANALYSES.md for the lift and its interval.
#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_map>

#include "cb/analysis/compact_state.hpp"
#include "cb/util/fast_hash.hpp"
#include "cb/util/json_writer.hpp"
#include "cb/util/text.hpp"
#include "factories.hpp"

namespace cb::analyses {

namespace {

// Expected-last contributions are summed in fixed point so that any merge order gives the
// same bits (floating-point sums depend on order).
constexpr double kFixed = 1e9;
constexpr std::size_t kExamples = 3;

struct Stat {
    std::uint64_t sessions_with = 0;  // sessions that ran it
    std::uint64_t runs = 0, failed_runs = 0;
    std::uint64_t sessions_last = 0;           // sessions whose last command it is
    std::uint64_t left_with = 0;               // sessions that ran it and then left (exit/disconnect)
    std::uint64_t left_last = 0;               // ... whose last command it is
    std::int64_t expected_left = 0;            // fixed point: sum over left sessions of (runs in session / commands)
    std::uint64_t end_kind[4] = {0, 0, 0, 0};  // of sessions_last, by EndKind
    std::uint64_t last_shell = 0, last_exec = 0;
    std::map<std::int64_t, std::uint64_t> close_ds;  // seconds to close of sessions_last, in tenths
    std::vector<std::string> examples;               // smallest ids of sessions that left right after it
    template <class Ar>
    void io(Ar& ar) {
        ar(sessions_with, runs, failed_runs, sessions_last, left_with, left_last, expected_left, end_kind, last_shell,
           last_exec, close_ds, examples);
    }
};

void merge_stat(Stat& a, Stat& b) {
    a.sessions_with += b.sessions_with;
    a.runs += b.runs;
    a.failed_runs += b.failed_runs;
    a.sessions_last += b.sessions_last;
    a.left_with += b.left_with;
    a.left_last += b.left_last;
    a.expected_left += b.expected_left;
    for (int i = 0; i < 4; ++i) a.end_kind[i] += b.end_kind[i];
    a.last_shell += b.last_shell;
    a.last_exec += b.last_exec;
    for (auto& [k, v] : b.close_ds) a.close_ds[k] += v;
    for (auto& e : b.examples) keep_smallest(a.examples, e, kExamples);
}

double median_seconds(const std::map<std::int64_t, std::uint64_t>& h) {
    std::uint64_t n = 0;
    for (const auto& [k, v] : h) n += v;
    if (n == 0) return NAN;
    std::uint64_t seen = 0;
    std::int64_t lo = 0;
    bool have_lo = false;
    for (const auto& [k, v] : h) {
        if (!have_lo && seen + v >= (n + 1) / 2) {
            lo = k;
            have_lo = true;
        }
        if (seen + v >= n / 2 + 1) {
            const std::int64_t hi = k;
            return (n % 2 ? static_cast<double>(lo) : (static_cast<double>(lo) + static_cast<double>(hi)) / 2) / 10.0;
        }
        seen += v;
    }
    return static_cast<double>(lo) / 10.0;
}

using Key = std::pair<std::string, std::string>;  // (kind, command)

class Predisconnect : public ArchivedAnalysis<Predisconnect> {
public:
    template <class Ar>
    void io(Ar& ar) {
        ar(map_, weekly_);
    }
    std::string_view name() const override { return "predisconnect"; }

    // On steps (steps.hpp): a marker or an exit is never what a session left after.
    void add(const SessionFacts& f) override {
        if (f.steps.text.empty()) return;
        const Session& s = *f.s;
        const std::string week = format_iso_week(s.start);
        for (int kind = 0; kind < 2; ++kind) {
            const auto& cmds = kind == 0 ? f.steps.text : f.step_templates;
            std::unordered_map<std::string_view, std::pair<std::uint64_t, std::uint64_t>, StringHash>
                runs;  // runs, failed
            for (std::size_t i = 0; i < cmds.size(); ++i) {
                auto& r = runs[cmds[i]];
                ++r.first;
                r.second += f.step_failed[i];
            }
            const std::string_view last = cmds.back();
            const double n = static_cast<double>(cmds.size());
            for (const auto& [cmd, r] : runs) {
                key_.assign(kind == 0 ? "r" : "t");
                key_.append(cmd);
                Stat& st = stat(map_);
                st.runs += r.first;
                st.failed_runs += r.second;
                count(st, f, static_cast<double>(r.first), n, cmd == last);
                if (cmd == last) count_last(st, f);
                if (kind == 1) {
                    // the 8-byte ISO week, the sensor's length and the sensor, then the template:
                    // unambiguous whatever bytes the strings hold
                    key_.assign(week);
                    key_.append(std::to_string(s.sensor.size()));
                    key_.push_back(':');
                    key_.append(s.sensor);
                    key_.append(cmd);
                    count(stat(weekly_), f, static_cast<double>(r.first), n, cmd == last);
                }
            }
        }
    }

    void merge(Analysis&& other) override {
        auto& o = static_cast<Predisconnect&>(other);
        for (auto& [k, v] : o.map_) merge_stat(map_[k], v);
        for (auto& [k, v] : o.weekly_) merge_stat(weekly_[k], v);
    }

    void finish(const AnalysisConfig&, Findings& out) override {
        out.predisconnect = rows();
        out.tables.push_back(table(out.predisconnect));
        out.tables.push_back(weekly_table());
    }

private:
    // The Stat of key_ in m.
    Stat& stat(StrMap<Stat>& m) {
        auto it = m.find(std::string_view(key_));
        if (it == m.end()) it = m.emplace(key_, Stat{}).first;
        return it->second;
    }

    // One session that ran the command `runs` times in `steps` steps (runs / steps: the
    // chance that it is the last one, were the last step a random one); `last`: it was.
    static void count(Stat& st, const SessionFacts& f, double runs, double steps, bool last) {
        ++st.sessions_with;
        if (f.left) {
            ++st.left_with;
            st.expected_left += std::llround(kFixed * runs / steps);
        }
        if (last) {
            ++st.sessions_last;
            st.left_last += f.left;
        }
    }

    // What only the per-command rows keep about sessions that ended with it.
    static void count_last(Stat& st, const SessionFacts& f) {
        const Session& s = *f.s;
        if (f.left) keep_smallest(st.examples, f.id, kExamples);
        ++st.end_kind[static_cast<int>(s.end_kind)];
        st.last_shell += s.channel == Channel::Shell;
        st.last_exec += s.channel == Channel::Exec;
        if (s.secs_after_last_command >= 0) ++st.close_ds[std::llround(s.secs_after_last_command * 10)];
    }

    // Commands run by at least two sessions: template rows first, then raw; each by sessions
    // that left right after it, most first (ties by command).
    std::vector<PredisconnectRow> rows() const {
        std::vector<std::pair<const Key*, const Stat*>> v;
        // Hash maps while adding; sorted here, so the output does not depend on them.
        std::map<Key, const Stat*> sorted;
        for (const auto& [k, s] : map_)
            if (s.sessions_with >= 2) sorted.emplace(Key(k[0] == 'r' ? "raw" : "template", k.substr(1)), &s);
        for (const auto& [k, s] : sorted) v.emplace_back(&k, s);
        std::stable_sort(v.begin(), v.end(), [](auto& a, auto& b) {
            if (a.first->first != b.first->first) return a.first->first > b.first->first;  // template rows first
            return a.second->left_last > b.second->left_last;
        });
        std::vector<PredisconnectRow> rows;
        rows.reserve(v.size());
        for (const auto& [k, s] : v) rows.push_back(row(k->first == "template", k->second, *s));
        return rows;
    }

    static PredisconnectRow row(bool is_template, const std::string& command, const Stat& s) {
        PredisconnectRow r;
        r.is_template = is_template;
        r.command = command;
        r.sessions_with = s.sessions_with;
        r.sessions_last = s.sessions_last;
        r.left_last = s.left_last;
        r.share_last = static_cast<double>(s.sessions_last) / static_cast<double>(s.sessions_with);
        r.expected_left_last = static_cast<double>(s.expected_left) / kFixed;
        const double expected = r.expected_left_last;
        r.lift = expected > 0 ? static_cast<double>(s.left_last) / expected : NAN;
        const Interval ci = wilson(s.left_last, s.left_with);
        const double scale = s.left_with > 0 && expected > 0 ? static_cast<double>(s.left_with) / expected : NAN;
        r.lift_low = ci.low * scale;
        r.lift_high = ci.high * scale;
        r.median_secs_to_close = median_seconds(s.close_ds);
        r.failed_rate = s.runs ? static_cast<double>(s.failed_runs) / static_cast<double>(s.runs) : NAN;
        r.end_kinds = "exit:" + std::to_string(s.end_kind[0]) + ";disconnect:" + std::to_string(s.end_kind[1]) +
                      ";timeout:" + std::to_string(s.end_kind[2]) + ";unknown:" + std::to_string(s.end_kind[3]);
        r.last_shell = s.last_shell;
        r.last_exec = s.last_exec;
        r.examples = s.examples;
        return r;
    }

    static Table table(const std::vector<PredisconnectRow>& rows) {
        Table t{
            "predisconnect", "after which commands attackers leave, compared with how often the commands run", {}, {}};
        t.columns = {
            {"kind", ColumnType::Text, "raw (the step) or template"},
            {"command", ColumnType::Text, "the step (a command line without markers and exit) or its template"},
            {"sessions_with", ColumnType::Integer, "sessions that ran it"},
            {"sessions_last", ColumnType::Integer, "sessions whose last command it is (any end)"},
            {"share_last", ColumnType::Real, "sessions_last / sessions_with"},
            {"left_last", ColumnType::Integer,
             "shell sessions that left (exit or disconnect, not timeout) right after it; exec channels never count"},
            {"expected_left_last", ColumnType::Real,
             "left_last expected if the last command of each leaving session were a random one of its commands"},
            {"lift", ColumnType::Real,
             "left_last / expected_left_last: >1 means attackers leave after it more than chance"},
            {"lift_low", ColumnType::Real, "95% interval of lift (Wilson interval of left_last / left_with, rescaled)"},
            {"lift_high", ColumnType::Real, "upper end of that interval"},
            {"median_secs_to_close", ColumnType::Real, "median seconds from it to the end, when last"},
            {"failed_rate", ColumnType::Real, "share of its runs in which Cowrie reported a command as not found"},
            {"end_kinds", ColumnType::Text, "how sessions_last ended: exit, disconnect, timeout, unknown"},
            {"last_shell", ColumnType::Integer, "sessions_last on an interactive shell"},
            {"last_exec", ColumnType::Integer,
             "sessions_last on an exec channel (closes by protocol after the command)"},
            {"example_sessions", ColumnType::Text, "shell sessions that left right after it (sensor/session)"},
        };
        auto real = [](double x) { return std::isfinite(x) ? Cell{x} : Cell{}; };
        for (const auto& r : rows)
            t.rows.push_back({std::string(r.is_template ? "template" : "raw"), r.command,
                              static_cast<std::int64_t>(r.sessions_with), static_cast<std::int64_t>(r.sessions_last),
                              r.share_last, static_cast<std::int64_t>(r.left_last), r.expected_left_last, real(r.lift),
                              real(r.lift_low), real(r.lift_high), real(r.median_secs_to_close), real(r.failed_rate),
                              r.end_kinds, static_cast<std::int64_t>(r.last_shell),
                              static_cast<std::int64_t>(r.last_exec), join(r.examples, ";")});
        return t;
    }

    Table weekly_table() const {
        Table w{"predisconnect_weekly", "the template view of predisconnect per sensor and ISO week", {}, {}};
        w.columns = {{"week", ColumnType::Text, "ISO week of the session start"},
                     {"sensor", ColumnType::Text, "the sensor the sessions ran on"},
                     {"command", ColumnType::Text, "template"},
                     {"sessions_with", ColumnType::Integer, "sessions that ran it that week on that sensor"},
                     {"sessions_last", ColumnType::Integer, "of those, sessions whose last command it is"},
                     {"left_last", ColumnType::Integer, "of those, shell sessions that left right after it"},
                     {"share_last", ColumnType::Real, "sessions_last / sessions_with"},
                     {"lift", ColumnType::Real, "as in predisconnect, within the week and sensor"}};
        std::map<std::tuple<std::string, std::string, std::string>, const Stat*> weekly_sorted;
        for (const auto& [k, st] : weekly_) {
            const auto colon = k.find(':', 8);
            const std::size_t len = std::stoul(k.substr(8, colon - 8));
            weekly_sorted.emplace(std::make_tuple(k.substr(0, 8), k.substr(colon + 1, len), k.substr(colon + 1 + len)),
                                  &st);
        }
        for (const auto& [k, sp] : weekly_sorted) {
            const Stat& s = *sp;
            if (s.sessions_with < 3) continue;
            const double expected = static_cast<double>(s.expected_left) / kFixed;
            w.rows.push_back({std::get<0>(k), std::get<1>(k), std::get<2>(k),
                              static_cast<std::int64_t>(s.sessions_with), static_cast<std::int64_t>(s.sessions_last),
                              static_cast<std::int64_t>(s.left_last),
                              static_cast<double>(s.sessions_last) / static_cast<double>(s.sessions_with),
                              expected > 0 ? Cell{static_cast<double>(s.left_last) / expected} : Cell{}});
        }
        return w;
    }

    StrMap<Stat> map_;     // key: 'r' (raw) or 't' (template), then the command
    StrMap<Stat> weekly_;  // key: ISO week (8 bytes), len(sensor) ':' sensor, template
    std::string key_;      // scratch
};

}  // namespace

std::unique_ptr<Analysis> make_predisconnect() { return std::make_unique<Predisconnect>(); }

}  // namespace cb::analyses
