// cowrie.sqlite: sessions and their parts as relational tables, plus every result table.
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <deque>
#include <mutex>
#include <unordered_map>

#include "cb/output/outputs.hpp"

namespace cb {

// SQLite's memory statistics (sqlite3_status, soft heap limit) take a global mutex on
// every allocation; nothing here reads them. The setting must precede sqlite3_initialize(),
// which the first sqlite3_open_v2() calls; the process opens no SQLite database elsewhere.
void configure_sqlite_once() {
    static std::once_flag once;
    std::call_once(once, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

class Db {
public:
    // `file` is written; `name` (the final path) is what messages show.
    Db(const std::string& file, const std::string& name) : file_(file), name_(name) {
        configure_sqlite_once();
        std::remove(file.c_str());
        // One connection on one thread: no SQLite mutexes needed.
        if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                            nullptr) != SQLITE_OK)
            err_ = write_error(name_, db_ ? sqlite3_system_errno(db_) : 0);
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
            fail(std::string(msg ? msg : "error") + " in: " + sql.substr(0, 80));
            sqlite3_free(msg);
        }
    }
    sqlite3_stmt* prepare(const std::string& sql) {
        sqlite3_stmt* st = nullptr;
        if (ok() && sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) fail(sqlite3_errmsg(db_));
        return st;
    }
    void step(sqlite3_stmt* st) {
        if (!ok() || !st) return;
        if (sqlite3_step(st) != SQLITE_DONE) fail(sqlite3_errmsg(db_));
        sqlite3_reset(st);
    }

private:
    // A full disk or a file-size limit is said as for every other output file, naming it.
    void fail(const std::string& detail) {
        const int code = sqlite3_extended_errcode(db_) & 0xff;
        if (code == SQLITE_FULL)
            err_ = write_error(name_, ENOSPC) + " (SQLite: " + detail + ")";
        else if (code == SQLITE_IOERR || code == SQLITE_CANTOPEN)
            err_ = write_error(name_, system_errno()) + " (SQLite: " + detail + ")";
        else
            err_ = "SQLite: " + detail;
    }

    // SQLite reads errno after its own cleanup, so a write cut short by a file-size limit
    // (EFBIG) often shows as 0 or EIO: a file that reached RLIMIT_FSIZE tells it apart.
    int system_errno() const {
        const int e = sqlite3_system_errno(db_);
        rlimit lim{};
        struct stat st {};
        if ((e == 0 || e == EIO) && ::getrlimit(RLIMIT_FSIZE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY &&
            ::stat(file_.c_str(), &st) == 0 && static_cast<rlim_t>(st.st_size) >= lim.rlim_cur)
            return EFBIG;
        return e;
    }

    std::string file_, name_;
    sqlite3* db_ = nullptr;
    std::string err_;
};

namespace {

// Bound text must stay alive until the statement steps (SQLITE_STATIC: no copy); every
// caller binds strings that outlive the step. An empty string is '' (a value: an empty
// command line, an empty password), whatever its pointer: interned "" has none.
void bind_text(sqlite3_stmt* st, int i, std::string_view s) {
    sqlite3_bind_text(st, i, s.empty() ? "" : s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
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
    for (const char* taken :
         {"sessions", "logins", "commands", "downloads", "uploads", "tcpip", "ttylogs", "schema_doc"})
        if (t.name == taken) return t.name + "_summary";
    // The parts' tables (logins_rows, ...) are not result-table names; none ends in _rows.
    return t.name;
}

// file_writes.csv is one row per write: the same rows as the view file_writes, so it is
// not stored a second time.
bool stored_as_view(const Table& t) { return t.name == "file_writes"; }

// The parts of a session live in WITHOUT ROWID tables keyed by (sid, seq): rows are
// inserted in sid order, so each is an append to its B-tree and the key is the index by
// session that queries need (no separate sid index to sort). The tables under their
// documented names are views that add the session's sensor and session id.
const char* kSchema = R"SQL(
CREATE TABLE schema_doc(table_name TEXT, column_name TEXT, description TEXT);
CREATE TABLE sessions(
  sensor TEXT NOT NULL, session TEXT NOT NULL, protocol TEXT, src_ip TEXT, src_port INTEGER,
  dst_ip TEXT, dst_port INTEGER, start TEXT, "end" TEXT, duration_s REAL, client_version TEXT, hassh TEXT,
  arch TEXT, closed INTEGER, end_kind TEXT, channel TEXT, login_attempts INTEGER, login_successes INTEGER,
  commands INTEGER, failed_commands INTEGER, last_command TEXT, secs_after_last_command REAL, last_step TEXT,
  events INTEGER, late_events INTEGER, attack TEXT, country TEXT, asn INTEGER, as_org TEXT, sid INTEGER PRIMARY KEY);
CREATE TABLE logins_rows(sid INTEGER, seq INTEGER, time TEXT, username TEXT, password TEXT, fingerprint TEXT, success INTEGER, PRIMARY KEY(sid, seq)) WITHOUT ROWID;
CREATE TABLE commands_rows(sid INTEGER, seq INTEGER, time TEXT, input TEXT, failed INTEGER, PRIMARY KEY(sid, seq)) WITHOUT ROWID;
CREATE TABLE downloads_rows(sid INTEGER, seq INTEGER, time TEXT, url TEXT, shasum TEXT, outfile TEXT, status TEXT, duplicate INTEGER, PRIMARY KEY(sid, seq)) WITHOUT ROWID;
CREATE TABLE uploads_rows(sid INTEGER, seq INTEGER, time TEXT, filename TEXT, shasum TEXT, destination TEXT, duplicate INTEGER, PRIMARY KEY(sid, seq)) WITHOUT ROWID;
CREATE TABLE tcpip_rows(sid INTEGER, seq INTEGER, time TEXT, dst_ip TEXT, dst_port INTEGER, orig_ip TEXT, PRIMARY KEY(sid, seq)) WITHOUT ROWID;
CREATE TABLE file_writes_rows(sid INTEGER, seq INTEGER, time TEXT, path TEXT, shasum TEXT, size INTEGER, outfile TEXT, duplicate INTEGER, persistence TEXT, PRIMARY KEY(sid, seq)) WITHOUT ROWID;
CREATE TABLE ttylogs_rows(sid INTEGER, seq INTEGER, time TEXT, path TEXT, shasum TEXT, size INTEGER, duplicate INTEGER, found INTEGER, PRIMARY KEY(sid, seq)) WITHOUT ROWID;
CREATE VIEW logins AS SELECT s.sensor, s.session, r.time, r.username, r.password, r.fingerprint, r.success, r.sid
  FROM logins_rows r JOIN sessions s ON s.sid = r.sid;
CREATE VIEW commands AS SELECT s.sensor, s.session, r.seq, r.time, r.input, r.failed, r.sid
  FROM commands_rows r JOIN sessions s ON s.sid = r.sid;
CREATE VIEW downloads AS SELECT s.sensor, s.session, r.time, r.url, r.shasum, r.outfile, r.status, r.duplicate, r.sid
  FROM downloads_rows r JOIN sessions s ON s.sid = r.sid;
CREATE VIEW uploads AS SELECT s.sensor, s.session, r.time, r.filename, r.shasum, r.destination, r.duplicate, r.sid
  FROM uploads_rows r JOIN sessions s ON s.sid = r.sid;
CREATE VIEW tcpip AS SELECT s.sensor, s.session, r.time, r.dst_ip, r.dst_port, r.orig_ip, r.sid
  FROM tcpip_rows r JOIN sessions s ON s.sid = r.sid;
CREATE VIEW file_writes AS SELECT s.sensor, s.session, r.time, r.path, r.shasum, r.size, r.outfile, r.duplicate, r.persistence, r.sid
  FROM file_writes_rows r JOIN sessions s ON s.sid = r.sid;
CREATE VIEW ttylogs AS SELECT s.sensor, s.session, r.time, r.path, r.shasum, r.size, r.duplicate, r.found, r.sid
  FROM ttylogs_rows r JOIN sessions s ON s.sid = r.sid;
)SQL";

// Built after the rows are in: a bulk sort is much cheaper than keeping indexes up to date
// row by row (the sessions key arrives in random order). The parts need no sid index:
// their primary key starts with sid.
const char* kIndexes = R"SQL(
CREATE UNIQUE INDEX sessions_key ON sessions(sensor, session);
CREATE INDEX sessions_src_ip ON sessions(src_ip);
CREATE INDEX commands_input ON commands_rows(input);
CREATE INDEX downloads_shasum ON downloads_rows(shasum);
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
    {"sessions", "end_kind",
     "exit (logout or exec channel done), disconnect (client dropped), timeout (idle/auth "
     "timeout inferred from the gap before the close), unknown (no close seen)"},
    {"sessions", "channel", "shell (pty or telnet), exec (command without pty), none (no commands)"},
    {"sessions", "secs_after_last_command", "seconds from the last command to the end of the session"},
    {"sessions", "last_step",
     "the last step: the last command line without markers (commands bots repeat "
     "between steps, markers.csv), exit and empty lines; null when none is left"},
    {"sessions", "attack",
     "ATT&CK technique ids the session showed, in order of first use, joined by ',' (rules/attack.toml "
     "or --attack-rules; tables attack and attack_weekly count them); null when none"},
    {"sessions", "country", "ISO country code of src_ip from the --geoip databases; null without them or when unknown"},
    {"sessions", "asn", "autonomous system number of src_ip from the --geoip databases; null when unknown"},
    {"sessions", "as_org", "that autonomous system's organisation; null when unknown"},
    {"logins", "",
     "cowrie.login.success/failed and cowrie.client.fingerprint (a public key offered; counted once "
     "with the login event that answers it, else as a failed attempt); fingerprint set and password "
     "NULL for public-key attempts, '' for an empty password"},
    {"commands", "",
     "cowrie.command.input, seq = order within the session; failed = Cowrie reported part of it "
     "as not found (cowrie.command.failed)"},
    {"downloads", "",
     "URL fetches (wget, curl, tftp, ftpget): cowrie.session.file_download with a URL that has a "
     "scheme (status ok), and .failed (status failed)"},
    {"file_writes", "",
     "cowrie.session.file_download without such a URL: a `> file` redirect Cowrie captured (path "
     "= destfile) or a stdin capture (path NULL)"},
    {"file_writes", "persistence",
     "ssh_key, cron, init or shell_profile when the path is one that survives a "
     "reboot or a login; NULL otherwise"},
    {"file_writes", "size", "bytes, when Cowrie logged a size (it usually does not)"},
    {"uploads", "", "cowrie.session.file_upload (SFTP and SCP)"},
    {"tcpip", "", "cowrie.direct-tcpip.request: forwarding targets"},
    {"ttylogs", "", "cowrie.log.closed: TTY recordings, named by the SHA-256 of the attacker's input"},
    {"ttylogs", "found", "1 when the recording is among the inputs (matched by the SHA-256 of its content)"},
    {"logins_rows", "", "storage of the view logins: its rows without sensor and session, keyed by (sid, seq)"},
    {"commands_rows", "", "storage of the view commands: its rows without sensor and session, keyed by (sid, seq)"},
    {"downloads_rows", "", "storage of the view downloads: its rows without sensor and session, keyed by (sid, seq)"},
    {"uploads_rows", "", "storage of the view uploads: its rows without sensor and session, keyed by (sid, seq)"},
    {"tcpip_rows", "", "storage of the view tcpip: its rows without sensor and session, keyed by (sid, seq)"},
    {"file_writes_rows", "",
     "storage of the view file_writes: its rows without sensor and session, keyed by (sid, seq)"},
    {"ttylogs_rows", "", "storage of the view ttylogs: its rows without sensor and session, keyed by (sid, seq)"},
    {"logins_rows", "seq",
     "order of the row among its session's rows of this table, from 0 (likewise in the "
     "other *_rows tables)"},
};

}  // namespace

SqliteStore::SqliteStore(const std::string& path, std::uint64_t memory_budget)
    : path_(path), db_(std::make_unique<Db>(path + ".tmp", path)) {
    // The page cache takes up to 256 MiB or the budget; index sorts stay in memory only when the
    // budget is large (they take about the size of the biggest index). Neither changes the file.
    const std::uint64_t cache_kib =
        std::min<std::uint64_t>(256 << 10, std::max<std::uint64_t>(memory_budget >> 10, 4096));
    const bool sort_in_memory = memory_budget >= (std::uint64_t{1} << 30);
    db_->exec(
        "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA page_size=65536; "
        "PRAGMA locking_mode=EXCLUSIVE; PRAGMA threads=2; PRAGMA cache_size=-" +
        std::to_string(cache_kib) + "; PRAGMA temp_store=" + (sort_in_memory ? "MEMORY;" : "FILE;"));
    db_->exec("BEGIN");
    db_->exec(kSchema);
}

namespace {

// One row of a session's part: the item, its session's sid and its place (seq) among the
// session's rows of the same table.
struct PartRow {
    const Session* s;
    const Item* it;
    std::int64_t sid, seq;
};
struct SessionRow {
    const Session* s;
    std::int64_t sid;
};

// Rows are inserted kRowsPerInsert at a time with one multi-row INSERT: one sqlite3_step,
// one cursor open and one statement reset per batch instead of per row. Rows are bound
// when their batch is stepped, so strings must live until then (session strings do; the
// timestamps are formatted into a buffer per row of the batch). Rows keep their order.
constexpr int kRowsPerInsert = 32;

template <class Row>
class BatchInsert {
public:
    using BindFn = void (*)(sqlite3_stmt*, int first, const Row&, char (*times)[kTimestampBufSize]);
    BatchInsert(Db& db, std::string table, int cols, BindFn bind)
        : db_(db), table_(std::move(table)), cols_(cols), bind_(bind), full_(db.prepare(sql(kRowsPerInsert))) {
        rows_.reserve(kRowsPerInsert);
    }
    ~BatchInsert() { sqlite3_finalize(full_); }
    BatchInsert(const BatchInsert&) = delete;
    BatchInsert& operator=(const BatchInsert&) = delete;
    void add(const Row& r) {
        rows_.push_back(r);
        if (rows_.size() == kRowsPerInsert) flush();
    }
    // Calls fn(row) for each row not stepped yet.
    template <class Fn>
    void for_pending(Fn fn) {
        for (Row& r : rows_) fn(r);
    }
    void flush() {
        if (rows_.empty() || !db_.ok()) return;
        const bool full = rows_.size() == kRowsPerInsert;
        sqlite3_stmt* st = full ? full_ : db_.prepare(sql(static_cast<int>(rows_.size())));
        for (std::size_t i = 0; i < rows_.size(); ++i) bind_(st, static_cast<int>(i) * cols_ + 1, rows_[i], times_[i]);
        db_.step(st);
        if (!full) sqlite3_finalize(st);
        rows_.clear();
    }

private:
    std::string sql(int rows) const {
        std::string one = "(";
        for (int c = 0; c < cols_; ++c) one += c ? ",?" : "?";
        one += ")";
        std::string q = "INSERT INTO " + table_ + " VALUES";
        for (int r = 0; r < rows; ++r) (q += r ? "," : "") += one;
        return q;
    }
    Db& db_;
    std::string table_;
    int cols_;
    BindFn bind_;
    sqlite3_stmt* full_;
    std::vector<Row> rows_;
    char times_[kRowsPerInsert][2][kTimestampBufSize];
};

// Timestamps are bound as text, "" for no time (as sessions.jsonl has no null there either).
void bind_time(sqlite3_stmt* st, int i, Micros t, char* buf) {
    sqlite3_bind_text(st, i, buf, static_cast<int>(format_timestamp(t, buf)), SQLITE_STATIC);
}

void bind_session(sqlite3_stmt* st, int f, const SessionRow& r, char (*times)[kTimestampBufSize]) {
    const Session& s = *r.s;
    bind_text(st, f + 0, s.sensor);
    bind_text(st, f + 1, s.session);
    bind_opt_text(st, f + 2, s.protocol);
    bind_opt_text(st, f + 3, s.src_ip);
    bind_opt_int(st, f + 4, s.src_port);
    bind_opt_text(st, f + 5, s.dst_ip);
    bind_opt_int(st, f + 6, s.dst_port);
    bind_time(st, f + 7, s.start, times[0]);
    bind_time(st, f + 8, s.end, times[1]);
    sqlite3_bind_double(st, f + 9, std::round(s.duration_s * 1000) / 1000);  // as in sessions.jsonl
    bind_opt_text(st, f + 10, s.client_version);
    bind_opt_text(st, f + 11, s.hassh);
    bind_opt_text(st, f + 12, s.arch);
    sqlite3_bind_int(st, f + 13, s.closed);
    bind_text(st, f + 14, end_kind_name(s.end_kind));
    bind_text(st, f + 15, channel_name(s.channel));
    sqlite3_bind_int64(st, f + 16, s.login_attempts);
    sqlite3_bind_int64(st, f + 17, s.login_successes);
    sqlite3_bind_int64(st, f + 18, s.commands);
    sqlite3_bind_int64(st, f + 19, s.failed_commands);
    if (s.commands) {
        bind_text(st, f + 20, s.last_command);
        sqlite3_bind_double(st, f + 21, s.secs_after_last_command);
    } else {
        sqlite3_bind_null(st, f + 20);
        sqlite3_bind_null(st, f + 21);
    }
    bind_opt_text(st, f + 22, s.last_step);
    sqlite3_bind_int64(st, f + 23, s.events);
    sqlite3_bind_int64(st, f + 24, s.late_events);
    bind_opt_text(st, f + 25, s.attack);
    bind_opt_text(st, f + 26, s.country);
    bind_opt_int(st, f + 27, s.asn);
    bind_opt_text(st, f + 28, s.as_org);
    sqlite3_bind_int64(st, f + 29, r.sid);
}

// The columns every part table starts with: sid, seq, time.
void bind_part_key(sqlite3_stmt* st, int f, const PartRow& r, char* buf) {
    sqlite3_bind_int64(st, f, r.sid);
    sqlite3_bind_int64(st, f + 1, r.seq);
    bind_time(st, f + 2, r.it->ts, buf);
}
void bind_login(sqlite3_stmt* st, int f, const PartRow& r, char (*times)[kTimestampBufSize]) {
    bind_part_key(st, f, r, times[0]);
    bind_text(st, f + 3, r.it->a);
    if (r.it->c.empty())
        bind_text(st, f + 4, r.it->b);
    else
        sqlite3_bind_null(st, f + 4);  // a public key: no password at all
    bind_opt_text(st, f + 5, r.it->c);
    sqlite3_bind_int(st, f + 6, r.it->flag);
}
void bind_command(sqlite3_stmt* st, int f, const PartRow& r, char (*times)[kTimestampBufSize]) {
    bind_part_key(st, f, r, times[0]);
    bind_text(st, f + 3, r.it->a);
    sqlite3_bind_int(st, f + 4, r.s->cmd_failed[static_cast<std::size_t>(r.seq)]);
}
void bind_download(sqlite3_stmt* st, int f, const PartRow& r, char (*times)[kTimestampBufSize]) {
    bind_part_key(st, f, r, times[0]);
    bind_opt_text(st, f + 3, r.it->a);
    bind_opt_text(st, f + 4, r.it->b);
    bind_opt_text(st, f + 5, r.it->c);
    bind_text(st, f + 6, r.it->kind == ItemKind::Download ? "ok" : "failed");
    sqlite3_bind_int(st, f + 7, r.it->flag);
}
void bind_upload(sqlite3_stmt* st, int f, const PartRow& r, char (*times)[kTimestampBufSize]) {
    bind_part_key(st, f, r, times[0]);
    bind_opt_text(st, f + 3, r.it->a);
    bind_opt_text(st, f + 4, r.it->b);
    bind_opt_text(st, f + 5, r.it->c);
    sqlite3_bind_int(st, f + 6, r.it->flag);
}
void bind_tcpip(sqlite3_stmt* st, int f, const PartRow& r, char (*times)[kTimestampBufSize]) {
    bind_part_key(st, f, r, times[0]);
    bind_opt_text(st, f + 3, r.it->a);
    bind_opt_int(st, f + 4, r.it->num);
    bind_opt_text(st, f + 5, r.it->b);
}
void bind_file_write(sqlite3_stmt* st, int f, const PartRow& r, char (*times)[kTimestampBufSize]) {
    bind_part_key(st, f, r, times[0]);
    bind_opt_text(st, f + 3, r.it->a);
    bind_opt_text(st, f + 4, r.it->b);
    bind_opt_int(st, f + 5, r.it->num);
    bind_opt_text(st, f + 6, r.it->c);
    sqlite3_bind_int(st, f + 7, r.it->flag);
    bind_opt_text(st, f + 8, persistence_kind(r.it->a));
}
void bind_ttylog(sqlite3_stmt* st, int f, const PartRow& r, char (*times)[kTimestampBufSize]) {
    bind_part_key(st, f, r, times[0]);
    bind_opt_text(st, f + 3, r.it->a);
    bind_opt_text(st, f + 4, r.it->b);
    bind_opt_int(st, f + 5, r.it->num);
    sqlite3_bind_int(st, f + 6, r.it->flag);
    sqlite3_bind_int(st, f + 7, !r.it->c.empty());
}

// Copies of the sessions that rows not yet stepped point to, with their strings.
class KeptSessions {
public:
    const Session* keep(const Session* s) {
        auto [it, fresh] = copies_.try_emplace(s, nullptr);
        if (!fresh) return it->second;
        Session& c = sessions_.emplace_back(*s);
        for (std::string_view* v : string_fields(c)) *v = copy(*v);
        for (Item& item : c.items) {
            item.a = copy(item.a);
            item.b = copy(item.b);
            item.c = copy(item.c);
        }
        return it->second = &c;
    }

private:
    std::string_view copy(std::string_view v) { return v.empty() ? v : strings_.emplace_back(v); }
    std::unordered_map<const Session*, const Session*> copies_;
    std::deque<Session> sessions_;  // deques: elements never move
    std::deque<std::string> strings_;
};

}  // namespace

// The insert statements of the relational part, kept from chunk to chunk, and the last sid
// given (sessions arrive in session_less order, chunk after chunk: sid order is time order).
class SessionInserts {
public:
    explicit SessionInserts(Db& db)
        : ses(db, "sessions", 30, bind_session),
          lg(db, "logins_rows", 7, bind_login),
          cm(db, "commands_rows", 5, bind_command),
          dl(db, "downloads_rows", 8, bind_download),
          up(db, "uploads_rows", 7, bind_upload),
          tc(db, "tcpip_rows", 6, bind_tcpip),
          tt(db, "ttylogs_rows", 8, bind_ttylog),
          fw(db, "file_writes_rows", 9, bind_file_write) {}

    void add(const Session& s) {
        ++sid;
        ses.add({&s, sid});
        // items are sorted, so seq counts each table's rows in the session's order
        std::int64_t n_lg = 0, n_cm = 0, n_dl = 0, n_up = 0, n_tc = 0, n_tt = 0, n_fw = 0;
        for (const Item& it : s.items) {
            switch (it.kind) {
                case ItemKind::Login:
                    lg.add({&s, &it, sid, n_lg++});
                    break;
                case ItemKind::Command:
                    cm.add({&s, &it, sid, n_cm++});
                    break;
                case ItemKind::Download:
                case ItemKind::DownloadFailed:
                    dl.add({&s, &it, sid, n_dl++});
                    break;
                case ItemKind::Upload:
                    up.add({&s, &it, sid, n_up++});
                    break;
                case ItemKind::Tcpip:
                    tc.add({&s, &it, sid, n_tc++});
                    break;
                case ItemKind::TtyLog:
                    tt.add({&s, &it, sid, n_tt++});
                    break;
                case ItemKind::FileWrite:
                    fw.add({&s, &it, sid, n_fw++});
                    break;
                default:
                    break;
            }
        }
    }
    // At the end of a chunk, the rows not stepped yet (fewer than a batch per table) point into
    // the chunk, whose strings die: they are pointed to copies of their sessions instead. So rows
    // go into the file in the same batches for any chunking, and the file's bytes do not depend
    // on it (a flush per chunk would interleave the tables' pages differently).
    void detach() {
        KeptSessions fresh;  // copies from the chunk or from the copies before
        ses.for_pending([&](SessionRow& r) { r.s = fresh.keep(r.s); });
        for (auto* b : {&lg, &cm, &dl, &up, &tc, &tt, &fw})
            b->for_pending([&](PartRow& r) {
                const Session* c = fresh.keep(r.s);
                r.it = &c->items[static_cast<std::size_t>(r.it - r.s->items.data())];
                r.s = c;
            });
        kept = std::move(fresh);
    }
    // Steps every pending row (the end of the sessions).
    void flush() {
        for (auto* b : {&lg, &cm, &dl, &up, &tc, &tt, &fw}) b->flush();
        ses.flush();
    }

private:
    BatchInsert<SessionRow> ses;
    BatchInsert<PartRow> lg, cm, dl, up, tc, tt, fw;
    std::int64_t sid = 0;
    KeptSessions kept;  // what the pending rows point to, once their chunk is gone
};

SqliteStore::~SqliteStore() = default;

std::string SqliteStore::begin_sessions() {
    if (!db_->ok()) return db_->error();
    inserts_ = std::make_unique<SessionInserts>(*db_);
    return db_->ok() ? std::string() : db_->error();
}

std::string SqliteStore::append_sessions(const std::vector<Session>& chunk) {
    if (!db_->ok()) return db_->error();
    if (!inserts_) return "SQLite: " + path_ + ": sessions appended before begin_sessions()";
    for (const Session& s : chunk) {
        inserts_->add(s);
        if (!db_->ok()) break;
    }
    inserts_->detach();
    return db_->ok() ? std::string() : db_->error();
}

std::string SqliteStore::end_sessions() {
    if (inserts_) inserts_->flush();
    inserts_.reset();
    db_->exec(kIndexes);
    return db_->ok() ? std::string() : db_->error();
}

std::string SqliteStore::write_sessions(const std::vector<Session>& sessions) {
    std::string err = begin_sessions();
    if (err.empty()) err = append_sessions(sessions);
    if (err.empty()) err = end_sessions();
    return err;
}

std::string SqliteStore::write_tables(const std::vector<Table>& all) {
    Db& db_ = *this->db_;
    std::vector<const Table*> tables;
    for (const Table& t : all)
        if (!stored_as_view(t)) tables.push_back(&t);
    for (const Table* tp : tables) {
        const Table& t = *tp;
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
    for (const Table* tp : tables) {
        const Table& t = *tp;
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

    for (const Table* tp : tables) {
        const Table& t = *tp;
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
    inserts_.reset();  // its statements go before the connection
    db_->exec("COMMIT");
    std::string err = db_->ok() ? std::string() : db_->error();
    db_.reset();
    if (err.empty() && std::rename((path_ + ".tmp").c_str(), path_.c_str()) != 0) err = write_error(path_, errno);
    return err;
}

}  // namespace cb
