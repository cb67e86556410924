// The overview section: what was read (inputs) and the run-wide session counts (run.totals,
// shared with summary.json).
#include <map>

#include "cb/util/json_writer.hpp"
#include "cb/util/text.hpp"
#include "report_parts.hpp"

namespace cb::report {

namespace {

template <class CountMap>  // name -> count, in name order
void counts(JsonWriter& w, std::string_view k, const CountMap& m) {
    w.key(k).begin_object();
    for (const auto& [name, v] : m) w.field(name, v);
    w.end_object();
}

// Input problems: files that could not be listed, then files read with an error; at most 100.
void problems(JsonWriter& w, const RunData& run, std::size_t max_bytes) {
    std::string cut;
    std::size_t n = 0;
    w.key("problems").begin_array();
    for (const auto& p : run.inputs.problems)
        if (n++ < 100)
            w.begin_object()
                .field("path", clip_utf8(p.path, max_bytes, cut))
                .field("reason", std::string_view(p.reason))
                .end_object();
    for (const auto& f : run.ingest.files)
        if (!f.error.empty() && n++ < 100)
            w.begin_object()
                .field("path", clip_utf8(f.file.path, max_bytes, cut))
                .field("reason", std::string_view(f.error))
                .field("events_kept", f.counts.events)
                .end_object();
    w.end_array();
    w.field("problems_total", static_cast<std::uint64_t>(n));
}

void inputs(JsonWriter& w, const RunData& run, std::size_t max_bytes) {
    w.key("inputs").begin_object();
    append_ingest_counts_json(w, run, max_bytes);
    std::map<std::string_view, std::uint64_t> others, compressed;
    for (const auto& f : run.inputs.files)
        if (f.kind != FileKind::JsonLog) ++others[file_kind_name(f.kind)];
    for (const auto& f : run.ingest.files) ++compressed[compression_name(f.file.compression)];
    counts(w, "compression", compressed);
    counts(w, "other_files", others);
    problems(w, run, max_bytes);
    w.end_object();
}

// [end kind, channel, sessions] by name, in name order.
void end_by_channel(JsonWriter& w, const SessionTotals& tot) {
    std::map<std::pair<std::string_view, std::string_view>, std::uint64_t> m;
    for (int k = 0; k < 4; ++k)
        for (int c = 0; c < 3; ++c)
            if (tot.end_by_channel[k][c])
                m[{end_kind_name(static_cast<EndKind>(k)), channel_name(static_cast<Channel>(c))}] =
                    tot.end_by_channel[k][c];
    w.key("end_by_channel").begin_array();
    for (const auto& [k, v] : m) w.begin_array().value(k.first).value(k.second).value(v).end_array();
    w.end_array();
}

void session_counts(JsonWriter& w, const RunData& run) {
    const SessionTotals& tot = run.totals;
    const bool any = tot.sessions > 0;  // run.sessions holds only the explorer's when the run spilled
    w.field("sessions", tot.sessions).field("sessions_closed", tot.closed);
    w.field("sensors", tot.sensors);
    w.field("src_ips", tot.src_ips);
    w.key("first_event");
    if (any)
        w.value(to_ms(tot.first));
    else
        w.null();
    w.key("last_event");
    if (any)
        w.value(to_ms(tot.last));
    else
        w.null();
    w.key("logins")
        .begin_object()
        .field("attempts", tot.login_attempts)
        .field("success", tot.login_successes)
        .end_object();
    w.field("commands", tot.commands).field("failed_commands", tot.failed_commands);
    w.field("downloads", tot.downloads).field("downloads_failed", tot.downloads_failed).field("uploads", tot.uploads);
    w.field("file_writes", tot.file_writes).field("persistence_writes", tot.persistence_writes);
    w.field("tcpip_requests", tot.tcpip_requests).field("ttylogs", tot.ttylogs);
    counts(w, "protocols", tot.protocols);
    counts(w, "end_kinds", tot.end_kinds());
    counts(w, "channels", tot.channels());
    end_by_channel(w, tot);
}

}  // namespace

std::string overview_json(const RunData& run, const ReportOptions& opt) {
    std::string out;
    JsonWriter w(out);
    w.begin_object();
    inputs(w, run, opt.max_string_bytes);
    session_counts(w, run);
    w.key("options")
        .begin_object()
        .field("idle_timeout_s", run.session_options.idle_timeout_s)
        .field("auth_timeout_s", run.session_options.auth_timeout_s)
        .end_object();
    w.end_object();
    return out;
}

}  // namespace cb::report
