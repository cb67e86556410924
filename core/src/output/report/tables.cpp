// The tables section: result tables as they are in tables/ (first max_table_rows rows), with
// two selections for charts (changes, predisconnect_weekly) and the files read.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "cb/util/text.hpp"
#include "report_parts.hpp"

namespace cb::report {

namespace {

// The tables shown as they are, in page order.
constexpr const char* kTables[] = {
    "src_ips",         "forwarding",      "sensors",        "credentials",        "key_fingerprints",
    "commands",        "client_versions", "hassh",          "downloads",          "file_writes",
    "failed_commands", "forks",           "predisconnect",  "action_paths",       "transitions",
    "ngrams",          "campaigns",       "novelty_recent", "outliers",           "weird_strings",
    "last_output",     "tty_tells",       "attack",         "sources_by_country", "sources_by_asn"};

// The JSON event logs read (run.ingest), one row per file.
Table files_table(const RunData& run, std::size_t max_rows) {
    Table t{"files", "JSON event logs read, in path order", {}, {}};
    t.columns = {{"path", ColumnType::Text,
                  "as given or found; \"(gone)\" after it: a log an earlier run read (--state) that is not among "
                  "the inputs now, last seen at that path"},
                 {"compression", ColumnType::Text, "by magic bytes"},
                 {"bytes", ColumnType::Integer, "on disk"},
                 {"decoded_bytes", ColumnType::Integer, "after decompression"},
                 {"lines", ColumnType::Integer, "non-blank lines"},
                 {"events", ColumnType::Integer, "lines that became events"},
                 {"rejected", ColumnType::Integer, "lines that were not events (summary.json says why)"},
                 {"error", ColumnType::Text, "a read or decompression problem; the lines before it were kept"}};
    for (std::size_t i = 0; i < std::min(run.ingest.files.size(), max_rows); ++i) {
        const FileReport& f = run.ingest.files[i];
        t.rows.push_back({f.gone ? f.file.path + " (gone)" : f.file.path,
                          std::string(compression_name(f.file.compression)), static_cast<std::int64_t>(f.counts.bytes),
                          static_cast<std::int64_t>(f.counts.decoded_bytes), static_cast<std::int64_t>(f.counts.lines),
                          static_cast<std::int64_t>(f.counts.events),
                          static_cast<std::int64_t>(f.counts.rejected_total()), f.error});
    }
    return t;
}

// The `keep` keys with the highest value (ties in key order).
std::set<std::string_view> strongest(const std::map<std::string_view, double>& value, std::size_t keep) {
    std::vector<std::pair<std::string_view, double>> v(value.begin(), value.end());
    std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    std::set<std::string_view> out;
    for (std::size_t i = 0; i < std::min(keep, v.size()); ++i) out.insert(v[i].first);
    return out;
}

// Rows whose column c is one of keep, at most max_rows.
std::vector<std::size_t> rows_with(const Table& t, int c, const std::set<std::string_view>& keep,
                                   std::size_t max_rows) {
    std::vector<std::size_t> rows;
    for (std::size_t r = 0; r < t.rows.size() && rows.size() < max_rows; ++r)
        if (keep.count(text_at(t.rows[r], c))) rows.push_back(r);
    return rows;
}

// changes: the whole series of every flagged series (strongest first, at most 40) and of
// the totals.
std::string changes_json(const Table& t, std::size_t max_cell_bytes) {
    const int cs = column(&t, "series"), cf = column(&t, "flag"), cz = column(&t, "score");
    std::map<std::string_view, double> strength;
    for (const auto& row : t.rows)
        if (number_at(row, cf) != 0) {
            double& v = strength[text_at(row, cs)];
            v = std::max(v, std::abs(number_at(row, cz)));
        }
    std::set<std::string_view> keep = strongest(strength, 40);
    keep.insert({"sessions", "logins", "logins_success"});
    const std::string note =
        "the series sessions, logins and logins_success and every series with a flagged day (the " +
        std::to_string(std::min<std::size_t>(40, strength.size())) + " strongest of " +
        std::to_string(strength.size()) + ")";
    return table_json(t, rows_with(t, cs, keep, 40000), max_cell_bytes, note);
}

// predisconnect_weekly: the 20 commands that were last most often.
std::string predisconnect_weekly_json(const Table& t, std::size_t max_cell_bytes) {
    const int cc = column(&t, "command"), cl = column(&t, "sessions_last");
    std::map<std::string_view, double> total;
    for (const auto& row : t.rows) total[text_at(row, cc)] += number_at(row, cl);
    return table_json(t, rows_with(t, cc, strongest(total, 20), 10000), max_cell_bytes,
                      "the 20 commands that were last in most sessions");
}

// A (week, key, sessions) table for a chart: the rows of the 10 keys with most sessions.
std::string weekly_top_json(const Table& t, const char* key, std::size_t max_cell_bytes) {
    const int ck = column(&t, key), cs = column(&t, "sessions");
    std::map<std::string_view, double> total;
    for (const auto& row : t.rows) total[text_at(row, ck)] += number_at(row, cs);
    return table_json(t, rows_with(t, ck, strongest(total, 10), 10000), max_cell_bytes,
                      std::string("the 10 ") + key + " values with most sessions");
}

void add(std::string& out, std::string_view name, const std::string& json) {
    if (out.size() > 1) out.push_back(',');
    append_json_string(out, name);
    out.push_back(':');
    out += json;
}

}  // namespace

std::string tables_json(const RunData& run, const ReportOptions& opt) {
    std::string out = "{";
    const Table files = files_table(run, opt.max_table_rows);
    add(out, files.name,
        table_json(files, first_rows(files, opt.max_table_rows), opt.max_cell_bytes, {}, run.ingest.files.size()));
    for (const char* name : kTables)
        if (const Table* t = run.table(name))
            add(out, t->name, table_json(*t, first_rows(*t, opt.max_table_rows), opt.max_cell_bytes));
    if (const Table* t = run.table("changes")) add(out, t->name, changes_json(*t, opt.max_cell_bytes));
    if (const Table* t = run.table("predisconnect_weekly"))
        add(out, t->name, predisconnect_weekly_json(*t, opt.max_cell_bytes));
    for (const auto& [name, key] :
         {std::pair{"attack_weekly", "technique"}, std::pair{"sources_by_country_weekly", "country"}})
        if (const Table* t = run.table(name)) add(out, t->name, weekly_top_json(*t, key, opt.max_cell_bytes));
    out.push_back('}');
    return out;
}

}  // namespace cb::report
