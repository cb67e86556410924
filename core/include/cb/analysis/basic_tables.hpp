// The basic count tables of issue 2: credentials, commands, client versions, HASSH,
// downloads, sensors and source addresses per day.
#pragma once

#include <vector>

#include "cb/session/session.hpp"
#include "cb/analysis/table.hpp"

namespace cb {

// Sessions must be finalized; the result is independent of their order.
std::vector<Table> basic_tables(const std::vector<Session>& sessions);

}  // namespace cb
