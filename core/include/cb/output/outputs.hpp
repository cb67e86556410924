// Writers for OUTDIR: summary.json, sessions.jsonl, tables/*.csv, cowrie.sqlite.
// Every writer produces the same bytes for the same input, whatever the thread count.
#pragma once

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cb/analysis/table.hpp"
#include "cb/engine/analyze.hpp"  // what the writers write: a run's data (outputs depend on the engines' results)
#include "cb/session/session.hpp"
#include "cb/util/direct_file.hpp"

namespace cb {

// Writes summary.json, sessions.jsonl, hints.json, tables/*.csv, report.html and cowrie.sqlite
// into out_dir for a run whose sessions are built (both engines end here, as their WriteOutputs).
// The sessions come from `sessions` (one chunk, or many when the run spilled); each chunk goes to
// the session writers on their own threads and to `tables` on the calling thread, which then
// fills run.tables and run.findings. Problems go to res.errors, timings to res.phase_seconds.
class SessionSource;
// How the sessions are laid out in OUTDIR (docs/OUTPUTS.md, "sessions/: one folder per day").
enum class SessionsLayout {
    File,  // sessions.jsonl
    Day,   // sessions/day=YYYY-MM-DD/sessions.jsonl, by the day (UTC) each session started
};
class SqliteCopy;
struct OutputLayout {
    SessionsLayout sessions = SessionsLayout::File;
    // OUTDIR itself, whose contents the run replaces: a day's file with the same bytes as the
    // one there is kept (hard-linked), not rewritten. "": none.
    std::string previous;
    // --tmp-dir: the folder for the writers' scratch files ("": beside the outputs).
    std::string scratch;
    // --state: the copy of `previous`'s cowrie.sqlite begun as the run started (null: none).
    std::shared_ptr<SqliteCopy> sqlite_copy;
    // --state: `previous`'s cowrie.sqlite is updated where it is (sqlite_in_place_possible()).
    bool sqlite_in_place = false;
};
void write_outputs(RunData& run, const std::string& out_dir, const OutputLayout& layout, AnalyzeResult& res,
                   SessionSource& sessions, RunTables& tables);
// The WriteOutputs for an engine: write_outputs() into out_dir.
WriteOutputs writer_into(const std::string& out_dir, OutputLayout layout = {});

void append_session_json(std::string& out, const Session& s);

// iocs/ (ioc_exports.cpp): the indicators as iocs.csv, a STIX 2.1 bundle and a MISP event. The
// run's first and last event time the bundle and the event when there are no indicators.
std::string iocs_csv(const std::vector<IocRow>& rows);
std::string iocs_stix2_json(const std::vector<IocRow>& rows, const AttackRules& rules, Micros run_start);
std::string iocs_misp_json(const std::vector<IocRow>& rows, const AttackRules& rules, Micros run_start, Micros run_end);
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
// sessions.jsonl chunk by chunk (issue 13): open() starts PATH.tmp, append() writes each
// consecutive chunk of the run's sessions (formatted in blocks on `threads` threads; a chunk's
// strings need to live only until append() returns), close() renames it into place. The bytes
// are the same for any chunking. After an error, append() writes nothing more and close()
// returns the first error; a writer destroyed unclosed removes PATH.tmp.
//
// open_days() writes the same records into one file per day instead (SessionsLayout::Day):
// DIR/day=YYYY-MM-DD/sessions.jsonl by the day each session started (UTC), in the same order,
// so the files of the days in order, joined, are sessions.jsonl; and DIR/_partitions.json, the
// list of days with their sessions, bytes and CRC-64. A day whose file has the same bytes as the
// one in `previous` (an earlier run's DIR, by its _partitions.json) gets that file, hard-linked:
// readers and copies of the folder see which days changed.
class DayPartitions;
class SessionsJsonlWriter {
public:
    SessionsJsonlWriter();
    ~SessionsJsonlWriter();
    SessionsJsonlWriter(const SessionsJsonlWriter&) = delete;
    SessionsJsonlWriter& operator=(const SessionsJsonlWriter&) = delete;
    std::string open(const std::string& path);
    // `trusted`: what the run which made an incremental run's checkpoint wrote in sessions/
    // (null: none); append() keeps the days of `previous` that it lists.
    std::string open_days(const std::string& dir, const std::string& previous,
                          const SessionsListing* trusted = nullptr);
    // `unchanged` (one flag per session of the chunk, or null): the session's record is the one
    // the `trusted` run wrote. A day of such sessions only keeps that run's file when open_days()
    // trusts it, and lists the day with as many sessions, and the file still has its bytes; no
    // record of it is formatted. `more`: chunks follow (a day of unchanged sessions at the end
    // of this one may go on with changed ones in the next: their records are then copied from
    // the earlier run's file).
    std::string append(const std::vector<Session>& chunk, unsigned threads, const std::uint8_t* unchanged = nullptr,
                       bool more = false);
    // Of open_days(), before the first append(): how many sessions the trusted run's days before
    // `day` hold when every one of them can be kept as it is, else nullopt; keep_days_before()
    // then keeps them (an incremental run that builds only the sessions from `day` on).
    std::optional<std::uint64_t> sessions_before(std::int64_t day);
    std::string keep_days_before(std::int64_t day);
    std::string close();
    // After close() of open_days(): the days written and, of them, those kept from `previous`,
    // and what was written (for the next --state run).
    std::size_t days() const { return days_; }
    std::size_t days_kept() const { return days_kept_; }
    const SessionsListing& listing() const { return listing_; }

private:
    struct Segment;  // a block's records of one day
    // The unchanged sessions at the end of the last chunk, of one day that the earlier run's file
    // may be kept for: if the day goes on with changed sessions in the next chunk, their records
    // are copied from that file; else the file is kept. Their session_key_hash()es, in order.
    struct Held {
        std::int64_t day;
        std::vector<std::uint64_t> keys;
    };
    void hold(const std::vector<Session>& sessions, std::size_t lo, std::size_t hi, std::int64_t day);
    // The held day, complete: kept from the earlier run when it can be, else written.
    std::string settle_held();
    // The held sessions' records written (the day goes on, or cannot be kept); none held after either.
    std::string write_held();
    std::string format(const std::vector<Session>& sessions, std::size_t lo, std::size_t hi, unsigned threads);
    std::string emit(const std::string& buf, const std::vector<Segment>& segments);

    std::string path_;
    DirectFile f_;
    int err_ = 0;                                 // errno of the first failure
    std::vector<std::string> bufs_;               // reused from block to block: no regrowing
    std::vector<std::vector<Segment>> segments_;  // per buffer, its days (open_days())
    std::unique_ptr<DayPartitions> parts_;        // open_days()
    std::unique_ptr<Held> held_;
    std::size_t days_ = 0, days_kept_ = 0;
    SessionsListing listing_;
};
// All sessions in one chunk.
std::string write_sessions_jsonl(const std::string& path, const std::vector<Session>& sessions, unsigned threads);
std::string write_tables_csv(const std::string& dir, const std::vector<Table>& tables);

// cowrie.sqlite in two phases, so the big relational part can start as soon as sessions
// exist while the analyses still run: the sessions (schema, rows, indexes), then
// write_tables() (every result table and the schema doc), then commit() (renames *.tmp, or
// links the file updated in place).
// The sessions go in chunk by chunk (issue 13): begin_sessions(), append_sessions() for each
// consecutive chunk of the run's sessions in session_less order (a chunk's strings need to
// live only until its append returns), end_sessions() (builds the indexes). Rows, sids, their
// order and the file's bytes are the same for any chunking; write_sessions(all) is the three.
// Not thread-safe; one thread at a time. Each returns an empty string or an error message.
class Db;
class SessionInserts;
// Where a SqliteStore may start from: `file`, an earlier run's cowrie.sqlite, is copied and
// updated when `before` describes it (RunData::sqlite_rows_before); with hash_rows, the store
// hashes the rows it holds for the next run (SqliteStore::row_hashes()).
struct SqliteReuse {
    std::string file;
    const SqliteRowHashes* before = nullptr;
    bool hash_rows = false;
    SqliteCopy* early = nullptr;  // a copy of `file` already begun, taken when it is the one wanted
    // `file` itself is updated, in one SQLite transaction with its rollback journal beside it,
    // and linked in as the store's path by commit(); when it is still sqlite_in_place_possible().
    bool in_place = false;
};

// Whether an earlier run's cowrie.sqlite may be updated where it is instead of copied: a
// regular file that no other hard link shares (a snapshot of OUTDIR made with `cp -al` or
// rsync --link-dest keeps its own bytes) and that `serve` is not serving (it holds a shared
// flock(2) on it: its search index is of those bytes).
bool sqlite_in_place_possible(const std::string& file);
// A cowrie.sqlite whose update in place was cut short (a killed run, or a failed write after
// which SQLite gave up on the connection) put back as it was, from the journal beside it.
void roll_back_sqlite_journal(const std::string& file);

// A copy of an earlier run's cowrie.sqlite made on a thread of its own while the run reads its
// logs and state (a --state run starts one: OutputLayout::sqlite_copy), so that the SqliteStore
// that reuses the file finds it made (SqliteReuse::early). The kernel copies (a reflink where the
// file system shares blocks), which takes a core for a while on file systems that do not.
class SqliteCopy {
public:
    SqliteCopy(std::string from, std::string to);
    ~SqliteCopy();  // waits for the copy; removes it when take() was never asked
    SqliteCopy(const SqliteCopy&) = delete;
    SqliteCopy& operator=(const SqliteCopy&) = delete;
    // True when `to` holds the copy of `from` made while `from` had the stamp `stamp` (before and
    // after the copy): the file is then the caller's. Else false, and the copy is removed. Asked
    // once: later calls are false.
    bool take(const std::string& from, const std::string& to, const std::string& stamp);

private:
    std::string from_, to_;
    std::future<std::string> copied_;  // the stamp of `from` as copied, "" for no copy
    bool asked_ = false;
};

class SqliteStore {
public:
    // memory_budget: bytes SQLite's page cache and sorts may take (UINT64_MAX: as much as helps).
    explicit SqliteStore(const std::string& path, std::uint64_t memory_budget = UINT64_MAX, SqliteReuse reuse = {});
    ~SqliteStore();
    std::string begin_sessions();
    // `unchanged` (one flag per session of the chunk, or null): the session's record is the one
    // the run that wrote the copied file wrote (RunData::unchanged); its rows are not hashed
    // again when the file holds it at the same sid.
    std::string append_sessions(const std::vector<Session>& chunk, const std::uint8_t* unchanged = nullptr);
    // Before the first append_sessions(): the first n sessions are those the copied file holds
    // (SqliteReuse::before), unchanged, and are left as they are; an error when it does not hold
    // them (not reused, or fewer sessions).
    std::string keep_first(std::uint64_t n);
    // Whether keep_first(n) can keep them.
    bool holds_first(std::uint64_t n) const;
    std::string end_sessions();
    std::string write_sessions(const std::vector<Session>& sessions);
    std::string write_tables(const std::vector<Table>& tables);
    // Of a file updated in place, after its last change: fixes the stamp it will have once
    // committed (its size, and a modification time commit() gives it) in row_hashes(), so that
    // the state can be saved before commit(), which comes last (right before OUTDIR's swap).
    std::string settle();
    // Makes the file whole at the store's path: the transaction committed, then a new file
    // renamed there, or a file updated in place linked there. A file updated in place is written
    // only now (journal first): without it, or when a hard link made during the run shares the
    // file, it is left as it was (a journal a crash leaves is rolled back by the next opener).
    std::string commit();
    // Whether the file began as a copy of SqliteReuse::file, or is that file updated in place.
    bool reused() const { return reused_; }
    // Whether it is SqliteReuse::file, updated where it is.
    bool in_place() const { return in_place_; }
    // Of a reused file: the sessions whose rows were left as they were (after end_sessions()).
    std::uint64_t unchanged_sessions() const { return unchanged_; }
    // After commit() (after settle() for a file updated in place), with hash_rows: the rows'
    // hashes and the committed file's stamp.
    SqliteRowHashes& row_hashes() { return written_; }

private:
    std::string path_;
    std::string file_;  // the file written: path_.tmp, or SqliteReuse::file when in place
    bool hash_rows_ = false, reused_ = false, in_place_ = false;
    int lock_fd_ = -1;                  // in place: the file's flock, until commit()
    struct timespec settled_mtime_ {};  // in place: the modification time commit() gives the file
    const SqliteRowHashes* before_ = nullptr;
    std::uint64_t unchanged_ = 0;
    SqliteRowHashes written_;
    std::unique_ptr<Db> db_;
    std::unique_ptr<SessionInserts> inserts_;  // between begin_sessions() and end_sessions()
};

}  // namespace cb
