// Read-only queries over an OUTDIR's cowrie.sqlite for serve's API: the session search and one
// session's whole record, as JSON. Every value is bound as a parameter, never spliced into SQL.
//
// The search uses an index file that serve builds when it starts (build_search_index()), so that
// analyze does not pay for indexes only serve needs: every exact-match value of a session
// (address, session id, sensor, HASSH, user name, password, key fingerprint, hashes) with its
// sid, an FTS5 index of its command lines, and its start time. cowrie.sqlite's sids are in start
// order, which gives "newest first" for free.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace cb::serve {

// Writes the search index of the cowrie.sqlite at db_path into index_path (a new file); "" or
// the problem.
std::string build_search_index(const std::string& db_path, const std::string& index_path);

// The filters of a search; "" for none. `from` and `to` are UTC times as cowrie.sqlite writes
// them ("2024-04-05", "2024-04-05T12:00"): start >= from, start < to.
struct SearchFilters {
    std::string sensor, from, to, channel, end_kind, campaign;
    bool none() const {
        return sensor.empty() && from.empty() && to.empty() && channel.empty() && end_kind.empty() && campaign.empty();
    }
};

class SessionDb {
public:
    // Opens db_path read-only (mode=ro, query_only) with the index attached; false with *err.
    bool open(const std::string& db_path, const std::string& index_path, std::string* err);
    ~SessionDb();
    bool has_campaigns() const { return has_campaigns_; }
    // {"sessions": [...], "total": N}, newest first: docs/SERVE.md says what matches q.
    std::string search(const std::string& q, const SearchFilters& f, std::int64_t limit, std::int64_t offset);
    // The whole record of one session, or nullopt when there is none.
    std::optional<std::string> session(const std::string& sensor, const std::string& session);
    // The file names (no folder) of the session's TTY recordings, in the order logged.
    std::vector<std::string> tty_names(const std::string& sensor, const std::string& session);

    // The result tables (the report's and tables/*.csv's, as cowrie.sqlite names them):
    // {"tables": [{"name", "rows", "columns"}]}.
    std::string tables();
    // Rows [offset, offset + limit) of result table `name` as {"columns", "rows", "total"}, or
    // as CSV (header first; cells that a spreadsheet would run as a formula are quoted as text,
    // as in tables/*.csv); nullopt when there is no such table.
    std::optional<std::string> table(const std::string& name, std::int64_t limit, std::int64_t offset, bool csv);

private:
    // The sids of sessions that started in [f.from, f.to): sids are in start order.
    std::pair<std::int64_t, std::int64_t> sid_range(const SearchFilters& f);
    // One page of `hits` (a WITH clause), newest first, with their number: no filter to apply,
    // so the hits are read once and the page's rows fetched by sid.
    std::string page_of_hits(const std::string& hits, const std::function<void(sqlite3_stmt*)>& bind,
                             std::int64_t limit, std::int64_t offset);

    sqlite3* db_ = nullptr;
    bool has_campaigns_ = false;
};

}  // namespace cb::serve
