// report.html: the embedded page template (report/, see report.cmake) plus the run's data as
// compact JSON, one part per section of the page (report/report_parts.hpp). See
// cb/output/report_html.hpp and docs/OUTPUTS.md ("report.html").
#include "cb/output/report_html.hpp"

#include "cb/util/json_writer.hpp"
#include "cb/util/text.hpp"
#include "cb/version.hpp"
#include "report/report_parts.hpp"

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

// The caps, so the page can say what it left out.
std::string meta_json(const ReportOptions& opt) {
    std::string out;
    JsonWriter w(out);
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
    return out;
}

// '<', '>' and '&' occur only inside JSON strings: escaping them all keeps "</script",
// "<!--" and friends out of the HTML data block whatever the analyses wrote.
std::string html_safe(const std::string& json) {
    std::string safe;
    safe.reserve(json.size() + json.size() / 64);
    for (char ch : json) {
        switch (ch) {
            case '<':
                safe += "\\u003c";
                break;
            case '>':
                safe += "\\u003e";
                break;
            case '&':
                safe += "\\u0026";
                break;
            default:
                safe.push_back(ch);
        }
    }
    return safe;
}

}  // namespace

bool report_html_available() { return report_assets::kTemplateSize > 0; }

std::string report_data_json(const RunData& run, const ReportPlan& plan, const ReportOptions& opt) {
    const report::Explorer& ex = plan.explorer();
    const report::SessionsPart sessions = report::sessions_json(run, ex, opt);
    std::string out = "{\"meta\":" + meta_json(opt);
    out += ",\"overview\":" + report::overview_json(run, opt);
    out += ",\"timeline\":" + report::timeline_json(run, opt);
    out += ",\"hints\":" + report::hints_json(report::read_hints(run));
    out += ",\"facts\":" + report_facts_json(run.findings);
    out += ",\"tables\":" + report::tables_json(run, opt);
    out += ",\"drill\":" + report::drill_json(run, ex.drill);
    out += ",\"strings\":" + sessions.strings;
    out += ",\"sessions\":" + sessions.sessions;
    out += ",\"tty\":" + report::tty_json(run, ex, sessions.embedded, opt);
    out += "}";
    return html_safe(out);
}

std::string report_html(const RunData& run, const ReportPlan& plan, const ReportOptions& opt) {
    if (!report_html_available()) return {};
    const std::string_view tpl(report_assets::kTemplate, report_assets::kTemplateSize);
    const std::size_t at = tpl.find(kMarker);
    if (at == std::string_view::npos) return {};
    const std::string data = report_data_json(run, plan, opt);
    std::string out;
    out.reserve(tpl.size() + data.size());
    out.append(tpl.substr(0, at));
    out.append(data);
    out.append(tpl.substr(at + kMarker.size()));
    return out;
}

std::string write_report_html(const std::string& path, const RunData& run, const ReportPlan& plan,
                              const ReportOptions& opt) {
    if (!report_html_available()) return {};
    return write_file_atomic(path, report_html(run, plan, opt));
}

}  // namespace cb
