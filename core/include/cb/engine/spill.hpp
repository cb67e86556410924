// Bounded memory for the local engine: the same map -> combine -> reduce as the Hadoop
// engine, on one machine with disk (issue 13).
//
//  1. Ingest (map, combine): when a worker's session partials pass its share of the memory
//     limit, they are sorted by key (sensor, session) and written as a *key run*
//     (PartialSpill::spill), and the worker starts afresh.
//  2. Reduce by key (merge_key_runs): a k-way merge of the key runs rebuilds every session's
//     whole partial; each one is counted for the marker statistics and written, in memory-sized
//     batches sorted by output order (start, sensor, session), as *order runs*.
//  3. Output order (SpilledSessions): a k-way merge of the order runs yields the finished
//     sessions in session_less order, a chunk at a time, for the analyses and writers.
//
// Run files are `u32 length + record` sequences in a private temporary folder (SpillDir) that
// is removed when the run ends. A record is encode_partial()'s form (session_codec.cpp),
// preceded in order runs by the session's start time.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "cb/session/session.hpp"
#include "cb/session/steps.hpp"
#include "cb/util/string_pool.hpp"

namespace cb {

// A private folder for run files under `parent`, made when the first file is asked for (a run
// that fits in memory makes none) and removed with everything in it on destruction.
class SpillDir {
public:
    // Removes the spill folders that killed runs left in parent (SIGINT and SIGTERM remove a
    // run's own; 12 hours untouched and their process gone: util/interrupt_cleanup.hpp).
    explicit SpillDir(std::string parent);
    ~SpillDir();
    SpillDir(const SpillDir&) = delete;
    SpillDir& operator=(const SpillDir&) = delete;
    // A fresh file path in the folder (thread-safe); "" with error() set when the folder
    // cannot be made.
    std::string next_file(const char* prefix);
    std::string error() const;
    std::string path() const;
    // Whether `file` is in the folder: a spill file, not a state's sessions file.
    bool owns(const std::string& file) const;
    // Removes those of `files` that are in the folder (spill files once read for good); other
    // files, such as a state's sessions, are kept.
    void remove_own(const std::vector<std::string>& files) const;
    // What the folder takes on disk, counted in allocated blocks as files are closed, punched
    // and removed: written(f) once f is complete; shrank(bytes) for what a punch freed. The most
    // it took at once is peak_bytes() (a file counts from its close: about, not exactly).
    void written(const std::string& file) const;
    void shrank(std::uint64_t bytes) const;
    std::uint64_t peak_bytes() const;

private:
    std::string parent_, path_, error_;
    mutable std::mutex mu_;
    std::uint64_t files_ = 0;
    mutable std::uint64_t on_disk_ = 0, peak_ = 0;
};

// What spilling did, for --stats and the tests.
struct SpillStats {
    std::uint64_t key_runs = 0, key_run_bytes = 0;      // step 1
    std::uint64_t order_runs = 0, order_run_bytes = 0;  // step 2
    std::uint64_t peak_disk_bytes = 0;                  // the spill folder at its largest (about)
};

// Step 1's sink, shared by the ingest workers. Thread-safe.
class PartialSpill {
public:
    PartialSpill(SpillDir& dir, std::uint64_t worker_budget) : dir_(dir), worker_budget_(worker_budget) {}
    // Bytes of partials (estimated) above which a worker spills.
    std::uint64_t worker_budget() const { return worker_budget_; }
    // Writes every partial of `shards` as one key run and empties the shards.
    void spill(std::vector<SessionMap>& shards);
    std::vector<std::string> files() const;
    std::string error() const;  // the first write problem, naming the file
    SpillStats stats() const;

private:
    SpillDir& dir_;
    std::uint64_t worker_budget_;
    mutable std::mutex mu_;
    std::vector<std::string> files_;
    std::string error_;
    std::uint64_t bytes_ = 0;
};

// Whether any shard holds a partial.
bool has_partials(const std::vector<SessionMap>& shards);

// Writes every partial of `shards` as one key run at path (sorted by key; zstd when `compress`);
// *bytes gets the record bytes before compression. Returns "" or the problem, naming the file.
std::string write_key_run(const std::string& path, const std::vector<SessionMap>& shards, bool compress,
                          std::uint64_t* bytes = nullptr);
// Which records load_key_runs() decodes: every one, or by session_key_hash() those whose key is
// in `keys` (sorted), or with `except`, those whose key is not.
struct KeyFilter {
    const std::vector<std::uint64_t>* keys = nullptr;
    bool except = false;
    bool takes(std::uint64_t key) const { return !keys || has_key(*keys, key) != except; }
};

// Merges the partials of the key runs at paths (those `filter` takes) into `shards` (by
// SessionKeyHash, modulo their number). The files are read in turn on this thread and decoded
// on one thread per pool, strings into that pool; each decoder merges into its own shards (those
// whose index modulo the pools is its own), so each key's partials merge in the order of the
// files and of their records. With `taken`, the records taken are kept too (TakenRecords); with
// `keys_of`, (*keys_of)[i] gets the session_key_hash() of every record of paths[i], taken or not.
// Returns "" or the problem.
struct TakenRecords {
    std::string bytes;  // each record as a u32 length and its bytes, in the order read
    std::size_t limit = SIZE_MAX;
    bool complete = true;  // false once they would have passed `limit`: then none are kept
};
std::string load_key_runs(const std::vector<std::string>& paths, std::vector<SessionMap>& shards,
                          const std::vector<StringPool*>& pools, KeyFilter filter = {}, TakenRecords* taken = nullptr,
                          std::vector<std::vector<std::uint64_t>>* keys_of = nullptr);

// Writes to path a zstd-compressed run file (with a checksum) of the records whose key's
// session_key_hash() is in `keys` (sorted), as they are: first those of `records` (each a u32
// length and its bytes, as load_key_runs() takes them), then those of the run files at paths, in
// that order (so each key's records stay in the order they merge in). *copied gets the key
// hashes copied, sorted, once each. Returns "" or the problem, naming the file.
std::string copy_records(const std::string& path, std::string_view records, const std::vector<std::string>& paths,
                         const std::vector<std::uint64_t>& keys, std::vector<std::uint64_t>* copied);

// Appends to *keys the session_key_hash() of every record in the key runs at paths (none
// decoded). Returns "" or the problem, naming the file.
std::string key_run_hashes(const std::vector<std::string>& paths, std::vector<std::uint64_t>* keys);

// Step 2. Merges the key runs into order runs of about batch_bytes each, and collects the
// marker statistics of every session on the way. merge_partitions() merges run at once, each over
// the keys of one hash partition (every one reads all key runs, and decodes only its own keys),
// with batch_bytes / partitions each. Errors name the file.
struct OrderRuns {
    std::vector<std::string> files;
    MarkerStats markers;
    std::uint64_t sessions = 0, bytes = 0;
    std::string error;
};
// Whole partials (each key once) into order runs, batch_bytes of records at a time: step 2's
// output side, also used by the Hadoop client, whose job 1 merged every key already.
class OrderRunWriter {
public:
    OrderRunWriter(SpillDir& dir, std::uint64_t batch_bytes);
    // `encoded`, when given, is encode_partial(p) already made (a partial read from a run whole).
    void add(const SessionPartial& p, std::string_view encoded = {});
    // Writes the last batch; the result has no marker statistics.
    OrderRuns finish();

private:
    void write_batch();
    SpillDir& dir_;
    std::uint64_t batch_bytes_;
    OrderRuns out_;
    std::vector<std::pair<std::size_t, std::size_t>> entries_;  // offset, length in bytes_
    std::string bytes_;
};

// The most run files one merge reads at once: a quarter of the open-file limit (RLIMIT_NOFILE;
// the rest is for inputs, outputs and SQLite), and no more than `buffer_bytes` holds of their
// read buffers (256 KiB each: a lower --memory-limit must not let more files be open at once);
// at least kMinFanIn.
inline constexpr std::size_t kMinFanIn = 8;
std::size_t merge_fan_in(std::uint64_t buffer_bytes);
// Merges groups of fan_in runs into one run each, again until at most fan_in are left (a merge
// tree, as external sorts do when their runs outnumber the files a process may hold open). Key
// runs (by_key): each key's partials become one record; order runs: records are copied in
// output order. Merged spill files are removed; other runs (a state's sessions) are kept. The
// first problem goes to *error. merge_key_runs() folds its key runs and its order runs so.
std::vector<std::string> fold_runs(std::vector<std::string> runs, SpillDir& dir, std::size_t fan_in, bool by_key,
                                   std::string* error);
// Writes the partials of `key_runs` (spill files), each key's merged into one record, as one
// zstd-compressed key run at path: a spilled --state run's own partials as one more of the
// state's sessions files. The runs are folded first when they outnumber
// merge_fan_in(buffer_bytes); *key_runs becomes the folded runs, which hold the same partials.
// Returns "" or the problem.
std::string write_segment(std::vector<std::string>* key_runs, SpillDir& dir, const std::string& path,
                          std::uint64_t buffer_bytes);
// How many partitions merge_key_runs() runs for `threads`: fewer when every one reading every key
// run would hold more than a quarter of the open-file limit, or more read buffers than batch_bytes.
unsigned merge_partitions(std::size_t key_runs, unsigned threads, std::uint64_t batch_bytes);
// `consume`: the key runs that are spill files are read for the last time: their bytes are freed
// (punched out of the file) as every partition's merge passes them, and the files are removed at
// the end, so that the disk holds about one copy of the sessions, not two. Runs of other folders
// (a state's sessions) are only read.
OrderRuns merge_key_runs(const std::vector<std::string>& key_runs, SpillDir& dir, const SessionOptions& opt,
                         std::uint64_t batch_bytes, unsigned threads = 1, bool consume = false);

// Step 3: the finished sessions in session_less order, `chunk_bytes` of records at a time.
// A chunk's strings live in the pool given with it, until it is given again.
class SpilledSessions {
public:
    SpilledSessions(std::vector<std::string> order_runs, const SessionOptions& opt, std::uint64_t chunk_bytes);
    ~SpilledSessions();
    // Fills `out` with the next sessions (finalized, not yet linked to recordings), their strings
    // in `pool` (emptied first); false at the end.
    bool next_chunk(std::vector<Session>& out, StringPool& pool);
    // Starts again from the first session (the report reads the sessions it shows a second time).
    // With `only` (ascending positions in output order, kept by the caller), the chunks hold just
    // those sessions: the others are read past without being decoded.
    void rewind(const std::vector<std::size_t>* only = nullptr);
    const std::string& error() const { return error_; }

private:
    struct Merge;
    std::vector<std::string> files_;
    SessionOptions opt_;
    std::uint64_t chunk_bytes_;
    std::unique_ptr<Merge> merge_;
    const std::vector<std::size_t>* only_ = nullptr;
    std::string error_;
};

}  // namespace cb
