// Links sessions to the TTY recordings found among the inputs, and reads what attackers saw:
// the last lines before they left (tables/last_output.csv) and Cowrie's default tells in the
// output (tables/tty_tells.csv, and facts that hints.json turns into recommendations).
// Runs on the client in both engines: recordings are files beside the logs, not log lines.
#pragma once

#include <vector>

#include "cb/analysis.hpp"
#include "cb/input_set.hpp"
#include "cb/session.hpp"

namespace cb {

// Sets Item::c of every TtyLog item whose SHA-256 names a recording among `inputs` (Cowrie
// names closed recordings by the hash of the attacker's input, so duplicates share a file).
// Returns the number of items linked.
std::size_t link_recordings(std::vector<Session>& sessions, const InputSet& inputs, StringPool& pool);

// Reads the linked recordings: adds tables last_output and tty_tells to out.tables and the
// fact "tty.tells" (a JSON array) for the hints. Sessions without linked recordings are skipped.
void recording_findings(const std::vector<Session>& sessions, Findings& out, unsigned threads);

}  // namespace cb
