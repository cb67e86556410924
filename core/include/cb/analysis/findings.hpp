// What finished analyses hand to later ones (hints) and to the outputs (report.html,
// hints.json), as typed members: a reader names a member, so a misspelt name is a compile
// error, not a silent -1 or empty value. Each publisher fills its own part; a part that is
// std::nullopt (or empty) was not computed in this run (e.g. `analyze --no-analyses`, or no
// TTY recordings read).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cb/analysis/table.hpp"

namespace cb {

// Counts by name, in the publisher's order (a JSON object in the report).
using NamedCounts = std::vector<std::pair<std::string, std::uint64_t>>;

// One row of forks.csv (forks.cpp): a prefix of shell steps where some sessions left and
// others went on. The table is built from these rows; hints reads them.
struct ForkRow {
    std::string channel;
    std::uint64_t depth = 0;
    std::string prefix, command;
    std::uint64_t reached = 0, stopped = 0, continued = 0, went_further = 0, timed_out = 0;
    double stop_rate = 0, stop_rate_low = 0, stop_rate_high = 0;
    std::string next_commands;          // "template:sessions;..." (top_counts)
    std::string campaigns;              // "id:sessions;..."
    std::vector<std::string> examples;  // sessions that stopped here
    std::string stopped_by_sensor, continued_by_sensor;
    std::uint64_t stopped_where_others_went_on = 0;
    std::uint64_t stalled = 0;
    std::string stalled_after;
    std::vector<std::string> stalled_examples;
};

// One row of predisconnect.csv (predisconnect.cpp). Reals are NaN where the table has no value.
struct PredisconnectRow {
    bool is_template = false;  // kind: "template", else "raw"
    std::string command;
    std::uint64_t sessions_with = 0, sessions_last = 0, left_last = 0;
    double share_last = 0, expected_left_last = 0, lift = 0, lift_low = 0, lift_high = 0;
    double median_secs_to_close = 0, failed_rate = 0;
    std::string end_kinds;
    std::uint64_t last_shell = 0, last_exec = 0;
    std::vector<std::string> examples;
};

// One row of failed_command_names.csv (failed_commands.cpp): an unknown command name (in
// failed_commands.csv, built from the same rows, a command line as logged).
struct FailedCommandRow {
    std::string name;
    std::uint64_t sessions = 0, events = 0, src_ips = 0, left_after = 0, went_on = 0;
    std::vector<std::string> examples;  // sessions that left right after it, else any
    std::int64_t first = 0, last = 0;   // Micros
};

// One indicator of iocs/ (iocs.cpp; the files are written by output/ioc_exports.cpp).
struct IocSighting {
    std::string sensor;
    std::uint64_t sessions = 0;
    std::int64_t first = 0, last = 0;  // Micros
};
struct IocRow {
    std::string type;  // url, sha256, src_ip, forward_target and c2 ("host:port", "[v6]:port")
    std::string value;
    std::int64_t first = 0, last = 0;  // Micros
    std::uint64_t sessions = 0, src_ips = 0;
    std::vector<IocSighting> sensors;     // by sensor name
    std::vector<std::string> campaigns;   // campaign ids of its sessions with commands, sorted
    std::vector<std::string> techniques;  // ATT&CK ids its sessions showed, sorted
};

// One row of last_output.csv (tty_link.cpp): what shell sessions that left after a step saw last.
struct LastOutputRow {
    std::string command;  // template of the last step
    std::uint64_t sessions = 0;
    std::string last_lines;
    double share = 0;
    std::uint64_t variants = 0;
    std::string example_session;
};

// One row of tty_tells.csv (tty_link.cpp): a Cowrie default that attackers saw in the output.
struct TtyTellRow {
    std::string tell, what;
    std::uint64_t sessions = 0;
    std::string example_session;
};

// novelty.cpp: per kind (credential, template, ...), in kind order.
struct NoveltyFacts {
    struct NewValue {
        std::string value, first_seen;
        std::uint64_t sessions = 0;
    };
    NamedCounts recent_counts, total_counts;
    std::vector<std::pair<std::string, std::vector<NewValue>>> recent_top;  // most sessions first, at most 5
    int window_days = 0;
    bool has_history = false;
    std::optional<std::string> reference_time;  // the last event (UTC); none without data
};

struct WeirdStringFacts {
    NamedCounts counts;   // rows per kind
    NamedCounts reasons;  // rows per reason, by name
};

struct BehaviourFacts {
    std::uint64_t sessions_with_commands = 0, unique_behaviours = 0;
};

// One entry of hints.json (hints.cpp).
struct Hint {
    std::string id, severity, title, recommendation, caveat;
    std::string evidence_json;  // a JSON object
    int rank() const { return severity == "high" ? 0 : severity == "medium" ? 1 : severity == "low" ? 2 : 3; }
};

struct Findings {
    std::vector<Table> tables;
    // Campaign id per session template set (key: template_set_key()).
    std::map<std::string, std::string> campaign_of_set;

    // Publishers, in make_analyses() order (recording_findings runs before them all).
    std::vector<LastOutputRow> last_output;                 // recording_findings
    std::vector<TtyTellRow> tty_tells;                      // recording_findings
    std::optional<std::uint64_t> sessions_with_recordings;  // recording_findings
    std::optional<BehaviourFacts> behaviours;               // action_paths
    std::vector<PredisconnectRow> predisconnect;            // predisconnect
    std::vector<FailedCommandRow> failed_command_names;     // failed_commands, most sessions first
    std::optional<std::uint64_t> campaign_count;            // campaigns
    std::vector<ForkRow> forks;                             // forks, strongest first
    std::optional<NoveltyFacts> novelty;                    // novelty
    std::optional<std::uint64_t> changes_flagged;           // changes: flagged days
    std::optional<std::uint64_t> outliers_scored;           // outliers: sessions scored
    std::optional<WeirdStringFacts> weird_strings;          // weird_strings
    std::optional<std::vector<IocRow>> iocs;                // iocs: by type, then most sessions
    std::optional<std::vector<Hint>> hints;                 // hints, most severe first

    const Table* table(std::string_view name) const;
    // Takes what `other` found (an analysis that finished on a thread of its own): its tables
    // inserted at `at` (the end by default), and each part it has (every member above, listed
    // once here).
    void absorb(Findings&& other, std::size_t at = SIZE_MAX);
};

// hints.json's text ("" when the hints analysis did not run): one serializer for the file and
// the report.
std::string hints_json(const Findings& f);

// The "facts" object of report.html: the published summary facts the page shows as they are.
std::string report_facts_json(const Findings& f);

}  // namespace cb
