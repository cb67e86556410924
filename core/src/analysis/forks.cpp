// forks.csv: template sequences as a prefix tree across all sessions and sensors. A fork is a
// prefix that many sessions reach, where some leave and others of the same script go on: the
// step after which a bot decided "honeypot".
#include <algorithm>
#include <set>
#include <tuple>

#include "cb/parse/command_template.hpp"
#include "cb/util/text.hpp"
#include "factories.hpp"

namespace cb::analyses {

namespace {

constexpr std::string_view kArrow = " \xE2\x86\x92 ";
constexpr std::size_t kMaxRows = 500;
constexpr std::size_t kExamples = 3;

using NodeKey = std::pair<std::uint64_t, std::uint64_t>;  // two independent 64-bit hashes of the prefix

struct Node {
    NodeKey parent{0, 0};
    std::string step;  // this node's template (the channel name at depth 0)
    std::uint32_t depth = 0;
    std::uint64_t reached = 0, left_here = 0, timeout_here = 0, unknown_here = 0;
    std::map<std::string, std::uint64_t> next;
    std::map<std::uint64_t, std::uint64_t> sets;        // stable_hash64(template set) of sessions reaching it
    std::vector<std::string> examples;                  // smallest ids of sessions that left here
    std::map<std::string, std::uint64_t> left_sensors;  // sessions that left here, by sensor
    std::map<std::string, std::uint64_t> on_sensors;    // sessions that ran another step, by sensor
    std::uint64_t stalled_here = 0;                     // went silent here (see add())
    std::map<std::string, std::uint64_t> stalled_last;  // their last command line (template)
    std::vector<std::string> stalled_examples;
    template <class Ar>
    void io(Ar& ar) {
        ar(parent, step, depth, reached, left_here, timeout_here, unknown_here, next, sets, examples, left_sensors,
           on_sensors, stalled_here, stalled_last, stalled_examples);
    }
};

void keep_smallest(std::vector<std::string>& v, const std::string& id) { cb::keep_smallest(v, id, kExamples); }

class Forks : public ArchivedAnalysis<Forks> {
public:
    template <class Ar>
    void io(Ar& ar) {
        ar(max_depth_seen_, nodes_);
    }
    std::string_view name() const override { return "forks"; }

    // Shell sessions only, on steps (steps.hpp): exec channels close after their command by
    // design, and markers or exit are never the step a script was cut short after.
    void add(const SessionFacts& f) override {
        const auto& steps = f.step_templates;
        if (steps.empty() || f.s->channel != Channel::Shell) return;
        max_depth_seen_ = std::max<std::size_t>(max_depth_seen_, steps.size());
        const std::string_view channel = channel_name(f.s->channel);
        const std::uint64_t set_hash = stable_hash64(template_set_key(f));
        NodeKey key{stable_hash64(channel, 1), stable_hash64(channel, 2)};
        Node* node = &touch(key, {0, 0}, channel, 0, set_hash);
        const std::size_t depth = std::min<std::size_t>(steps.size(), kDepthLimit);
        for (std::size_t i = 0; i < depth; ++i) {
            ++node->next[std::string(steps[i])];
            if (i > 0) ++node->on_sensors[std::string(f.s->sensor)];
            const NodeKey child = child_key(key, steps[i]);
            node = &touch(child, key, steps[i], static_cast<std::uint32_t>(i + 1), set_hash);
            key = child;
        }
        if (steps.size() > kDepthLimit) return;  // longer scripts do not end in the tree
        if (f.left) {
            ++node->left_here;
            ++node->left_sensors[std::string(f.s->sensor)];
            keep_smallest(node->examples, f.id);
        } else if (f.s->end_kind == EndKind::Timeout) {
            ++node->timeout_here;
        } else {
            ++node->unknown_here;
        }
        // Stalled: the client sent nothing more and waited (Cowrie's idle timeout, or its own
        // close after more than kLeaveWithinSeconds): a bot waiting for an answer it expected.
        // The last line (often a marker) is what it waited on.
        const bool closed_late = (f.s->end_kind == EndKind::Exit || f.s->end_kind == EndKind::Disconnect) &&
                                 f.s->secs_after_last_command > kLeaveWithinSeconds;
        if (f.s->end_kind == EndKind::Timeout || closed_late) {
            ++node->stalled_here;
            ++node->stalled_last[std::string(f.templates.back())];
            keep_smallest(node->stalled_examples, f.id);
        }
    }

    void merge(Analysis&& other) override {
        auto& o = static_cast<Forks&>(other);
        max_depth_seen_ = std::max(max_depth_seen_, o.max_depth_seen_);
        for (auto& [k, n] : o.nodes_) {
            auto [it, inserted] = nodes_.try_emplace(k, std::move(n));
            if (inserted) continue;
            Node& a = it->second;
            a.reached += n.reached;
            a.left_here += n.left_here;
            a.timeout_here += n.timeout_here;
            a.unknown_here += n.unknown_here;
            for (auto& [t, c] : n.next) a.next[t] += c;
            for (auto& [h, c] : n.sets) a.sets[h] += c;
            for (auto& e : n.examples) keep_smallest(a.examples, e);
            for (auto& [k, c] : n.left_sensors) a.left_sensors[k] += c;
            for (auto& [k, c] : n.on_sensors) a.on_sensors[k] += c;
            a.stalled_here += n.stalled_here;
            for (auto& [k, c] : n.stalled_last) a.stalled_last[k] += c;
            for (auto& e : n.stalled_examples) keep_smallest(a.stalled_examples, e);
        }
    }

    void finish(const AnalysisConfig& cfg, Findings& out) override {
        std::map<std::uint64_t, std::string> campaign_of_hash;  // Node::sets holds hashes of template sets
        for (const auto& [set, id] : out.campaign_of_set) campaign_of_hash[stable_hash64(set)] = id;
        std::vector<ForkRow> rows;
        for (const Candidate& c : candidates(cfg)) {
            if (rows.size() >= kMaxRows) break;
            rows.push_back(row(c, campaign_of_hash));
        }
        out.tables.push_back(table(rows));
        out.forks = std::move(rows);
    }

private:
    struct Candidate {
        const NodeKey* key;
        const Node* node;
        std::uint64_t stopped, continued;
    };

    // Prefixes reached by enough sessions where some stopped (or stalled) and others went on.
    // A real fork has sessions on both sides: ranked by the smaller side, so a script's normal
    // end (almost all stop) or a pass-through step (almost all go on) ranks low.
    std::vector<Candidate> candidates(const AnalysisConfig& cfg) const {
        std::vector<Candidate> rows;
        for (const auto& [k, n] : nodes_) {
            if (n.depth == 0) continue;
            std::uint64_t continued = 0;
            for (const auto& [_, c] : n.next) continued += c;
            if (n.reached < static_cast<std::uint64_t>(cfg.min_fork_sessions) || continued == 0 ||
                (n.left_here == 0 && n.stalled_here == 0))
                continue;
            rows.push_back({&k, &n, n.left_here, continued});
        }
        std::stable_sort(rows.begin(), rows.end(), [](const Candidate& a, const Candidate& b) {
            const std::uint64_t ma = std::min(a.stopped, a.continued), mb = std::min(b.stopped, b.continued);
            if (ma != mb) return ma > mb;
            return a.node->reached > b.node->reached;
        });
        return rows;
    }

    ForkRow row(const Candidate& c, const std::map<std::uint64_t, std::string>& campaign_of_hash) const {
        const Node& n = *c.node;
        ForkRow r;
        std::tie(r.channel, r.prefix) = prefix_of(n);
        r.depth = n.depth;
        r.command = n.step;
        r.reached = n.reached;
        r.stopped = c.stopped;
        r.continued = c.continued;
        r.went_further = went_further(*c.key, n);
        r.timed_out = n.timeout_here;
        const Interval ci = wilson(c.stopped, c.stopped + c.continued);
        r.stop_rate = static_cast<double>(c.stopped) / static_cast<double>(c.stopped + c.continued);
        r.stop_rate_low = ci.low;
        r.stop_rate_high = ci.high;
        r.next_commands = top_counts(n.next, 5);
        r.campaigns = top_counts(campaigns_of(n, campaign_of_hash), 3);
        r.examples = n.examples;
        r.stopped_by_sensor = top_counts(n.left_sensors, 5);
        r.continued_by_sensor = top_counts(n.on_sensors, 5);
        r.stopped_where_others_went_on = split_within_sensors(n);
        r.stalled = n.stalled_here;
        r.stalled_after = top_counts(n.stalled_last, 3);
        r.stalled_examples = n.stalled_examples;
        return r;
    }

    // The channel and the prefix text, rebuilt from the parent chain; the chain ends at the
    // root, whose step is the channel.
    std::pair<std::string, std::string> prefix_of(const Node& n) const {
        std::vector<const Node*> chain;
        const Node* p = &n;
        while (p && p->depth > 0) {
            chain.push_back(p);
            auto it = nodes_.find(p->parent);
            p = it == nodes_.end() ? nullptr : &it->second;
        }
        std::string prefix;
        for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
            if (!prefix.empty()) prefix.append(kArrow);
            prefix.append((*it)->step);
        }
        return {p ? p->step : std::string(), prefix};
    }

    // Sessions reaching the node per campaign ("none" for a set without one).
    static std::map<std::string, std::uint64_t> campaigns_of(
        const Node& n, const std::map<std::uint64_t, std::string>& campaign_of_hash) {
        std::map<std::string, std::uint64_t> camps;
        for (const auto& [h, c] : n.sets) {
            auto it = campaign_of_hash.find(h);
            camps[it == campaign_of_hash.end() ? "none" : it->second] += c;
        }
        return camps;
    }

    static Table table(const std::vector<ForkRow>& rows) {
        Table t{"forks", "prefixes of command sequences where some sessions leave and others go on", {}, {}};
        t.columns = {
            {"channel", ColumnType::Text, "shell (exec channels close after their command by design: not counted)"},
            {"depth", ColumnType::Integer, "steps in the prefix (steps: command lines without markers and exit)"},
            {"prefix", ColumnType::Text, "the step templates so far, joined by \" → \""},
            {"command", ColumnType::Text, "its last step"},
            {"reached", ColumnType::Integer, "sessions whose sequence starts with the prefix"},
            {"stopped", ColumnType::Integer, "sessions that left (exit or disconnect) right after it"},
            {"continued", ColumnType::Integer, "sessions that ran another step"},
            {"went_further", ColumnType::Integer,
             "of those, sessions that ran at least two more steps (not just another way to end)"},
            {"timed_out", ColumnType::Integer, "sessions that ended here by idle timeout (not counted as stopping)"},
            {"stop_rate", ColumnType::Real, "stopped / (stopped + continued)"},
            {"stop_rate_low", ColumnType::Real, "95% Wilson interval"},
            {"stop_rate_high", ColumnType::Real, "upper end of that interval"},
            {"next_commands", ColumnType::Text, "what the others ran next (template:sessions)"},
            {"campaigns", ColumnType::Text, "campaigns of the sessions reaching it (id:sessions)"},
            {"example_sessions", ColumnType::Text, "sessions that stopped here (sensor/session)"},
            {"stopped_by_sensor", ColumnType::Text, "sensors of the sessions that stopped (sensor:sessions, top 5)"},
            {"continued_by_sensor", ColumnType::Text, "sensors of the sessions that went on (sensor:sessions, top 5)"},
            {"stopped_where_others_went_on", ColumnType::Integer,
             "sum over sensors of min(stopped, continued): a split within sensors, not between them"},
            {"stalled", ColumnType::Integer,
             "sessions that went silent after it: Cowrie's idle timeout, or a close after more than 60 s without "
             "input"},
            {"stalled_after", ColumnType::Text, "the last command line they sent (template:sessions; often a marker)"},
            {"stalled_examples", ColumnType::Text, "sessions that stalled here (sensor/session)"},
        };
        auto n = [](std::uint64_t v) { return Cell{static_cast<std::int64_t>(v)}; };
        for (const ForkRow& r : rows)
            t.rows.push_back({r.channel,
                              n(r.depth),
                              r.prefix,
                              r.command,
                              n(r.reached),
                              n(r.stopped),
                              n(r.continued),
                              n(r.went_further),
                              n(r.timed_out),
                              r.stop_rate,
                              r.stop_rate_low,
                              r.stop_rate_high,
                              r.next_commands,
                              r.campaigns,
                              join(r.examples, ";"),
                              r.stopped_by_sensor,
                              r.continued_by_sensor,
                              n(r.stopped_where_others_went_on),
                              n(r.stalled),
                              r.stalled_after,
                              join(r.stalled_examples, ";")});
        return t;
    }

    static constexpr std::size_t kDepthLimit = 30;

    // Sessions that stopped on sensors where others of the script went on: a fork between
    // sensors (another Cowrie version or configuration) is no split of one script.
    static std::uint64_t split_within_sensors(const Node& n) {
        std::uint64_t sum = 0;
        for (const auto& [sensor, stopped] : n.left_sensors) {
            auto it = n.on_sensors.find(sensor);
            if (it != n.on_sensors.end()) sum += std::min(stopped, it->second);
        }
        return sum;
    }

    static NodeKey child_key(const NodeKey& key, std::string_view step) {
        return {stable_hash64(step, key.first), stable_hash64(step, key.second ^ 0x5bd1e995)};
    }

    // Sessions that ran at least two steps after the node: what its children's sessions ran next.
    std::uint64_t went_further(const NodeKey& key, const Node& n) const {
        std::uint64_t sum = 0;
        for (const auto& [step, _] : n.next) {
            auto it = nodes_.find(child_key(key, step));
            if (it == nodes_.end()) continue;
            for (const auto& [__, c] : it->second.next) sum += c;
        }
        return sum;
    }

    Node& touch(const NodeKey& key, const NodeKey& parent, std::string_view step, std::uint32_t depth,
                std::uint64_t set_hash) {
        auto [it, inserted] = nodes_.try_emplace(key);
        Node& n = it->second;
        if (inserted) {
            n.parent = parent;
            n.step = std::string(step);
            n.depth = depth;
        }
        ++n.reached;
        ++n.sets[set_hash];
        return n;
    }

    std::size_t max_depth_seen_ = 0;
    std::map<NodeKey, Node> nodes_;
};

}  // namespace

std::unique_ptr<Analysis> make_forks() { return std::make_unique<Forks>(); }

}  // namespace cb::analyses
