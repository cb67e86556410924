#include "session_db.hpp"

#include <arpa/inet.h>
#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <vector>

#include "cb/util/json_writer.hpp"
#include "cb/util/text.hpp"

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

// The current row as a JSON object, every column by its name and type (reals with `decimals`).
void row_json(JsonWriter& w, sqlite3_stmt* st, const char* skip = nullptr, int decimals = 3) {
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
                w.value(sqlite3_column_double(st, c), decimals);
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
bool cidr(const std::string& q, std::int64_t* lo, std::int64_t* hi, int* bits_out) {
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
    *bits_out = bits;
    return true;
}

// The text all addresses of a CIDR block start with ("10.1." for 10.1.0.0/16): the index range
// [prefix, prefix with its last '.' made '/') holds them (and a few others, which cb_ip4 drops).
std::string cidr_prefix(std::int64_t lo, int bits) {
    std::string p;
    for (int octet = 0; octet < bits / 8; ++octet) p += std::to_string((lo >> (24 - 8 * octet)) & 255) + ".";
    return p;
}

// An FTS5 phrase of q's words: q quoted, its quotes doubled.
std::string fts_phrase(const std::string& q) {
    std::string p = "\"";
    for (char c : q) p += c == '"' ? std::string("\"\"") : std::string(1, c);
    return p + "\"";
}

// Whether the FTS index answers q: it has an ASCII letter or digit (a word); other queries are
// matched as text in the command lines.
bool has_word(const std::string& q) {
    return std::any_of(q.begin(), q.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; });
}

constexpr const char* kBuildIndex = R"(
CREATE TABLE keys(value TEXT NOT NULL, sid INTEGER NOT NULL, ip INTEGER NOT NULL, PRIMARY KEY(value, sid, ip)) WITHOUT ROWID;
INSERT OR IGNORE INTO keys SELECT * FROM (
  SELECT src_ip, sid, 1 FROM src.sessions WHERE src_ip IS NOT NULL
  UNION ALL SELECT session, sid, 0 FROM src.sessions
  UNION ALL SELECT sensor, sid, 0 FROM src.sessions
  UNION ALL SELECT hassh, sid, 0 FROM src.sessions WHERE hassh IS NOT NULL
  UNION ALL SELECT username, sid, 0 FROM src.logins_rows WHERE username IS NOT NULL
  UNION ALL SELECT password, sid, 0 FROM src.logins_rows WHERE password IS NOT NULL
  UNION ALL SELECT fingerprint, sid, 0 FROM src.logins_rows WHERE fingerprint IS NOT NULL
  UNION ALL SELECT shasum, sid, 0 FROM src.downloads_rows WHERE shasum IS NOT NULL
  UNION ALL SELECT shasum, sid, 0 FROM src.file_writes_rows WHERE shasum IS NOT NULL
  UNION ALL SELECT shasum, sid, 0 FROM src.uploads_rows WHERE shasum IS NOT NULL
) ORDER BY 1, 2, 3;
CREATE VIRTUAL TABLE commands_fts USING fts5(input, content='', columnsize=0);
INSERT INTO commands_fts(rowid, input) SELECT sid, group_concat(input, char(10)) FROM src.commands_rows GROUP BY sid;
CREATE TABLE starts(start TEXT NOT NULL, sid INTEGER NOT NULL, PRIMARY KEY(start, sid)) WITHOUT ROWID;
INSERT INTO starts SELECT start, sid FROM src.sessions WHERE start IS NOT NULL ORDER BY start, sid;
)";

// The sids that match :q, each branch an index lookup (or, for text without a word, a scan of the
// command lines); only the branches q can match are in the query.
std::string hits_sql(bool cidr_block, bool word) {
    std::string sql = "WITH hits(sid) AS (SELECT sid FROM idx.keys WHERE value = :q";
    if (cidr_block)
        sql +=
            " UNION SELECT sid FROM idx.keys WHERE ip = 1 AND value >= :prefix AND value < :prefix_end"
            " AND cb_ip4(value) BETWEEN :lo AND :hi";
    sql += word ? " UNION SELECT rowid FROM idx.commands_fts WHERE commands_fts MATCH :fts"
                : " UNION SELECT sid FROM commands_rows WHERE instr(input, :q) > 0";
    return sql + " UNION SELECT sid FROM downloads_rows WHERE instr(url, :q) > 0) ";
}

// The sessions that pass the filters: all of them, or (kFromHits) the hits of q, looked up by
// sid (CROSS JOIN keeps SQLite from walking every session to test each against the hits).
// sids are in start order.
constexpr const char* kFromAll = "FROM sessions s WHERE 1";
constexpr const char* kFromHits = "FROM hits CROSS JOIN sessions s ON s.sid = hits.sid WHERE 1";
constexpr const char* kFiltered = R"(
  AND (:sensor = '' OR s.sensor = :sensor)
  AND s.sid BETWEEN :sid_lo AND :sid_hi
  AND (:channel = '' OR s.channel = :channel)
  AND (:end_kind = '' OR s.end_kind = :end_kind)
  AND (:campaign = '' OR (s.sensor, s.session) IN (SELECT sensor, session FROM session_campaigns WHERE campaign = :campaign)))";

void bind_named(sqlite3_stmt* st, const char* name, const std::string& v) {
    if (const int i = sqlite3_bind_parameter_index(st, name))
        sqlite3_bind_text(st, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}
void bind_named(sqlite3_stmt* st, const char* name, std::int64_t v) {
    if (const int i = sqlite3_bind_parameter_index(st, name)) sqlite3_bind_int64(st, i, v);
}

// ATTACHes the database at uri as `name`; false on failure.
bool attach(sqlite3* db, const std::string& uri, const char* name) {
    sqlite3_stmt* st = nullptr;
    const std::string sql = std::string("ATTACH ?1 AS ") + name;
    bool ok = sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK;
    if (ok) sqlite3_bind_text(st, 1, uri.c_str(), -1, SQLITE_TRANSIENT);
    ok = ok && sqlite3_step(st) == SQLITE_DONE;
    sqlite3_finalize(st);
    return ok;
}

}  // namespace

std::string build_search_index(const std::string& db_path, const std::string& index_path) {
    sqlite3* db = nullptr;
    bool ok =
        sqlite3_open_v2(index_path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) == SQLITE_OK &&
        attach(db, "file:" + db_path + "?mode=ro", "src") &&
        sqlite3_exec(db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-65536; BEGIN;", nullptr,
                     nullptr, nullptr) == SQLITE_OK &&
        sqlite3_exec(db, kBuildIndex, nullptr, nullptr, nullptr) == SQLITE_OK &&
        sqlite3_exec(db, "COMMIT; DETACH src;", nullptr, nullptr, nullptr) == SQLITE_OK;
    std::string err;
    if (!ok)
        err = "cannot build the search index " + index_path + " of " + db_path + ": " +
              (db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return err;
}

bool SessionDb::open(const std::string& db_path, const std::string& index_path, std::string* err) {
    sqlite3_close(db_);  // an earlier open() that failed
    db_ = nullptr;
    const std::string uri = "file:" + db_path + "?mode=ro";
    const bool ok = sqlite3_open_v2(uri.c_str(), &db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX,
                                    nullptr) == SQLITE_OK &&
                    sqlite3_exec(db_, "SELECT count(*) FROM sessions", nullptr, nullptr, nullptr) == SQLITE_OK &&
                    (index_path.empty() || attach(db_, "file:" + index_path + "?mode=ro", "idx")) &&
                    sqlite3_exec(db_, "PRAGMA query_only = 1; PRAGMA temp_store = FILE; PRAGMA cache_size = -4096",
                                 nullptr, nullptr, nullptr) == SQLITE_OK;
    if (!ok) {
        *err = "cannot open " + db_path + " read-only: " + (db_ ? sqlite3_errmsg(db_) : "out of memory") +
               " (is it the OUTDIR of cowrie-batch analyze?)";
        return false;
    }
    // A daily `analyze --state` updates cowrie.sqlite in place: while it commits, a query waits
    sqlite3_busy_timeout(db_, 10000);
    sqlite3_create_function(db_, "cb_ip4", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr, sql_ip4, nullptr, nullptr);
    Stmt t(db_, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'session_campaigns'");
    has_campaigns_ = t.ok() && t.step();
    return true;
}

SessionDb::~SessionDb() { sqlite3_close(db_); }

std::pair<std::int64_t, std::int64_t> SessionDb::sid_range(const SearchFilters& f) {
    std::int64_t lo = 0, hi = INT64_MAX;
    if (!f.from.empty()) {
        Stmt b(db_, "SELECT coalesce(min(sid), 1 << 62) FROM idx.starts WHERE start >= ?1");
        b.text(1, f.from);
        if (b.ok() && b.step()) lo = sqlite3_column_int64(b.get(), 0);
    }
    if (!f.to.empty()) {
        Stmt b(db_, "SELECT coalesce(max(sid), -1) FROM idx.starts WHERE start < ?1");
        b.text(1, f.to);
        if (b.ok() && b.step()) hi = sqlite3_column_int64(b.get(), 0);
    }
    return {lo, hi};
}

std::string SessionDb::page_of_hits(const std::string& hits, const std::function<void(sqlite3_stmt*)>& bind,
                                    std::int64_t limit, std::int64_t offset) {
    std::vector<std::int64_t> sids;
    Stmt all(db_, (hits + "SELECT sid FROM hits").c_str());
    if (all.ok()) bind(all.get());
    while (all.ok() && all.step()) sids.push_back(sqlite3_column_int64(all.get(), 0));
    std::sort(sids.rbegin(), sids.rend());
    std::string out;
    JsonWriter w(out);
    w.begin_object().key("sessions").begin_array();
    Stmt row(db_, "SELECT * FROM sessions WHERE sid = ?1");
    const auto first = static_cast<std::size_t>(std::min<std::int64_t>(offset, static_cast<std::int64_t>(sids.size())));
    const std::size_t last = std::min(sids.size(), first + static_cast<std::size_t>(limit));
    for (std::size_t k = first; k < last && row.ok(); ++k) {
        sqlite3_reset(row.get());
        row.integer(1, sids[k]);
        if (row.step()) row_json(w, row.get(), "sid");
    }
    w.end_array().field("total", static_cast<std::int64_t>(sids.size())).end_object();
    return out;
}

std::string SessionDb::search(const std::string& q, const SearchFilters& f, std::int64_t limit, std::int64_t offset) {
    std::int64_t lo = 0, hi = -1;
    int bits = -1;
    cidr(q, &lo, &hi, &bits);
    const std::string prefix = bits >= 0 ? cidr_prefix(lo, bits) : std::string();
    std::string prefix_end = prefix.empty() ? std::string("~") : prefix;  // "~": past every address
    if (!prefix.empty()) prefix_end.back() = '/';                         // '.' + 1
    const std::pair<std::int64_t, std::int64_t> sids = sid_range(f);      // no structured binding: the lambda takes it
    auto bind = [&](sqlite3_stmt* s) {
        bind_named(s, ":q", q);
        bind_named(s, ":fts", fts_phrase(q));
        bind_named(s, ":lo", lo);
        bind_named(s, ":hi", hi);
        bind_named(s, ":prefix", prefix);
        bind_named(s, ":prefix_end", prefix_end);
        bind_named(s, ":sensor", f.sensor);
        bind_named(s, ":sid_lo", sids.first);
        bind_named(s, ":sid_hi", sids.second);
        bind_named(s, ":channel", f.channel);
        bind_named(s, ":end_kind", f.end_kind);
        bind_named(s, ":campaign", f.campaign);
    };
    const std::string with = q.empty() ? "" : hits_sql(bits >= 0, has_word(q));
    if (!q.empty() && f.none()) return page_of_hits(with, bind, limit, offset);
    const std::string from = std::string(q.empty() ? kFromAll : kFromHits) + kFiltered;
    std::string out;
    JsonWriter w(out);
    w.begin_object().key("sessions").begin_array();
    Stmt page(db_, (with + "SELECT s.* " + from + " ORDER BY s.sid DESC LIMIT :limit OFFSET :offset").c_str());
    if (page.ok()) {
        bind(page.get());
        bind_named(page.get(), ":limit", limit);
        bind_named(page.get(), ":offset", offset);
    }
    while (page.ok() && page.step()) row_json(w, page.get(), "sid");
    w.end_array();
    Stmt count(db_, (with + "SELECT count(*) " + from).c_str());
    if (count.ok()) bind(count.get());
    w.field("total", static_cast<std::int64_t>(count.ok() && count.step() ? sqlite3_column_int64(count.get(), 0) : 0));
    w.end_object();
    return out;
}

std::optional<std::string> SessionDb::session(const std::string& sensor, const std::string& session) {
    Stmt s(db_, "SELECT sid, * FROM sessions WHERE sensor = ?1 AND session = ?2");  // sid first, by name
    s.text(1, sensor);
    s.text(2, session);
    if (!s.ok() || !s.step()) return std::nullopt;
    const std::int64_t sid = sqlite3_column_int64(s.get(), 0);
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

namespace {

// The result tables: every table but the sessions, their parts and the schema notes.
constexpr const char* kResultTables =
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('sessions', 'schema_doc') "
    "AND name NOT LIKE '%\\_rows' ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name";

void csv_row(std::string& out, sqlite3_stmt* st, bool header) {
    for (int c = 0; c < sqlite3_column_count(st); ++c) {
        if (c) out.push_back(',');
        if (header) {
            append_csv_cell(out, sqlite3_column_name(st, c));
        } else if (const int type = sqlite3_column_type(st, c); type != SQLITE_NULL) {
            const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(st, c));
            const std::string_view v(text, static_cast<std::size_t>(sqlite3_column_bytes(st, c)));
            if (type == SQLITE_TEXT)
                append_csv_cell(out, v);
            else if (type == SQLITE_FLOAT)
                out.append(format_number(sqlite3_column_double(st, c), 6));  // as tables/*.csv writes it
            else
                out.append(v);
        }
    }
    out.append("\r\n");
}

}  // namespace

std::string SessionDb::tables() {
    std::string out;
    JsonWriter w(out);
    w.begin_object().key("tables").begin_array();
    Stmt names(db_, kResultTables);
    while (names.ok() && names.step()) {
        const std::string name = reinterpret_cast<const char*>(sqlite3_column_text(names.get(), 0));
        Stmt count(db_, ("SELECT count(*) FROM \"" + name + "\"").c_str());
        Stmt cols(db_, ("SELECT * FROM \"" + name + "\" LIMIT 0").c_str());
        w.begin_object().field("name", name);
        w.field("rows",
                static_cast<std::int64_t>(count.ok() && count.step() ? sqlite3_column_int64(count.get(), 0) : 0));
        w.key("columns").begin_array();
        for (int c = 0; cols.ok() && c < sqlite3_column_count(cols.get()); ++c)
            w.value(std::string_view(sqlite3_column_name(cols.get(), c)));
        w.end_array().end_object();
    }
    w.end_array().end_object();
    return out;
}

std::optional<std::string> SessionDb::table(const std::string& name, std::int64_t limit, std::int64_t offset,
                                            bool csv) {
    bool known = false;
    Stmt names(db_, kResultTables);
    while (!known && names.ok() && names.step())
        known = name == reinterpret_cast<const char*>(sqlite3_column_text(names.get(), 0));
    if (!known) return std::nullopt;  // the name is one of cowrie.sqlite's own, safe to quote
    const std::string quoted = "\"" + name + "\"";
    Stmt rows(db_, ("SELECT * FROM " + quoted + " LIMIT ?1 OFFSET ?2").c_str());
    rows.integer(1, limit);
    rows.integer(2, offset);
    std::string out;
    if (csv) {
        csv_row(out, rows.get(), true);
        while (rows.ok() && rows.step()) csv_row(out, rows.get(), false);
        return out;
    }
    JsonWriter w(out);
    w.begin_object().key("columns").begin_array();
    for (int c = 0; rows.ok() && c < sqlite3_column_count(rows.get()); ++c)
        w.value(std::string_view(sqlite3_column_name(rows.get(), c)));
    w.end_array().key("rows").begin_array();
    while (rows.ok() && rows.step()) row_json(w, rows.get(), nullptr, 6);
    w.end_array();
    Stmt count(db_, ("SELECT count(*) FROM " + quoted).c_str());
    w.field("total", static_cast<std::int64_t>(count.ok() && count.step() ? sqlite3_column_int64(count.get(), 0) : 0));
    w.end_object();
    return out;
}

std::vector<std::string> SessionDb::tty_names(const std::string& sensor, const std::string& session) {
    Stmt st(db_,
            "SELECT t.path FROM ttylogs_rows t JOIN sessions s ON s.sid = t.sid "
            "WHERE s.sensor = ?1 AND s.session = ?2 AND t.path IS NOT NULL ORDER BY t.seq");
    st.text(1, sensor);
    st.text(2, session);
    std::vector<std::string> names;
    while (st.ok() && st.step()) {
        std::string path = reinterpret_cast<const char*>(sqlite3_column_text(st.get(), 0));
        std::string name = path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1);
        if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(std::move(name));
    }
    return names;
}

}  // namespace cb::serve
