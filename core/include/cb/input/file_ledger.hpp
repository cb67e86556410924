// Which bytes of each JSON event log are new since the last run (issue 13, `analyze --state`).
//
// The ledger remembers, per log read, where it was (path, device, inode and its birth time, size,
// mtime), how
// it was compressed, and how far it was read: the decoded bytes up to the end of the last line
// read, the physical lines in them, a CRC-64 of the first KiB of them (to find the file again
// after a rename or a compression) and one of all of them (to check that they are all still
// there, unchanged). plan_reads() compares the JSON logs of a run with it and says, per file,
// what to read; ingest reads that (IngestOptions::plans) and says what it consumed
// (IngestResult::consumed); FileLedger::updated() folds that in. docs/CLI.md, "Incremental
// runs", says how each rotation case is recognised.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cb/input/input_set.hpp"

namespace cb {

// The ledger's fingerprint of a file's start: the CRC-64 of its first kHeadBytes decoded bytes
// (fewer when fewer were read). Several Cowrie lines, each with its own timestamp.
inline constexpr std::size_t kLedgerHeadBytes = 1024;

// What ingest read of one file in one run (IngestResult::consumed).
struct Consumed {
    bool opened = false;          // false: the file could not be opened; nothing is recorded
    std::uint64_t start = 0;      // decoded offset it started at (ReadPlan::start_decoded_byte)
    std::uint64_t end = 0;        // decoded offset after the last line it read
    std::uint64_t crc = 0;        // CRC-64 (cb/util/crc64.hpp) of decoded bytes [start, end)
    std::uint64_t lines = 0;      // physical lines in [0, end): the start line of the next run
    std::uint64_t held_tail = 0;  // bytes after `end`: an unterminated last line, left for a later run
    // False when the byte ranges read in parallel did not join up (the file changed while it
    // was read): the ledger then keeps no fingerprint, and the next run reads the file again.
    bool joined = true;
};

// One JSON log as the ledger knows it.
struct LedgerEntry {
    // Stable across renames, compression and runs; what the engine files the data it took from
    // this file under (ReadPlan::entry_id, gone entries).
    std::uint64_t id = 0;
    std::string path;  // where it was last seen
    FileStat stat;     // as it was just before it was last read (or seen unchanged)
    Compression compression = Compression::None;
    std::uint64_t bytes = 0;     // decoded bytes read by all runs, up to the end of the last line read
    std::uint64_t lines = 0;     // physical lines in them
    std::uint64_t head_len = 0;  // min(bytes, kLedgerHeadBytes), or fewer (bytes that were there when planned)
    std::uint64_t head_crc = 0;  // CRC-64 of the first head_len bytes
    std::uint64_t crc = 0;       // CRC-64 of all `bytes`
    bool missing = false;        // no input of the last run was this file (the engine keeps its data)
    template <class Ar>
    void io(Ar& ar) {
        ar(id, path, stat, compression, bytes, lines, head_len, head_crc, crc, missing);
    }
};

// What to read of one JSON log this run.
struct ReadPlan {
    enum class Action {
        Skip,       // nothing new: not read
        ReadFrom,   // read from start_decoded_byte on (lines before it were read by earlier runs)
        ReadWhole,  // a file not read before: read all of it
        Reread,     // read before, but what was read changed (shrank, or bytes differ): read all of
                    // it again; the data taken from entry_id before can no longer be trusted
    };
    std::size_t file_index = 0;  // into the `current` list given to plan_reads()
    Action action = Action::ReadWhole;
    std::uint64_t start_decoded_byte = 0;  // decoded bytes to pass over (ReadFrom; else 0)
    std::uint64_t start_line = 0;          // physical lines in them: line numbers continue after it
    std::uint64_t entry_id = 0;            // the entry continued (Skip, ReadFrom) or voided (Reread); 0: new
    std::string reason;                    // for the console: which file, and why this action

    // For FileLedger::updated(); not needed to read the file.
    std::string path;
    Compression compression = Compression::None;
    bool tracked = true;  // false for stdin and files that could not be stat'ed: never in the ledger
    FileStat stat;        // taken before reading: a write after it makes the next run look again
    std::string head;     // its first kLedgerHeadBytes decoded bytes (not kept for Skip)
};
std::string_view read_action_name(ReadPlan::Action a);

struct ReadPlans {
    std::vector<ReadPlan> reads;     // one per JSON log of `current`, in its order
    std::vector<LedgerEntry> gone;   // entries that no input is now, newly so: deleted, or the
                                     // content replaced. Their data stays; they stay in the ledger
                                     // (marked missing), so the file is not read twice if it returns
    std::size_t files_verified = 0;  // files whose earlier bytes were read again to check them
    std::uint64_t bytes_verified = 0;
};

class FileLedger {
public:
    const std::vector<LedgerEntry>& entries() const { return entries_; }
    const LedgerEntry* find(std::uint64_t id) const;

    // The ledger after a run: the reads of `plans` folded in, `consumed[i]` being what ingest
    // read for plans.reads[i] (IngestResult::consumed; ignored for Skip). When `ids` is given, it
    // gets the entry id of each plans.reads[i] (a new id for a file read for the first time; 0
    // when untracked, or when a new file could not be opened).
    FileLedger updated(const ReadPlans& plans, const std::vector<Consumed>& consumed,
                       std::vector<std::uint64_t>* ids = nullptr) const;

    // Binary (cb/util/archive.hpp) behind a magic line and a format version. load() of a path
    // that does not exist gives an empty ledger (a first run); a file that is not a ledger or of
    // another version is an error. save() writes path + ".tmp" and renames it over path.
    static bool load(const std::string& path, FileLedger* out, std::string* error);
    bool save(const std::string& path, std::string* error) const;

    static constexpr std::uint64_t kFormatVersion = 2;

private:
    LedgerEntry* find_mutable(std::uint64_t id);
    std::vector<LedgerEntry> entries_;
    std::uint64_t next_id_ = 1;
};

// The ledger's name in the state folder of `analyze --state DIR`.
inline constexpr std::string_view kFileLedgerName = "files.ledger";

// Compares the JSON logs among `current` (other kinds get no plan) with `previous`. Stats every
// file; reads the first KiB of those not untouched since they were read; reads again the bytes
// read before of those that may continue an entry (same file grown, renamed and grown,
// compressed), to check them. Never reads a file twice for that.
ReadPlans plan_reads(const FileLedger& previous, const std::vector<InputFile>& current);

}  // namespace cb
