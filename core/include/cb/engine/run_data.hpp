// What one run computed, whichever engine computed it: the inputs, the ingest counts, the
// sessions, the marker set and last steps, the tables and findings. The engines fill it; the
// writers in output/ (outputs.hpp, report_html.hpp) only read it, so output/ depends on
// engine/ and never the other way round.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "cb/analysis/analysis.hpp"
#include "cb/analysis/attack.hpp"
#include "cb/analysis/compact_state.hpp"
#include "cb/analysis/table.hpp"
#include "cb/engine/ingest.hpp"
#include "cb/input/file_ledger.hpp"
#include "cb/input/input_set.hpp"
#include "cb/input/limits.hpp"
#include "cb/session/session.hpp"
#include "cb/session/steps.hpp"
#include "cb/tty/tty_link.hpp"
#include "cb/tty/tty_replay.hpp"
#include "cb/util/keyed_hash.hpp"

namespace cb {

// Run-wide session counts that summary.json and report.html both show. Counted chunk by chunk
// (issue 13): add() the run's sessions in consecutive chunks of any size, then finish() once;
// the counts are the same for any chunking and order. A chunk's strings need to live only
// until its add() returns: the distinct sensors and addresses are kept as owned copies until
// finish() (docs/ARCHITECTURE.md), the protocol names as map keys.
struct SessionTotals {
    std::uint64_t sessions = 0, closed = 0, sensors = 0, src_ips = 0, login_attempts = 0, login_successes = 0,
                  commands = 0, failed_commands = 0, downloads = 0, downloads_failed = 0, uploads = 0, file_writes = 0,
                  persistence_writes = 0, tcpip_requests = 0, ttylogs = 0;
    Micros first = INT64_MAX, last = INT64_MIN;                   // earliest start, latest end
    std::uint64_t end_by_channel[4][3] = {};                      // [EndKind][Channel]
    std::map<std::string, std::uint64_t, std::less<>> protocols;  // "unknown" when not logged
    // By name, only the kinds that occur.
    std::map<std::string_view, std::uint64_t> end_kinds() const;
    std::map<std::string_view, std::uint64_t> channels() const;

    void add(const std::vector<Session>& chunk);
    void add(const SessionRefs& sessions);
    // Sets sensors and src_ips and frees the distinct values behind them.
    void finish();
    // The counts before finish(), with the distinct values, as bytes and back (an incremental
    // run's checkpoint, state.hpp).
    template <class Ar>
    void io(Ar& ar) {
        ar(sessions, closed, login_attempts, login_successes, commands, failed_commands, downloads, downloads_failed,
           uploads, file_writes, persistence_writes, tcpip_requests, ttylogs, first, last, end_by_channel, protocols,
           seen_sensors_, seen_src_ips_);
    }

private:
    void add(const Session& s);
    std::unordered_set<std::string, SvHash, SvEq> seen_sensors_, seen_src_ips_;
};
// All sessions in one chunk. Defined with summary.json (core/src/output/summary.cpp), its first reader.
SessionTotals session_totals(const std::vector<Session>& sessions);

// cowrie.sqlite's session rows as hashes, one per session in sid order (each over the session's
// row and its rows in the parts tables), which session each sid holds, and the file they describe (its size and
// modification time). An incremental run keeps them in its state, so that the next run into the same OUTDIR starts from
// a copy of that file and rewrites only from the first session whose rows differ (sqlite_store.cpp).
struct SqliteRowHashes {
    std::string file_stamp;
    std::vector<std::uint64_t> rows;
    std::vector<std::uint64_t> keys;  // session_key_hash() of the session at each sid
    template <class Ar>
    void io(Ar& ar) {
        auto row_hashes = raw_records(rows),
             key_hashes = raw_records(keys);  // as bytes: 8 each, not a varint's 9 or 10
        ar(file_stamp, row_hashes, key_hashes);
    }
};

// What a run wrote in sessions/ (--sessions day): the hash of its _partitions.json (0: none), and
// each day file's stat as the run left it, by folder name. A later --state run takes a day file
// whose stat is still that one as holding the bytes the listing gives, without reading it (a
// file edited, replaced or copied has another mtime or inode, and is read).
struct SessionsListing {
    std::uint64_t hash = 0;
    std::map<std::string, FileStat> files;
    template <class Ar>
    void io(Ar& ar) {
        ar(hash, files);
    }
};

// Everything one run knows; the outputs are views of it.
// The size of one ReportPick (output/report_html.hpp, which checks it) in RunData::picks.
inline constexpr std::size_t kReportPickBytes = 40;

// The TTY recordings among a run's inputs, read once (run_recordings(), engine/analyze.hpp).
struct RunRecordings {
    StringPool pool;  // their paths and names
    std::unique_ptr<RecordingIndex> index;
};

struct RunData {
    InputSet inputs;
    IngestResult ingest;
    std::vector<Session> sessions;  // sorted by session_less
    std::vector<Table> tables;      // basic tables, then every analysis table
    Findings findings;              // what the analyses published (hints, campaigns)
    SessionOptions session_options;
    Limits limits;                              // the run's resource bounds (limits.hpp)
    std::vector<RecordingCut> recordings_cut;   // TTY recordings longer than limits.max_recording_bytes
    std::shared_ptr<RunRecordings> recordings;  // null until first used
    // --state: the last run's reads of its recordings (its checkpoint's, when made with this
    // run's options): those that did not change are not read again.
    std::vector<RecordingRead> recordings_known;
    SessionTotals totals;  // of `sessions`; filled by write_outputs() for the writers
    MarkerSet markers;     // markers found in the sessions (steps.hpp)
    std::shared_ptr<const AttackRules> attack_rules = AttackRules::builtin();  // what sets Session::attack
    std::shared_ptr<const GeoIp> geoip;  // --geoip: what sets Session::country, asn, as_org; or null
    std::vector<StringPool> step_pools;  // owns rebuilt Session::last_step texts
    // The TTY recordings report.html replays (its explorer's sessions, report_explorer_order()),
    // read by write_outputs() before the page is written; the report only writes them out.
    std::vector<SessionReplays> tty_replays;
    // --state: the row hashes of the last run's cowrie.sqlite (none when the state has none),
    // and, filled by write_outputs(), those of the file this run writes.
    std::optional<SqliteRowHashes> sqlite_rows_before, sqlite_rows_written;
    // --state, a run in memory that starts from the state's checkpoint (state.hpp): per session
    // of `sessions`, 1 when its record is the one the run that made the checkpoint wrote (empty
    // otherwise); what that run wrote in sessions/ (SessionsListing) and, filled by
    // write_outputs(), what this run writes.
    std::vector<std::uint8_t> unchanged;
    SessionsListing partitions_before, partitions_written;
    // --state (in memory or spilled): the writers keep the ReportPicks (output/report_html.hpp) of
    // every session, as bytes in session order, in `picks` for the next run's checkpoint, and
    // their start days in `start_days`.
    bool keep_picks = false;
    std::string picks;  // kReportPickBytes a session
    DayRuns start_days;
    // The key hashes of the sessions report.html could show, sorted (Checkpoint::report_keys).
    std::vector<std::uint64_t> report_keys;
    // Called once they are known (write_outputs(), before report.html is written): a --state run
    // then writes the next run's `likely` beside the report (Incremental::begin_likely()).
    std::function<void()> report_keys_made;
    // The names the sessions looked TTY recordings up by: the latest time, and whether one hides
    // another name (Checkpoint::looked_up).
    std::unordered_map<std::uint64_t, std::pair<Micros, bool>> recordings_looked_up;
    HashKey pick_key = random_hash_key();  // of the picks' hashes: the state's when it keeps them
    // A tail run (analyze.cpp, TailSessions): the first `sessions_before` sessions, every one of
    // the last run's days before `tail_day`, are not built; the writers keep their rows and days
    // as the last run left them, and `picks` and `start_days` start with theirs (the checkpoint's).
    std::uint64_t sessions_before = 0;
    std::int64_t tail_day = 0;
    unsigned threads = 1;  // what the run's parallel steps may use (worker_threads(--threads))

    // The result table of that name (in tables, or still in findings while they run), or null.
    const Table* table(std::string_view name) const {
        for (const auto& t : tables)
            if (t.name == name) return &t;
        return findings.table(name);
    }
};

}  // namespace cb
