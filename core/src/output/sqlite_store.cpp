// cowrie.sqlite: sessions and their parts as relational tables, plus every result table.
#include <fcntl.h>
#include <linux/fs.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <future>
#include <mutex>
#include <unordered_map>
#include <utility>

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
    // `keep`: the file is opened as it is (a copy of an earlier run's), else made anew.
    Db(const std::string& file, const std::string& name, bool keep = false) : file_(file), name_(name) {
        configure_sqlite_once();
        if (!keep) std::remove(file.c_str());
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
    void busy_timeout_ms(int ms) {
        if (db_) sqlite3_busy_timeout(db_, ms);
    }
    // The first column of the first row of `sql` as an integer (0 when none).
    std::int64_t integer(const std::string& sql) {
        sqlite3_stmt* st = prepare(sql);
        const std::int64_t v = st && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        sqlite3_finalize(st);
        return v;
    }
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
    // Writes the transaction's dirty pages to the file now (it stays open): the thread that calls
    // this pays for the writes instead of the one that commits.
    void flush_cache() {
        if (!ok()) return;
        const int rc = sqlite3_db_cacheflush(db_);  // its error is not the connection's errcode
        if (rc != SQLITE_OK) fail(sqlite3_errstr(rc), rc);
    }
    void step(sqlite3_stmt* st) {
        if (!ok() || !st) return;
        if (sqlite3_step(st) != SQLITE_DONE) fail(sqlite3_errmsg(db_));
        sqlite3_reset(st);
    }

private:
    // A full disk or a file-size limit is said as for every other output file, naming it.
    void fail(const std::string& detail, int rc = -1) {
        const int code = (rc < 0 ? sqlite3_extended_errcode(db_) : rc) & 0xff;
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

// What a row's values go to: a statement (put_*(sqlite3_stmt*, ...) binds them) or a RowHasher
// (put_*(RowHasher*, ...) hashes them, with their column and type), so that one definition of
// each row serves both: the rows' hashes (SqliteRowHashes) cover exactly what is stored.
class RowHasher {
public:
    void add(int col, int type, std::uint64_t v) {
        h_ = mix(h_ ^ (static_cast<std::uint64_t>(col) << 8 | static_cast<std::uint64_t>(type)));
        h_ = mix(h_ ^ v);
    }
    void add_text(int col, std::string_view s) { add(col, 3, std::hash<std::string_view>()(s) ^ s.size()); }
    std::uint64_t value() const { return h_; }

private:
    static std::uint64_t mix(std::uint64_t x) {  // splitmix64's finaliser
        x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
        x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
        return x ^ (x >> 31);
    }
    std::uint64_t h_ = 0x9e3779b97f4a7c15ULL;
};

void put_null(sqlite3_stmt* st, int i) { sqlite3_bind_null(st, i); }
void put_null(RowHasher* h, int i) { h->add(i, 0, 0); }
void put_int(sqlite3_stmt* st, int i, std::int64_t v) { sqlite3_bind_int64(st, i, v); }
void put_int(RowHasher* h, int i, std::int64_t v) { h->add(i, 1, static_cast<std::uint64_t>(v)); }
void put_real(sqlite3_stmt* st, int i, double v) { sqlite3_bind_double(st, i, v); }
void put_real(RowHasher* h, int i, double v) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof bits);
    h->add(i, 2, bits);
}
void put_text(sqlite3_stmt* st, int i, std::string_view s) { bind_text(st, i, s); }
void put_text(RowHasher* h, int i, std::string_view s) { h->add_text(i, s); }

template <class Out>
void put_opt_text(Out out, int i, std::string_view s) {
    if (s.empty())
        put_null(out, i);
    else
        put_text(out, i, s);
}
template <class Out>
void put_opt_int(Out out, int i, std::int64_t v) {
    if (v < 0)
        put_null(out, i);
    else
        put_int(out, i, v);
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

// The page cache of a file without a journal (SqliteStore::SqliteStore()). SQLite's sorter also
// cuts an index's keys into sorted runs as large as the cache, then merges them: runs of 16 MiB
// sort within the CPU's caches, and the helper thread (PRAGMA threads=2) sorts one while the
// next is read. With 64 MiB (the cache at --memory-limit 512M before) the 4 GiB corpus's indexes
// took 2.9 s, with 16 MiB 2.4 s, and the run's peak RSS fell by 50 MiB (130 MiB for the 1 GiB
// corpus in memory, whose whole file was held until the end); the file is the same, byte for byte.
constexpr std::uint64_t kAppendCacheKib = 16 << 10;

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
    {"ttylogs", "", "cowrie.log.closed: TTY recordings, which Cowrie names by the SHA-256 of the attacker's input"},
    {"ttylogs", "found",
     "1 when the recording is among the inputs: a recording file whose attacker input has that SHA-256 (whatever "
     "it is called now), and whose records span the time of the session's `cowrie.log.closed` to within an hour "
     "(the same input typed on another sensor or day is another session's recording); of several, the nearest in "
     "time. A `duplicate` session (Cowrie deleted its copy: an earlier session typed the same) has the latest such "
     "file begun before it, however long before"},
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

namespace {

// A file's version as rsync's quick check sees it: size and modification time (ns), which a
// rename or `cp -a` keeps and a write changes. "" when missing, and when the file system keeps
// whole seconds (no nanoseconds): two runs' files of the same size written in the same second
// would look the same there, so such a file is never reused.
std::string stamp_text(std::int64_t size, const struct timespec& mtime) {
    return std::to_string(size) + ":" + std::to_string(mtime.tv_sec) + "." + std::to_string(mtime.tv_nsec);
}

std::string file_stamp(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || st.st_mtim.tv_nsec == 0) return {};
    return stamp_text(st.st_size, st.st_mtim);
}

// Copies `from` to `to`: a reflink where the file system shares blocks (Btrfs, XFS), else
// copy_file_range (the kernel copies, without passing the bytes through this process).
bool copy_file_fast(const std::string& from, const std::string& to) {
    const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) return false;
    const int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    bool ok = out >= 0;
    if (ok && ::ioctl(out, FICLONE, in) != 0) {
        struct stat st {};
        ok = ::fstat(in, &st) == 0;
        for (off_t left = ok ? st.st_size : 0; ok && left > 0;) {
            const ssize_t n = ::copy_file_range(in, nullptr, out, nullptr, static_cast<std::size_t>(left), 0);
            ok = n > 0;
            left -= n;
        }
    }
    if (out >= 0) ok = ::close(out) == 0 && ok;
    ::close(in);
    if (!ok) {
        const int why = errno;  // what failed, not the removal's
        std::remove(to.c_str());
        errno = why;
    }
    return ok;
}

// `file` at `path` too: a hard link, else (a file system without them) a copy.
std::string link_in(const std::string& file, const std::string& path) {
    if (::link(file.c_str(), path.c_str()) == 0 || copy_file_fast(file, path)) return {};
    return write_error(path, errno);
}

std::string rename_in(const std::string& file, const std::string& path) {
    return std::rename(file.c_str(), path.c_str()) == 0 ? std::string() : write_error(path, errno);
}

// A regular file that no other hard link shares.
bool unshared(const std::string& file) {
    struct stat st {};
    return ::lstat(file.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1;
}

// An exclusive flock(2) on a file to update in place that no other hard link shares, for as long
// as the update lasts (-1: not taken). `serve` holds a shared one on the file it serves, whose
// search index is of its bytes: such a file is copied instead, and a `serve` that starts
// meanwhile waits for the update. Taken before SQLite opens the file and let go after it closes
// it: closing another descriptor of the file would drop SQLite's own (POSIX) locks.
int lock_for_update(const std::string& file) {
    if (!unshared(file)) return -1;
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0 && ::flock(fd, LOCK_EX | LOCK_NB) == 0) return fd;
    if (fd >= 0) ::close(fd);
    return -1;
}

// The lock on `file` when it is to be updated in place: asked to, lock_for_update(), and
// `before` describes it (same file stamp, looked at once the lock is held).
int update_in_place(const SqliteReuse& reuse) {
    if (!reuse.in_place || !reuse.before || reuse.file.empty() || reuse.before->file_stamp.empty()) return -1;
    const int fd = lock_for_update(reuse.file);
    if (fd >= 0 && file_stamp(reuse.file) == reuse.before->file_stamp) return fd;
    if (fd >= 0) ::close(fd);
    return -1;
}

// Starts from a copy of `from` when `before` describes it (same file stamp): the early one when
// it is that, else one made now.
bool reuse_file(const SqliteReuse& reuse, const std::string& tmp) {
    if (!reuse.before || reuse.file.empty() || reuse.before->file_stamp.empty()) return false;
    if (reuse.early && reuse.early->take(reuse.file, tmp, reuse.before->file_stamp)) return true;
    return file_stamp(reuse.file) == reuse.before->file_stamp && copy_file_fast(reuse.file, tmp);
}

}  // namespace

// Read by a read-write connection, a file with a journal beside it is rolled back (a read-only
// one cannot: SQLITE_READONLY_ROLLBACK).
void roll_back_sqlite_journal(const std::string& file) {
    struct stat st {};
    if (::stat((file + "-journal").c_str(), &st) != 0) return;
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) == SQLITE_OK)
        sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", nullptr, nullptr, nullptr);
    sqlite3_close(db);
}

bool sqlite_in_place_possible(const std::string& file) {
    const int fd = lock_for_update(file);
    if (fd >= 0) ::close(fd);
    return fd >= 0;
}

SqliteCopy::SqliteCopy(std::string from, std::string to) : from_(std::move(from)), to_(std::move(to)) {
    copied_ = std::async(std::launch::async, [from = from_, to = to_] {
        const std::string stamp = file_stamp(from);
        const bool copied = !stamp.empty() && copy_file_fast(from, to);
        return copied && file_stamp(from) == stamp ? stamp : std::string();
    });
}

SqliteCopy::~SqliteCopy() {
    const std::string stamp = copied_.valid() ? copied_.get() : std::string();
    if (!asked_ && !stamp.empty()) std::remove(to_.c_str());
}

bool SqliteCopy::take(const std::string& from, const std::string& to, const std::string& stamp) {
    if (std::exchange(asked_, true)) return false;
    const std::string copied = copied_.get();
    if (!copied.empty() && copied == stamp && from == from_ && to == to_) return true;
    if (!copied.empty()) std::remove(to_.c_str());
    return false;
}

SqliteStore::SqliteStore(const std::string& path, std::uint64_t memory_budget, SqliteReuse reuse)
    : path_(path), file_(path + ".tmp"), hash_rows_(reuse.hash_rows) {
    lock_fd_ = update_in_place(reuse);
    in_place_ = lock_fd_ >= 0;
    reused_ = in_place_ || reuse_file(reuse, file_);
    if (in_place_) file_ = reuse.file;
    if (reused_) before_ = reuse.before;
    db_ = std::make_unique<Db>(file_, path, reused_);
    // Index sorts stay in memory only when the budget is large (they take about the size of the
    // biggest index). A file updated in place keeps its dirty pages in a page cache of up to
    // 256 MiB or the budget: a page written before the commit costs a sync of the journal first.
    // A new file or a copy has no journal: a small cache is enough (a new file's inserts append at
    // the right edges of their B-trees), and the pages go to the file as they fill, on SQLite's
    // thread, rather than all at the end. None of this changes the file.
    std::uint64_t cache_kib = std::min<std::uint64_t>(256 << 10, std::max<std::uint64_t>(memory_budget >> 10, 4096));
    if (!in_place_) cache_kib = std::min(cache_kib, kAppendCacheKib);
    const bool sort_in_memory = memory_budget >= (std::uint64_t{1} << 30);
    // A new file or a copy is nobody's until commit() renames it: no journal. A file updated in
    // place keeps one beside it, synced before the file is written, so that a run that stops
    // half-way leaves it as it was (SQLite rolls the journal back when it next opens the file).
    db_->exec(std::string(in_place_ ? "PRAGMA journal_mode=DELETE; PRAGMA synchronous=NORMAL; "
                                    : "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; ") +
              "PRAGMA page_size=65536; PRAGMA locking_mode=EXCLUSIVE; PRAGMA threads=2; PRAGMA cache_size=-" +
              std::to_string(cache_kib) + "; PRAGMA temp_store=" + (sort_in_memory ? "MEMORY;" : "FILE;"));
    // `serve` may be reading a file updated in place: its queries hold a shared lock for a moment
    if (in_place_) db_->busy_timeout_ms(30000);
    db_->exec("BEGIN");
    if (!reused_) db_->exec(kSchema);
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

template <class Row, class Bind>
class BatchInsert {
public:
    BatchInsert(Db& db, std::string table, int cols, Bind bind)
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
    // The row's values into h, as they would be bound.
    void hash(const Row& r, RowHasher& h) const {
        char times[2][kTimestampBufSize];
        bind_(&h, 1, r, times);
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
    Bind bind_;
    sqlite3_stmt* full_;
    std::vector<Row> rows_;
    char times_[kRowsPerInsert][2][kTimestampBufSize];
};

// Timestamps are bound as text, "" for no time (as sessions.jsonl has no null there either).
template <class Out>
void put_time(Out out, int i, Micros t, char* buf) {
    put_text(out, i, std::string_view(buf, format_timestamp(t, buf)));
}

constexpr auto bind_session = [](auto st, int f, const SessionRow& r, char (*times)[kTimestampBufSize]) {
    const Session& s = *r.s;
    put_text(st, f + 0, s.sensor);
    put_text(st, f + 1, s.session);
    put_opt_text(st, f + 2, s.protocol);
    put_opt_text(st, f + 3, s.src_ip);
    put_opt_int(st, f + 4, s.src_port);
    put_opt_text(st, f + 5, s.dst_ip);
    put_opt_int(st, f + 6, s.dst_port);
    put_time(st, f + 7, s.start, times[0]);
    put_time(st, f + 8, s.end, times[1]);
    put_real(st, f + 9, std::round(s.duration_s * 1000) / 1000);  // as in sessions.jsonl
    put_opt_text(st, f + 10, s.client_version);
    put_opt_text(st, f + 11, s.hassh);
    put_opt_text(st, f + 12, s.arch);
    put_int(st, f + 13, s.closed);
    put_text(st, f + 14, end_kind_name(s.end_kind));
    put_text(st, f + 15, channel_name(s.channel));
    put_int(st, f + 16, s.login_attempts);
    put_int(st, f + 17, s.login_successes);
    put_int(st, f + 18, s.commands);
    put_int(st, f + 19, s.failed_commands);
    if (s.commands) {
        put_text(st, f + 20, s.last_command);
        put_real(st, f + 21, s.secs_after_last_command);
    } else {
        put_null(st, f + 20);
        put_null(st, f + 21);
    }
    put_opt_text(st, f + 22, s.last_step);
    put_int(st, f + 23, s.events);
    put_int(st, f + 24, s.late_events);
    put_opt_text(st, f + 25, s.attack);
    put_opt_text(st, f + 26, s.country);
    put_opt_int(st, f + 27, s.asn);
    put_opt_text(st, f + 28, s.as_org);
    put_int(st, f + 29, r.sid);
};

// The columns every part table starts with: sid, seq, time.
template <class Out>
void put_part_key(Out st, int f, const PartRow& r, char* buf) {
    put_int(st, f, r.sid);
    put_int(st, f + 1, r.seq);
    put_time(st, f + 2, r.it->ts, buf);
}
constexpr auto bind_login = [](auto st, int f, const PartRow& r, char (*times)[kTimestampBufSize]) {
    put_part_key(st, f, r, times[0]);
    put_text(st, f + 3, r.it->a);
    if (r.it->c.empty())
        put_text(st, f + 4, r.it->b);
    else
        put_null(st, f + 4);  // a public key: no password at all
    put_opt_text(st, f + 5, r.it->c);
    put_int(st, f + 6, r.it->flag);
};
constexpr auto bind_command = [](auto st, int f, const PartRow& r, char (*times)[kTimestampBufSize]) {
    put_part_key(st, f, r, times[0]);
    put_text(st, f + 3, r.it->a);
    put_int(st, f + 4, r.s->cmd_failed[static_cast<std::size_t>(r.seq)]);
};
constexpr auto bind_download = [](auto st, int f, const PartRow& r, char (*times)[kTimestampBufSize]) {
    put_part_key(st, f, r, times[0]);
    put_opt_text(st, f + 3, r.it->a);
    put_opt_text(st, f + 4, r.it->b);
    put_opt_text(st, f + 5, r.it->c);
    put_text(st, f + 6, r.it->kind == ItemKind::Download ? "ok" : "failed");
    put_int(st, f + 7, r.it->flag);
};
constexpr auto bind_upload = [](auto st, int f, const PartRow& r, char (*times)[kTimestampBufSize]) {
    put_part_key(st, f, r, times[0]);
    put_opt_text(st, f + 3, r.it->a);
    put_opt_text(st, f + 4, r.it->b);
    put_opt_text(st, f + 5, r.it->c);
    put_int(st, f + 6, r.it->flag);
};
constexpr auto bind_tcpip = [](auto st, int f, const PartRow& r, char (*times)[kTimestampBufSize]) {
    put_part_key(st, f, r, times[0]);
    put_opt_text(st, f + 3, r.it->a);
    put_opt_int(st, f + 4, r.it->num);
    put_opt_text(st, f + 5, r.it->b);
};
constexpr auto bind_file_write = [](auto st, int f, const PartRow& r, char (*times)[kTimestampBufSize]) {
    put_part_key(st, f, r, times[0]);
    put_opt_text(st, f + 3, r.it->a);
    put_opt_text(st, f + 4, r.it->b);
    put_opt_int(st, f + 5, r.it->num);
    put_opt_text(st, f + 6, r.it->c);
    put_int(st, f + 7, r.it->flag);
    put_opt_text(st, f + 8, persistence_kind(r.it->a));
};
constexpr auto bind_ttylog = [](auto st, int f, const PartRow& r, char (*times)[kTimestampBufSize]) {
    put_part_key(st, f, r, times[0]);
    put_opt_text(st, f + 3, r.it->a);
    put_opt_text(st, f + 4, r.it->b);
    put_opt_int(st, f + 5, r.it->num);
    put_int(st, f + 6, r.it->flag);
    put_int(st, f + 7, !r.it->c.empty());
};

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

// The tables that hold sessions, each with a sid column.
constexpr const char* kSessionTables[] = {"sessions",     "logins_rows", "commands_rows", "downloads_rows",
                                          "uploads_rows", "tcpip_rows",  "ttylogs_rows",  "file_writes_rows"};

// The insert statements of the relational part, kept from chunk to chunk, and the last sid
// given (sessions arrive in session_less order, chunk after chunk: sid order is time order).
// With `before` (the row hashes of the file this one was copied from), a session whose rows
// hash the same as the file's at its sid is left as it is, until the first that differs: from
// there on, every row of that sid and later is deleted and inserted again. With `written`, the
// hash of every session's rows goes there.
class SessionInserts {
public:
    SessionInserts(Db& db, const SqliteRowHashes* before, SqliteRowHashes* written)
        : db_(db),
          before_(before),
          written_(written),
          ses(db, "sessions", 30, bind_session),
          lg(db, "logins_rows", 7, bind_login),
          cm(db, "commands_rows", 5, bind_command),
          dl(db, "downloads_rows", 8, bind_download),
          up(db, "uploads_rows", 7, bind_upload),
          tc(db, "tcpip_rows", 6, bind_tcpip),
          tt(db, "ttylogs_rows", 8, bind_ttylog),
          fw(db, "file_writes_rows", 9, bind_file_write) {}

    // `same_record`: s is the record the copied file's run wrote (an incremental run's checkpoint
    // says so); then, while no earlier sid differed and the file holds s at this sid, its rows
    // are those of the file and are not hashed again. (A session's sid can change between runs:
    // a connect logged later moves its start.)
    void add(const Session& s, bool same_record = false) {
        ++sid;
        if (!before_ && !written_) return rows(s, [](auto& table, const auto& row) { table.add(row); });
        const std::uint64_t key = session_key_hash(s.sensor, s.session);
        const auto at = static_cast<std::size_t>(sid - 1);
        const bool same_sid =
            before_ && !differs_ && at < before_->rows.size() && at < before_->keys.size() && before_->keys[at] == key;
        std::uint64_t hash = 0;
        if (same_record && same_sid) {
            hash = before_->rows[at];
        } else {
            RowHasher h;
            rows(s, [&](const auto& table, const auto& row) { table.hash(row, h); });
            hash = h.value();
        }
        if (written_) {
            written_->rows.push_back(hash);
            written_->keys.push_back(key);
        }
        if (before_ && !differs_) {
            if (same_sid && before_->rows[at] == hash) {
                ++unchanged;
                return;
            }
            delete_from(sid);
        }
        rows(s, [](auto& table, const auto& row) { table.add(row); });
    }
    // The first n sessions are the copied file's first n, as they were (the caller knows it
    // without their records: an incremental run that builds only the sessions after them); false
    // when the file does not hold that many or some earlier session differed.
    bool keep_first(std::uint64_t n) {
        if (!before_ || differs_ || sid != 0 || n > before_->rows.size() || n > before_->keys.size()) return false;
        sid = static_cast<std::int64_t>(n);
        unchanged += n;
        if (written_) {
            written_->rows.assign(before_->rows.begin(), before_->rows.begin() + static_cast<std::ptrdiff_t>(n));
            written_->keys.assign(before_->keys.begin(), before_->keys.begin() + static_cast<std::ptrdiff_t>(n));
        }
        return true;
    }
    // At the end of a chunk, the rows not stepped yet (fewer than a batch per table) point into
    // the chunk, whose strings die: they are pointed to copies of their sessions instead. So rows
    // go into the file in the same batches for any chunking, and the file's bytes do not depend
    // on it (a flush per chunk would interleave the tables' pages differently).
    void detach() {
        KeptSessions fresh;  // copies from the chunk or from the copies before
        ses.for_pending([&](SessionRow& r) { r.s = fresh.keep(r.s); });
        parts([&](auto& b) {
            b.for_pending([&](PartRow& r) {
                const Session* c = fresh.keep(r.s);
                r.it = &c->items[static_cast<std::size_t>(r.it - r.s->items.data())];
                r.s = c;
            });
        });
        kept = std::move(fresh);
    }
    // Steps every pending row (the end of the sessions); a copied file's sessions beyond the
    // last one go.
    std::uint64_t unchanged = 0;  // sessions left as they were in the copied file

    void flush() {
        if (before_ && !differs_ && before_->rows.size() > static_cast<std::size_t>(sid)) delete_from(sid + 1);
        parts([](auto& b) { b.flush(); });
        ses.flush();
    }

private:
    // Calls f(table, row) for the session's row and each of its rows in the parts tables.
    template <class F>
    void rows(const Session& s, F&& f) {
        f(ses, SessionRow{&s, sid});
        // items are sorted, so seq counts each table's rows in the session's order
        std::int64_t n_lg = 0, n_cm = 0, n_dl = 0, n_up = 0, n_tc = 0, n_tt = 0, n_fw = 0;
        for (const Item& it : s.items) {
            switch (it.kind) {
                case ItemKind::Login:
                    f(lg, PartRow{&s, &it, sid, n_lg++});
                    break;
                case ItemKind::Command:
                    f(cm, PartRow{&s, &it, sid, n_cm++});
                    break;
                case ItemKind::Download:
                case ItemKind::DownloadFailed:
                    f(dl, PartRow{&s, &it, sid, n_dl++});
                    break;
                case ItemKind::Upload:
                    f(up, PartRow{&s, &it, sid, n_up++});
                    break;
                case ItemKind::Tcpip:
                    f(tc, PartRow{&s, &it, sid, n_tc++});
                    break;
                case ItemKind::TtyLog:
                    f(tt, PartRow{&s, &it, sid, n_tt++});
                    break;
                case ItemKind::FileWrite:
                    f(fw, PartRow{&s, &it, sid, n_fw++});
                    break;
                default:
                    break;
            }
        }
    }
    template <class F>
    void parts(F&& f) {
        f(lg), f(cm), f(dl), f(up), f(tc), f(tt), f(fw);
    }
    // The copied file's rows of sid `from` and later go: this run's differ from there on.
    void delete_from(std::int64_t from) {
        differs_ = true;
        for (const char* table : kSessionTables)
            db_.exec(std::string("DELETE FROM ") + table + " WHERE sid >= " + std::to_string(from));
    }

    Db& db_;
    const SqliteRowHashes* before_;
    SqliteRowHashes* written_;
    bool differs_ = false;
    BatchInsert<SessionRow, decltype(bind_session)> ses;
    BatchInsert<PartRow, decltype(bind_login)> lg;
    BatchInsert<PartRow, decltype(bind_command)> cm;
    BatchInsert<PartRow, decltype(bind_download)> dl;
    BatchInsert<PartRow, decltype(bind_upload)> up;
    BatchInsert<PartRow, decltype(bind_tcpip)> tc;
    BatchInsert<PartRow, decltype(bind_ttylog)> tt;
    BatchInsert<PartRow, decltype(bind_file_write)> fw;
    std::int64_t sid = 0;
    KeptSessions kept;  // what the pending rows point to, once their chunk is gone
};

SqliteStore::~SqliteStore() {
    inserts_.reset();  // its statements go before the connection
    const bool uncommitted = in_place_ && db_;
    db_.reset();  // an open transaction is rolled back, unless a failed write left it to the journal
    if (uncommitted) roll_back_sqlite_journal(file_);  // SQLite gave up on the connection after a failed write
    if (lock_fd_ >= 0) ::close(lock_fd_);
}

std::string SqliteStore::begin_sessions() {
    if (!db_->ok()) return db_->error();
    inserts_ = std::make_unique<SessionInserts>(*db_, before_, hash_rows_ ? &written_ : nullptr);
    return db_->ok() ? std::string() : db_->error();
}

bool SqliteStore::holds_first(std::uint64_t n) const {
    return reused_ && before_ && n <= before_->rows.size() && n <= before_->keys.size();
}

std::string SqliteStore::keep_first(std::uint64_t n) {
    if (!inserts_) return "SQLite: " + path_ + ": sessions kept before begin_sessions()";
    if (!holds_first(n) || !inserts_->keep_first(n))
        return "SQLite: " + path_ + ": the last run's file does not hold the first " + std::to_string(n) + " sessions";
    return {};
}

std::string SqliteStore::append_sessions(const std::vector<Session>& chunk, const std::uint8_t* unchanged) {
    if (!db_->ok()) return db_->error();
    if (!inserts_) return "SQLite: " + path_ + ": sessions appended before begin_sessions()";
    for (std::size_t i = 0; i < chunk.size(); ++i) {
        inserts_->add(chunk[i], unchanged && unchanged[i]);
        if (!db_->ok()) break;
    }
    inserts_->detach();
    return db_->ok() ? std::string() : db_->error();
}

std::string SqliteStore::end_sessions() {
    if (inserts_) inserts_->flush();
    if (inserts_) unchanged_ = inserts_->unchanged;
    inserts_.reset();
    if (!reused_) db_->exec(kIndexes);  // a copied file has them, kept up to date
    // on the sessions' thread, while the run goes on: commit() has little left (a file updated in
    // place is not written before commit(): OUTDIR stays the last run's until then)
    if (!in_place_) db_->flush_cache();
    return db_->ok() ? std::string() : db_->error();
}

std::string SqliteStore::write_sessions(const std::vector<Session>& sessions) {
    std::string err = begin_sessions();
    if (err.empty()) err = append_sessions(sessions);
    if (err.empty()) err = end_sessions();
    return err;
}

// A copied file's result tables and their documentation go: write_tables() writes this run's.
void drop_result_tables(Db& db) {
    std::vector<std::string> names;
    sqlite3_stmt* q = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'");
    while (q && sqlite3_step(q) == SQLITE_ROW)
        names.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(q, 0)));
    sqlite3_finalize(q);
    for (const auto& name : names)
        if (std::none_of(std::begin(kSessionTables), std::end(kSessionTables),
                         [&](const char* t) { return name == t; }) &&
            name != "schema_doc")
            db.exec("DROP TABLE " + quote_ident(name));
    db.exec("DELETE FROM schema_doc");
}

std::string SqliteStore::write_tables(const std::vector<Table>& all) {
    Db& db_ = *this->db_;
    if (reused_) drop_result_tables(db_);
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
                    bind_text(st, idx, *s);  // the table outlives the statement
                else
                    sqlite3_bind_null(st, idx);
            }
            db_.step(st);
        }
        sqlite3_finalize(st);
    }
    return db_.ok() ? std::string() : db_.error();
}

std::string SqliteStore::settle() {
    if (!in_place_ || !db_->ok()) return db_->ok() ? std::string() : db_->error();
    // The file's size once committed (SQLite writes every page up to its count, and truncates
    // past it) and the modification time commit() then gives it: the stamp the state keeps, saved
    // before the commit, which comes last.
    const std::int64_t bytes = db_->integer("PRAGMA page_count") * db_->integer("PRAGMA page_size");
    ::clock_gettime(CLOCK_REALTIME, &settled_mtime_);
    if (settled_mtime_.tv_nsec == 0) settled_mtime_.tv_nsec = 1;  // file_stamp() takes 0 for whole seconds
    written_.file_stamp = stamp_text(bytes, settled_mtime_);
    return db_->ok() ? std::string() : db_->error();
}

std::string SqliteStore::commit() {
    inserts_.reset();  // its statements go before the connection
    struct stat st {};
    if (in_place_ && (::fstat(lock_fd_, &st) != 0 || st.st_nlink != 1)) {
        db_.reset();  // rolled back: a hard link made during the run shares it (a snapshot)
        ::close(std::exchange(lock_fd_, -1));
        return "SQLite: " + path_ +
               ": another hard link to the last run's file appeared during the run; it is left as it was";
    }
    db_->exec("COMMIT");
    std::string err = db_->ok() ? std::string() : db_->error();
    db_.reset();  // not committed: rolled back
    if (!err.empty() && in_place_) roll_back_sqlite_journal(file_);
    if (err.empty() && in_place_) {
        const struct timespec times[2] = {{0, UTIME_OMIT}, settled_mtime_};
        ::futimens(lock_fd_, times);  // failing (another owner), the next run finds another stamp and writes it anew
        err = link_in(file_, path_);
    } else if (err.empty()) {
        err = rename_in(file_, path_);
        if (err.empty() && hash_rows_) written_.file_stamp = file_stamp(path_);
    }
    if (lock_fd_ >= 0) ::close(std::exchange(lock_fd_, -1));
    return err;
}

}  // namespace cb
