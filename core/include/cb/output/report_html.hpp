// report.html: one self-contained HTML file (the web sources in report/src, the charting library
// and the run's data), built at compile time from report/ and embedded into the binary.
//
// The data is one compact JSON document inside <script type="application/json">: every string
// goes through append_json_string, and every '<', '>' and '&' is written as \u003c, \u003e,
// \u0026, so no attacker string can end the block or open an HTML comment in it. The page renders
// it with text APIs only (see report/src/dom.js). Same input, same bytes: nothing of the run's
// own time or machine is written.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "cb/output/outputs.hpp"
#include "cb/parse/command_template.hpp"
#include "cb/session/steps.hpp"

namespace cb {

struct ReportOptions {
    // The explorer's sessions: every session that another section links to, plus this many
    // more, most relevant first (with commands, then with logins, then the rest; most recent
    // first within each).
    std::size_t max_sessions = 5000;
    std::size_t max_table_rows = 500;         // rows per table (tables are sorted by their main count)
    std::size_t max_items_per_session = 400;  // logins, commands, downloads... of one session
    std::size_t max_string_bytes = 2048;      // longer attacker strings of sessions are cut (marked with …)
    std::size_t max_cell_bytes = 1024;        // the same for table cells (the CSVs have them whole)
    // The explorer stops adding sessions (in relevance order) once their JSON and strings pass
    // this size, so hostile logs (thousands of unique, long commands per session) stay small.
    std::size_t max_session_bytes = std::size_t{8} << 20;
    std::size_t max_hour_points = 40000;  // (hour, sensor) points of the timeline; above: days only
    std::size_t timeline_sensors = 10;    // sensors drawn on their own; the rest are "other sensors"
    std::size_t drill_examples = 10;      // example sessions per fork / pre-disconnect row
    // TTY replays of the explorer's sessions (OUTPUT and INTERACT records as plain text, every
    // escape sequence removed): at most this much text per recording, and in all (in the
    // explorer's order; recordings past the total are listed without their text).
    std::size_t max_tty_recording_bytes = std::size_t{64} << 10;
    std::size_t max_tty_bytes = std::size_t{2} << 20;
};

// False when the binary was built with -DCB_REPORT=OFF (no web assets): no report is written.
bool report_html_available();

namespace report {
struct Explorer;
}

// What the page's explorer shows, planned once from the run's sessions, tables and findings (the
// engine reads the TTY recordings in its order, then the page is written from it).
class ReportPlan {
public:
    explicit ReportPlan(const RunData& run, const ReportOptions& opt = {});
    ~ReportPlan();
    ReportPlan(const ReportPlan&) = delete;
    ReportPlan& operator=(const ReportPlan&) = delete;
    // The explorer's candidate sessions (indexes into run.sessions) in the order they claim the
    // page's budgets: the sessions other sections link to, then the most relevant others. The
    // engine reads their TTY recordings (read_tty_replays) into run.tty_replays in this order
    // before it writes the page; the page writes the replays of the sessions it embeds.
    const std::vector<std::size_t>& explorer_order() const;
    const report::Explorer& explorer() const { return *explorer_; }

private:
    std::unique_ptr<report::Explorer> explorer_;
};

// What the report's choice of sessions reads of one session (ReportSessionPicker): how relevant
// it is (0: commands, 1: logins, 2: neither), whether it left, and keyed hashes (keyed_hash64()
// with RunData::pick_key, so that logs cannot be crafted to make two keys collide) of its id ("sensor/session"), of its
// step templates as a forks row key, and of its last step, raw and as a template (depth 0: no
// steps, so no drill-down example). Small and fixed-size, without padding: a spilled run keeps
// one per session in a file of its own instead of reading every session again.
struct ReportPick {
    std::uint64_t id = 0, fork_key = 0, last_step = 0, last_template = 0;
    std::uint32_t depth = 0;
    std::uint8_t tier = 2;
    bool left = false;
    std::uint16_t unused = 0;
};
static_assert(sizeof(ReportPick) == kReportPickBytes);

// Makes ReportPicks with the run's marker set (its steps are those the analyses counted); one
// per thread. The texts of last_template (of()) live in `cache`.
class ReportPicks {
public:
    ReportPicks(const MarkerSet& markers, TemplateCache& cache, const HashKey& key);
    ReportPick of(const Session& s, std::string_view* last_template = nullptr);

private:
    const MarkerSet& markers_;
    TemplateCache& cache_;
    const HashKey& key_hash_;
    Steps steps_;
    std::string key_;
};

// For a run whose sessions are not all in memory (engine/session_source.hpp): offer() every
// session's ReportPick, with its position in the whole run, once the tables and findings are made;
// picked() then lists, ascending, the positions of every session the page could show (the
// linked ones, the drill-down examples, the most relevant others). A page planned from only
// those sessions, in their order, is the page planned from all of them.
class ReportSessionPicker {
public:
    explicit ReportSessionPicker(const RunData& run, const ReportOptions& opt = {});
    ~ReportSessionPicker();
    void offer(const ReportPick& p, std::size_t index);
    std::vector<std::size_t> picked();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// The page's data (the JSON inside the data block), for tests and for other front ends. It only
// writes what the run holds: the TTY player's text is run.tty_replays (none when not filled).
// `plan` must be the run's, made with the same options.
std::string report_data_json(const RunData& run, const ReportPlan& plan, const ReportOptions& opt = {});

// The whole page; empty when !report_html_available().
std::string report_html(const RunData& run, const ReportPlan& plan, const ReportOptions& opt = {});

// Writes report.html atomically; returns an empty string on success (or when the build has no
// report), else a message naming the file.
std::string write_report_html(const std::string& path, const RunData& run, const ReportPlan& plan,
                              const ReportOptions& opt = {});

}  // namespace cb
