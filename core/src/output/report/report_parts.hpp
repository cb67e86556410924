// The parts of report.html's data, one per section of the page (private to core/src/output).
// report_data_json() (report_html.cpp) calls them in page order and joins their JSON texts:
// {"meta", "overview", "timeline", "hints", "facts", "tables", "drill", "strings", "sessions",
// "tty"}; report/src/data.js reads them. Each part reads what the run computed (RunData) and
// writes it out, cut to the caps of ReportOptions.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cb/output/report_html.hpp"
#include "cb/parse/command_template.hpp"

namespace cb::report {

// ---------------------------------------------------------------- shared helpers (common.cpp)
std::int64_t to_ms(Micros t);                                   // 0 for kNoTime
std::string session_id(const Session& s);                       // "sensor/session", as the tables write it
int column(const Table* t, std::string_view name);              // -1 when absent
std::string_view text_at(const std::vector<Cell>& row, int c);  // "" unless a text cell
double number_at(const std::vector<Cell>& row, int c);          // 0 unless a number cell
// A table as {name, doc, columns, total, [note], rows}: the rows given (indexes into t.rows),
// strings cut at max_bytes; total defaults to all of t's rows.
std::string table_json(const Table& t, const std::vector<std::size_t>& rows, std::size_t max_bytes,
                       std::string_view note = {}, std::uint64_t total = 0);
std::vector<std::size_t> first_rows(const Table& t, std::size_t n);

// ---------------------------------------------------------------- the explorer's sessions (explorer.cpp)
// Example sessions (indexes into run.sessions, most recent first) per row of the forks and
// predisconnect tables, for their drill-downs.
struct DrillExamples {
    std::vector<std::vector<std::size_t>> forks, predisconnect;
};

struct Explorer {
    // Candidates in the order they claim the size budget: sessions another section links
    // to, then at most max_sessions others; each part most relevant first.
    std::vector<std::size_t> order;
    std::size_t referenced_count = 0;             // the first part of order
    std::vector<std::uint8_t> referenced;         // per session of the run
    std::vector<std::string_view> last_template;  // per session: its last step as a template (in templates)
    std::unique_ptr<TemplateCache> templates;     // owns the last_template texts
    std::vector<std::string_view> campaign;       // per position in order: its campaign, if any
    DrillExamples drill;
};
Explorer plan_explorer(const RunData& run, const ReportOptions& opt);

// ---------------------------------------------------------------- the sections
// hints.cpp: hints.json as the analyses wrote it (not re-encoded), and the sessions it cites.
struct Hints {
    std::string json;  // hints.json's text, trailing newline removed; empty when the hints did not run
    std::vector<std::string> example_sessions;  // "sensor/session"
};
Hints read_hints(const RunData& run);
std::string hints_json(const Hints& hints);  // the text, or null

std::string overview_json(const RunData& run, const ReportOptions& opt);  // overview.cpp
std::string timeline_json(const RunData& run, const ReportOptions& opt);  // timeline.cpp
std::string tables_json(const RunData& run, const ReportOptions& opt);    // tables.cpp

// sessions.cpp: the explorer's rows (their strings interned in a separate list) for as many
// sessions of ex.order as fit in max_session_bytes.
struct SessionsPart {
    std::string sessions, strings;
    std::size_t embedded = 0;  // sessions written: the first of ex.order
};
SessionsPart sessions_json(const RunData& run, const Explorer& ex, const ReportOptions& opt);
std::string drill_json(const RunData& run, const DrillExamples& drill);  // explorer.cpp

// tty.cpp: the recordings of the first `embedded` sessions of ex.order, from run.tty_replays.
std::string tty_json(const RunData& run, const Explorer& ex, std::size_t embedded, const ReportOptions& opt);

}  // namespace cb::report
