// Which sessions the explorer embeds, in which order, and the drill-down examples of the
// forks and predisconnect tables (report_parts.hpp).
#include "report_parts.hpp"

#include <algorithm>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "cb/util/fast_hash.hpp"
#include "cb/util/json_writer.hpp"
#include "cb/util/keyed_hash.hpp"

namespace cb::report {

namespace {

// forks rows by the keyed hash of "channel \n prefix" (the prefix's templates joined by " → ",
// as ReportPicks::of() hashes a session's), and the deepest prefix, so longer sessions are not
// looked up.
struct ForkRows {
    std::unordered_map<std::uint64_t, std::size_t> row;
    std::size_t max_depth = 0;
};

ForkRows fork_rows(const Table* forks, std::size_t max_rows, const HashKey& key) {
    ForkRows f;
    if (!forks) return f;
    const int cc = column(forks, "channel"), cp = column(forks, "prefix"), cd = column(forks, "depth");
    for (std::size_t r = 0; r < std::min(forks->rows.size(), max_rows); ++r) {
        const auto& row = forks->rows[r];
        f.row.emplace(keyed_hash64(std::string(text_at(row, cc)) + "\n" + std::string(text_at(row, cp)), key), r);
        f.max_depth = std::max<std::size_t>(f.max_depth, static_cast<std::size_t>(number_at(row, cd)));
    }
    return f;
}

// predisconnect rows of kind "raw" and of kind "template", by the hash of their command.
struct PreRows {
    std::unordered_map<std::uint64_t, std::size_t> raw, templated;
    std::size_t size() const { return raw.size() + templated.size(); }
};

PreRows predisconnect_rows(const Table* pre, std::size_t rows, const HashKey& key) {
    PreRows p;
    const int ck = column(pre, "kind"), cc = column(pre, "command");
    for (std::size_t r = 0; r < rows; ++r) {
        const std::string_view kind = text_at(pre->rows[r], ck);
        if (kind == "raw" || kind == "template")
            (kind == "raw" ? p.raw : p.templated).emplace(keyed_hash64(text_at(pre->rows[r], cc), key), r);
    }
    return p;
}

// Keeps the `keep` most recent (highest) session indexes in v, whatever order they come in.
void keep_recent(std::vector<std::size_t>& v, std::size_t i, std::size_t keep) {
    if (v.size() < keep) {
        v.push_back(i);
        return;
    }
    auto oldest = std::min_element(v.begin(), v.end());
    if (oldest != v.end() && *oldest < i) *oldest = i;
}

void keep_if_row(const std::unordered_map<std::uint64_t, std::size_t>& rows, std::uint64_t key, std::size_t i,
                 std::size_t keep, std::vector<std::vector<std::size_t>>& out) {
    if (auto it = rows.find(key); it != rows.end()) keep_recent(out[it->second], i, keep);
}

// Sessions that left are examples of the forks and predisconnect rows their steps match (as the
// analyses counted them, ReportPicks), the most recent ones (sessions are sorted by start).
// Sessions may be offered in any order: a spilled run offers them as they streamed by.
class DrillPicker {
public:
    DrillPicker(const RunData& run, const ReportOptions& opt)
        : keep_(opt.drill_examples), pre_keep_(std::max<std::size_t>(1, opt.drill_examples / 2)) {
        const Table* forks = run.table("forks");
        const Table* pre = run.table("predisconnect");
        fork_ = fork_rows(forks, opt.max_table_rows, run.pick_key);
        const std::size_t pre_count = pre ? std::min(pre->rows.size(), opt.max_table_rows) : 0;
        pre_row_ = predisconnect_rows(pre, pre_count, run.pick_key);
        d_.forks.resize(fork_.row.empty() ? 0 : forks->rows.size());
        d_.predisconnect.resize(pre_count);
    }
    // The most sessions take() can return.
    std::size_t capacity() const { return fork_.row.size() * keep_ + pre_row_.size() * pre_keep_; }
    // The session at index i.
    void offer(const ReportPick& p, std::size_t i) {
        if (p.depth == 0 || !p.left) return;
        if (!fork_.row.empty() && p.depth <= fork_.max_depth) keep_if_row(fork_.row, p.fork_key, i, keep_, d_.forks);
        keep_if_row(pre_row_.raw, p.last_step, i, pre_keep_, d_.predisconnect);
        keep_if_row(pre_row_.templated, p.last_template, i, pre_keep_, d_.predisconnect);
    }
    // Each row's examples, most recent first.
    DrillExamples take() {
        for (auto* lists : {&d_.forks, &d_.predisconnect})
            for (auto& l : *lists) std::sort(l.rbegin(), l.rend());
        return std::move(d_);
    }

private:
    std::size_t keep_, pre_keep_;
    ForkRows fork_;
    PreRows pre_row_;
    DrillExamples d_;
};

DrillExamples drill_examples(const RunData& run, const ReportOptions& opt, TemplateCache& cache,
                             std::vector<std::string_view>& last_template) {
    DrillPicker picker(run, opt);
    ReportPicks picks(run.markers, cache, run.pick_key);
    for (std::size_t i = run.sessions.size(); i-- > 0;) picker.offer(picks.of(run.sessions[i], &last_template[i]), i);
    return picker.take();
}

// Splits "a;b;c" or "a\nb" lists of session ids.
void split_ids(std::string_view s, std::unordered_set<std::string, StringHash>& out) {
    std::size_t i = 0;
    while (i < s.size()) {
        std::size_t j = s.find_first_of(";\n", i);
        if (j == std::string_view::npos) j = s.size();
        if (j > i) out.emplace(s.substr(i, j - i));
        i = j + 1;
    }
}

// The session ids other sections link to: example columns of tables, the outliers, the hints.
std::unordered_set<std::string, StringHash> linked_ids(const RunData& run, const ReportOptions& opt) {
    std::unordered_set<std::string, StringHash> ids;
    auto from_column = [&](const char* table, const char* col, std::size_t rows) {
        const Table* t = run.table(table);
        const int c = column(t, col);
        if (c < 0) return;
        for (std::size_t r = 0; r < std::min(rows, t->rows.size()); ++r) split_ids(text_at(t->rows[r], c), ids);
    };
    from_column("forks", "example_sessions", opt.max_table_rows);
    from_column("campaigns", "example_sessions", 200);
    from_column("action_paths", "example_session", opt.max_table_rows);
    from_column("last_output", "example_session", opt.max_table_rows);
    from_column("tty_tells", "example_session", opt.max_table_rows);
    from_column("outliers", "example_sessions", 100);
    if (const Table* t = run.table("outliers")) {
        const int cs = column(t, "sensor"), ci = column(t, "session");
        for (std::size_t r = 0; r < std::min<std::size_t>(100, t->rows.size()); ++r)
            ids.insert(std::string(text_at(t->rows[r], cs)) + "/" + std::string(text_at(t->rows[r], ci)));
    }
    for (auto& id : read_hints(run).example_sessions) ids.insert(std::move(id));
    return ids;
}

std::vector<std::uint8_t> referenced_sessions(const RunData& run, const ReportOptions& opt,
                                              const DrillExamples& drill) {
    std::vector<std::uint8_t> referenced(run.sessions.size(), 0);
    for (const auto* lists : {&drill.forks, &drill.predisconnect})
        for (const auto& v : *lists)
            for (auto i : v) referenced[i] = 1;
    const std::unordered_set<std::string, StringHash> ids = linked_ids(run, opt);
    if (ids.empty()) return referenced;
    for (std::size_t i = 0; i < run.sessions.size(); ++i)
        if (!referenced[i] && ids.count(session_id(run.sessions[i]))) referenced[i] = 1;
    return referenced;
}

// Referenced sessions first (they have the first claim on the size budget), then the most
// relevant others: with commands, then with logins, then the rest; most recent first within
// each. The page sorts for display.
int relevance_tier(const Session& s) { return s.commands ? 0 : s.login_attempts ? 1 : 2; }

// (tier, index) pairs: a lower tier first, then the more recent (sessions are sorted by start).
bool more_relevant(std::pair<int, std::size_t> a, std::pair<int, std::size_t> b) {
    if (a.first != b.first) return a.first < b.first;
    return a.second > b.second;
}

std::vector<std::size_t> explorer_order(const std::vector<Session>& sessions,
                                        const std::vector<std::uint8_t>& referenced, std::size_t max_others,
                                        std::size_t& referenced_count) {
    auto more_relevant_index = [&](std::size_t a, std::size_t b) {
        return more_relevant({relevance_tier(sessions[a]), a}, {relevance_tier(sessions[b]), b});
    };
    std::vector<std::size_t> order, rest;
    for (std::size_t i = 0; i < sessions.size(); ++i) (referenced[i] ? order : rest).push_back(i);
    referenced_count = order.size();
    if (rest.size() > max_others) {
        std::nth_element(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(max_others), rest.end(),
                         more_relevant_index);
        rest.resize(max_others);
    }
    std::sort(order.begin(), order.end(), more_relevant_index);
    std::sort(rest.begin(), rest.end(), more_relevant_index);
    order.insert(order.end(), rest.begin(), rest.end());
    return order;
}

// The campaign of each session in order (session_campaigns), by position.
std::vector<std::string_view> campaigns_of(const RunData& run, const std::vector<std::size_t>& order) {
    std::vector<std::string_view> campaign(order.size());
    const Table* sc = run.table("session_campaigns");
    if (!sc) return campaign;
    std::unordered_map<std::string, std::size_t, StringHash> pos;
    for (std::size_t k = 0; k < order.size(); ++k) pos.emplace(session_id(run.sessions[order[k]]), k);
    const int cs = column(sc, "sensor"), ci = column(sc, "session"), cc = column(sc, "campaign");
    std::string id;
    for (const auto& row : sc->rows) {
        id.assign(text_at(row, cs));
        id.push_back('/');
        id.append(text_at(row, ci));
        if (auto it = pos.find(id); it != pos.end()) campaign[it->second] = text_at(row, cc);
    }
    return campaign;
}

}  // namespace

Explorer plan_explorer(const RunData& run, const ReportOptions& opt) {
    Explorer ex;
    ex.last_template.resize(run.sessions.size());
    ex.templates = std::make_unique<TemplateCache>();
    ex.drill = drill_examples(run, opt, *ex.templates, ex.last_template);
    ex.referenced = referenced_sessions(run, opt, ex.drill);
    ex.order = explorer_order(run.sessions, ex.referenced, opt.max_sessions, ex.referenced_count);
    ex.campaign = campaigns_of(run, ex.order);
    return ex;
}

std::string drill_json(const RunData& run, const DrillExamples& drill) {
    std::string out;
    JsonWriter w(out);
    w.begin_object();
    auto lists = [&](std::string_view k, const std::vector<std::vector<std::size_t>>& v) {
        w.key(k).begin_array();
        for (const auto& l : v) {
            w.begin_array();
            for (auto i : l) w.value(std::string_view(session_id(run.sessions[i])));
            w.end_array();
        }
        w.end_array();
    };
    lists("forks", drill.forks);
    lists("predisconnect", drill.predisconnect);
    w.end_object();
    return out;
}

}  // namespace cb::report

namespace cb {

ReportPicks::ReportPicks(const MarkerSet& markers, TemplateCache& cache, const HashKey& key)
    : markers_(markers), cache_(cache), key_hash_(key) {}

ReportPick ReportPicks::of(const Session& s, std::string_view* last_template) {
    ReportPick p;
    p.id = keyed_hash64(report::session_id(s), key_hash_);
    p.tier = static_cast<std::uint8_t>(report::relevance_tier(s));
    p.left = session_left(s);
    if (s.commands == 0) return p;
    session_steps(s, markers_, cache_, steps_);
    if (steps_.text.empty()) return p;
    key_.assign(channel_name(s.channel)).push_back('\n');
    std::string_view tpl;
    for (std::size_t k = 0; k < steps_.text.size(); ++k) {
        tpl = cache_.get(steps_.text[k]);
        if (k) key_.append(" \xE2\x86\x92 ");
        key_.append(tpl);
    }
    if (last_template) *last_template = tpl;
    p.depth = static_cast<std::uint32_t>(steps_.text.size());
    p.fork_key = keyed_hash64(key_, key_hash_);
    p.last_step = keyed_hash64(steps_.text.back(), key_hash_);
    p.last_template = keyed_hash64(tpl, key_hash_);
    return p;
}

// Everything plan_explorer() could pick from the whole run: the sessions other sections link to,
// each drill row's most recent examples, and the most relevant others, enough of them that the
// max_sessions best remain once the drill examples are taken out. plan_explorer() matches rows
// by the same hashes (DrillPicker), so the page planned from the picked sessions is the same.
struct ReportSessionPicker::Impl {
    Impl(const RunData& run, const ReportOptions& opt) : drill(run, opt), max_sessions(opt.max_sessions) {
        for (const std::string& id : report::linked_ids(run, opt)) linked.insert(keyed_hash64(id, run.pick_key));
    }
    std::unordered_set<std::uint64_t> linked;
    report::DrillPicker drill;
    std::size_t max_sessions;
    std::vector<std::size_t> linked_at;
    std::vector<std::pair<int, std::size_t>> best;  // heap: the least relevant on top
};

ReportSessionPicker::ReportSessionPicker(const RunData& run, const ReportOptions& opt)
    : impl_(std::make_unique<Impl>(run, opt)) {}

ReportSessionPicker::~ReportSessionPicker() = default;

void ReportSessionPicker::offer(const ReportPick& p, std::size_t index) {
    Impl& m = *impl_;
    m.drill.offer(p, index);
    if (m.linked.count(p.id)) {
        m.linked_at.push_back(index);
        return;
    }
    const std::size_t cap = m.max_sessions + m.drill.capacity();
    // full: one less relevant than the least relevant kept would be the one to go again
    if (m.best.size() >= cap && !m.best.empty() && !report::more_relevant({p.tier, index}, m.best.front())) return;
    m.best.emplace_back(p.tier, index);
    std::push_heap(m.best.begin(), m.best.end(), report::more_relevant);
    if (m.best.size() > cap) {
        std::pop_heap(m.best.begin(), m.best.end(), report::more_relevant);
        m.best.pop_back();
    }
}

std::vector<std::size_t> ReportSessionPicker::picked() {
    Impl& m = *impl_;
    std::vector<std::size_t> out = m.linked_at;
    for (const auto& [tier, i] : m.best) out.push_back(i);
    const report::DrillExamples d = m.drill.take();
    for (const auto* lists : {&d.forks, &d.predisconnect})
        for (const auto& l : *lists) out.insert(out.end(), l.begin(), l.end());
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

ReportPlan::ReportPlan(const RunData& run, const ReportOptions& opt)
    : explorer_(std::make_unique<report::Explorer>(report::plan_explorer(run, opt))) {}

ReportPlan::~ReportPlan() = default;

const std::vector<std::size_t>& ReportPlan::explorer_order() const { return explorer_->order; }

}  // namespace cb
