// Links sessions to the TTY recordings found among the inputs, and reads what attackers saw:
// the last lines before they left (tables/last_output.csv) and Cowrie's default tells in the
// output (tables/tty_tells.csv, whose rows hints.json turns into recommendations).
// Runs on the client in both engines: recordings are files beside the logs, not log lines.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cb/analysis/analysis.hpp"
#include "cb/input/input_set.hpp"
#include "cb/input/limits.hpp"
#include "cb/session/session.hpp"
#include "cb/util/fast_hash.hpp"

namespace cb {

// What a run learnt of one TTY recording among its inputs: the file as it was (size and
// modification time) and what reading it gave. A --state run keeps them in its checkpoint
// (engine/state.hpp), so that the next one reads only the recordings that are new or changed.
struct RecordingRead {
    std::string path;
    std::uint64_t size = 0;
    std::int64_t mtime_ns = 0;               // as stat_file() (input/input_set.hpp) gives them
    std::string hash;                        // SHA-256 of its input: what Cowrie names it by
    Micros first = kNoTime, last = kNoTime;  // times of its first and last record
    std::uint64_t bytes = 0;                 // bytes read
    bool cut = false;                        // read up to --max-recording-bytes: it may go on long after `last`
    template <class Ar>
    void io(Ar& ar) {
        ar(path, size, mtime_ns, hash, first, last, bytes, cut);
    }
};

// The names a recording is looked up by (RecordingIndex::link()): its hash and, when its file
// is called otherwise (Cowrie 1.x), its file name; as stable 64-bit hashes.
std::vector<std::uint64_t> recording_names(const RecordingRead& r);
// Whether recording r could be linked to a TtyLog item of one of its names whose log.closed
// event came at t (INT64_MAX: at a time unknown): not when r began more than the longest gap
// link() allows after t (and a `duplicate` session's recording began before it).
bool could_link(const RecordingRead& r, Micros t);
// Calls f(name, time, hides) for each name (as recording_names()) that a TtyLog item of s looks a
// recording up by, with the time of its log.closed event; `hides`: the name is a shasum looked up
// before another name, the item's file name, which a recording of the shasum hides (link()).
void looked_up_recordings(const Session& s, const std::function<void(std::uint64_t, Micros, bool)>& f);

// The TTY recordings among `inputs` by the hash that names them (Cowrie names closed recordings
// by the hash of the attacker's input, so duplicates share a file), read once (each up to
// max_recording_bytes; longer ones are still linked, by their file names, and go to *cuts with
// the bytes read) and used for any number of session chunks; with `known` (sorted by path, the
// last run's reads with the same max_recording_bytes), a recording whose size and modification
// time are as they were is not read again. Paths are interned into `pool`, which must outlive
// the linked sessions.
class RecordingIndex {
public:
    RecordingIndex(const InputSet& inputs, StringPool& pool,
                   std::uint64_t max_recording_bytes = Limits::kDefaultMaxRecordingBytes,
                   std::vector<RecordingCut>* cuts = nullptr, const std::vector<RecordingRead>* known = nullptr);
    ~RecordingIndex();
    // Sets Item::c of the TtyLog items of `sessions` that name a recording; returns how many.
    std::size_t link(std::vector<Session>& sessions) const;
    // Every recording among the inputs, in path order; those not stat()-able are left out.
    const std::vector<RecordingRead>& reads() const { return reads_; }
    // How many of them were read (the others were known).
    std::size_t read_now() const { return read_now_; }

private:
    struct Entry;
    std::unordered_map<std::string_view, std::vector<Entry>, StringHash> by_hash_;
    std::vector<RecordingRead> reads_;
    std::size_t read_now_ = 0;
};

// Reads the linked recordings: adds tables last_output and tty_tells to out.tables, their rows
// to out.last_output and out.tty_tells (for the hints), and out.sessions_with_recordings. Sessions without linked
// recordings are skipped. A recording cut at max_recording_bytes counts for the tells in what was read, but not for
// last_output (its last lines were not read).
//
// Chunk by chunk (issue 13): add() the run's sessions in consecutive chunks of any size (each
// chunk's recordings are read on `threads` threads; its strings need to live only until add()
// returns), then finish(out) once. The findings are the same for any chunking.
class RecordingFindingsBuilder {
public:
    explicit RecordingFindingsBuilder(unsigned threads,
                                      std::uint64_t max_recording_bytes = Limits::kDefaultMaxRecordingBytes);
    ~RecordingFindingsBuilder();
    RecordingFindingsBuilder(const RecordingFindingsBuilder&) = delete;
    RecordingFindingsBuilder& operator=(const RecordingFindingsBuilder&) = delete;
    void add(const std::vector<Session>& chunk);
    void add(const SessionRefs& sessions);
    // The state as bytes, and back (an incremental run's checkpoint, engine/state.hpp); load()
    // replaces the state and returns false, leaving it empty, on damaged input.
    void save(std::string& out);
    bool load(std::string_view in);
    void finish(Findings& out);

private:
    struct State;
    unsigned threads_;
    std::uint64_t max_recording_bytes_;
    std::unique_ptr<State> state_;
};

// All sessions in one chunk.
void recording_findings(const std::vector<Session>& sessions, Findings& out, unsigned threads,
                        std::uint64_t max_recording_bytes = Limits::kDefaultMaxRecordingBytes);

}  // namespace cb
