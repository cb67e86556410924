// The state folder of incremental runs (`analyze --state DIR`) and of fleet merges
// (`cowrie-batch merge STATE...`), issue 13. docs/CLI.md, "Incremental runs", describes it.
//
//   manifest   what made it: format, tool version, the options that shape session partials;
//              and the sessions files that make up the state (no others are read)
//   ledger     what was read of which JSON log (input/file_ledger.hpp)
//   reports    per log read: its counts and first rejected lines (FileReport), by ledger entry
//   checkpoint what the tables and analyses made of the settled sessions (Checkpoint), so that
//              the next run adds only the others to them; zstd-compressed
//   sqlite_rows the row hashes of the cowrie.sqlite the last run wrote (SqliteRowHashes), so
//              that the next run into the same OUTDIR updates a copy of it in place
//   sessions   session partials read so far, merged: one key run (spill.hpp), zstd-compressed
//   sessions.N the partials that later runs read (N = 1, 2, ...), a key run each; a run adds
//              one (a spilled run merges its own spill files into it). At kMaxStateSegments
//              files a run merges all but the largest into one, while they hold under a quarter
//              of its bytes (Incremental::segments_to_merge()), else all of them into
//              `sessions` again. A session's partials may be in several of them: they merge
//              like partials from two files.
//   FILE.keys  of a sessions file: the key hashes of the sessions it holds partials of, sorted
//              (with the file's size and modification time, and a CRC-64), so that a run that
//              needs none of them does not read the file
//   likely     the partials, from every sessions file, of the sessions the next run is likely to
//              read whatever day its logs add: those the last report showed and those still
//              open; and likely.keys, the sessions it holds every partial of, with the number
//              the manifest gives this run's `likely` (another run's is not used). A daily run
//              reads these from `likely` and skips each sessions file that holds none of the
//              others it needs (a new day's sessions are in none).
//
// Partials are what the logs say, before any option that cuts or closes sessions is applied,
// so the analyses' and session options may change from run to run; only the tool version and
// the read limits (--max-line-bytes, --max-file-bytes) make a state unusable. A run writes its
// new state into a folder beside DIR and swaps it in at the end: an interrupted run leaves the
// old state whole.
#pragma once

#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "cb/engine/ingest.hpp"
#include "cb/engine/run_data.hpp"
#include "cb/input/file_ledger.hpp"
#include "cb/input/limits.hpp"

namespace cb {

class StatesLoad;  // analysis/analysis.hpp

// What the basic tables, the run's totals, the recording findings and the analyses made of the
// state's settled sessions (closed ones: Cowrie logs nothing more of a session after it
// closed but late events, and a late event for a settled session only costs a full count),
// saved by one run for the next. That run skips these sessions and starts its tables from
// these states, when everything the sessions' records and the states depend on is as it was:
// the options, the marker set, the TTY recordings linked to them, and no new event for one of
// them (analyze.cpp, checkpoint_unusable()). Otherwise it counts every session, as a run
// without state does. The outputs are the same either way: the states merge exactly (the
// Analysis contract), which the incremental tests check against full runs.
struct Checkpoint {
    static constexpr std::uint32_t kFormat = 13;  // a checkpoint of another format is not read
    std::uint32_t format = kFormat;
    std::string options;                   // checkpoint_options(): what shapes the records and the states
    std::string markers;                   // MarkerSet::encode() of the set the records were made with
    std::vector<std::uint64_t> settled;    // session_key_hash() of every settled session, sorted
    std::vector<std::uint64_t> unsettled;  // and of every other session of its run (open ones), sorted
    std::uint64_t recordings = 0;          // the sum of recording_links_hash() over them
    // Its run's reads of the TTY recordings among its inputs (RecordingIndex::reads()), and, kept
    // with `picks`, for each name its sessions looked a recording up by (recording_names()), the
    // latest time one did (INT64_MAX for a time unknown) and whether that name hides another
    // (looked_up_recordings()), sorted by name: a recording new to the next run can change the
    // link of no session that looked its names up long enough before.
    std::vector<RecordingRead> recordings_read;
    std::vector<std::tuple<std::uint64_t, Micros, bool>> looked_up;
    SessionsListing partitions;  // what its run wrote in sessions/ (none: no days)
    std::string basic, totals, recording_findings;
    std::vector<std::string> analyses;  // AnalysisRunner::save(), packed (pack_checkpoint_states())
    std::string settled_markers;        // MarkerStats::save() of the settled sessions
    // The ReportPicks (output/report_html.hpp) of every session of its run, settled or not, in
    // session order, as bytes (40 a session); none when its run did not keep them.
    std::string picks;
    std::string pick_key;  // the HashKey (util/keyed_hash.hpp) their hashes were made with
    DayRuns days;          // the start days of the same sessions (kept with `picks`)
    // The sessions its report.html could show (key hashes, sorted; kept with `picks`): a tail run
    // reads their partials with the tail's, as the report is likely to pick them again.
    std::vector<std::uint64_t> report_keys;
    // Sessions with an event of a held last line in its run (CheckpointUse::provisional), sorted:
    // their records may change without a new event (the line gone, or read whole).
    std::vector<std::uint64_t> provisional;
    // Set when the states part (io_states()) was read; not saved.
    bool states_loaded = false;
    // With Incremental::load_states_ahead(): `analyses` (moved there) being loaded; not saved.
    std::shared_ptr<StatesLoad> analyses_load;

    // Saved as four frames, which read as one archive: what a run plans its tail by (io_plan())
    // and the tables' states (io_states()), zstd-compressed, and the analyses' states
    // (io_analyses()), compressed already (pack_checkpoint_states()) and so kept as they are in a
    // skippable frame with a CRC-64 of its own, all three known once the tables are finished and
    // made while the outputs are written, then what the rest of the run adds (io_run()),
    // compressed. A run reads the plan
    // and run parts first and the states while it reads the tail's partials
    // (Incremental::checkpoint(), checkpoint_states()).
    template <class Ar>
    void io(Ar& ar) {
        io_plan(ar);
        if (format != kFormat) return;
        io_states(ar);
        io_analyses(ar);
        io_run(ar);
        ar(picks);
    }
    template <class Ar>
    void io_plan(Ar& ar) {
        ar(format);
        if (format != kFormat) return;
        // key hashes as bytes (raw_records()): a varint would take 9 or 10 bytes for each of them
        auto settled_hashes = raw_records(settled), unsettled_hashes = raw_records(unsettled);
        auto provisional_hashes = raw_records(provisional);
        ar(options, markers, settled_hashes, unsettled_hashes, recordings, provisional_hashes, settled_markers);
    }
    template <class Ar>
    void io_states(Ar& ar) {
        ar(basic, totals, recording_findings);
    }
    template <class Ar>
    void io_analyses(Ar& ar) {
        ar(analyses);
    }
    // The run part but its picks, which end it: a reader takes them (tens of MB) from the
    // decompressed part itself, not as a copy.
    template <class Ar>
    void io_run(Ar& ar) {
        auto report_hashes = raw_records(report_keys);
        ar(recordings_read, looked_up, partitions, pick_key, days, report_hashes);
    }
};

// How the checkpoint keeps each analysis's state (Checkpoint::analyses): as zstd frames of its
// own, one per piece (AnalysisRunner::save(): `kept`, the pieces that stay as they were, then
// the new one), the states compressed side by side on `threads` threads and each one
// decompressed on the thread that loads it (AnalysisRunner::load()). The checkpoint's states part
// then only gathers them: one 36 MB archive of the states (at 1 GiB) compressed on one thread,
// and decompressed whole before the states were copied out of it, cost a daily run more than
// the compression. pack_checkpoint_states() takes `kept` (left empty).
bool pack_checkpoint_states(std::vector<std::string>& states, std::vector<std::string>& kept,
                            unsigned threads);                                            // false: zstd failed
bool unpack_checkpoint_state(std::string_view packed, std::vector<std::string>* pieces);  // false: damaged

// The checkpoint of a --state run: what RunTables starts from and skips (`from`, null for none),
// and where it puts the one of this run (`to`, null when none is kept).
struct CheckpointUse {
    const Checkpoint* from = nullptr;
    Checkpoint* to = nullptr;
    std::string options;  // this run's checkpoint_options() (analyze.hpp), once: it reads the GeoIP files
    // Whether `from`'s sessions were checked before the first chunk (a run in memory); else
    // RunTables checks those it skips as they come.
    bool checked = false;
    // Sessions with an event of a held last line (HeldTail), sorted: never settled.
    std::vector<std::uint64_t> provisional;
    // A tail run's open sessions before its tail (RunTables::add_counted()), or null.
    const std::vector<Session>* counted_first = nullptr;
    // Called once `to`'s plan and states parts (Checkpoint::io_plan(), io_states()) are made: they
    // do not change from then on.
    std::function<void()> settled_made;
};

// A hash of the TTY recordings linked to s (zero when none): the recording findings of a
// settled session hold only while its links are the same.
std::uint64_t recording_links_hash(const Session& s, std::uint64_t key_hash);

// What a state's held last lines add to a run: their counts, folded into `reports`, and the
// partials of their events (never stored in the state: the lines are read again once whole).
struct HeldEvents {
    std::vector<SessionMap> shards = std::vector<SessionMap>(1);
    StringPool pool;
    bool empty() const { return shards.front().size() == 0; }
};
HeldEvents read_held_tails(const std::map<std::uint64_t, HeldTail>& tails, std::map<std::uint64_t, FileReport>& reports,
                           std::size_t max_line_bytes, std::size_t samples_per_reason);

struct RunState {
    FileLedger ledger;
    std::map<std::uint64_t, FileReport> reports;  // by LedgerEntry::id
    std::map<std::uint64_t, HeldTail> tails;      // by LedgerEntry::id: logs whose last line has no newline
    std::vector<std::string> sessions;            // the sessions files, `sessions` then sessions.1, .2...
    std::vector<std::string> indexed;             // those of them with a key list (FILE.keys)
    std::uint64_t likely = 0;                     // the number of its `likely` (likely.keys holds it); 0: none
    SqliteRowHashes sqlite_rows;                  // none when the state has none
};

// The key list of a sessions file (FILE.keys): its sessions' key hashes, sorted, and a tag that
// ties it to what it lists (the file's size and modification time, file_tag(); `likely`'s: the
// number the manifest names). Returns "" or the problem; load_key_list() is false for a list
// missing, damaged or not sorted.
std::string save_key_list(const std::string& path, std::vector<std::uint64_t> keys, std::uint64_t tag);
bool load_key_list(const std::string& path, std::vector<std::uint64_t>* keys, std::uint64_t* tag);
std::uint64_t file_tag(const std::string& path);  // 0 for a file that cannot be stat'ed

// How many sessions files a state may have before a run merges them: those but the largest into
// one (Incremental::segments_to_merge()) while they hold under a quarter of its bytes, else all
// of them into `sessions`.
inline constexpr std::size_t kMaxStateSegments = 16;

// What a state must have been made with to be used: the tool version and the read limits.
std::string state_fingerprint(const Limits& limits);

// The logs of the state in dir, as its ledger last saw them (input_set.hpp); none when dir holds
// no state made with these limits by this version. Reads the manifest and the ledger only.
KnownFiles known_logs(const std::string& dir, const Limits& limits);

// Loads the state in dir. A folder that does not exist, or holds no state yet, is an empty
// state. A state made by another version or with other limits is not used: *note says why and
// the state is empty (the run rebuilds it). Returns false, with *error naming the file, when the
// state is damaged or dir holds other files.
bool load_state(const std::string& dir, const std::string& fingerprint, RunState* out, std::string* note,
                std::string* error);

// A new state being written beside dir (dir.new-PID); swapped in by commit(), removed if not.
class StateWriter {
public:
    explicit StateWriter(std::string dir);
    ~StateWriter();
    StateWriter(const StateWriter&) = delete;
    StateWriter& operator=(const StateWriter&) = delete;
    const std::string& error() const { return error_; }
    // Where the new sessions file goes (merge_key_runs() writes it).
    std::string sessions_path() const { return tmp_ + "/sessions"; }
    // Where a new file of partials goes that joins `kept` (the old state's sessions files, taken
    // over as they are, by keep()): the nth number after theirs.
    std::string segment_path(const std::vector<std::string>& kept, long nth = 1) const;
    // Links (or copies) the old state's sessions files into the new state, with the key lists of
    // those `indexed`; returns "" or a problem.
    std::string keep(const std::vector<std::string>& files, const std::vector<std::string>& indexed);
    // Where the new state's `likely` goes (its key list beside it, as likely.keys).
    std::string likely_path() const { return tmp_ + "/likely"; }
    // Where the new state keeps one of the old state's files (keep()).
    std::string kept_path(const std::string& file) const;
    // Writes the rest of the state and puts it in the place of dir's; returns "" or a problem.
    // settled_part and run_part: the checkpoint's frames, when made beforehand, or being made
    // (the checkpoint is written once it is, while the other files are); else made here.
    std::string commit(const std::string& fingerprint, const FileLedger& ledger,
                       const std::map<std::uint64_t, FileReport>& reports,
                       const std::map<std::uint64_t, HeldTail>& tails, bool has_sessions,
                       const SqliteRowHashes* sqlite_rows, Checkpoint* checkpoint, std::string settled_part = {},
                       std::future<std::string> run_part = {});

private:
    std::string dir_, tmp_, error_;
    bool committed_ = false;
};

// The state's reports after this run: each file read (`read`, ingest.files) folded into the
// report of its ledger entry (`ids`, from FileLedger::updated(), which gave `ledger`), and every
// report of a file present now given its current path, size and compression.
void fold_reports(std::map<std::uint64_t, FileReport>& reports, const ReadPlans& plans,
                  const std::vector<Consumed>& consumed, const std::vector<std::uint64_t>& ids,
                  const std::vector<InputFile>& current, const FileLedger& ledger, std::vector<FileReport> read,
                  std::size_t samples_per_reason);

// The ingest files, totals and samples of a run from state reports (put in path order).
void reports_into_ingest(std::vector<FileReport> reports, IngestResult& ingest, std::size_t samples_per_reason);

// The reports of a state, as a list.
std::vector<FileReport> report_list(const std::map<std::uint64_t, FileReport>& reports);

// The checkpoint of the state in `dir`, read on a thread of its own from the moment this is made:
// the CLI makes it before it scans the inputs, which a daily run over a year of logs takes a
// while to do, so that the checkpoint's plan is read when the run needs it. Made only for a
// state that has a manifest (no swap to finish); Incremental takes it when it uses that state.
struct CheckpointRead {
    explicit CheckpointRead(const std::string& dir);
    std::string dir;
    std::future<std::optional<Checkpoint>> plan;    // its plan and run parts
    std::future<std::optional<Checkpoint>> states;  // then its states part
};

// An incremental run's side of analyze() (--state DIR): loads the state and plans what to read
// (a log that changed where it was read before makes the whole state be rebuilt), then folds
// what was read into the state's reports and writes the new state.
class Incremental {
public:
    // Problems go to *errors, things the user should know (a rebuild and why) to *notes. `early`:
    // the checkpoint's read, begun before (CheckpointRead), or null.
    Incremental(const std::string& dir, const Limits& limits, const std::vector<InputFile>& inputs,
                std::vector<std::string>* notes, std::vector<std::string>* errors,
                std::shared_ptr<CheckpointRead> early = nullptr);
    ~Incremental();  // a load of the states begun ahead stops first
    Incremental(const Incremental&) = delete;
    Incremental& operator=(const Incremental&) = delete;
    bool ok() const { return ok_; }
    const ReadPlans& plans() const { return plans_; }
    // The state's sessions files, none when it has none.
    const std::vector<std::string>& state_sessions() const { return state_.sessions; }
    // Where the merged sessions of this run go (merge_key_runs()).
    std::string new_sessions() const { return writer_.sessions_path(); }
    // Whether this run adds its partials to the state as one more file (the others kept as
    // they are, or but those it merges first: segments_to_merge()) rather than writing them
    // all, merged, into one.
    bool adds_segment() const {
        return !state_.sessions.empty() && (state_.sessions.size() < kMaxStateSegments || !segments_to_merge_.empty());
    }
    // The state's sessions files that a run which adds one merges into one first, once there
    // are kMaxStateSegments: every one but the largest, while they hold under a quarter of its
    // bytes (else none, and the run merges all of them). A daily run then rewrites the last
    // weeks' partials, not a year's.
    const std::vector<std::string>& segments_to_merge() const { return segments_to_merge_; }
    // Where they go (merge_segments() in analyze.cpp writes it), and the file of this run's
    // partials when adds_segment(); the other old files are kept (keep_segments()).
    std::string merged_segment() const { return writer_.segment_path(state_.sessions, 1); }
    std::string new_segment() const {
        return writer_.segment_path(state_.sessions, segments_to_merge_.empty() ? 1 : 2);
    }
    std::string keep_segments();
    // Writes the key list of `file`, a sessions file of the new state (its sessions' key hashes,
    // in any order); returns "" or a problem.
    std::string index(const std::string& file, std::vector<std::uint64_t> keys);
    // The key list of one of the state's sessions files; null when it has none (or it is damaged).
    const std::vector<std::uint64_t>* file_keys(const std::string& file);
    // Writes, for the new state (which keeps it, keep_segments()), the key list of one of the
    // state's sessions files that had none: its sessions' key hashes, as a run read them.
    std::string index_kept(const std::string& file, std::vector<std::uint64_t> keys);
    // The state's `likely` and the sessions it holds every partial of (sorted); null when the
    // state has none, or it is damaged (a key list that does not match its records).
    const std::vector<std::uint64_t>* likely_keys();
    std::string likely_file() const;
    // What this run read of the state's partials, for the next run's `likely`: the records
    // (load_key_runs()' `taken`) of every session in `keys` (sorted), complete: read from every
    // file that holds one. Without it, commit() takes the likely sessions' partials from the new
    // state's sessions files when read_likely_at_commit() was called, else writes no `likely`.
    void read_for_likely(std::string records, std::vector<std::uint64_t> keys);
    void read_likely_at_commit() { likely_from_files_ = true; }
    // Writes the next run's `likely` on a thread of its own from now on, with the sessions the
    // new checkpoint's report could show (`report_keys`, sorted; Checkpoint::report_keys), once
    // its settled and open sessions are known; commit() waits for it (else writes it then).
    void begin_likely(std::vector<std::uint64_t> report_keys);
    // Puts the state's reports, with this run's reads folded in, into ingest; with the held last
    // lines (HeldTail) counted, their events in held_events().
    void fold(const std::vector<InputFile>& inputs, IngestResult& ingest, std::size_t samples_per_reason);
    HeldEvents& held_events() { return held_events_; }
    // The row hashes of the cowrie.sqlite the last run wrote (empty when unknown), handed over
    // (8 bytes a session: not copied).
    SqliteRowHashes take_sqlite_rows() { return std::move(state_.sqlite_rows); }
    // The state's checkpoint (null when it has none, or it is damaged; read on a thread of its
    // own from the constructor on) without its states until checkpoint_states(), and the place
    // for this run's.
    const Checkpoint* checkpoint();
    // The checkpoint's report picks handed over (tens of MB: not copied); it has none after.
    std::string take_checkpoint_picks();
    // Waits for the checkpoint's states (Checkpoint::io_states()): states_loaded says whether
    // they were read whole.
    void checkpoint_states();
    // A run whose tail and state fit in memory loads the analyses' states on a thread of its own
    // from the moment they are read, while it reads and builds its tail (Checkpoint::
    // analyses_load; AnalysisRunner::load() takes the ones left). Memory a spilled run would
    // need for its merge is not taken before it.
    void load_states_ahead();
    // Frees the state's checkpoint once the run knows it will not use it.
    void drop_checkpoint();
    // Hands it over instead (AnalyzeResult::left_allocated), once its states are read.
    std::shared_ptr<Checkpoint> take_checkpoint();
    Checkpoint* new_checkpoint() { return &new_checkpoint_; }
    // Starts compressing the new checkpoint's settled part on a thread of its own (commit() takes
    // it): called once that part is made, while the run goes on with the outputs.
    void compress_settled_part();
    // Writes the new state in place of the old one, with the row hashes of this run's
    // cowrie.sqlite when it wrote one and the new checkpoint when it has options (a run that
    // could not make one leaves them empty); returns "" or a problem.
    std::string commit(bool has_sessions, const SqliteRowHashes* sqlite_rows);

private:
    std::string dir_;
    std::string fingerprint_;
    RunState state_;
    ReadPlans plans_;
    StateWriter writer_;
    FileLedger ledger_;  // after this run (fold())
    std::size_t max_line_bytes_;
    HeldEvents held_events_;
    std::future<std::optional<Checkpoint>> checkpoint_loading_;  // its plan and run parts
    std::future<std::optional<Checkpoint>> states_loading_;      // then its states part
    std::future<void> loading_ahead_;                            // load_states_ahead()'s thread
    std::optional<Checkpoint> checkpoint_;
    Checkpoint new_checkpoint_;
    std::future<std::string> settled_part_;  // compress_settled_part()'s zstd frames, "" for a failure
    std::map<std::string, std::vector<std::uint64_t>> file_keys_;  // loaded by file_keys()
    std::optional<std::vector<std::uint64_t>> likely_keys_;        // loaded by likely_keys()
    std::vector<std::string> segments_to_merge_;
    bool merged_away(const std::string& file) const;  // one of segments_to_merge_
    bool likely_checked_ = false;
    std::string read_records_;              // read_for_likely()
    std::vector<std::uint64_t> read_keys_;  // read_for_likely()
    bool read_complete_ = false, likely_from_files_ = false;
    std::string write_likely(const std::vector<std::uint64_t>& report_keys);
    std::future<std::string> likely_written_;  // begin_likely()'s; after writer_: done before its folder goes
    bool ok_ = false;
};

}  // namespace cb
