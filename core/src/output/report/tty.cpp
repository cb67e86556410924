// The tty section: the player's text of the embedded sessions' recordings, as the engine
// read them into run.tty_replays (tty_replay.hpp); nothing is read here.
#include "cb/util/json_writer.hpp"
#include "report_parts.hpp"

namespace cb::report {

namespace {

struct TtyTotals {
    std::uint64_t recordings = 0, replayed = 0, bytes = 0;
    bool budget_hit = false;
};

void recording(JsonWriter& w, const TtyReplay& r, TtyTotals& n) {
    ++n.recordings;
    w.begin_object();
    w.field("name", std::string_view(r.name));
    if (r.omitted) {
        n.budget_hit = true;
        w.field("omitted", true).end_object();
        return;
    }
    w.key("events").begin_array();
    for (const TtyReplayEvent& e : r.events)
        w.begin_array().value(static_cast<double>(e.ms) / 1000.0, 3).value(std::string_view(e.text)).end_array();
    w.end_array();
    n.bytes += r.bytes;
    ++n.replayed;
    w.field("bytes", static_cast<std::uint64_t>(r.bytes)).field("cut", r.cut);
    w.field("status", tty_status_name(r.status));
    w.key("duration_s").value(r.duration_s, 3);
    w.end_object();
}

}  // namespace

std::string tty_json(const RunData& run, const Explorer& ex, std::size_t embedded, const ReportOptions& opt) {
    std::vector<std::uint8_t> shown(run.sessions.size(), 0);
    for (std::size_t k = 0; k < embedded; ++k) shown[ex.order[k]] = 1;
    std::string out;
    JsonWriter w(out);
    TtyTotals n;
    w.begin_object();
    w.key("sessions").begin_object();
    // run.tty_replays is in the explorer's order (the engine read them by report_explorer_order()).
    for (const SessionReplays& sr : run.tty_replays) {
        if (sr.session >= shown.size() || !shown[sr.session]) continue;
        w.key(session_id(run.sessions[sr.session])).begin_array();
        for (const TtyReplay& r : sr.recordings) recording(w, r, n);
        w.end_array();
    }
    w.end_object();
    w.field("recordings", n.recordings).field("replayed", n.replayed);
    w.field("bytes", n.bytes).field("budget_hit", n.budget_hit);
    w.field("cap_bytes", static_cast<std::uint64_t>(opt.max_tty_bytes));
    w.field("cap_recording_bytes", static_cast<std::uint64_t>(opt.max_tty_recording_bytes));
    w.end_object();
    return out;
}

}  // namespace cb::report
