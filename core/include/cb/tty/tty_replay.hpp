// The text of TTY recordings as report.html's player shows it: OUTPUT and INTERACT records as
// plain text (every escape sequence removed, tty_text's TermFilter in Strip mode), grouped by
// the millisecond they were written at. Read here, in the tty layer, so the report only writes
// what was read (issue 12).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cb/session/session.hpp"
#include "cb/tty/ttylog.hpp"

namespace cb {

struct TtyReplayEvent {
    std::int64_t ms = 0;  // after the recording's first record
    std::string text;     // what was written in that millisecond
};

// One recording. A recording past the total budget is listed by name only (omitted).
struct TtyReplay {
    std::string name;  // the file name, without its folder
    bool omitted = false;
    std::vector<TtyReplayEvent> events;
    std::size_t bytes = 0;             // text bytes in events
    bool cut = false;                  // the text stopped at max_text_bytes
    TtyStatus status = TtyStatus::Ok;  // Ok when cut: the reader was stopped on purpose
    double duration_s = 0;             // first to last record; 0 without timestamps
};

struct SessionReplays {
    std::size_t session = 0;            // index into the sessions given
    std::vector<TtyReplay> recordings;  // one per distinct linked file, in item order
};

struct TtyReplayCaps {
    std::size_t max_text_bytes = std::size_t{64} << 10;  // per recording (cut at a UTF-8 boundary)
    std::size_t max_total_bytes = std::size_t{2} << 20;  // in all, in the order given
    std::uint64_t max_recording_bytes = 0;               // bytes read of each file (Limits; 0: no limit)
};

// One recording file as the player shows it (caps.max_total_bytes is not used here).
TtyReplay read_tty_replay(const std::string& file, const TtyReplayCaps& caps);

// The linked recordings (TtyLog items with Item::c, see tty_link.hpp) of sessions[order[0]],
// sessions[order[1]], ...: sessions without one are left out. Once max_total_bytes of text
// are read, the later recordings are omitted.
std::vector<SessionReplays> read_tty_replays(const std::vector<Session>& sessions,
                                             const std::vector<std::size_t>& order, const TtyReplayCaps& caps);

}  // namespace cb
