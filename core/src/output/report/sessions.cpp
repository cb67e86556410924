// The sessions section: the explorer's rows, one array per session (fields listed in the
// section itself, read by report/src/data.js), with every string interned in "strings".
#include <deque>
#include <unordered_map>

#include "cb/util/fast_hash.hpp"
#include "cb/util/json_writer.hpp"
#include "cb/util/text.hpp"
#include "report_parts.hpp"

namespace cb::report {

namespace {

// Interned strings of the explorer's sessions, cut at max_bytes: index 0 is "".
class Strings {
public:
    explicit Strings(std::size_t max_bytes) : max_(max_bytes) { get({}); }
    std::uint64_t get(std::string_view s) {
        auto it = index_.find(s);
        if (it != index_.end()) return it->second;
        const std::string& key = owned_.emplace_back(s);  // s may point into a temporary
        std::string buf;
        std::string_view v = clip_utf8(key, max_, buf);
        if (v.data() == buf.data()) v = owned_.emplace_back(std::move(buf));
        const std::uint64_t id = list_.size();
        list_.push_back(v);
        bytes_ += v.size() + 3;
        index_.emplace(std::string_view(key), id);
        return id;
    }
    std::size_t bytes() const { return bytes_; }  // about their JSON size
    std::string json() const {
        std::string out = "[";
        for (std::size_t i = 0; i < list_.size(); ++i) {
            if (i) out.push_back(',');
            append_json_string(out, list_[i]);
        }
        out.push_back(']');
        return out;
    }

private:
    std::size_t max_;
    std::size_t bytes_ = 0;
    std::deque<std::string> owned_;
    std::vector<std::string_view> list_;
    std::unordered_map<std::string_view, std::uint64_t, StringHash> index_;
};

constexpr const char* kFields[] = {
    "sensor",          "session",       "src_ip",    "src_port",       "dst_ip",          "dst_port",
    "protocol",        "start",         "end",       "duration_s",     "client_version",  "hassh",
    "end_kind",        "channel",       "campaign",  "login_attempts", "login_successes", "commands",
    "failed_commands", "last_template", "last_step", "left",           "items_total",     "referenced",
    "attack",          "country",       "items"};
constexpr const char* kItemFields[] = {"ms_after_start", "kind", "a", "b", "c", "num", "flag"};

// The session's first max_items items: [ms_after_start, kind, a, b, c, num, flag].
void items(JsonWriter& w, const Session& s, std::int64_t start, std::size_t max_items, Strings& strs) {
    w.begin_array();
    std::size_t ci = 0, written = 0;
    for (const Item& it : s.items) {
        const bool failed = it.kind == ItemKind::Command && ci < s.cmd_failed.size() && s.cmd_failed[ci] != 0;
        if (it.kind == ItemKind::Command) ++ci;
        if (written++ >= max_items) continue;
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
}

// One row, in the order of kFields.
void row(JsonWriter& w, const Explorer& ex, const Session& s, std::size_t i, std::size_t k, std::size_t max_items,
         Strings& strs) {
    const std::int64_t start = to_ms(s.start);
    w.begin_array();
    w.value(strs.get(s.sensor)).value(strs.get(s.session)).value(strs.get(s.src_ip)).value(s.src_port);
    w.value(strs.get(s.dst_ip)).value(s.dst_port).value(strs.get(s.protocol)).value(start).value(to_ms(s.end));
    w.value(s.duration_s, 3).value(strs.get(s.client_version)).value(strs.get(s.hassh));
    w.value(strs.get(end_kind_name(s.end_kind))).value(strs.get(channel_name(s.channel)));
    w.value(strs.get(ex.campaign[k]));
    w.value(s.login_attempts).value(s.login_successes).value(s.commands).value(s.failed_commands);
    w.value(strs.get(ex.last_template[i])).value(strs.get(s.last_step)).value(session_left(s) ? 1 : 0);
    w.value(static_cast<std::uint64_t>(s.items.size())).value(ex.referenced[i] ? 1 : 0);
    w.value(strs.get(s.attack)).value(strs.get(s.country));
    items(w, s, start, max_items, strs);
    w.end_array();
}

}  // namespace

SessionsPart sessions_json(const RunData& run, const Explorer& ex, const ReportOptions& opt) {
    SessionsPart part;
    Strings strs(opt.max_string_bytes);
    std::string rows;
    bool budget_hit = false;
    JsonWriter r(rows);
    r.begin_array();
    for (std::size_t k = 0; k < ex.order.size(); ++k) {
        if (k > 0 && rows.size() + strs.bytes() > opt.max_session_bytes) {
            budget_hit = true;  // the rest, least relevant first, stay out
            break;
        }
        row(r, ex, run.sessions[ex.order[k]], ex.order[k], k, opt.max_items_per_session, strs);
        ++part.embedded;
    }
    r.end_array();

    JsonWriter w(part.sessions);
    w.begin_object();
    w.field("total", run.totals.sessions);  // run.sessions holds only the explorer's when the run spilled
    w.field("embedded", static_cast<std::uint64_t>(part.embedded));
    w.field("referenced", static_cast<std::uint64_t>(ex.referenced_count));
    w.field("cap", static_cast<std::uint64_t>(opt.max_sessions));
    w.field("max_items", static_cast<std::uint64_t>(opt.max_items_per_session));
    w.field("budget_bytes", static_cast<std::uint64_t>(opt.max_session_bytes));
    w.field("budget_hit", budget_hit);
    w.key("fields").begin_array();
    for (const char* f : kFields) w.value(f);
    w.end_array();
    w.key("item_fields").begin_array();
    for (const char* f : kItemFields) w.value(f);
    w.end_array();
    w.key("rows");
    w.null();  // placeholder, replaced below (JsonWriter has no raw values)
    w.end_object();
    part.sessions.replace(part.sessions.size() - 5, 4, rows);
    part.strings = strs.json();
    return part;
}

}  // namespace cb::report
