// summary.json: what was read, what was rejected and why, and the headline counts.
#include <map>
#include <set>
#include <unordered_set>

#include "cb/json_writer.hpp"
#include "cb/text.hpp"
#include "cb/outputs.hpp"
#include "cb/version.hpp"

namespace cb {

void append_ingest_counts_json(JsonWriter& w, const RunData& run, std::size_t max_string) {
    const IngestCounts& c = run.ingest.totals;
    std::string cut;
    w.field("files", static_cast<std::uint64_t>(run.ingest.files.size()));
    w.field("bytes", c.bytes).field("decoded_bytes", c.decoded_bytes);
    w.field("lines", c.lines).field("blank_lines", c.blank_lines).field("events", c.events);
    w.key("rejected").begin_object();
    for (std::size_t i = 1; i < c.rejected.size(); ++i)
        if (c.rejected[i]) w.field(reject_reason_name(static_cast<Reject>(i)), c.rejected[i]);
    w.end_object();
    w.field("rejected_total", c.rejected_total());
    w.key("reject_samples").begin_array();
    for (const auto& s : run.ingest.samples)
        w.begin_object()
            .field("reason", reject_reason_name(s.reason))
            .field("where", clip_utf8(s.path + ":" + std::to_string(s.line), max_string, cut))
            .field("excerpt", clip_utf8(s.excerpt, max_string, cut))
            .end_object();
    w.end_array();
    w.field("utf8_repairs", c.utf8_repairs).field("type_errors", c.type_errors);
    w.field("nul_bytes_skipped", c.nul_bytes).field("sessionless_events", c.sessionless_events);
}

std::string summary_json(const RunData& run) {
    const IngestCounts& c = run.ingest.totals;
    std::string out;
    JsonWriter w(out);
    w.begin_object();
    w.key("tool").begin_object().field("name", "cowrie-batch").field("version", kVersion).end_object();

    w.key("inputs").begin_object();
    append_ingest_counts_json(w, run);
    w.key("skipped_files").begin_array();
    for (const auto& p : run.inputs.problems)
        w.begin_object().field("path", std::string_view(p.path)).field("reason", std::string_view(p.reason)).end_object();
    for (const auto& f : run.ingest.files)
        if (!f.error.empty() && f.counts.bytes == 0)
            w.begin_object()
                .field("path", std::string_view(f.file.path))
                .field("reason", std::string_view(f.error))
                .end_object();
    w.end_array();
    w.key("damaged_files").begin_array();
    for (const auto& f : run.ingest.files)
        if (!f.error.empty() && f.counts.bytes > 0)
            w.begin_object()
                .field("path", std::string_view(f.file.path))
                .field("error", std::string_view(f.error))
                .field("events_kept", f.counts.events)
                .end_object();
    w.end_array();
    std::map<std::string_view, std::vector<std::string_view>> others;
    std::map<std::string_view, std::uint64_t> compressed;
    for (const auto& f : run.inputs.files)
        if (f.kind != FileKind::JsonLog) others[file_kind_name(f.kind)].push_back(f.path);
    for (const auto& f : run.ingest.files) ++compressed[compression_name(f.file.compression)];
    w.key("compression").begin_object();
    for (const auto& [k, n] : compressed) w.field(k, n);
    w.end_object();
    w.key("other_files").begin_object();
    for (const auto& [kind, paths] : others) {
        w.key(kind).begin_array();
        for (auto p : paths) w.value(p);
        w.end_array();
    }
    w.end_object();
    w.end_object();  // inputs

    std::unordered_set<std::string_view> sensors, ips;
    std::uint64_t attempts = 0, successes = 0, commands = 0, failed = 0, downloads = 0, dl_failed = 0, uploads = 0,
                  tcpip = 0, closed = 0;
    std::map<std::string_view, std::uint64_t> end_kinds, channels, protocols;
    std::uint64_t end_n[4] = {}, channel_n[3] = {};  // by enum while counting: two map lookups less per session
    Micros first = INT64_MAX, last = INT64_MIN;
    for (const Session& s : run.sessions) {
        sensors.insert(s.sensor);
        if (!s.src_ip.empty()) ips.insert(s.src_ip);
        attempts += s.login_attempts;
        successes += s.login_successes;
        commands += s.commands;
        failed += s.failed_commands;
        closed += s.closed;
        first = std::min(first, s.start);
        last = std::max(last, s.end);
        ++end_n[static_cast<int>(s.end_kind)];
        ++channel_n[static_cast<int>(s.channel)];
        ++protocols[s.protocol.empty() ? std::string_view("unknown") : s.protocol];
        for (const Item& it : s.items) {
            downloads += it.kind == ItemKind::Download;
            dl_failed += it.kind == ItemKind::DownloadFailed;
            uploads += it.kind == ItemKind::Upload;
            tcpip += it.kind == ItemKind::Tcpip;
        }
    }
    for (int k = 0; k < 4; ++k)
        if (end_n[k]) end_kinds[end_kind_name(static_cast<EndKind>(k))] = end_n[k];
    for (int c = 0; c < 3; ++c)
        if (channel_n[c]) channels[channel_name(static_cast<Channel>(c))] = channel_n[c];
    w.field("sessions", static_cast<std::uint64_t>(run.sessions.size()));
    w.field("sessions_closed", closed);
    w.field("sensors", static_cast<std::uint64_t>(sensors.size()));
    w.field("src_ips", static_cast<std::uint64_t>(ips.size()));
    w.key("first_event");
    if (run.sessions.empty()) w.null(); else w.value(std::string_view(format_timestamp(first)));
    w.key("last_event");
    if (run.sessions.empty()) w.null(); else w.value(std::string_view(format_timestamp(last)));
    w.key("logins").begin_object().field("attempts", attempts).field("success", successes).end_object();
    w.field("commands", commands).field("failed_commands", failed);
    w.field("downloads", downloads).field("downloads_failed", dl_failed).field("uploads", uploads);
    w.field("tcpip_requests", tcpip);
    auto counts = [&](std::string_view k, const std::map<std::string_view, std::uint64_t>& m) {
        w.key(k).begin_object();
        for (const auto& [name, n] : m) w.field(name, n);
        w.end_object();
    };
    counts("protocols", protocols);
    counts("end_kinds", end_kinds);
    counts("channels", channels);
    w.key("eventids").begin_object();
    for (const auto& [id, n] : c.by_eventid) w.field(id, n);
    w.end_object();
    w.key("options")
        .begin_object()
        .field("idle_timeout_s", run.session_options.idle_timeout_s)
        .field("auth_timeout_s", run.session_options.auth_timeout_s)
        .end_object();
    w.end_object();
    out.push_back('\n');
    return out;
}

}  // namespace cb
