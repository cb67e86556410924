// cowrie.sqlite as SqliteStore writes it, on a small synthetic run: the schema (tables, views
// over the *_rows tables, indexes, schema_doc), the row counts per table and the commit.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "cb/analysis/basic_tables.hpp"
#include "cb/output/outputs.hpp"
#include "synthetic_sessions.hpp"

namespace fs = std::filesystem;
using cbtest::Spec;

namespace {

// Read-only access to a written database: one integer or text answer per query.
class ReadDb {
public:
    explicit ReadDb(const std::string& path) {
        EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK) << path;
    }
    ~ReadDb() { sqlite3_close(db_); }
    std::vector<std::string> column(const std::string& sql) const {
        std::vector<std::string> out;
        sqlite3_stmt* st = nullptr;
        EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr), SQLITE_OK)
            << sql << ": " << sqlite3_errmsg(db_);
        while (st && sqlite3_step(st) == SQLITE_ROW) {
            const unsigned char* t = sqlite3_column_text(st, 0);
            out.emplace_back(t ? reinterpret_cast<const char*>(t) : "NULL");
        }
        sqlite3_finalize(st);
        return out;
    }
    long long count(const std::string& sql) const {
        const auto v = column(sql);
        return v.empty() ? -1 : std::stoll(v[0]);
    }

private:
    sqlite3* db_ = nullptr;
};

// The SQLite name of a result table: a name the relational part already uses gets _summary.
std::string sql_name(const cb::Table& t) {
    for (const char* taken :
         {"sessions", "logins", "commands", "downloads", "uploads", "tcpip", "ttylogs", "schema_doc"})
        if (t.name == taken) return t.name + "_summary";
    return t.name;
}

std::vector<Spec> small_run() {
    Spec a;
    a.session = "aaaaaaaaaaaa";
    a.logins = {{"root", "123", false}, {"root", "toor", true}};
    a.commands = {"uname -a", "wget http://198.51.100.1/x"};
    a.downloads = {{"http://198.51.100.1/x", std::string(64, 'a')}};
    a.tty_bytes = 100;
    Spec b;
    b.session = "bbbbbbbbbbbb";
    b.sensor = "s2";
    b.src_ip = "10.0.0.2";
    b.start_s = 60;
    b.logins = {{"admin", "admin", true}};
    b.commands = {"id"};
    b.uploads = {{"up.bin", std::string(64, 'b')}};
    Spec c;
    c.session = "cccccccccccc";
    c.start_s = 30;
    return {a, b, c};
}

class SqliteStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("cb-sqlite-test-" + std::to_string(::getpid()));
        fs::create_directories(dir_);
        path_ = (dir_ / "cowrie.sqlite").string();
        corpus_ = cbtest::build(small_run());
        std::sort(corpus_.sessions.begin(), corpus_.sessions.end(), cb::session_less);
        cb::SqliteStore store(path_);
        ASSERT_EQ(store.write_sessions(corpus_.sessions), "");
        tables_ = cb::basic_tables(corpus_.sessions);
        ASSERT_EQ(store.write_tables(tables_), "");
        ASSERT_EQ(store.commit(), "");
    }
    void TearDown() override { fs::remove_all(dir_); }

    fs::path dir_;
    std::string path_;
    cbtest::Corpus corpus_;
    std::vector<cb::Table> tables_;
};

}  // namespace

TEST_F(SqliteStoreTest, CommitRenamesTheTemporaryFile) {
    EXPECT_TRUE(fs::exists(path_));
    EXPECT_FALSE(fs::exists(path_ + ".tmp"));
    EXPECT_EQ(ReadDb(path_).column("PRAGMA integrity_check"), std::vector<std::string>{"ok"});
}

TEST_F(SqliteStoreTest, SchemaHasTablesViewsAndIndexes) {
    const ReadDb db(path_);
    const auto names = [&](const char* type) {
        const auto v = db.column(std::string("SELECT name FROM sqlite_master WHERE type='") + type + "' ORDER BY name");
        return std::set<std::string>(v.begin(), v.end());
    };
    const auto tables = names("table"), views = names("view"), indexes = names("index");
    for (const char* part : {"logins", "commands", "downloads", "uploads", "tcpip", "file_writes", "ttylogs"}) {
        EXPECT_TRUE(tables.count(std::string(part) + "_rows")) << part;
        EXPECT_TRUE(views.count(part)) << part;
    }
    EXPECT_TRUE(tables.count("sessions") && tables.count("schema_doc"));
    for (const char* ix : {"sessions_key", "sessions_src_ip", "commands_input", "downloads_shasum"})
        EXPECT_TRUE(indexes.count(ix)) << ix;
    // every basic table is a SQLite table of its own, except file_writes (a view of the rows)
    for (const cb::Table& t : tables_)
        if (t.name != "file_writes") {
            EXPECT_TRUE(tables.count(sql_name(t))) << t.name;
        }
    EXPECT_EQ(
        db.count("SELECT count(*) FROM pragma_index_list('sessions') WHERE \"unique\" = 1 AND name = 'sessions_key'"),
        1);
}

TEST_F(SqliteStoreTest, RowCountsMatchTheSessions) {
    const ReadDb db(path_);
    EXPECT_EQ(db.count("SELECT count(*) FROM sessions"), 3);
    EXPECT_EQ(db.count("SELECT count(*) FROM logins"), 3);
    EXPECT_EQ(db.count("SELECT sum(success) FROM logins"), 2);
    EXPECT_EQ(db.count("SELECT count(*) FROM commands"), 3);
    EXPECT_EQ(db.count("SELECT count(*) FROM downloads WHERE status = 'ok'"), 1);
    EXPECT_EQ(db.count("SELECT count(*) FROM uploads"), 1);
    EXPECT_EQ(db.count("SELECT count(*) FROM ttylogs"), 1);
    EXPECT_EQ(db.count("SELECT count(*) FROM tcpip"), 0);
    EXPECT_EQ(db.count("SELECT count(DISTINCT sensor) FROM sessions"), 2);
    for (const cb::Table& t : tables_)
        if (t.name != "file_writes") {
            EXPECT_EQ(db.count("SELECT count(*) FROM \"" + sql_name(t) + "\""), static_cast<long long>(t.rows.size()))
                << t.name;
        }
}

TEST_F(SqliteStoreTest, SidFollowsStartTimeAndPartsKeepTheirOrder) {
    const ReadDb db(path_);
    EXPECT_EQ(db.column("SELECT session FROM sessions ORDER BY sid"),
              (std::vector<std::string>{"aaaaaaaaaaaa", "cccccccccccc", "bbbbbbbbbbbb"}));  // start 0, 30, 60
    EXPECT_EQ(db.column("SELECT input FROM commands WHERE session = 'aaaaaaaaaaaa' ORDER BY seq"),
              (std::vector<std::string>{"uname -a", "wget http://198.51.100.1/x"}));
    EXPECT_EQ(db.column("SELECT password FROM logins WHERE session = 'aaaaaaaaaaaa' ORDER BY time"),
              (std::vector<std::string>{"123", "toor"}));
}

TEST_F(SqliteStoreTest, SchemaDocDescribesTablesThatExist) {
    const ReadDb db(path_);
    EXPECT_GE(db.count("SELECT count(*) FROM schema_doc WHERE column_name = '' AND description <> ''"), 8);
    // a documented column that is not in its table (or view) would be a drifted doc
    for (const std::string& row :
         db.column("SELECT table_name || '.' || column_name FROM schema_doc WHERE column_name <> ''")) {
        const auto dot = row.find('.');
        const std::string table = row.substr(0, dot), column = row.substr(dot + 1);
        EXPECT_EQ(db.count("SELECT count(*) FROM pragma_table_info('" + table + "') WHERE name = '" + column + "'"), 1)
            << row;
    }
}

TEST(SqliteStore, EmptyRunStillHasTheSchema) {
    const fs::path dir = fs::temp_directory_path() / ("cb-sqlite-empty-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const std::string path = (dir / "cowrie.sqlite").string();
    {
        cb::SqliteStore store(path);
        ASSERT_EQ(store.write_sessions({}), "");
        ASSERT_EQ(store.write_tables(cb::basic_tables({})), "");
        ASSERT_EQ(store.commit(), "");
    }
    const ReadDb db(path);
    EXPECT_EQ(db.count("SELECT count(*) FROM sessions"), 0);
    EXPECT_EQ(db.count("SELECT count(*) FROM commands"), 0);
    EXPECT_GT(db.count("SELECT count(*) FROM schema_doc"), 0);
    fs::remove_all(dir);
}

// A --state run's early copy of the last run's file (SqliteCopy): taken when it is the file the
// store wants, with the stamp the state knows; else removed, as when nobody asks for it.
TEST(SqliteCopy, TakenOnlyWhenItCopiedTheFileTheStateKnows) {
    const fs::path dir = fs::temp_directory_path() / ("cb-sqlite-copy-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const std::string path = (dir / "cowrie.sqlite").string();
    cbtest::Corpus corpus = cbtest::build(small_run());
    std::sort(corpus.sessions.begin(), corpus.sessions.end(), cb::session_less);
    cb::SqliteRowHashes before;
    {
        cb::SqliteStore store(path, UINT64_MAX, {"", nullptr, true});
        ASSERT_EQ(store.write_sessions(corpus.sessions), "");
        ASSERT_EQ(store.write_tables(cb::basic_tables(corpus.sessions)), "");
        ASSERT_EQ(store.commit(), "");
        before = store.row_hashes();
    }
    ASSERT_FALSE(before.file_stamp.empty());
    const auto bytes = [](const std::string& p) {
        std::ifstream in(p, std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(in), {});
    };
    const std::string to = (dir / "a.tmp").string();
    {
        cb::SqliteCopy copy(path, to);
        EXPECT_TRUE(copy.take(path, to, before.file_stamp));
        EXPECT_EQ(bytes(to), bytes(path));
        EXPECT_FALSE(copy.take(path, to, before.file_stamp)) << "asked once";
    }
    EXPECT_TRUE(fs::exists(to)) << "a taken copy is the taker's";
    {
        cb::SqliteCopy copy(path, (dir / "b.tmp").string());
        EXPECT_FALSE(copy.take(path, (dir / "b.tmp").string(), before.file_stamp + "0"));
        EXPECT_FALSE(fs::exists(dir / "b.tmp"));
    }
    { cb::SqliteCopy unasked(path, (dir / "c.tmp").string()); }
    EXPECT_FALSE(fs::exists(dir / "c.tmp"));
    {  // a store that reuses the file takes the early copy as its own
        cb::SqliteCopy copy(path, (dir / "next.sqlite.tmp").string());
        cb::SqliteStore store((dir / "next.sqlite").string(), UINT64_MAX, {path, &before, true, &copy});
        EXPECT_TRUE(store.reused());
        EXPECT_TRUE(store.holds_first(corpus.sessions.size()));
        EXPECT_FALSE(copy.take(path, (dir / "next.sqlite.tmp").string(), before.file_stamp));
    }
    fs::remove_all(dir);
}

namespace {

std::string file_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// The first run's file of `sessions`, with its rows' hashes (a --state run's).
cb::SqliteRowHashes first_file(const std::string& path, const std::vector<cb::Session>& sessions) {
    cb::SqliteStore store(path, UINT64_MAX, {"", nullptr, true});
    EXPECT_EQ(store.write_sessions(sessions), "");
    EXPECT_EQ(store.write_tables(cb::basic_tables(sessions)), "");
    EXPECT_EQ(store.commit(), "");
    return store.row_hashes();
}

}  // namespace

// A --state run updates the last run's file where it is, in one transaction: committed, the file
// (the same inode) is linked at the new path with every session; not committed, its bytes are
// as they were and no journal is left. A file that another hard link shares is copied instead,
// and the other link keeps its bytes.
TEST(SqliteStore, UpdatedInPlaceOnlyWhenNoOtherLinkSharesIt) {
    const fs::path dir = fs::temp_directory_path() / ("cb-sqlite-in-place-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir / "next");
    const std::string path = (dir / "cowrie.sqlite").string();
    cbtest::Corpus corpus = cbtest::build(small_run());
    std::sort(corpus.sessions.begin(), corpus.sessions.end(), cb::session_less);
    std::vector<cb::Session> first(corpus.sessions.begin(), corpus.sessions.end() - 1);  // a and c
    const cb::SqliteRowHashes before = first_file(path, first);
    ASSERT_TRUE(cb::sqlite_in_place_possible(path));
    const auto inode = [](const fs::path& p) {
        struct stat st {};
        return ::stat(p.c_str(), &st) == 0 ? st.st_ino : 0;
    };
    const auto ino = inode(path);
    const auto stamp = [](const fs::path& p) {  // as the state keeps it: size and mtime in ns
        struct stat st {};
        ::stat(p.c_str(), &st);
        return std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
               std::to_string(st.st_mtim.tv_nsec);
    };
    const std::string next = (dir / "next" / "cowrie.sqlite").string();
    const std::string first_bytes = file_bytes(path);
    cb::SqliteRowHashes after;
    {
        cb::SqliteStore store(next, UINT64_MAX, {path, &before, true, nullptr, true});
        ASSERT_TRUE(store.in_place());
        ASSERT_EQ(store.begin_sessions(), "");
        ASSERT_EQ(store.append_sessions(corpus.sessions), "");
        ASSERT_EQ(store.end_sessions(), "");
        ASSERT_EQ(store.write_tables(cb::basic_tables(corpus.sessions)), "");
        ASSERT_EQ(store.settle(), "");
        after = store.row_hashes();  // saved with the state before the commit
        EXPECT_EQ(file_bytes(path), first_bytes) << "nothing written before commit()";
        EXPECT_FALSE(fs::exists(next)) << "linked in by commit() only";
        ASSERT_EQ(store.commit(), "");
        EXPECT_EQ(store.unchanged_sessions(), 2U);
    }
    EXPECT_EQ(stamp(next), after.file_stamp) << "the stamp settle() gave is the committed file's";
    EXPECT_EQ(inode(next), ino);
    EXPECT_EQ(inode(path), ino);
    EXPECT_FALSE(fs::exists(path + "-journal"));
    EXPECT_EQ(ReadDb(next).count("SELECT count(*) FROM sessions"), 3);
    EXPECT_EQ(ReadDb(next).column("PRAGMA integrity_check"), std::vector<std::string>{"ok"});
    fs::remove(path);  // as the swap of OUTDIR's folders leaves it: one link, at the new path

    const std::string committed = file_bytes(next);
    // another link: a copy is updated, the snapshot keeps its bytes
    fs::create_hard_link(next, dir / "snapshot.sqlite");
    EXPECT_FALSE(cb::sqlite_in_place_possible(next));
    const std::string copied = (dir / "copied.sqlite").string();
    {
        cb::SqliteStore store(copied, UINT64_MAX, {next, &after, true, nullptr, true});
        EXPECT_FALSE(store.in_place());
        EXPECT_TRUE(store.reused());
        ASSERT_EQ(store.write_sessions(first), "");
        ASSERT_EQ(store.write_tables(cb::basic_tables(first)), "");
        ASSERT_EQ(store.commit(), "");
    }
    EXPECT_EQ(file_bytes(dir / "snapshot.sqlite"), committed);
    fs::remove(dir / "snapshot.sqlite");
    EXPECT_NE(inode(copied), ino);
    EXPECT_EQ(ReadDb(copied).count("SELECT count(*) FROM sessions"), 2);
    {  // not committed (the run failed later): rolled back
        cb::SqliteStore store((dir / "again.sqlite").string(), UINT64_MAX, {next, &after, true, nullptr, true});
        ASSERT_TRUE(store.in_place());
        ASSERT_EQ(store.begin_sessions(), "");
        ASSERT_EQ(store.append_sessions(first), "");  // b's rows deleted
        ASSERT_EQ(store.end_sessions(), "");
        ASSERT_EQ(store.write_tables(cb::basic_tables(first)), "");
        ASSERT_EQ(store.settle(), "");
    }
    EXPECT_EQ(file_bytes(next), committed);
    EXPECT_FALSE(fs::exists(next + "-journal"));
    EXPECT_FALSE(fs::exists(dir / "again.sqlite"));
    {  // a hard link made during the run (a snapshot): not committed, the file left as it was
        cb::SqliteStore store((dir / "again.sqlite").string(), UINT64_MAX, {next, &after, true, nullptr, true});
        ASSERT_TRUE(store.in_place());
        ASSERT_EQ(store.write_sessions(first), "");
        ASSERT_EQ(store.write_tables(cb::basic_tables(first)), "");
        ASSERT_EQ(store.settle(), "");
        fs::create_hard_link(next, dir / "late-snapshot.sqlite");
        EXPECT_NE(store.commit().find("another hard link"), std::string::npos);
    }
    EXPECT_EQ(file_bytes(next), committed);
    EXPECT_EQ(file_bytes(dir / "late-snapshot.sqlite"), committed);
    EXPECT_FALSE(fs::exists(next + "-journal"));
    fs::remove(dir / "late-snapshot.sqlite");
    fs::create_symlink(copied, dir / "link.sqlite");
    EXPECT_FALSE(cb::sqlite_in_place_possible((dir / "link.sqlite").string()));
    EXPECT_FALSE(cb::sqlite_in_place_possible((dir / "missing.sqlite").string()));
    fs::remove_all(dir);
}

// A run killed while it updates the file in place, before its commit, leaves the file's bytes as
// they were: the changes wait in SQLite's cache, and a journal left beside the file is not hot.
TEST(SqliteStore, AnUpdateInPlaceKilledHalfWayIsRolledBackFromItsJournal) {
    const fs::path dir = fs::temp_directory_path() / ("cb-sqlite-killed-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    const std::string path = (dir / "cowrie.sqlite").string();
    cbtest::Corpus corpus = cbtest::build(small_run());
    std::sort(corpus.sessions.begin(), corpus.sessions.end(), cb::session_less);
    const cb::SqliteRowHashes before = first_file(path, corpus.sessions);
    const std::string committed = file_bytes(path);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        cb::SqliteStore store((dir / "next.sqlite").string(), UINT64_MAX, {path, &before, true, nullptr, true});
        const std::vector<cb::Session> none;
        const bool ok = store.in_place() && store.write_sessions(none).empty() &&
                        store.write_tables(cb::basic_tables(none)).empty() && store.settle().empty();
        ::_exit(ok ? 0 : 1);  // no commit, no destructor: as a SIGKILL would leave it
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    EXPECT_EQ(file_bytes(path), committed) << "nothing is written before the commit";
    // the journal it may leave is not hot (SQLite marks one valid only once it syncs it, before
    // it writes the file): a read-only connection reads the file as it was
    EXPECT_EQ(ReadDb(path).count("SELECT count(*) FROM sessions"), 3);
    cb::roll_back_sqlite_journal(path);  // as serve does before it opens the file read-only
    EXPECT_EQ(file_bytes(path), committed);
    fs::remove_all(dir);
}
