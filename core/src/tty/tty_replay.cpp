// See cb/tty/tty_replay.hpp.
#include "cb/tty/tty_replay.hpp"

#include <algorithm>

namespace cb {

namespace {

// The distinct recordings of one session, in item order (duplicates share a file).
std::vector<const Item*> linked_recordings(const Session& s) {
    std::vector<const Item*> recs;
    for (const Item& it : s.items)
        if (it.kind == ItemKind::TtyLog && !it.c.empty() &&
            std::none_of(recs.begin(), recs.end(), [&](const Item* x) { return x->c == it.c; }))
            recs.push_back(&it);
    return recs;
}

std::string file_name(std::string_view path) {
    if (const auto slash = path.find_last_of('/'); slash != std::string_view::npos) path.remove_prefix(slash + 1);
    return std::string(path);
}

// Appends text written at `ms`: to the last event when it has the same millisecond.
void add_text(TtyReplay& r, std::int64_t ms, std::string_view text) {
    if (r.events.empty() || r.events.back().ms != ms) r.events.push_back({ms, {}});
    r.events.back().text += text;
}

// Cuts text so that `used + text` fits in max, at a UTF-8 boundary; true when it cut.
bool fit(std::string& text, std::size_t used, std::size_t max) {
    if (used + text.size() <= max) return false;
    std::size_t keep = max - used;
    while (keep > 0 && (static_cast<unsigned char>(text[keep]) & 0xC0) == 0x80) --keep;
    text.resize(keep);
    return true;
}

void read_one(std::string_view file, const TtyReplayCaps& caps, TtyReplay& r) {
    TtyReader reader{std::string(file)};
    reader.set_max_bytes(caps.max_recording_bytes);
    TtyRecord rec;
    TermFilter filters[2] = {TermFilter(EscapePolicy::Strip), TermFilter(EscapePolicy::Strip)};  // output, interact
    Micros t0 = kNoTime;
    std::string text;
    while (!r.cut && reader.next(&rec)) {
        if (t0 == kNoTime) t0 = rec.ts;
        if (rec.op != TtyOp::Write || (rec.dir != TtyDir::Output && rec.dir != TtyDir::Interact)) continue;
        text.clear();
        filters[rec.dir == TtyDir::Output ? 0 : 1].feed(rec.data, text);
        if (text.empty()) continue;
        r.cut = fit(text, r.bytes, caps.max_text_bytes);
        add_text(r, std::max<std::int64_t>(0, (rec.ts - t0) / 1000), text);
        r.bytes += text.size();
    }
    // A cut text leaves an empty event behind when nothing of the last piece fit.
    if (!r.events.empty() && r.events.back().text.empty()) r.events.pop_back();
    r.status = r.cut ? TtyStatus::Ok : reader.status();
    r.duration_s =
        t0 == kNoTime || reader.last_ts() == kNoTime ? 0.0 : static_cast<double>(reader.last_ts() - t0) / 1e6;
}

}  // namespace

TtyReplay read_tty_replay(const std::string& file, const TtyReplayCaps& caps) {
    TtyReplay r;
    r.name = file_name(file);
    read_one(file, caps, r);
    return r;
}

std::vector<SessionReplays> read_tty_replays(const std::vector<Session>& sessions,
                                             const std::vector<std::size_t>& order, const TtyReplayCaps& caps) {
    std::vector<SessionReplays> out;
    std::size_t total = 0;
    for (const std::size_t i : order) {
        const std::vector<const Item*> recs = linked_recordings(sessions[i]);
        if (recs.empty()) continue;
        SessionReplays& sr = out.emplace_back();
        sr.session = i;
        for (const Item* it : recs) {
            TtyReplay& r = sr.recordings.emplace_back();
            r.name = file_name(it->a);
            r.omitted = total >= caps.max_total_bytes;
            if (r.omitted) continue;
            read_one(it->c, caps, r);
            total += r.bytes;
        }
    }
    return out;
}

}  // namespace cb
