// Action paths: per-session template sequences (top sequences, "unique behaviours"),
// n-grams, and the command transition graph.
#include <algorithm>
#include <set>
#include <unordered_map>

#include "factories.hpp"

namespace cb::analyses {

namespace {

constexpr std::string_view kArrow = " \xE2\x86\x92 ";  // " → " joins steps in one cell
constexpr std::size_t kMaxRows = 1000;

struct SeqStat {
    std::uint64_t sessions = 0;
    std::set<std::string> src_ips, sensors;
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
        std::string seq;
        for (std::size_t i = 0; i < f.templates.size(); ++i) {
            if (i) seq.append(kArrow);
            seq.append(f.templates[i]);
        }
        SeqStat& st = seqs_[seq];
        ++st.sessions;
        st.length = static_cast<std::uint32_t>(f.templates.size());
        if (!f.s->src_ip.empty()) st.src_ips.emplace(f.s->src_ip);
        st.sensors.emplace(f.s->sensor);
        st.first = std::min(st.first, f.s->start);
        st.last = std::max(st.last, f.s->start);
        if (st.example.empty() || f.id < st.example) st.example = f.id;

        // Transitions with ^ (start) and $ (end) pseudo-steps; n-grams of 2 and 3 steps.
        std::set<std::string> seen_edges, seen_grams;
        auto edge = [&](std::string_view a, std::string_view b) {
            std::string k(a);
            k.push_back('\n');
            k.append(b);
            auto& c = edges_[k];
            ++c.count;
            if (seen_edges.insert(k).second) ++c.sessions;
        };
        edge("^", f.templates.front());
        for (std::size_t i = 0; i + 1 < f.templates.size(); ++i) edge(f.templates[i], f.templates[i + 1]);
        edge(f.templates.back(), "$");
        for (std::size_t n = 2; n <= 3; ++n) {
            for (std::size_t i = 0; i + n <= f.templates.size(); ++i) {
                std::string k = std::to_string(n);
                for (std::size_t j = 0; j < n; ++j) {
                    k.append(j ? kArrow : std::string_view("\n"));
                    k.append(f.templates[i + j]);
                }
                auto& c = grams_[k];
                ++c.count;
                if (seen_grams.insert(k).second) ++c.sessions;
            }
        }
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
            Table t{"action_paths", "command template sequences per session: each distinct sequence is one behaviour", {}, {}};
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
            std::stable_sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.second->sessions > b.second->sessions; });
            for (std::size_t i = 0; i < v.size() && i < kMaxRows; ++i) {
                const SeqStat& s = *v[i].second;
                t.rows.push_back({*v[i].first, static_cast<std::int64_t>(s.length), static_cast<std::int64_t>(s.sessions),
                                  static_cast<std::int64_t>(s.src_ips.size()), static_cast<std::int64_t>(s.sensors.size()),
                                  format_timestamp(s.first), format_timestamp(s.last), s.example});
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
        out.facts["behaviours"] = "{\"sessions_with_commands\":" + std::to_string(sessions_with_commands_) +
                                  ",\"unique_behaviours\":" + std::to_string(seqs_.size()) + "}";
    }

private:
    static std::vector<std::pair<const std::string*, const CountStat*>> sorted(const std::map<std::string, CountStat>& m) {
        std::vector<std::pair<const std::string*, const CountStat*>> v;
        for (const auto& [k, s] : m) v.emplace_back(&k, &s);
        std::stable_sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.second->sessions > b.second->sessions; });
        return v;
    }

    std::uint64_t sessions_with_commands_ = 0;
    std::map<std::string, SeqStat> seqs_;
    std::map<std::string, CountStat> edges_, grams_;
};

}  // namespace

std::unique_ptr<Analysis> make_action_paths() { return std::make_unique<ActionPaths>(); }

}  // namespace cb::analyses
