// Links sessions to the TTY recordings found among the inputs, and reads what attackers saw:
// the last lines before they left (tables/last_output.csv) and Cowrie's default tells in the
// output (tables/tty_tells.csv, whose rows hints.json turns into recommendations).
// Runs on the client in both engines: recordings are files beside the logs, not log lines.
#pragma once

#include <cstdint>
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

// Sets Item::c of every TtyLog item whose SHA-256 names a recording among `inputs` (Cowrie
// names closed recordings by the hash of the attacker's input, so duplicates share a file).
// Returns the number of items linked. Each recording is read up to max_recording_bytes
// (0: no limit); one that is longer is still linked (by its file name) and is added to *cut
// with the bytes read.
// The TTY recordings among `inputs` by the hash that names them, read once (each up to
// max_recording_bytes; longer ones go to *cuts) and used for any number of session chunks.
// Paths are interned into `pool`, which must outlive the linked sessions.
class RecordingIndex {
public:
    RecordingIndex(const InputSet& inputs, StringPool& pool,
                   std::uint64_t max_recording_bytes = Limits::kDefaultMaxRecordingBytes,
                   std::vector<RecordingCut>* cuts = nullptr);
    ~RecordingIndex();
    // Links the TtyLog items of `sessions` (as link_recordings()); returns how many.
    std::size_t link(std::vector<Session>& sessions) const;

private:
    struct Entry;
    std::unordered_map<std::string_view, std::vector<Entry>, StringHash> by_hash_;
};

std::size_t link_recordings(std::vector<Session>& sessions, const InputSet& inputs, StringPool& pool,
                            std::uint64_t max_recording_bytes = Limits::kDefaultMaxRecordingBytes,
                            std::vector<RecordingCut>* cut = nullptr);

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
