#include "cb/analysis/findings.hpp"

#include <algorithm>
#include <iterator>

#include "cb/util/json_writer.hpp"

namespace cb {

const Table* Findings::table(std::string_view name) const {
    for (const auto& t : tables)
        if (t.name == name) return &t;
    return nullptr;
}

namespace {

template <typename T>
void take(std::optional<T>& to, std::optional<T>& from) {
    if (from) to = std::move(from);
}
template <typename T>
void take(std::vector<T>& to, std::vector<T>& from) {
    if (!from.empty()) to = std::move(from);
}

}  // namespace

void Findings::absorb(Findings&& other, std::size_t at) {
    tables.insert(tables.begin() + static_cast<std::ptrdiff_t>(std::min(at, tables.size())),
                  std::make_move_iterator(other.tables.begin()), std::make_move_iterator(other.tables.end()));
    campaign_of_set.merge(other.campaign_of_set);
    take(last_output, other.last_output);
    take(tty_tells, other.tty_tells);
    take(sessions_with_recordings, other.sessions_with_recordings);
    take(behaviours, other.behaviours);
    take(predisconnect, other.predisconnect);
    take(failed_command_names, other.failed_command_names);
    take(campaign_count, other.campaign_count);
    take(forks, other.forks);
    take(novelty, other.novelty);
    take(changes_flagged, other.changes_flagged);
    take(outliers_scored, other.outliers_scored);
    take(weird_strings, other.weird_strings);
    take(iocs, other.iocs);
    take(hints, other.hints);
}

std::string hints_json(const Findings& f) {
    if (!f.hints) return {};
    std::string json;
    JsonWriter w(json);
    w.begin_object().field("hints_version", 1).key("hints").begin_array();
    for (const Hint& h : *f.hints) {
        w.begin_object().field("id", h.id).field("severity", h.severity).field("title", h.title);
        json.append(",\"evidence\":");  // already JSON
        json.append(h.evidence_json);
        w.field("recommendation", h.recommendation);
        if (!h.caveat.empty()) w.field("caveat", h.caveat);
        w.end_object();
    }
    w.end_array().end_object();
    json.push_back('\n');
    return json;
}

namespace {

void counts_object(JsonWriter& w, const NamedCounts& counts) {
    w.begin_object();
    for (const auto& [name, n] : counts) w.field(name, n);
    w.end_object();
}

void novelty_facts(JsonWriter& w, const NoveltyFacts& n) {
    counts_object(w.key("novelty.recent_counts"), n.recent_counts);
    counts_object(w.key("novelty.total_counts"), n.total_counts);
    w.key("novelty.recent_top").begin_object();
    for (const auto& [kind, values] : n.recent_top) {
        w.key(kind).begin_array();
        for (const auto& v : values)
            w.begin_object()
                .field("value", v.value)
                .field("first_seen", v.first_seen)
                .field("sessions", v.sessions)
                .end_object();
        w.end_array();
    }
    w.end_object();
    w.field("novelty.window_days", n.window_days).field("novelty.has_history", n.has_history);
    if (n.reference_time)
        w.field("novelty.reference_time", *n.reference_time);
    else
        w.key("novelty.reference_time").null();
}

}  // namespace

// Keys and their order are the page's contract (report/src reads them by these names).
std::string report_facts_json(const Findings& f) {
    std::string out;
    JsonWriter w(out);
    w.begin_object();
    if (f.novelty) novelty_facts(w, *f.novelty);
    if (f.changes_flagged) w.field("changes.flagged_count", *f.changes_flagged);
    if (f.campaign_count) w.field("campaigns.count", *f.campaign_count);
    if (f.outliers_scored) w.field("outliers.scored", *f.outliers_scored);
    if (f.behaviours)
        w.key("behaviours")
            .begin_object()
            .field("sessions_with_commands", f.behaviours->sessions_with_commands)
            .field("unique_behaviours", f.behaviours->unique_behaviours)
            .end_object();
    if (f.weird_strings) {
        counts_object(w.key("weird_strings.counts"), f.weird_strings->counts);
        counts_object(w.key("weird_strings.reasons"), f.weird_strings->reasons);
    }
    if (f.sessions_with_recordings) w.field("tty.sessions_with_recordings", *f.sessions_with_recordings);
    w.end_object();
    return out;
}

}  // namespace cb
