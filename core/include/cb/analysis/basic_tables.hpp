// The basic count tables of issue 2: credentials, commands, client versions, HASSH,
// downloads, sensors and source addresses per day; since issue 12 also source addresses
// (src_ips), port-forwarding targets (forwarding) and activity per sensor and hour
// (sensors_hourly), which report.html used to count itself.
#pragma once

#include <vector>

#include "cb/analysis/table.hpp"
#include "cb/session/session.hpp"
#include "cb/session/steps.hpp"

namespace cb {

// Sessions must be finalized; the result is independent of their order.
std::vector<Table> basic_tables(const std::vector<Session>& sessions);

// src_ips: per source address, most sessions first (source_tables.cpp).
Table src_ips_table(const std::vector<Session>& sessions);
// forwarding: per direct-tcpip target (host, port), most sessions first (source_tables.cpp).
Table forwarding_table(const std::vector<Session>& sessions);
// sensors_hourly: sessions (by start) and logins (by their own time) per UTC hour and sensor,
// in hour order (source_tables.cpp).
Table sensors_hourly_table(const std::vector<Session>& sessions);

// markers.csv: every segment key that repeats in at least one session, with its decision
// (in `set`: treated as a marker).
Table markers_table(const MarkerStats& stats, const MarkerSet& set);

}  // namespace cb
