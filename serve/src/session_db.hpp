// Read-only queries over an OUTDIR's cowrie.sqlite for serve's API: the session search and one
// session's whole record, as JSON. Every value is bound as a parameter, never spliced into SQL.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

struct sqlite3;

namespace cb::serve {

class SessionDb {
public:
    // Opens path read-only (mode=ro, PRAGMA query_only); false with *err naming it.
    bool open(const std::string& path, std::string* err);
    ~SessionDb();
    // {"sessions": [...], "total": N}: sessions whose address (or IPv4 CIDR), session id, sensor,
    // HASSH, username, password, command text, download URL or hash match q, newest first; all
    // sessions when q is empty.
    std::string search(const std::string& q, std::int64_t limit, std::int64_t offset);
    // The whole record of one session, or nullopt when there is none.
    std::optional<std::string> session(const std::string& sensor, const std::string& session);

private:
    sqlite3* db_ = nullptr;
};

}  // namespace cb::serve
