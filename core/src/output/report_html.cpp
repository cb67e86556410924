// report.html: the embedded page template (report/, see report.cmake) plus the run's data as
// compact JSON. See cb/report_html.hpp and docs/OUTPUTS.md ("report.html").
#include "cb/output/report_html.hpp"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <deque>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "cb/parse/command_template.hpp"
#include "cb/util/json_writer.hpp"
#include "cb/util/text.hpp"
#include "cb/tty/ttylog.hpp"
#include "cb/version.hpp"

// Generated from report/ at build time (report/embed.cmake): the page with the marker
// @@CB_DATA@@ where the data goes. Empty when built with -DCB_REPORT=OFF.
namespace cb::report_assets {
extern const char kTemplate[];
extern const std::size_t kTemplateSize;
}  // namespace cb::report_assets

namespace cb {

namespace {

constexpr std::string_view kMarker = "@@CB_DATA@@";
constexpr int kReportFormat = 1;

std::int64_t to_ms(Micros t) { return t == kNoTime ? 0 : t / 1000; }

std::string session_id(const Session& s) {
    std::string id(s.sensor);
    id.push_back('/');
    id.append(s.session);
    return id;
}

std::string_view clip(std::string_view s, std::size_t max, std::string& buf) { return clip_utf8(s, max, buf); }

const Table* find_table(const RunData& run, std::string_view name) {
    for (const auto& t : run.tables)
        if (t.name == name) return &t;
    return run.findings.table(name);
}

int column(const Table* t, std::string_view name) {
    if (!t) return -1;
    for (std::size_t i = 0; i < t->columns.size(); ++i)
        if (t->columns[i].name == name) return static_cast<int>(i);
    return -1;
}

std::string_view text_at(const std::vector<Cell>& row, int c) {
    if (c < 0 || static_cast<std::size_t>(c) >= row.size()) return {};
    if (const auto* s = std::get_if<std::string>(&row[c])) return *s;
    return {};
}

double number_at(const std::vector<Cell>& row, int c) {
    if (c < 0 || static_cast<std::size_t>(c) >= row.size()) return 0;
    if (const auto* i = std::get_if<std::int64_t>(&row[c])) return static_cast<double>(*i);
    if (const auto* d = std::get_if<double>(&row[c])) return *d;
    return 0;
}

// Splits "a;b;c" or "a\nb" lists of session ids.
void split_ids(std::string_view s, std::unordered_set<std::string>& out) {
    std::size_t i = 0;
    while (i < s.size()) {
        std::size_t j = s.find_first_of(";\n", i);
        if (j == std::string_view::npos) j = s.size();
        if (j > i) out.emplace(s.substr(i, j - i));
        i = j + 1;
    }
}

std::string_view type_name(ColumnType t) {
    switch (t) {
        case ColumnType::Integer: return "int";
        case ColumnType::Real: return "real";
        default: return "text";
    }
}

// A table as {name, doc, columns, total, rows}: the rows given (indexes into t.rows), strings cut.
std::string table_json(const Table& t, const std::vector<std::size_t>& rows, std::size_t max_bytes,
                       std::string_view note = {}, std::uint64_t total = 0) {
    std::string out, buf;
    JsonWriter w(out);
    w.begin_object().field("name", std::string_view(t.name)).field("doc", std::string_view(t.doc));
    w.key("columns").begin_array();
    for (const auto& c : t.columns)
        w.begin_object()
            .field("name", std::string_view(c.name))
            .field("type", type_name(c.type))
            .field("doc", std::string_view(c.doc))
            .end_object();
    w.end_array();
    w.field("total", total ? total : static_cast<std::uint64_t>(t.rows.size()));
    if (!note.empty()) w.field("note", note);
    w.key("rows").begin_array();
    for (std::size_t r : rows) {
        w.begin_array();
        for (const Cell& c : t.rows[r]) {
            if (const auto* i = std::get_if<std::int64_t>(&c))
                w.value(*i);
            else if (const auto* d = std::get_if<double>(&c))
                w.value(*d, 6);
            else if (const auto* s = std::get_if<std::string>(&c))
                w.value(clip(*s, max_bytes, buf));
            else
                w.null();
        }
        w.end_array();
    }
    w.end_array().end_object();
    return out;
}

std::vector<std::size_t> first_rows(const Table& t, std::size_t n) {
    std::vector<std::size_t> v(std::min(n, t.rows.size()));
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = i;
    return v;
}

// Interned strings of the explorer's sessions: index 0 is "".
class Strings {
public:
    explicit Strings(std::size_t max_bytes) : max_(max_bytes) { get({}); }
    std::uint64_t get(std::string_view s) {
        auto it = index_.find(s);
        if (it != index_.end()) return it->second;
        const std::string& key = owned_.emplace_back(s);  // s may point into a temporary
        std::string buf;
        std::string_view v = clip(key, max_, buf);
        if (v.data() == buf.data()) v = owned_.emplace_back(std::move(buf));
        const std::uint64_t id = list_.size();
        list_.push_back(v);
        bytes_ += v.size() + 3;
        index_.emplace(std::string_view(key), id);
        return id;
    }
    const std::vector<std::string_view>& list() const { return list_; }
    std::size_t bytes() const { return bytes_; }  // about their JSON size

private:
    std::size_t max_;
    std::size_t bytes_ = 0;
    std::deque<std::string> owned_;
    std::vector<std::string_view> list_;
    std::unordered_map<std::string_view, std::uint64_t> index_;
};

// A computed table (not in tables/): built here for the report only.
Table make_table(std::string name, std::string doc, std::vector<Column> cols) {
    Table t;
    t.name = std::move(name);
    t.doc = std::move(doc);
    t.columns = std::move(cols);
    return t;
}

struct Counts3 {
    std::uint64_t sessions = 0, attempts = 0, successes = 0;
};

}  // namespace

bool report_html_available() { return report_assets::kTemplateSize > 0; }

std::string report_data_json(const RunData& run, const ReportOptions& opt) {
    const std::vector<Session>& sessions = run.sessions;
    const std::size_t n = sessions.size();
    const std::size_t max_bytes = opt.max_string_bytes;
    std::string cut;  // scratch for clip()

    // ---------------------------------------------------------------- steps per session
    // The forks and pre-disconnect drill-downs need each session's step templates (steps.hpp),
    // exactly as the analyses counted them.
    TemplateCache cache;
    const Table* forks = find_table(run, "forks");
    const Table* pre = find_table(run, "predisconnect");
    std::vector<std::string_view> last_template(n);
    std::size_t max_fork_depth = 0;
    std::unordered_map<std::string, std::size_t> fork_row;  // channel \n prefix -> row
    if (forks) {
        const int cc = column(forks, "channel"), cp = column(forks, "prefix"), cd = column(forks, "depth");
        for (std::size_t r = 0; r < std::min(forks->rows.size(), opt.max_table_rows); ++r) {
            const auto& row = forks->rows[r];
            fork_row.emplace(std::string(text_at(row, cc)) + "\n" + std::string(text_at(row, cp)), r);
            max_fork_depth = std::max<std::size_t>(max_fork_depth, static_cast<std::size_t>(number_at(row, cd)));
        }
    }
    std::map<std::pair<std::string_view, std::string_view>, std::size_t> pre_row;  // (kind, command) -> row
    const std::size_t pre_rows = pre ? std::min(pre->rows.size(), opt.max_table_rows) : 0;
    if (pre) {
        const int ck = column(pre, "kind"), cc = column(pre, "command");
        for (std::size_t r = 0; r < pre_rows; ++r) pre_row.emplace(std::make_pair(text_at(pre->rows[r], ck), text_at(pre->rows[r], cc)), r);
    }
    std::vector<std::vector<std::size_t>> fork_examples(fork_row.size() ? forks->rows.size() : 0);
    std::vector<std::vector<std::size_t>> pre_examples(pre_rows);
    const std::size_t pre_keep = std::max<std::size_t>(1, opt.drill_examples / 2);
    std::vector<std::string_view> tpl;
    Steps steps;
    std::string key;
    // Sessions are sorted by start: walking backwards keeps the most recent examples.
    for (std::size_t i = n; i-- > 0;) {
        const Session& s = sessions[i];
        if (s.commands == 0) continue;
        tpl.clear();
        session_steps(s, run.markers, cache, steps);
        for (const auto step : steps.text) tpl.push_back(cache.get(step));
        if (tpl.empty()) continue;
        last_template[i] = tpl.back();
        const bool left = session_left(s);
        if (!left) continue;
        if (!fork_row.empty() && tpl.size() <= max_fork_depth) {
            key.assign(channel_name(s.channel));
            key.push_back('\n');
            for (std::size_t k = 0; k < tpl.size(); ++k) {
                if (k) key.append(" \xE2\x86\x92 ");
                key.append(tpl[k]);
            }
            auto it = fork_row.find(key);
            if (it != fork_row.end() && fork_examples[it->second].size() < opt.drill_examples)
                fork_examples[it->second].push_back(i);
        }
        if (!pre_row.empty()) {
            for (auto k : {std::make_pair(std::string_view("raw"), s.last_step),
                           std::make_pair(std::string_view("template"), tpl.back())}) {
                auto it = pre_row.find(k);
                if (it != pre_row.end() && pre_examples[it->second].size() < pre_keep) pre_examples[it->second].push_back(i);
            }
        }
    }

    // ---------------------------------------------------------------- referenced sessions
    std::unordered_set<std::string> wanted;
    auto want_column = [&](const char* table, const char* col, std::size_t rows) {
        const Table* t = find_table(run, table);
        const int c = column(t, col);
        if (c < 0) return;
        for (std::size_t r = 0; r < std::min(rows, t->rows.size()); ++r) split_ids(text_at(t->rows[r], c), wanted);
    };
    want_column("forks", "example_sessions", opt.max_table_rows);
    want_column("campaigns", "example_sessions", 200);
    want_column("action_paths", "example_session", opt.max_table_rows);
    want_column("last_output", "example_session", opt.max_table_rows);
    want_column("tty_tells", "example_session", opt.max_table_rows);
    want_column("outliers", "example_sessions", 100);
    if (const Table* t = find_table(run, "outliers")) {
        const int cs = column(t, "sensor"), ci = column(t, "session");
        for (std::size_t r = 0; r < std::min<std::size_t>(100, t->rows.size()); ++r)
            wanted.insert(std::string(text_at(t->rows[r], cs)) + "/" + std::string(text_at(t->rows[r], ci)));
    }
    const std::string hints_text = cb::hints_json(run.findings);
    const std::string* hints_json = nullptr;
    if (!hints_text.empty()) {
        hints_json = &hints_text;
        simdjson::dom::parser parser;
        simdjson::dom::element doc;
        if (!parser.parse(hints_text).get(doc)) {
            simdjson::dom::array hints;
            if (!doc["hints"].get_array().get(hints))
                for (auto h : hints) {
                    simdjson::dom::array ex;
                    if (h["evidence"]["example_sessions"].get_array().get(ex)) continue;
                    for (auto e : ex) {
                        std::string_view id;
                        if (!e.get_string().get(id)) wanted.emplace(id);
                    }
                }
        } else {
            hints_json = nullptr;  // not JSON: leave it out rather than break the page
        }
    }
    std::vector<std::uint8_t> referenced(n, 0);
    for (const auto& v : fork_examples)
        for (auto i : v) referenced[i] = 1;
    for (const auto& v : pre_examples)
        for (auto i : v) referenced[i] = 1;
    if (!wanted.empty()) {
        std::string id;
        for (std::size_t i = 0; i < n; ++i) {
            if (referenced[i]) continue;
            id.assign(sessions[i].sensor);
            id.push_back('/');
            id.append(sessions[i].session);
            if (wanted.count(id)) referenced[i] = 1;
        }
    }

    // ---------------------------------------------------------------- the explorer's sessions
    auto tier = [&](std::size_t i) { return sessions[i].commands ? 0 : sessions[i].login_attempts ? 1 : 2; };
    auto more_relevant = [&](std::size_t a, std::size_t b) {
        const int ta = tier(a), tb = tier(b);
        if (ta != tb) return ta < tb;
        return a > b;  // sorted by start: a higher index is more recent
    };
    std::vector<std::size_t> embedded, rest;
    for (std::size_t i = 0; i < n; ++i) (referenced[i] ? embedded : rest).push_back(i);
    const std::size_t n_referenced = embedded.size();
    if (rest.size() > opt.max_sessions) {
        std::nth_element(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(opt.max_sessions), rest.end(), more_relevant);
        rest.resize(opt.max_sessions);
    }
    // Sessions that other sections link to come first (they have the first claim on the size
    // budget), then the others; each part most relevant first. The page sorts for display.
    std::sort(embedded.begin(), embedded.end(), more_relevant);
    std::sort(rest.begin(), rest.end(), more_relevant);
    embedded.insert(embedded.end(), rest.begin(), rest.end());
    std::unordered_map<std::string, std::size_t> embedded_pos;
    for (std::size_t k = 0; k < embedded.size(); ++k) embedded_pos.emplace(session_id(sessions[embedded[k]]), k);
    std::vector<std::string_view> campaign_of(embedded.size());
    if (const Table* sc = find_table(run, "session_campaigns")) {
        const int cs = column(sc, "sensor"), ci = column(sc, "session"), cc = column(sc, "campaign");
        std::string id;
        for (const auto& row : sc->rows) {
            id.assign(text_at(row, cs));
            id.push_back('/');
            id.append(text_at(row, ci));
            if (auto it = embedded_pos.find(id); it != embedded_pos.end()) campaign_of[it->second] = text_at(row, cc);
        }
    }

    // ---------------------------------------------------------------- overview, timeline, computed tables
    std::string overview;
    std::string timeline;
    std::vector<Table> computed;
    std::vector<std::uint64_t> computed_total;  // rows before the cap
    {
        std::unordered_map<std::string_view, std::uint64_t> sensor_sessions;
        struct IpAgg {
            std::uint64_t sessions = 0, attempts = 0, successes = 0, commands = 0, downloads = 0;
            std::vector<std::string_view> sensors;
            Micros first = INT64_MAX, last = INT64_MIN;
        };
        std::unordered_map<std::string_view, IpAgg> ips;
        struct FwdAgg {
            std::string_view host;
            std::int64_t port = -1;
            std::uint64_t requests = 0, sessions = 0;
            std::set<std::string_view> src_ips;
            Micros first = INT64_MAX, last = INT64_MIN;
        };
        std::map<std::pair<std::string_view, std::int64_t>, FwdAgg> fwd;
        // The run-wide counts come from run.totals (shared with summary.json); this pass
        // builds what only the report shows: per sensor, per address, per forwarding target.
        std::set<std::pair<std::string_view, std::int64_t>> seen_targets;
        for (const Session& s : sessions) {
            ++sensor_sessions[s.sensor];
            std::uint64_t dl = 0;
            seen_targets.clear();
            for (const Item& it : s.items) {
                dl += it.kind == ItemKind::Download || it.kind == ItemKind::DownloadFailed;
                if (it.kind == ItemKind::Tcpip) {
                    FwdAgg& f = fwd[{it.a, it.num}];
                    f.host = it.a;
                    f.port = it.num;
                    ++f.requests;
                    if (seen_targets.insert({it.a, it.num}).second) ++f.sessions;
                    if (!s.src_ip.empty()) f.src_ips.insert(s.src_ip);
                    f.first = std::min(f.first, it.ts);
                    f.last = std::max(f.last, it.ts);
                }
            }
            if (!s.src_ip.empty()) {
                IpAgg& a = ips[s.src_ip];
                ++a.sessions;
                a.attempts += s.login_attempts;
                a.successes += s.login_successes;
                a.commands += s.commands;
                a.downloads += dl;
                if (std::find(a.sensors.begin(), a.sensors.end(), s.sensor) == a.sensors.end() && a.sensors.size() < 1000)
                    a.sensors.push_back(s.sensor);
                a.first = std::min(a.first, s.start);
                a.last = std::max(a.last, s.end);
            }
        }
        const SessionTotals& tot = run.totals;
        // (end kind, channel) by name, in name order
        std::map<std::pair<std::string_view, std::string_view>, std::uint64_t> end_by_channel;
        for (int k = 0; k < 4; ++k)
            for (int c = 0; c < 3; ++c)
                if (tot.end_by_channel[k][c])
                    end_by_channel[{end_kind_name(static_cast<EndKind>(k)), channel_name(static_cast<Channel>(c))}] =
                        tot.end_by_channel[k][c];

        JsonWriter w(overview);
        w.begin_object();
        w.key("inputs").begin_object();
        append_ingest_counts_json(w, run, max_bytes);
        std::map<std::string_view, std::uint64_t> others, compressed;
        for (const auto& f : run.inputs.files)
            if (f.kind != FileKind::JsonLog) ++others[file_kind_name(f.kind)];
        for (const auto& f : run.ingest.files) ++compressed[compression_name(f.file.compression)];
        w.key("compression").begin_object();
        for (const auto& [k, v] : compressed) w.field(k, v);
        w.end_object();
        w.key("other_files").begin_object();
        for (const auto& [k, v] : others) w.field(k, v);
        w.end_object();
        std::size_t problems = 0;
        w.key("problems").begin_array();
        for (const auto& p : run.inputs.problems)
            if (problems++ < 100)
                w.begin_object().field("path", clip(p.path, max_bytes, cut)).field("reason", std::string_view(p.reason)).end_object();
        for (const auto& f : run.ingest.files)
            if (!f.error.empty() && problems++ < 100)
                w.begin_object()
                    .field("path", clip(f.file.path, max_bytes, cut))
                    .field("reason", std::string_view(f.error))
                    .field("events_kept", f.counts.events)
                    .end_object();
        w.end_array();
        w.field("problems_total", static_cast<std::uint64_t>(problems));
        w.end_object();  // inputs
        w.field("sessions", static_cast<std::uint64_t>(n)).field("sessions_closed", tot.closed);
        w.field("sensors", tot.sensors);
        w.field("src_ips", tot.src_ips);
        w.key("first_event");
        if (n) w.value(to_ms(tot.first)); else w.null();
        w.key("last_event");
        if (n) w.value(to_ms(tot.last)); else w.null();
        w.key("logins").begin_object().field("attempts", tot.login_attempts).field("success", tot.login_successes).end_object();
        w.field("commands", tot.commands).field("failed_commands", tot.failed_commands);
        w.field("downloads", tot.downloads).field("downloads_failed", tot.downloads_failed).field("uploads", tot.uploads);
        w.field("file_writes", tot.file_writes).field("persistence_writes", tot.persistence_writes);
        w.field("tcpip_requests", tot.tcpip_requests).field("ttylogs", tot.ttylogs);
        auto counts = [&](std::string_view k, const std::map<std::string_view, std::uint64_t>& m) {
            w.key(k).begin_object();
            for (const auto& [name, v] : m) w.field(name, v);
            w.end_object();
        };
        counts("protocols", tot.protocols);
        counts("end_kinds", tot.end_kinds());
        counts("channels", tot.channels());
        w.key("end_by_channel").begin_array();
        for (const auto& [k, v] : end_by_channel) w.begin_array().value(k.first).value(k.second).value(v).end_array();
        w.end_array();
        w.key("options")
            .begin_object()
            .field("idle_timeout_s", run.session_options.idle_timeout_s)
            .field("auth_timeout_s", run.session_options.auth_timeout_s)
            .end_object();
        w.end_object();

        // Files read.
        {
            Table t = make_table("files", "JSON event logs read, in path order", {
                {"path", ColumnType::Text, "as given or found"},
                {"compression", ColumnType::Text, "by magic bytes"},
                {"bytes", ColumnType::Integer, "on disk"},
                {"decoded_bytes", ColumnType::Integer, "after decompression"},
                {"lines", ColumnType::Integer, "non-blank lines"},
                {"events", ColumnType::Integer, "lines that became events"},
                {"rejected", ColumnType::Integer, "lines that were not events (summary.json says why)"},
                {"error", ColumnType::Text, "a read or decompression problem; the lines before it were kept"}});
            for (std::size_t i = 0; i < std::min(run.ingest.files.size(), opt.max_table_rows); ++i) {
                const FileReport& f = run.ingest.files[i];
                t.rows.push_back({f.file.path, std::string(compression_name(f.file.compression)),
                                  static_cast<std::int64_t>(f.counts.bytes), static_cast<std::int64_t>(f.counts.decoded_bytes),
                                  static_cast<std::int64_t>(f.counts.lines), static_cast<std::int64_t>(f.counts.events),
                                  static_cast<std::int64_t>(f.counts.rejected_total()), f.error});
            }
            computed.push_back(std::move(t));
            computed_total.push_back(run.ingest.files.size());
        }
        // Source addresses.
        {
            std::vector<std::pair<std::string_view, const IpAgg*>> v;
            v.reserve(ips.size());
            for (const auto& [ip, a] : ips) v.emplace_back(ip, &a);
            const std::size_t k = std::min(v.size(), opt.max_table_rows);
            std::partial_sort(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end(), [](const auto& a, const auto& b) {
                if (a.second->sessions != b.second->sessions) return a.second->sessions > b.second->sessions;
                return a.first < b.first;
            });
            Table t = make_table("src_ips", "source addresses, most sessions first", {
                {"src_ip", ColumnType::Text, ""},
                {"sessions", ColumnType::Integer, ""},
                {"login_attempts", ColumnType::Integer, ""},
                {"login_successes", ColumnType::Integer, ""},
                {"commands", ColumnType::Integer, "command lines"},
                {"downloads", ColumnType::Integer, "downloads, including failed ones"},
                {"sensors", ColumnType::Integer, "distinct sensors"},
                {"first_seen", ColumnType::Text, "UTC"},
                {"last_seen", ColumnType::Text, "UTC"}});
            for (std::size_t i = 0; i < k; ++i) {
                const IpAgg& a = *v[i].second;
                t.rows.push_back({std::string(v[i].first), static_cast<std::int64_t>(a.sessions),
                                  static_cast<std::int64_t>(a.attempts), static_cast<std::int64_t>(a.successes),
                                  static_cast<std::int64_t>(a.commands), static_cast<std::int64_t>(a.downloads),
                                  static_cast<std::int64_t>(a.sensors.size()), format_timestamp(a.first),
                                  format_timestamp(a.last)});
            }
            computed.push_back(std::move(t));
            computed_total.push_back(ips.size());
        }
        // Forwarding targets (direct-tcpip requests).
        {
            std::vector<const FwdAgg*> v;
            for (const auto& [k, f] : fwd) v.push_back(&f);
            std::stable_sort(v.begin(), v.end(), [](const FwdAgg* a, const FwdAgg* b) {
                if (a->sessions != b->sessions) return a->sessions > b->sessions;
                return a->requests > b->requests;
            });
            Table t = make_table("forwarding", "targets of SSH port-forwarding (direct-tcpip) requests", {
                {"dst_ip", ColumnType::Text, "target host as requested"},
                {"dst_port", ColumnType::Integer, ""},
                {"requests", ColumnType::Integer, ""},
                {"sessions", ColumnType::Integer, ""},
                {"src_ips", ColumnType::Integer, "distinct source addresses"},
                {"first_seen", ColumnType::Text, "UTC"},
                {"last_seen", ColumnType::Text, "UTC"}});
            for (std::size_t i = 0; i < std::min(v.size(), opt.max_table_rows); ++i)
                t.rows.push_back({std::string(v[i]->host), v[i]->port, static_cast<std::int64_t>(v[i]->requests),
                                  static_cast<std::int64_t>(v[i]->sessions), static_cast<std::int64_t>(v[i]->src_ips.size()),
                                  format_timestamp(v[i]->first), format_timestamp(v[i]->last)});
            computed.push_back(std::move(t));
            computed_total.push_back(fwd.size());
        }

        // Timeline: sessions (by start) and logins (by their own time) per UTC day and hour.
        std::vector<std::pair<std::string_view, std::uint64_t>> ranked(sensor_sessions.begin(), sensor_sessions.end());
        std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
            if (a.second != b.second) return a.second > b.second;
            return a.first < b.first;
        });
        const std::size_t shown = std::min(ranked.size(), opt.timeline_sensors);
        std::unordered_map<std::string_view, std::uint32_t> sensor_index;
        for (std::size_t i = 0; i < ranked.size(); ++i) sensor_index[ranked[i].first] = static_cast<std::uint32_t>(std::min(i, shown));
        constexpr Micros kHour = 3600LL * 1000000, kDay = 24 * kHour;
        auto bucket = [](Micros t, Micros size) { return (t >= 0 ? t / size : (t - size + 1) / size) * (size / 1000); };
        // Hash maps while counting (one lookup per session and login), sorted once at the end.
        struct PairHash {
            std::size_t operator()(const std::pair<std::int64_t, std::uint32_t>& k) const noexcept {
                return std::hash<std::int64_t>{}(k.first * 1024 + k.second);
            }
        };
        std::unordered_map<std::pair<std::int64_t, std::uint32_t>, Counts3, PairHash> day_map, hour_map;
        for (const Session& s : sessions) {
            const std::uint32_t si = sensor_index[s.sensor];
            if (s.start != kNoTime) {
                ++day_map[{bucket(s.start, kDay), si}].sessions;
                ++hour_map[{bucket(s.start, kHour), si}].sessions;
            }
            // A session's logins mostly fall in one hour: look the buckets up again only when
            // the hour changes (map nodes never move, so the pointers stay valid).
            std::int64_t cached_hour = INT64_MIN;
            Counts3 *d = nullptr, *h = nullptr;
            for (const Item& it : s.items) {
                if (it.kind != ItemKind::Login || it.ts == kNoTime) continue;
                if (const std::int64_t hb = bucket(it.ts, kHour); hb != cached_hour) {
                    cached_hour = hb;
                    d = &day_map[{bucket(it.ts, kDay), si}];
                    h = &hour_map[{hb, si}];
                }
                ++d->attempts;
                ++h->attempts;
                d->successes += it.flag;
                h->successes += it.flag;
            }
        }
        const std::map<std::pair<std::int64_t, std::uint32_t>, Counts3> days(day_map.begin(), day_map.end());
        std::map<std::pair<std::int64_t, std::uint32_t>, Counts3> hours;
        if (hour_map.size() <= opt.max_hour_points) hours.insert(hour_map.begin(), hour_map.end());
        JsonWriter t(timeline);
        t.begin_object().key("sensors").begin_array();
        for (std::size_t i = 0; i < shown; ++i) t.value(clip(ranked[i].first, 200, cut));
        if (ranked.size() > shown)
            t.value(std::string_view("other sensors (" + std::to_string(ranked.size() - shown) + ")"));
        t.end_array();
        auto points = [&](std::string_view k, const std::map<std::pair<std::int64_t, std::uint32_t>, Counts3>& m) {
            t.key(k);
            if (k == "hour" && hour_map.size() > opt.max_hour_points) {
                t.null();
                return;
            }
            t.begin_array();
            for (const auto& [b, v] : m)
                t.begin_array().value(b.first).value(b.second).value(v.sessions).value(v.attempts).value(v.successes).end_array();
            t.end_array();
        };
        points("day", days);
        points("hour", hours);
        t.field("hour_points", static_cast<std::uint64_t>(hour_map.size()));
        t.field("max_hour_points", static_cast<std::uint64_t>(opt.max_hour_points));
        t.end_object();
    }

    // ---------------------------------------------------------------- tables
    std::string tables = "{";
    auto add_table = [&](const Table& t, const std::vector<std::size_t>& rows, std::string_view note = {},
                         std::uint64_t total = 0) {
        if (tables.size() > 1) tables.push_back(',');
        append_json_string(tables, t.name);
        tables.push_back(':');
        tables += table_json(t, rows, opt.max_cell_bytes, note, total);
    };
    for (std::size_t i = 0; i < computed.size(); ++i)
        add_table(computed[i], first_rows(computed[i], opt.max_table_rows), {}, computed_total[i]);
    for (const char* name : {"sensors", "credentials", "key_fingerprints", "commands", "client_versions", "hassh",
                             "downloads", "file_writes",
                             "failed_commands", "forks", "predisconnect", "action_paths", "transitions", "ngrams",
                             "campaigns", "novelty_recent", "outliers", "weird_strings", "last_output", "tty_tells"}) {
        if (const Table* t = find_table(run, name)) add_table(*t, first_rows(*t, opt.max_table_rows));
    }
    // changes: the whole series of every flagged series (strongest first, at most 40) and of the totals.
    if (const Table* t = find_table(run, "changes")) {
        const int cs = column(t, "series"), cf = column(t, "flag"), cz = column(t, "score");
        std::map<std::string_view, double> strength;
        for (const auto& row : t->rows)
            if (number_at(row, cf) != 0) {
                double& v = strength[text_at(row, cs)];
                v = std::max(v, std::abs(number_at(row, cz)));
            }
        std::vector<std::pair<std::string_view, double>> v(strength.begin(), strength.end());
        std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
        std::set<std::string_view> keep = {"sessions", "logins", "logins_success"};
        for (std::size_t i = 0; i < std::min<std::size_t>(40, v.size()); ++i) keep.insert(v[i].first);
        std::vector<std::size_t> rows;
        for (std::size_t r = 0; r < t->rows.size() && rows.size() < 40000; ++r)
            if (keep.count(text_at(t->rows[r], cs))) rows.push_back(r);
        add_table(*t, rows,
                  "the series sessions, logins and logins_success and every series with a flagged day (the " +
                      std::to_string(std::min<std::size_t>(40, v.size())) + " strongest of " + std::to_string(v.size()) + ")");
    }
    // predisconnect_weekly: the 20 commands that were last most often.
    if (const Table* t = find_table(run, "predisconnect_weekly")) {
        const int cc = column(t, "command"), cl = column(t, "sessions_last");
        std::map<std::string_view, double> total;
        for (const auto& row : t->rows) total[text_at(row, cc)] += number_at(row, cl);
        std::vector<std::pair<std::string_view, double>> v(total.begin(), total.end());
        std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
        std::set<std::string_view> keep;
        for (std::size_t i = 0; i < std::min<std::size_t>(20, v.size()); ++i) keep.insert(v[i].first);
        std::vector<std::size_t> rows;
        for (std::size_t r = 0; r < t->rows.size() && rows.size() < 10000; ++r)
            if (keep.count(text_at(t->rows[r], cc))) rows.push_back(r);
        add_table(*t, rows, "the 20 commands that were last in most sessions");
    }
    tables.push_back('}');

    // ---------------------------------------------------------------- sessions
    Strings strs(max_bytes);
    std::string rows_json;
    std::size_t n_embedded = 0;
    bool budget_hit = false;
    {
        JsonWriter w(rows_json);
        w.begin_array();
        for (std::size_t k = 0; k < embedded.size(); ++k) {
            if (k > 0 && rows_json.size() + strs.bytes() > opt.max_session_bytes) {
                budget_hit = true;  // the rest, least relevant first, stay out
                break;
            }
            const std::size_t i = embedded[k];
            const Session& s = sessions[i];
            const std::int64_t start = to_ms(s.start);
            w.begin_array();
            w.value(strs.get(s.sensor)).value(strs.get(s.session)).value(strs.get(s.src_ip)).value(s.src_port);
            w.value(strs.get(s.dst_ip)).value(s.dst_port).value(strs.get(s.protocol)).value(start).value(to_ms(s.end));
            w.value(s.duration_s, 3).value(strs.get(s.client_version)).value(strs.get(s.hassh));
            w.value(strs.get(end_kind_name(s.end_kind))).value(strs.get(channel_name(s.channel)));
            w.value(strs.get(campaign_of[k]));
            w.value(s.login_attempts).value(s.login_successes).value(s.commands).value(s.failed_commands);
            w.value(strs.get(last_template[i])).value(strs.get(s.last_step)).value(session_left(s) ? 1 : 0);
            w.value(static_cast<std::uint64_t>(s.items.size())).value(referenced[i] ? 1 : 0);
            w.begin_array();
            std::size_t ci = 0, written = 0;
            for (const Item& it : s.items) {
                const bool failed = it.kind == ItemKind::Command && ci < s.cmd_failed.size() && s.cmd_failed[ci] != 0;
                if (it.kind == ItemKind::Command) ++ci;
                if (written++ >= opt.max_items_per_session) continue;
                w.begin_array()
                    .value(it.ts == kNoTime ? 0 : to_ms(it.ts) - start)
                    .value(static_cast<int>(it.kind))
                    .value(strs.get(it.a))
                    .value(strs.get(it.b))
                    .value(strs.get(it.kind == ItemKind::FileWrite ? persistence_kind(it.a) : it.c))  // data.js
                    .value(it.num)
                    .value((it.kind == ItemKind::Command ? failed : it.flag) ? 1 : 0)
                    .end_array();
            }
            w.end_array();
            w.end_array();
            ++n_embedded;
        }
        w.end_array();
    }
    std::string sess;
    {
        JsonWriter w(sess);
        w.begin_object();
        w.field("total", static_cast<std::uint64_t>(n));
        w.field("embedded", static_cast<std::uint64_t>(n_embedded));
        w.field("referenced", static_cast<std::uint64_t>(n_referenced));
        w.field("cap", static_cast<std::uint64_t>(opt.max_sessions));
        w.field("max_items", static_cast<std::uint64_t>(opt.max_items_per_session));
        w.field("budget_bytes", static_cast<std::uint64_t>(opt.max_session_bytes));
        w.field("budget_hit", budget_hit);
        w.key("fields").begin_array();
        for (const char* f : {"sensor", "session", "src_ip", "src_port", "dst_ip", "dst_port", "protocol", "start", "end",
                              "duration_s", "client_version", "hassh", "end_kind", "channel", "campaign", "login_attempts",
                              "login_successes", "commands", "failed_commands", "last_template", "last_step", "left", "items_total",
                              "referenced", "items"})
            w.value(f);
        w.end_array();
        w.key("item_fields").begin_array();
        for (const char* f : {"ms_after_start", "kind", "a", "b", "c", "num", "flag"}) w.value(f);
        w.end_array();
        w.key("rows");
        w.null();  // placeholder, replaced below (JsonWriter has no raw values)
        w.end_object();
        sess.replace(sess.size() - 5, 4, rows_json);
    }
    std::string strings_json = "[";
    for (std::size_t i = 0; i < strs.list().size(); ++i) {
        if (i) strings_json.push_back(',');
        append_json_string(strings_json, strs.list()[i]);
    }
    strings_json.push_back(']');

    // TTY replays: the recordings of the embedded sessions, in the explorer's order.
    std::string tty;
    {
        JsonWriter w(tty);
        w.begin_object();
        w.key("sessions").begin_object();
        std::size_t total_bytes = 0, recordings = 0, replayed = 0;
        bool budget_hit = false;
        std::string text, ev;
        for (std::size_t k = 0; k < n_embedded; ++k) {
            const Session& s = sessions[embedded[k]];
            std::vector<const Item*> recs;
            for (const Item& it : s.items)
                if (it.kind == ItemKind::TtyLog && !it.c.empty() &&
                    std::none_of(recs.begin(), recs.end(), [&](const Item* x) { return x->c == it.c; }))
                    recs.push_back(&it);
            if (recs.empty()) continue;
            w.key(session_id(s)).begin_array();
            for (const Item* it : recs) {
                ++recordings;
                w.begin_object();
                std::string_view name = it->a;
                if (const auto slash = name.find_last_of('/'); slash != std::string_view::npos) name.remove_prefix(slash + 1);
                w.field("name", name);
                if (total_bytes >= opt.max_tty_bytes) {
                    budget_hit = true;
                    w.field("omitted", true).end_object();
                    continue;
                }
                TtyReader reader{std::string(it->c)};
                reader.set_max_bytes(run.limits.max_recording_bytes);
                TtyRecord rec;
                TermFilter filters[2] = {TermFilter(EscapePolicy::Strip), TermFilter(EscapePolicy::Strip)};
                Micros t0 = kNoTime;
                std::size_t bytes = 0;
                bool cut = false;
                w.key("events").begin_array();
                std::int64_t ev_ms = -1;
                ev.clear();
                auto flush = [&] {
                    if (ev_ms >= 0 && !ev.empty()) {
                        w.begin_array().value(static_cast<double>(ev_ms) / 1000.0, 3).value(std::string_view(ev)).end_array();
                    }
                    ev.clear();
                };
                while (!cut && reader.next(&rec)) {
                    if (t0 == kNoTime) t0 = rec.ts;
                    if (rec.op != TtyOp::Write || (rec.dir != TtyDir::Output && rec.dir != TtyDir::Interact)) continue;
                    text.clear();
                    filters[rec.dir == TtyDir::Output ? 0 : 1].feed(rec.data, text);
                    if (text.empty()) continue;
                    if (bytes + text.size() > opt.max_tty_recording_bytes) {
                        std::size_t keep = opt.max_tty_recording_bytes - bytes;
                        while (keep > 0 && (static_cast<unsigned char>(text[keep]) & 0xC0) == 0x80) --keep;
                        text.resize(keep);
                        cut = true;
                    }
                    const std::int64_t ms = std::max<std::int64_t>(0, (rec.ts - t0) / 1000);
                    if (ms != ev_ms) {
                        flush();
                        ev_ms = ms;
                    }
                    ev += text;
                    bytes += text.size();
                }
                flush();
                w.end_array();
                total_bytes += bytes;
                ++replayed;
                w.field("bytes", static_cast<std::uint64_t>(bytes)).field("cut", cut);
                w.field("status", tty_status_name(cut ? TtyStatus::Ok : reader.status()));
                w.key("duration_s").value(t0 == kNoTime || reader.last_ts() == kNoTime ? 0.0 : static_cast<double>(reader.last_ts() - t0) / 1e6, 3);
                w.end_object();
            }
            w.end_array();
        }
        w.end_object();
        w.field("recordings", static_cast<std::uint64_t>(recordings)).field("replayed", static_cast<std::uint64_t>(replayed));
        w.field("bytes", static_cast<std::uint64_t>(total_bytes)).field("budget_hit", budget_hit);
        w.field("cap_bytes", static_cast<std::uint64_t>(opt.max_tty_bytes));
        w.field("cap_recording_bytes", static_cast<std::uint64_t>(opt.max_tty_recording_bytes));
        w.end_object();
    }

    // Drill-downs: example sessions per forks / predisconnect row (ids, most recent first).
    std::string drill;
    {
        JsonWriter w(drill);
        w.begin_object();
        auto lists = [&](std::string_view k, const std::vector<std::vector<std::size_t>>& v) {
            w.key(k).begin_array();
            for (const auto& l : v) {
                w.begin_array();
                for (auto i : l) w.value(std::string_view(session_id(sessions[i])));
                w.end_array();
            }
            w.end_array();
        };
        lists("forks", fork_examples);
        lists("predisconnect", pre_examples);
        w.end_object();
    }

    // Facts the page shows as they are (the analyses' summary figures).
    const std::string facts = report_facts_json(run.findings);

    std::string meta;
    {
        JsonWriter w(meta);
        w.begin_object();
        w.field("format", kReportFormat).field("tool", "cowrie-batch").field("version", kVersion);
        w.key("caps")
            .begin_object()
            .field("sessions", static_cast<std::uint64_t>(opt.max_sessions))
            .field("table_rows", static_cast<std::uint64_t>(opt.max_table_rows))
            .field("items_per_session", static_cast<std::uint64_t>(opt.max_items_per_session))
            .field("string_bytes", static_cast<std::uint64_t>(opt.max_string_bytes))
            .field("cell_bytes", static_cast<std::uint64_t>(opt.max_cell_bytes))
            .field("session_bytes", static_cast<std::uint64_t>(opt.max_session_bytes))
            .field("tty_bytes", static_cast<std::uint64_t>(opt.max_tty_bytes))
            .field("tty_recording_bytes", static_cast<std::uint64_t>(opt.max_tty_recording_bytes))
            .end_object();
        w.end_object();
    }

    std::string out;
    out.reserve(meta.size() + overview.size() + timeline.size() + tables.size() + sess.size() + strings_json.size() +
                drill.size() + facts.size() + tty.size() + (hints_json ? hints_json->size() : 4) + 200);
    out += "{\"meta\":" + meta;
    out += ",\"overview\":" + overview;
    out += ",\"timeline\":" + timeline;
    out += ",\"hints\":";
    if (hints_json) {
        std::string_view h = *hints_json;
        while (!h.empty() && (h.back() == '\n' || h.back() == ' ')) h.remove_suffix(1);
        out += h;
    } else {
        out += "null";
    }
    out += ",\"facts\":" + facts;
    out += ",\"tables\":" + tables;
    out += ",\"drill\":" + drill;
    out += ",\"strings\":" + strings_json;
    out += ",\"sessions\":" + sess;
    out += ",\"tty\":" + tty;
    out += "}";

    // '<', '>' and '&' occur only inside JSON strings: escaping them all keeps "</script",
    // "<!--" and friends out of the HTML data block whatever the analyses wrote.
    std::string safe;
    safe.reserve(out.size() + out.size() / 64);
    for (char ch : out) {
        switch (ch) {
            case '<': safe += "\\u003c"; break;
            case '>': safe += "\\u003e"; break;
            case '&': safe += "\\u0026"; break;
            default: safe.push_back(ch);
        }
    }
    return safe;
}

std::string report_html(const RunData& run, const ReportOptions& opt) {
    if (!report_html_available()) return {};
    const std::string_view tpl(report_assets::kTemplate, report_assets::kTemplateSize);
    const std::size_t at = tpl.find(kMarker);
    if (at == std::string_view::npos) return {};
    const std::string data = report_data_json(run, opt);
    std::string out;
    out.reserve(tpl.size() + data.size());
    out.append(tpl.substr(0, at));
    out.append(data);
    out.append(tpl.substr(at + kMarker.size()));
    return out;
}

std::string write_report_html(const std::string& path, const RunData& run, const ReportOptions& opt) {
    if (!report_html_available()) return {};
    return write_file_atomic(path, report_html(run, opt));
}

}  // namespace cb
