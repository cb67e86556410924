// The basic count tables of issue 2: credentials, commands, client versions, HASSH,
// downloads, sensors and source addresses per day; since issue 12 also source addresses
// (src_ips), port-forwarding targets (forwarding) and activity per sensor and hour
// (sensors_hourly, source_tables.cpp), which report.html used to count itself.
#pragma once

#include <memory>
#include <vector>

#include "cb/analysis/table.hpp"
#include "cb/session/session.hpp"
#include "cb/session/steps.hpp"

namespace cb {

// The basic tables built chunk by chunk (issue 13): add() the run's sessions in consecutive
// chunks of any size, then finish() once. Each chunk's strings need to live only until its
// add() returns: the builder keeps copies of the keys it counts (docs/ARCHITECTURE.md lists
// what grows with distinct values). The tables are the same for any chunking and any session
// order; sessions must be finalized.
class BasicTableBuilder {
public:
    BasicTableBuilder();
    ~BasicTableBuilder();
    BasicTableBuilder(BasicTableBuilder&&) noexcept;
    BasicTableBuilder& operator=(BasicTableBuilder&&) noexcept;
    void add(const std::vector<Session>& chunk);
    void add(const SessionRefs& sessions);
    // The state as bytes, and back (an incremental run's checkpoint, engine/state.hpp); load()
    // replaces the state and returns false, leaving it empty, on damaged input.
    void save(std::string& out);
    bool load(std::string_view in);
    // credentials, key_fingerprints, commands, client_versions, hassh, downloads, file_writes,
    // sensors, src_ips_daily, src_ips, forwarding, sensors_hourly.
    std::vector<Table> finish();

private:
    struct State;
    std::unique_ptr<State> state_;
};

// All sessions in one chunk.
std::vector<Table> basic_tables(const std::vector<Session>& sessions);

// markers.csv: every segment key that repeats in at least one session, with its decision
// (in `set`: treated as a marker).
Table markers_table(const MarkerStats& stats, const MarkerSet& set);

}  // namespace cb
