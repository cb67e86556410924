// The map and combine steps of the local engine: read every JSON event log in parallel,
// parse each line, and fold events into per-session partial records.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "cb/input/file_ledger.hpp"
#include "cb/input/input_set.hpp"
#include "cb/input/limits.hpp"
#include "cb/parse/event_parser.hpp"
#include "cb/session/session.hpp"

namespace cb {

class PartialSpill;  // spill.hpp

struct RejectSample {
    Reject reason = Reject::None;
    std::string path;
    std::uint64_t line = 0;
    std::string excerpt;  // the first bytes of the line, as read
    template <class Ar>
    void io(Ar& ar) {
        ar(reason, path, line, excerpt);
    }
};

// Counts that merge by addition (one per file, one per worker, one per run).
struct IngestCounts {
    std::uint64_t bytes = 0;          // bytes read from disk (compressed size)
    std::uint64_t decoded_bytes = 0;  // bytes after decompression
    std::uint64_t lines = 0;          // non-blank lines
    std::uint64_t blank_lines = 0;
    std::uint64_t events = 0;              // lines that became events
    std::uint64_t nul_bytes = 0;           // leading NUL bytes skipped (logrotate copytruncate)
    std::uint64_t utf8_repairs = 0;        // events kept after escaping invalid UTF-8 bytes
    std::uint64_t type_errors = 0;         // fields with an unexpected JSON type (ignored)
    std::uint64_t sessionless_events = 0;  // valid events without a session id
    std::uint64_t files_cut = 0;           // files read only up to Limits::max_file_bytes
    std::array<std::uint64_t, static_cast<std::size_t>(Reject::kCount)> rejected{};
    std::map<std::string, std::uint64_t> by_eventid;
    // Fields of kept events that were unusable or repaired: field -> kind -> count
    // (field_name(), field_error_name()).
    std::map<std::string, std::map<std::string, std::uint64_t>> field_errors;

    void add(const IngestCounts& o);
    std::uint64_t rejected_total() const;
    template <class Ar>
    void io(Ar& ar) {
        ar(bytes, decoded_bytes, lines, blank_lines, events, nul_bytes, utf8_repairs, type_errors, sessionless_events,
           rejected, by_eventid, field_errors, files_cut);
    }
};

struct FileReport {
    InputFile file;
    IngestCounts counts;
    // Every line including blank ones (for line numbers); with IngestOptions::plans, counted from
    // the file's start (the lines earlier runs read included).
    std::uint64_t physical_lines = 0;
    std::string error;  // a read or decompression problem; lines before it were kept
    std::vector<RejectSample> samples;
    // --state: a log that earlier runs read and that is not among this run's inputs (deleted by
    // retention, or not given): file.path is where it was last seen, which may now name another
    // file (numbered rotation). Not kept in the state: set by each run.
    bool gone = false;
};

struct IngestOptions {
    unsigned threads = 0;  // 0: hardware concurrency
    Limits limits;         // max_line_bytes, max_file_bytes (limits.hpp)
    std::size_t samples_per_reason = 5;
    // Uncompressed files larger than this are read as several ranges in parallel.
    std::uint64_t split_bytes = std::uint64_t{64} << 20;
    // When set, workers add the bytes they have read (on-disk size) as they go, so a
    // caller's thread can draw progress.
    std::atomic<std::uint64_t>* progress_bytes = nullptr;
    // When set, a worker whose partials pass spill->worker_budget() writes them out and goes on
    // afresh; if any worker did, every worker's partials end in key runs and
    // IngestResult::shards is empty (spill.hpp).
    PartialSpill* spill = nullptr;
    // Incremental runs (--state): what to read of each JSON log, from plan_reads() over the same
    // `files` (cb/input/file_ledger.hpp). A file planned Skip is not read and gets no FileReport;
    // ReadFrom starts at the planned decoded byte (compressed files are decoded from their start
    // and the bytes before it dropped), and line numbers continue from the planned line. The
    // decoded bytes of each file read are fingerprinted for the ledger (IngestResult::consumed),
    // and an uncompressed file's last line without a newline is not read: Cowrie may be writing
    // it (Consumed::held_tail). nullptr: every JSON log whole, nothing fingerprinted.
    const ReadPlans* plans = nullptr;
};

// The last line of a log when it has no newline yet (IngestOptions::plans): the ledger leaves it
// for a later run (Cowrie may be writing it), but every run counts it as one read of the whole
// log would, from what is kept here, until the log is read past it.
struct HeldTail {
    std::uint64_t nuls = 0;  // its leading NUL bytes (a copytruncate hole may be long)
    std::string bytes;       // the rest
    std::uint64_t line = 0;  // physical lines before it
    bool held() const { return nuls || !bytes.empty(); }
    template <class Ar>
    void io(Ar& ar) {
        ar(nuls, bytes, line);
    }
};

struct IngestResult {
    std::vector<FileReport> files;  // every JSON log, in path order
    IngestCounts totals;
    std::vector<RejectSample> samples;  // first samples_per_reason per reason, in path/line order
    std::vector<SessionMap> shards;     // merged partials; every key is in exactly one shard
    std::vector<StringPool> pools;      // own the strings the partials point to
    // With IngestOptions::plans: what was read of each planned file, one per plans->reads entry
    // (for FileLedger::updated()); empty without plans.
    std::vector<Consumed> consumed;
    std::vector<HeldTail> tails;  // with plans: the line each planned file held back, one per entry
};

// Reads the JSON logs among `files` (other kinds are ignored here).
IngestResult ingest(const std::vector<InputFile>& files, const IngestOptions& opt);

// Sets res.totals and res.samples (the first samples_per_reason per reason, in path and line
// order) from res.files.
void finish_ingest_totals(IngestResult& res, std::size_t samples_per_reason);

// Parses one buffer of NDJSON (for tests). `data` needs no padding.
void ingest_buffer(std::string_view data, const std::string& name, EventParser& parser, StringPool& pool,
                   SessionMap& sessions, FileReport& report, std::size_t samples_per_reason = 5);

// Parses NDJSON from a source as it streams (the Hadoop mapper's stdin), within `limits`
// (the parser should have been made with the same max_line_bytes).
void ingest_stream(ByteSource& src, const std::string& name, EventParser& parser, StringPool& pool,
                   SessionMap& sessions, FileReport& report, const Limits& limits, std::size_t samples_per_reason = 5);

}  // namespace cb
