// summary.json: what was read, what was rejected and why, and the headline counts.
#include <map>
#include <set>
#include <unordered_set>

#include "cb/output/outputs.hpp"
#include "cb/util/json_writer.hpp"
#include "cb/util/text.hpp"
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
    for (const auto& s : run.ingest.samples) {
        // A long path is cut in its middle, never the ":line" at its end.
        const std::string line = ":" + std::to_string(s.line);
        const std::string excerpt = escape_invalid_utf8(s.excerpt);  // a rejected line can be any bytes
        w.begin_object()
            .field("reason", reject_reason_name(s.reason))
            .field("where", clip_middle_utf8(escape_invalid_utf8(s.path),
                                             max_string > line.size() ? max_string - line.size() : 0) +
                                line)
            .field("excerpt", clip_utf8(excerpt, max_string, cut))
            .end_object();
    }
    w.end_array();
    w.field("utf8_repairs", c.utf8_repairs).field("type_errors", c.type_errors);
    w.field("nul_bytes_skipped", c.nul_bytes).field("sessionless_events", c.sessionless_events);
    w.key("field_errors").begin_object();
    for (const auto& [field, kinds] : c.field_errors) {
        w.key(std::string_view(field)).begin_object();
        for (const auto& [kind, n] : kinds) w.field(std::string_view(kind), n);
        w.end_object();
    }
    w.end_object();
}

void SessionTotals::add(const Session& s) {
    ++sessions;
    insert_absent(seen_sensors_, s.sensor);
    if (!s.src_ip.empty()) insert_absent(seen_src_ips_, s.src_ip);
    login_attempts += s.login_attempts;
    login_successes += s.login_successes;
    commands += s.commands;
    failed_commands += s.failed_commands;
    closed += s.closed;
    first = std::min(first, s.start);
    last = std::max(last, s.end);
    ++end_by_channel[static_cast<int>(s.end_kind)][static_cast<int>(s.channel)];
    const std::string_view protocol = s.protocol.empty() ? std::string_view("unknown") : s.protocol;
    if (auto it = protocols.find(protocol); it != protocols.end())
        ++it->second;
    else
        protocols.emplace(protocol, 1);
    for (const Item& it : s.items) {
        downloads += it.kind == ItemKind::Download;
        downloads_failed += it.kind == ItemKind::DownloadFailed;
        uploads += it.kind == ItemKind::Upload;
        if (it.kind == ItemKind::FileWrite) {
            ++file_writes;
            persistence_writes += !persistence_kind(it.a).empty();
        }
        tcpip_requests += it.kind == ItemKind::Tcpip;
        ttylogs += it.kind == ItemKind::TtyLog;
    }
}

void SessionTotals::add(const std::vector<Session>& chunk) {
    for (const Session& s : chunk) add(s);
}

void SessionTotals::add(const SessionRefs& sessions) {
    for (const Session* s : sessions) add(*s);
}

void SessionTotals::finish() {
    sensors = seen_sensors_.size();
    src_ips = seen_src_ips_.size();
    decltype(seen_sensors_)().swap(seen_sensors_);
    decltype(seen_src_ips_)().swap(seen_src_ips_);
}

SessionTotals session_totals(const std::vector<Session>& sessions) {
    SessionTotals t;
    t.add(sessions);
    t.finish();
    return t;
}

std::map<std::string_view, std::uint64_t> SessionTotals::end_kinds() const {
    std::map<std::string_view, std::uint64_t> m;
    for (int k = 0; k < 4; ++k)
        for (int c = 0; c < 3; ++c)
            if (end_by_channel[k][c]) m[end_kind_name(static_cast<EndKind>(k))] += end_by_channel[k][c];
    return m;
}

std::map<std::string_view, std::uint64_t> SessionTotals::channels() const {
    std::map<std::string_view, std::uint64_t> m;
    for (int k = 0; k < 4; ++k)
        for (int c = 0; c < 3; ++c)
            if (end_by_channel[k][c]) m[channel_name(static_cast<Channel>(c))] += end_by_channel[k][c];
    return m;
}

namespace {

template <class CountMap>  // name -> count, in name order
void counts(JsonWriter& w, std::string_view k, const CountMap& m) {
    w.key(k).begin_object();
    for (const auto& [name, n] : m) w.field(name, n);
    w.end_object();
}

// Files not read at all (skipped_files) and files read up to an error (damaged_files).
void file_problems(JsonWriter& w, const RunData& run) {
    w.key("skipped_files").begin_array();
    for (const auto& p : run.inputs.problems)
        w.begin_object()
            .field("path", std::string_view(p.path))
            .field("reason", std::string_view(p.reason))
            .end_object();
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
}

// Logs per compression, and the other files found (TTY recordings, configs...) per kind.
void file_kinds(JsonWriter& w, const RunData& run) {
    std::map<std::string_view, std::vector<std::string_view>> others;
    std::map<std::string_view, std::uint64_t> compressed;
    for (const auto& f : run.inputs.files)
        if (f.kind != FileKind::JsonLog) others[file_kind_name(f.kind)].push_back(f.path);
    for (const auto& f : run.ingest.files) ++compressed[compression_name(f.file.compression)];
    counts(w, "compression", compressed);
    w.key("other_files").begin_object();
    for (const auto& [kind, paths] : others) {
        w.key(kind).begin_array();
        for (auto p : paths) w.value(p);
        w.end_array();
    }
    w.end_object();
}

// Resource bounds (limits.hpp): written only when one was hit, so a clean run's summary
// stays as it was. Lines over a limit are also in "rejected" (too_large, too_deep), cut
// files in "damaged_files" with the reason.
void limits_hit(JsonWriter& w, const RunData& run) {
    const IngestCounts& c = run.ingest.totals;
    const bool limit_hit = c.rejected[static_cast<std::size_t>(Reject::TooLarge)] ||
                           c.rejected[static_cast<std::size_t>(Reject::TooDeep)] || c.files_cut ||
                           !run.recordings_cut.empty();
    if (c.files_cut) w.field("files_cut", c.files_cut);
    if (!run.recordings_cut.empty()) {
        w.key("recordings_cut").begin_array();
        for (const auto& r : run.recordings_cut)
            w.begin_object().field("path", std::string_view(r.path)).field("bytes_read", r.bytes_read).end_object();
        w.end_array();
    }
    if (limit_hit)
        w.key("limits")
            .begin_object()
            .field("max_line_bytes", static_cast<std::uint64_t>(run.limits.max_line_bytes))
            .field("max_file_bytes", run.limits.max_file_bytes)
            .field("max_recording_bytes", run.limits.max_recording_bytes)
            .field("max_nesting_depth", static_cast<std::uint64_t>(kMaxNestingDepth))
            .end_object();
}

void inputs(JsonWriter& w, const RunData& run) {
    w.key("inputs").begin_object();
    append_ingest_counts_json(w, run);
    file_problems(w, run);
    file_kinds(w, run);
    limits_hit(w, run);
    w.end_object();
}

// The headline counts of the sessions (run.totals, shared with report.html).
void session_counts(JsonWriter& w, const SessionTotals& t) {
    w.field("sessions", t.sessions);
    w.field("sessions_closed", t.closed);
    w.field("sensors", t.sensors);
    w.field("src_ips", t.src_ips);
    w.key("first_event");
    if (!t.sessions)
        w.null();
    else
        w.value(std::string_view(format_timestamp(t.first)));
    w.key("last_event");
    if (!t.sessions)
        w.null();
    else
        w.value(std::string_view(format_timestamp(t.last)));
    w.key("logins").begin_object().field("attempts", t.login_attempts).field("success", t.login_successes).end_object();
    w.field("commands", t.commands).field("failed_commands", t.failed_commands);
    w.field("downloads", t.downloads).field("downloads_failed", t.downloads_failed).field("uploads", t.uploads);
    w.field("file_writes", t.file_writes).field("persistence_writes", t.persistence_writes);
    w.field("tcpip_requests", t.tcpip_requests);
    counts(w, "protocols", t.protocols);
    counts(w, "end_kinds", t.end_kinds());
    counts(w, "channels", t.channels());
}

}  // namespace

std::string summary_json(const RunData& run) {
    std::string out;
    JsonWriter w(out);
    w.begin_object();
    w.key("tool").begin_object().field("name", "cowrie-batch").field("version", kVersion).end_object();
    inputs(w, run);
    session_counts(w, run.totals);
    w.key("eventids").begin_object();
    for (const auto& [id, n] : run.ingest.totals.by_eventid) w.field(id, n);
    w.end_object();
    w.key("options")
        .begin_object()
        .field("idle_timeout_s", run.session_options.idle_timeout_s)
        .field("auth_timeout_s", run.session_options.auth_timeout_s);
    w.key("attack_rules")
        .begin_object()
        .field("built_in", run.attack_rules == AttackRules::builtin())
        .field("attack_version", run.attack_rules->attack_version())
        .field("techniques", run.attack_rules->techniques().size())
        .end_object();
    if (run.geoip) {  // absent without --geoip
        w.key("geoip").begin_array();
        for (const auto& db : run.geoip->databases())
            w.begin_object()
                .field("file", db.path)
                .field("type", db.type)
                .field("build_epoch", db.build_epoch)
                .end_object();
        w.end_array();
    }
    w.end_object();
    w.end_object();
    out.push_back('\n');
    return out;
}

}  // namespace cb
