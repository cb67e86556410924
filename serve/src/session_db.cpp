#include "session_db.hpp"

#include <arpa/inet.h>
#include <sqlite3.h>

#include <cstring>

#include "cb/util/json_writer.hpp"

namespace cb::serve {

namespace {

// A prepared statement, finalized on scope exit.
class Stmt {
public:
    Stmt(sqlite3* db, const char* sql) { sqlite3_prepare_v2(db, sql, -1, &st_, nullptr); }
    ~Stmt() { sqlite3_finalize(st_); }
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;
    bool ok() const { return st_ != nullptr; }
    sqlite3_stmt* get() const { return st_; }
    void text(int i, const std::string& s) {
        sqlite3_bind_text(st_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    }
    void integer(int i, std::int64_t v) { sqlite3_bind_int64(st_, i, v); }
    bool step() { return sqlite3_step(st_) == SQLITE_ROW; }

private:
    sqlite3_stmt* st_ = nullptr;
};

// The current row as a JSON object, every column by its name and type.
void row_json(JsonWriter& w, sqlite3_stmt* st, const char* skip = nullptr) {
    w.begin_object();
    for (int c = 0; c < sqlite3_column_count(st); ++c) {
        const char* name = sqlite3_column_name(st, c);
        if (skip && std::strcmp(name, skip) == 0) continue;
        w.key(name);
        switch (sqlite3_column_type(st, c)) {
            case SQLITE_INTEGER:
                w.value(static_cast<std::int64_t>(sqlite3_column_int64(st, c)));
                break;
            case SQLITE_FLOAT:
                w.value(sqlite3_column_double(st, c), 3);
                break;
            case SQLITE_NULL:
                w.null();
                break;
            default:
                w.value(std::string_view(reinterpret_cast<const char*>(sqlite3_column_text(st, c)),
                                         static_cast<std::size_t>(sqlite3_column_bytes(st, c))));
        }
    }
    w.end_object();
}

// An IPv4 address as a number (cb_ip4() in SQL); -1 when it is not one.
std::int64_t ip4(const char* s) {
    in_addr a{};
    return s && ::inet_pton(AF_INET, s, &a) == 1 ? static_cast<std::int64_t>(ntohl(a.s_addr)) : -1;
}

void sql_ip4(sqlite3_context* ctx, int, sqlite3_value** argv) {
    sqlite3_result_int64(ctx, ip4(reinterpret_cast<const char*>(sqlite3_value_text(argv[0]))));
}

// "a.b.c.d/n" as the range [lo, hi]; false when q is not an IPv4 CIDR.
bool cidr(const std::string& q, std::int64_t* lo, std::int64_t* hi) {
    const std::size_t slash = q.find('/');
    if (slash == std::string::npos || slash + 1 >= q.size() || q.size() - slash > 3) return false;
    int bits = 0;
    for (char c : q.substr(slash + 1)) {
        if (c < '0' || c > '9') return false;
        bits = bits * 10 + (c - '0');
    }
    const std::int64_t base = ip4(q.substr(0, slash).c_str());
    if (base < 0 || bits > 32) return false;
    const std::int64_t size = std::int64_t{1} << (32 - bits);
    *lo = base & ~(size - 1);
    *hi = *lo + size - 1;
    return true;
}

// The sids that match ?1 (or the CIDR [?2, ?3] of src_ip).
constexpr const char* kHits = R"(WITH hits(sid) AS (
  SELECT sid FROM sessions WHERE ?1 = '' OR src_ip = ?1 OR session = ?1 OR sensor = ?1 OR hassh = ?1
    OR (?2 >= 0 AND cb_ip4(src_ip) BETWEEN ?2 AND ?3)
  UNION SELECT sid FROM logins_rows WHERE username = ?1 OR password = ?1 OR fingerprint = ?1
  UNION SELECT sid FROM commands_rows WHERE ?1 <> '' AND instr(input, ?1) > 0
  UNION SELECT sid FROM downloads_rows WHERE (?1 <> '' AND instr(url, ?1) > 0) OR shasum = ?1
  UNION SELECT sid FROM file_writes_rows WHERE shasum = ?1
  UNION SELECT sid FROM uploads_rows WHERE shasum = ?1
) )";

}  // namespace

bool SessionDb::open(const std::string& path, std::string* err) {
    sqlite3_close(db_);  // an earlier open() that failed
    db_ = nullptr;
    const std::string uri = "file:" + path + "?mode=ro";
    if (sqlite3_open_v2(uri.c_str(), &db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nullptr) !=
            SQLITE_OK ||
        sqlite3_exec(db_, "PRAGMA query_only = 1; SELECT count(*) FROM sessions;", nullptr, nullptr, nullptr) !=
            SQLITE_OK) {
        *err = "cannot open " + path + " read-only: " + (db_ ? sqlite3_errmsg(db_) : "out of memory") +
               " (is it the OUTDIR of cowrie-batch analyze?)";
        return false;
    }
    sqlite3_create_function(db_, "cb_ip4", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr, sql_ip4, nullptr, nullptr);
    return true;
}

SessionDb::~SessionDb() { sqlite3_close(db_); }

std::string SessionDb::search(const std::string& q, std::int64_t limit, std::int64_t offset) {
    std::int64_t lo = -1, hi = -1;
    cidr(q, &lo, &hi);
    auto bind = [&](Stmt& st) {
        st.text(1, q);
        st.integer(2, lo);
        st.integer(3, hi);
    };
    std::string out;
    JsonWriter w(out);
    w.begin_object().key("sessions").begin_array();
    Stmt page(db_, (std::string(kHits) + "SELECT s.* FROM sessions s JOIN hits USING (sid) "
                                         "ORDER BY s.start DESC, s.sid DESC LIMIT ?4 OFFSET ?5")
                       .c_str());
    bind(page);
    page.integer(4, limit);
    page.integer(5, offset);
    while (page.ok() && page.step()) row_json(w, page.get(), "sid");
    w.end_array();
    Stmt count(db_, (std::string(kHits) + "SELECT count(*) FROM hits").c_str());
    bind(count);
    w.field("total", static_cast<std::int64_t>(count.ok() && count.step() ? sqlite3_column_int64(count.get(), 0) : 0));
    w.end_object();
    return out;
}

std::optional<std::string> SessionDb::session(const std::string& sensor, const std::string& session) {
    Stmt s(db_, "SELECT * FROM sessions WHERE sensor = ?1 AND session = ?2");
    s.text(1, sensor);
    s.text(2, session);
    if (!s.ok() || !s.step()) return std::nullopt;
    const std::int64_t sid = sqlite3_column_int64(s.get(), sqlite3_column_count(s.get()) - 1);
    std::string out;
    JsonWriter w(out);
    w.begin_object().key("session");
    row_json(w, s.get(), "sid");
    for (const char* table : {"logins", "commands", "downloads", "file_writes", "uploads", "tcpip", "ttylogs"}) {
        Stmt rows(db_, (std::string("SELECT * FROM ") + table + "_rows WHERE sid = ?1 ORDER BY seq").c_str());
        rows.integer(1, sid);
        w.key(table).begin_array();
        while (rows.ok() && rows.step()) row_json(w, rows.get(), "sid");
        w.end_array();
    }
    w.end_object();
    return out;
}

}  // namespace cb::serve
