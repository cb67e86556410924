// Writers for OUTDIR: summary.json, sessions.jsonl, tables/*.csv, cowrie.sqlite.
// Every writer produces the same bytes for the same input, whatever the thread count.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cb/analysis/analysis.hpp"
#include "cb/engine/ingest.hpp"
#include "cb/input/input_set.hpp"
#include "cb/input/limits.hpp"
#include "cb/session/session.hpp"
#include "cb/analysis/table.hpp"
#include "cb/tty/tty_replay.hpp"

namespace cb {

// Run-wide session counts that summary.json and report.html both show.
struct SessionTotals {
    std::uint64_t sessions = 0, closed = 0, sensors = 0, src_ips = 0, login_attempts = 0, login_successes = 0,
                  commands = 0, failed_commands = 0, downloads = 0, downloads_failed = 0, uploads = 0,
                  file_writes = 0, persistence_writes = 0, tcpip_requests = 0, ttylogs = 0;
    Micros first = INT64_MAX, last = INT64_MIN;  // earliest start, latest end
    std::uint64_t end_by_channel[4][3] = {};     // [EndKind][Channel]
    std::map<std::string_view, std::uint64_t> protocols;  // "unknown" when not logged
    // By name, only the kinds that occur.
    std::map<std::string_view, std::uint64_t> end_kinds() const;
    std::map<std::string_view, std::uint64_t> channels() const;
};
SessionTotals session_totals(const std::vector<Session>& sessions);

// Everything one run knows; the outputs are views of it.
struct RunData {
    InputSet inputs;
    IngestResult ingest;
    std::vector<Session> sessions;  // sorted by session_less
    std::vector<Table> tables;        // basic tables, then every analysis table
    Findings findings;                // what the analyses published (hints, campaigns)
    SessionOptions session_options;
    Limits limits;                          // the run's resource bounds (limits.hpp)
    std::vector<RecordingCut> recordings_cut;  // TTY recordings longer than limits.max_recording_bytes
    SessionTotals totals;  // of `sessions`; filled by write_outputs() for the writers
    MarkerSet markers;                 // markers found in the sessions (steps.hpp)
    std::vector<StringPool> step_pools;  // owns rebuilt Session::last_step texts
    // The TTY recordings report.html replays (its explorer's sessions, report_explorer_order()),
    // read by the engine before the page is written; the report only writes them out.
    std::vector<SessionReplays> tty_replays;
};

void append_session_json(std::string& out, const Session& s);
std::string summary_json(const RunData& run);
class JsonWriter;
// The ingest counts and reject samples of summary.json's "inputs" (shared with report.html);
// strings longer than max_string are cut visibly.
void append_ingest_counts_json(JsonWriter& w, const RunData& run, std::size_t max_string = SIZE_MAX);

// Each returns an empty string on success, else a message naming the file and the reason
// (write_error(): "cannot write PATH: No space left on device"). Each file is written as
// PATH.tmp and renamed, inside a folder that is itself renamed into place (output_dir.hpp).
std::string write_error(const std::string& path, int err);
std::string write_file_atomic(const std::string& path, std::string_view data);
std::string write_sessions_jsonl(const std::string& path, const std::vector<Session>& sessions, unsigned threads);
std::string write_tables_csv(const std::string& dir, const std::vector<Table>& tables);

// cowrie.sqlite in two phases, so the big relational part can start as soon as sessions
// exist while the analyses still run: write_sessions() (schema, rows, indexes), then
// write_tables() (every result table and the schema doc), then commit() (renames *.tmp).
// Not thread-safe; one thread at a time. Each returns an empty string or an error message.
class Db;
class SqliteStore {
public:
    explicit SqliteStore(const std::string& path);
    ~SqliteStore();
    std::string write_sessions(const std::vector<Session>& sessions);
    std::string write_tables(const std::vector<Table>& tables);
    std::string commit();

private:
    std::string path_;
    std::unique_ptr<Db> db_;
};

}  // namespace cb
