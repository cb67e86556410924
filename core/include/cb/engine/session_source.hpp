// A run's finished sessions as the writers and analyses read them: in session_less order, a
// chunk at a time, each session finalized, linked to its TTY recordings and given its last step.
// A run that fit in memory has one chunk, RunData::sessions itself; a spilled run (spill.hpp)
// reads its order runs back chunk by chunk, and again after rewind() (report.html picks the
// sessions it embeds in a second pass).
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cb/engine/run_data.hpp"
#include "cb/engine/spill.hpp"
#include "cb/tty/tty_link.hpp"

namespace cb {

class SessionSource {
public:
    virtual ~SessionSource() = default;
    // The next chunk, valid until the next call or rewind(); nullptr at the end.
    virtual std::vector<Session>* next() = 0;
    // Starts again; with `only` (ascending positions among all sessions, kept by the caller), the
    // chunks then hold just those sessions. With `complete` false the sessions may come as
    // finalize() made them, without recordings, last steps, techniques or places (a pass that
    // reads only what finalize() sets is then cheaper).
    virtual void rewind(const std::vector<std::size_t>* only = nullptr, bool complete = true) = 0;
    // True when the only chunk is RunData::sessions (every session is in memory at once).
    virtual bool whole() const = 0;
    // True when the chunk next() gave last is the last one and stays valid until the source goes:
    // its readers may go on with it while the caller rewinds and reads other chunks.
    virtual bool last_chunk() const { return whole(); }
    virtual std::string error() const { return {}; }
    // A tail run's source (RunData::sessions_before): the sessions before the tail, completed,
    // for writers that cannot keep the last run's rows and days of them; null for others.
    virtual std::vector<Session>* before_tail() { return nullptr; }
};

// RunData::sessions, already completed (complete_sessions()), as one chunk.
class MemorySessions : public SessionSource {
public:
    explicit MemorySessions(std::vector<Session>& sessions) : sessions_(sessions) {}
    std::vector<Session>* next() override;
    void rewind(const std::vector<std::size_t>* only = nullptr, bool complete = true) override;
    bool whole() const override { return true; }

private:
    std::vector<Session>& sessions_;
    std::vector<Session> picked_;  // rewind(only): copies of those sessions
    const std::vector<std::size_t>* only_ = nullptr;
    bool done_ = false;
};

// The order runs of a spilled run, completed chunk by chunk with the run's marker set and
// recordings. Recordings are hashed once, on the first pass; cut ones go to run.recordings_cut.
// While the caller works on one chunk, the next is read and completed on a thread of its own
// (two chunks in memory, each of half the chunk bytes a run would otherwise read at once).
class DiskSessions : public SessionSource {
public:
    DiskSessions(std::unique_ptr<SpilledSessions> spilled, RunData& run, unsigned threads);
    ~DiskSessions() override;
    std::vector<Session>* next() override;
    void rewind(const std::vector<std::size_t>* only = nullptr, bool complete = true) override;
    bool whole() const override { return false; }
    std::string error() const override;

private:
    // A chunk with what its strings live in.
    struct Slot {
        std::vector<Session> sessions;
        StringPool pool;
        std::vector<StringPool> step_pools;  // its last steps
        bool filled = false;
    };
    void fill(Slot& slot);
    void wait_ahead();

    std::unique_ptr<SpilledSessions> spilled_;
    RunData& run_;
    unsigned threads_;
    const RecordingIndex& recordings_;  // run_recordings(run)
    Slot slots_[2];
    int next_ = 0;          // the slot next() returns
    bool started_ = false;  // whether slots_[next_] is being (or was) filled
    std::thread ahead_;     // fills slots_[next_]
    bool complete_ = true;
};

}  // namespace cb
