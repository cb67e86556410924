// cowrie.sqlite: sessions and their parts as relational tables, plus every result table.
#include <sqlite3.h>

#include <cmath>
#include <cstdio>

#include "cb/outputs.hpp"

namespace cb {

class Db {
public:
    explicit Db(const std::string& path) {
        std::remove(path.c_str());
        // One connection on one thread: no SQLite mutexes needed.
        if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                            nullptr) != SQLITE_OK)
            err_ = "cannot create " + path;
    }
    ~Db() {
        if (db_) sqlite3_close(db_);
    }
    bool ok() const { return err_.empty(); }
    const std::string& error() const { return err_; }
    void exec(const std::string& sql) {
        if (!ok()) return;
        char* msg = nullptr;
        if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
            err_ = std::string("SQLite: ") + (msg ? msg : "error") + " in: " + sql.substr(0, 80);
            sqlite3_free(msg);
        }
    }
    sqlite3_stmt* prepare(const std::string& sql) {
        sqlite3_stmt* st = nullptr;
        if (ok() && sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK)
            err_ = std::string("SQLite: ") + sqlite3_errmsg(db_);
        return st;
    }
    void step(sqlite3_stmt* st) {
        if (!ok() || !st) return;
        if (sqlite3_step(st) != SQLITE_DONE) err_ = std::string("SQLite: ") + sqlite3_errmsg(db_);
        sqlite3_reset(st);
    }

private:
    sqlite3* db_ = nullptr;
    std::string err_;
};

namespace {

// Bound text must stay alive until the statement steps (SQLITE_STATIC: no copy); every
// caller binds strings that outlive the step.
void bind_text(sqlite3_stmt* st, int i, std::string_view s) {
    if (s.data() == nullptr)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_text(st, i, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
}
void bind_opt_text(sqlite3_stmt* st, int i, std::string_view s) {
    if (s.empty())
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_text(st, i, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
}
void bind_opt_int(sqlite3_stmt* st, int i, std::int64_t v) {
    if (v < 0)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_int64(st, i, v);
}

std::string quote_ident(const std::string& s) { return "\"" + s + "\""; }

// Result tables share the file with the relational tables; where a name is taken
// (commands, downloads) the result table gets the suffix _summary.
std::string sql_table_name(const Table& t) {
    for (const char* taken : {"sessions", "logins", "commands", "downloads", "uploads", "tcpip", "ttylogs", "schema_doc"})
        if (t.name == taken) return t.name + "_summary";
    return t.name;
}

const char* kSchema = R"SQL(
CREATE TABLE schema_doc(table_name TEXT, column_name TEXT, description TEXT);
CREATE TABLE sessions(
  sensor TEXT NOT NULL, session TEXT NOT NULL, protocol TEXT, src_ip TEXT, src_port INTEGER,
  dst_ip TEXT, dst_port INTEGER, start TEXT, "end" TEXT, duration_s REAL, client_version TEXT, hassh TEXT,
  arch TEXT, closed INTEGER, end_kind TEXT, channel TEXT, login_attempts INTEGER, login_successes INTEGER,
  commands INTEGER, failed_commands INTEGER, last_command TEXT, secs_after_last_command REAL,
  events INTEGER, late_events INTEGER, sid INTEGER PRIMARY KEY);
CREATE TABLE logins(sensor TEXT, session TEXT, time TEXT, username TEXT, password TEXT, fingerprint TEXT, success INTEGER, sid INTEGER);
CREATE TABLE commands(sensor TEXT, session TEXT, seq INTEGER, time TEXT, input TEXT, failed INTEGER, sid INTEGER);
CREATE TABLE downloads(sensor TEXT, session TEXT, time TEXT, url TEXT, shasum TEXT, outfile TEXT, status TEXT, duplicate INTEGER, sid INTEGER);
CREATE TABLE uploads(sensor TEXT, session TEXT, time TEXT, filename TEXT, shasum TEXT, destination TEXT, duplicate INTEGER, sid INTEGER);
CREATE TABLE tcpip(sensor TEXT, session TEXT, time TEXT, dst_ip TEXT, dst_port INTEGER, orig_ip TEXT, sid INTEGER);
CREATE TABLE ttylogs(sensor TEXT, session TEXT, time TEXT, path TEXT, shasum TEXT, size INTEGER, duplicate INTEGER, found INTEGER, sid INTEGER);
)SQL";

// Built after the rows are in: a bulk sort is much cheaper than keeping indexes up to date
// row by row (the sessions key arrives in random order).
const char* kIndexes = R"SQL(
CREATE UNIQUE INDEX sessions_key ON sessions(sensor, session);
CREATE INDEX sessions_src_ip ON sessions(src_ip);
CREATE INDEX logins_sid ON logins(sid);
CREATE INDEX commands_sid ON commands(sid);
CREATE INDEX commands_input ON commands(input);
CREATE INDEX downloads_sid ON downloads(sid);
CREATE INDEX downloads_shasum ON downloads(shasum);
CREATE INDEX ttylogs_sid ON ttylogs(sid);
)SQL";

struct DocRow {
    const char* table;
    const char* column;
    const char* text;
};
const DocRow kDocs[] = {
    {"sessions", "", "one row per (sensor, session): a TCP connection to the honeypot, merged across files"},
    {"sessions", "sid", "row id, in order of start time; the other tables refer to sessions by sid"},
    {"sessions", "start", "session.connect time, or the first event seen (UTC ISO 8601)"},
    {"sessions", "end", "session.closed time, or the last event seen"},
    {"sessions", "end_kind", "exit (logout or exec channel done), disconnect (client dropped), timeout (idle/auth "
                             "timeout inferred from the gap before the close), unknown (no close seen)"},
    {"sessions", "channel", "shell (pty or telnet), exec (command without pty), none (no commands)"},
    {"sessions", "secs_after_last_command", "seconds from the last command to the end of the session"},
    {"logins", "", "cowrie.login.success/failed; fingerprint set for public-key attempts"},
    {"commands", "", "cowrie.command.input, seq = order within the session; failed = Cowrie reported part of it "
                     "as not found (cowrie.command.failed)"},
    {"downloads", "", "cowrie.session.file_download (status ok) and .failed (status failed)"},
    {"uploads", "", "cowrie.session.file_upload (SFTP and SCP)"},
    {"tcpip", "", "cowrie.direct-tcpip.request: forwarding targets"},
    {"ttylogs", "", "cowrie.log.closed: TTY recordings, named by the SHA-256 of the attacker's input"},
    {"ttylogs", "found", "1 when the recording is among the inputs (matched by the SHA-256 of its content)"},
};

}  // namespace

SqliteStore::SqliteStore(const std::string& path) : path_(path), db_(std::make_unique<Db>(path + ".tmp")) {
    db_->exec("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA page_size=65536; "
              "PRAGMA locking_mode=EXCLUSIVE; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-262144; "
              "PRAGMA threads=2;");
    db_->exec("BEGIN");
    db_->exec(kSchema);
}

SqliteStore::~SqliteStore() = default;

std::string SqliteStore::write_sessions(const std::vector<Session>& sessions) {
    Db& db_ = *this->db_;
    sqlite3_stmt* ses = db_.prepare("INSERT INTO sessions VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    sqlite3_stmt* lg = db_.prepare("INSERT INTO logins VALUES(?,?,?,?,?,?,?,?)");
    sqlite3_stmt* cm = db_.prepare("INSERT INTO commands VALUES(?,?,?,?,?,?,?)");
    sqlite3_stmt* dl = db_.prepare("INSERT INTO downloads VALUES(?,?,?,?,?,?,?,?,?)");
    sqlite3_stmt* up = db_.prepare("INSERT INTO uploads VALUES(?,?,?,?,?,?,?,?)");
    sqlite3_stmt* tc = db_.prepare("INSERT INTO tcpip VALUES(?,?,?,?,?,?,?)");
    sqlite3_stmt* tt = db_.prepare("INSERT INTO ttylogs VALUES(?,?,?,?,?,?,?,?,?)");
    if (!db_.ok()) return db_.error();
    std::int64_t sid = 0;
    for (const Session& s : sessions) {
        ++sid;  // sessions are sorted by start: sid order is time order
        sqlite3_bind_int64(ses, sqlite3_bind_parameter_count(ses), sid);
        const std::string start = format_timestamp(s.start), end = format_timestamp(s.end);
        bind_text(ses, 1, s.sensor);
        bind_text(ses, 2, s.session);
        bind_opt_text(ses, 3, s.protocol);
        bind_opt_text(ses, 4, s.src_ip);
        bind_opt_int(ses, 5, s.src_port);
        bind_opt_text(ses, 6, s.dst_ip);
        bind_opt_int(ses, 7, s.dst_port);
        bind_text(ses, 8, start);
        bind_text(ses, 9, end);
        sqlite3_bind_double(ses, 10, std::round(s.duration_s * 1000) / 1000);  // as in sessions.jsonl
        bind_opt_text(ses, 11, s.client_version);
        bind_opt_text(ses, 12, s.hassh);
        bind_opt_text(ses, 13, s.arch);
        sqlite3_bind_int(ses, 14, s.closed);
        bind_text(ses, 15, end_kind_name(s.end_kind));
        bind_text(ses, 16, channel_name(s.channel));
        sqlite3_bind_int64(ses, 17, s.login_attempts);
        sqlite3_bind_int64(ses, 18, s.login_successes);
        sqlite3_bind_int64(ses, 19, s.commands);
        sqlite3_bind_int64(ses, 20, s.failed_commands);
        if (s.commands) {
            bind_text(ses, 21, s.last_command);
            sqlite3_bind_double(ses, 22, s.secs_after_last_command);
        } else {
            sqlite3_bind_null(ses, 21);
            sqlite3_bind_null(ses, 22);
        }
        sqlite3_bind_int64(ses, 23, s.events);
        sqlite3_bind_int64(ses, 24, s.late_events);
        db_.step(ses);
        std::size_t ci = 0;
        for (const Item& it : s.items) {
            sqlite3_stmt* st = nullptr;
            switch (it.kind) {
                case ItemKind::Login: st = lg; break;
                case ItemKind::Command: st = cm; break;
                case ItemKind::Download:
                case ItemKind::DownloadFailed: st = dl; break;
                case ItemKind::Upload: st = up; break;
                case ItemKind::Tcpip: st = tc; break;
                case ItemKind::TtyLog: st = tt; break;
                default: continue;
            }
            bind_text(st, 1, s.sensor);
            bind_text(st, 2, s.session);
            sqlite3_bind_int64(st, sqlite3_bind_parameter_count(st), sid);
            const std::string when = format_timestamp(it.ts);
            switch (it.kind) {
                case ItemKind::Login:
                    bind_text(st, 3, when);
                    bind_text(st, 4, it.a);
                    bind_text(st, 5, it.b);
                    bind_opt_text(st, 6, it.c);
                    sqlite3_bind_int(st, 7, it.flag);
                    break;
                case ItemKind::Command:
                    sqlite3_bind_int64(st, 3, static_cast<std::int64_t>(ci));
                    bind_text(st, 4, when);
                    bind_text(st, 5, it.a);
                    sqlite3_bind_int(st, 6, s.cmd_failed[ci]);
                    ++ci;
                    break;
                case ItemKind::Download:
                case ItemKind::DownloadFailed:
                    bind_text(st, 3, when);
                    bind_opt_text(st, 4, it.a);
                    bind_opt_text(st, 5, it.b);
                    bind_opt_text(st, 6, it.c);
                    bind_text(st, 7, it.kind == ItemKind::Download ? "ok" : "failed");
                    sqlite3_bind_int(st, 8, it.flag);
                    break;
                case ItemKind::Upload:
                case ItemKind::TtyLog:
                    bind_text(st, 3, when);
                    bind_opt_text(st, 4, it.a);
                    bind_opt_text(st, 5, it.b);
                    if (it.kind == ItemKind::Upload)
                        bind_opt_text(st, 6, it.c);
                    else
                        bind_opt_int(st, 6, it.num);
                    sqlite3_bind_int(st, 7, it.flag);
                    if (it.kind == ItemKind::TtyLog) sqlite3_bind_int(st, 8, !it.c.empty());
                    break;
                case ItemKind::Tcpip:
                    bind_text(st, 3, when);
                    bind_opt_text(st, 4, it.a);
                    bind_opt_int(st, 5, it.num);
                    bind_opt_text(st, 6, it.b);
                    break;
                default: break;
            }
            db_.step(st);
        }
        if (!db_.ok()) break;
    }
    for (auto* st : {ses, lg, cm, dl, up, tc, tt}) sqlite3_finalize(st);

    db_.exec(kIndexes);
    return db_.ok() ? std::string() : db_.error();
}

std::string SqliteStore::write_tables(const std::vector<Table>& tables) {
    Db& db_ = *this->db_;
    for (const Table& t : tables) {
        std::string sql = "CREATE TABLE " + quote_ident(sql_table_name(t)) + "(";
        for (std::size_t i = 0; i < t.columns.size(); ++i) {
            if (i) sql += ", ";
            sql += quote_ident(t.columns[i].name);
            sql += t.columns[i].type == ColumnType::Integer ? " INTEGER"
                   : t.columns[i].type == ColumnType::Real  ? " REAL"
                                                            : " TEXT";
        }
        db_.exec(sql + ")");
    }
    if (!db_.ok()) return db_.error();
    sqlite3_stmt* doc = db_.prepare("INSERT INTO schema_doc VALUES(?,?,?)");
    for (const auto& d : kDocs) {
        bind_text(doc, 1, d.table);
        bind_text(doc, 2, d.column);
        bind_text(doc, 3, d.text);
        db_.step(doc);
    }
    for (const Table& t : tables) {
        const std::string tname = sql_table_name(t);
        bind_text(doc, 1, tname);
        bind_text(doc, 2, "");
        bind_text(doc, 3, t.doc);
        db_.step(doc);
        for (const auto& c : t.columns) {
            bind_text(doc, 1, tname);
            bind_text(doc, 2, c.name);
            bind_text(doc, 3, c.doc);
            db_.step(doc);
        }
    }
    sqlite3_finalize(doc);

    for (const Table& t : tables) {
        std::string sql = "INSERT INTO " + quote_ident(sql_table_name(t)) + " VALUES(";
        for (std::size_t i = 0; i < t.columns.size(); ++i) sql += i ? ",?" : "?";
        sqlite3_stmt* st = db_.prepare(sql + ")");
        for (const auto& row : t.rows) {
            for (std::size_t i = 0; i < row.size(); ++i) {
                const int idx = static_cast<int>(i) + 1;
                if (auto p = std::get_if<std::int64_t>(&row[i]))
                    sqlite3_bind_int64(st, idx, *p);
                else if (auto d = std::get_if<double>(&row[i]))
                    sqlite3_bind_double(st, idx, *d);
                else if (auto s = std::get_if<std::string>(&row[i]))
                    sqlite3_bind_text(st, idx, s->data(), static_cast<int>(s->size()), SQLITE_TRANSIENT);
                else
                    sqlite3_bind_null(st, idx);
            }
            db_.step(st);
        }
        sqlite3_finalize(st);
    }
    return db_.ok() ? std::string() : db_.error();
}

std::string SqliteStore::commit() {
    db_->exec("COMMIT");
    std::string err = db_->ok() ? std::string() : db_->error();
    db_.reset();
    if (err.empty() && std::rename((path_ + ".tmp").c_str(), path_.c_str()) != 0) err = "cannot rename " + path_ + ".tmp";
    return err;
}

}  // namespace cb
