// Action paths: per-session template sequences (top sequences, "unique behaviours"),
// n-grams, and the command transition graph.
#include <algorithm>
#include <set>
#include <unordered_map>

#include "cb/analysis/compact_state.hpp"
#include "factories.hpp"

namespace cb::analyses {

namespace {

constexpr std::string_view kArrow = " \xE2\x86\x92 ";  // " → " joins steps in one cell
constexpr std::size_t kMaxRows = 1000;

struct SeqStat {
    std::uint64_t sessions = 0;
    std::set<std::string, std::less<>> src_ips, sensors;  // looked up by string_view
    Micros first = INT64_MAX, last = INT64_MIN;
    std::string example;  // smallest session id
    std::uint32_t length = 0;
    template <class Ar>
    void io(Ar& ar) {
        ar(sessions, src_ips, sensors, first, last, example, length);
    }
};

struct CountStat {
    std::uint64_t count = 0, sessions = 0;
    template <class Ar>
    void io(Ar& ar) {
        ar(count, sessions);
    }
};

template <typename Map>
void merge_counts(Map& into, Map& from) {
    for (auto& [k, v] : from) {
        auto& d = into[k];
        d.count += v.count;
        d.sessions += v.sessions;
    }
}

class ActionPaths : public ArchivedAnalysis<ActionPaths> {
public:
    template <class Ar>
    void io(Ar& ar) {
        ar(sessions_with_commands_, seqs_, edges_, grams_);
    }
    std::string_view name() const override { return "action_paths"; }

    void add(const SessionFacts& f) override {
        if (f.templates.empty()) return;
        ++sessions_with_commands_;
        key_.clear();
        for (std::size_t i = 0; i < f.templates.size(); ++i) {
            if (i) key_.append(kArrow);
            key_.append(f.templates[i]);
        }
        auto sit = seqs_.find(key_);
        if (sit == seqs_.end()) sit = seqs_.emplace(key_, SeqStat{}).first;
        SeqStat& st = sit->second;
        ++st.sessions;
        st.length = static_cast<std::uint32_t>(f.templates.size());
        if (!f.s->src_ip.empty()) insert_absent(st.src_ips, f.s->src_ip);
        insert_absent(st.sensors, f.s->sensor);
        st.first = std::min(st.first, f.s->start);
        st.last = std::max(st.last, f.s->start);
        if (st.example.empty() || f.id < st.example) st.example = f.id;

        // Transitions with ^ (start) and $ (end) pseudo-steps; n-grams of 2 and 3 steps.
        // Each is counted per occurrence and once per session (map nodes never move, so the
        // session's distinct ones are found by sorting their addresses).
        seen_.clear();
        auto bump = [&](std::map<std::string, CountStat>& m) {
            auto it = m.find(key_);
            if (it == m.end()) it = m.emplace(key_, CountStat{}).first;
            ++it->second.count;
            seen_.push_back(&it->second);
        };
        auto edge = [&](std::string_view a, std::string_view b) {
            key_.assign(a);
            key_.push_back('\n');
            key_.append(b);
            bump(edges_);
        };
        edge("^", f.templates.front());
        for (std::size_t i = 0; i + 1 < f.templates.size(); ++i) edge(f.templates[i], f.templates[i + 1]);
        edge(f.templates.back(), "$");
        for (std::size_t n = 2; n <= 3; ++n) {
            for (std::size_t i = 0; i + n <= f.templates.size(); ++i) {
                key_.assign(n == 2 ? "2" : "3");
                for (std::size_t j = 0; j < n; ++j) {
                    key_.append(j ? kArrow : std::string_view("\n"));
                    key_.append(f.templates[i + j]);
                }
                bump(grams_);
            }
        }
        std::sort(seen_.begin(), seen_.end());
        seen_.erase(std::unique(seen_.begin(), seen_.end()), seen_.end());
        for (CountStat* c : seen_) ++c->sessions;
    }

    void merge(Analysis&& other) override {
        auto& o = static_cast<ActionPaths&>(other);
        sessions_with_commands_ += o.sessions_with_commands_;
        for (auto& [k, v] : o.seqs_) {
            SeqStat& st = seqs_[k];
            st.sessions += v.sessions;
            st.length = v.length;
            st.src_ips.merge(v.src_ips);
            st.sensors.merge(v.sensors);
            st.first = std::min(st.first, v.first);
            st.last = std::max(st.last, v.last);
            if (st.example.empty() || (!v.example.empty() && v.example < st.example)) st.example = v.example;
        }
        merge_counts(edges_, o.edges_);
        merge_counts(grams_, o.grams_);
    }

    void finish(const AnalysisConfig&, Findings& out) override {
        {
            Table t{"action_paths",
                    "command template sequences per session: each distinct sequence is one behaviour",
                    {},
                    {}};
            t.columns = {{"sequence", ColumnType::Text, "templates in order, joined by \" → \""},
                         {"length", ColumnType::Integer, "commands"},
                         {"sessions", ColumnType::Integer, "sessions with exactly this sequence"},
                         {"src_ips", ColumnType::Integer, "distinct source addresses"},
                         {"sensors", ColumnType::Integer, "distinct sensors"},
                         {"first_seen", ColumnType::Text, "UTC"},
                         {"last_seen", ColumnType::Text, "UTC"},
                         {"example_session", ColumnType::Text, "sensor/session"}};
            std::vector<std::pair<const std::string*, const SeqStat*>> v;
            for (const auto& [k, s] : seqs_) v.emplace_back(&k, &s);
            std::stable_sort(v.begin(), v.end(),
                             [](auto& a, auto& b) { return a.second->sessions > b.second->sessions; });
            for (std::size_t i = 0; i < v.size() && i < kMaxRows; ++i) {
                const SeqStat& s = *v[i].second;
                t.rows.push_back({*v[i].first, static_cast<std::int64_t>(s.length),
                                  static_cast<std::int64_t>(s.sessions), static_cast<std::int64_t>(s.src_ips.size()),
                                  static_cast<std::int64_t>(s.sensors.size()), format_timestamp(s.first),
                                  format_timestamp(s.last), s.example});
            }
            out.tables.push_back(std::move(t));
        }
        {
            Table t{"transitions", "which command template follows which (^ = session start, $ = session end)", {}, {}};
            t.columns = {{"from", ColumnType::Text, "template, or ^"},
                         {"to", ColumnType::Text, "template, or $"},
                         {"count", ColumnType::Integer, "times"},
                         {"sessions", ColumnType::Integer, "sessions with this step"}};
            auto v = sorted(edges_);
            for (std::size_t i = 0; i < v.size() && i < 2 * kMaxRows; ++i) {
                const auto nl = v[i].first->find('\n');
                t.rows.push_back({v[i].first->substr(0, nl), v[i].first->substr(nl + 1),
                                  static_cast<std::int64_t>(v[i].second->count),
                                  static_cast<std::int64_t>(v[i].second->sessions)});
            }
            out.tables.push_back(std::move(t));
        }
        {
            Table t{"ngrams", "runs of 2 and 3 consecutive command templates", {}, {}};
            t.columns = {{"n", ColumnType::Integer, "steps"},
                         {"ngram", ColumnType::Text, "templates joined by \" → \""},
                         {"count", ColumnType::Integer, "occurrences"},
                         {"sessions", ColumnType::Integer, "sessions containing it"}};
            auto v = sorted(grams_);
            for (std::size_t i = 0; i < v.size() && i < 2 * kMaxRows; ++i) {
                const auto nl = v[i].first->find('\n');
                t.rows.push_back({static_cast<std::int64_t>(std::stoi(v[i].first->substr(0, nl))),
                                  v[i].first->substr(nl + 1), static_cast<std::int64_t>(v[i].second->count),
                                  static_cast<std::int64_t>(v[i].second->sessions)});
            }
            out.tables.push_back(std::move(t));
        }
        out.behaviours = BehaviourFacts{sessions_with_commands_, seqs_.size()};
    }

private:
    static std::vector<std::pair<const std::string*, const CountStat*>> sorted(
        const std::map<std::string, CountStat>& m) {
        std::vector<std::pair<const std::string*, const CountStat*>> v;
        for (const auto& [k, s] : m) v.emplace_back(&k, &s);
        std::stable_sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.second->sessions > b.second->sessions; });
        return v;
    }

    std::uint64_t sessions_with_commands_ = 0;
    std::map<std::string, SeqStat> seqs_;
    std::map<std::string, CountStat> edges_, grams_;
    std::string key_;               // scratch key of add()
    std::vector<CountStat*> seen_;  // scratch of add(): this session's transitions and n-grams
};

}  // namespace

std::unique_ptr<Analysis> make_action_paths() { return std::make_unique<ActionPaths>(); }

}  // namespace cb::analyses
