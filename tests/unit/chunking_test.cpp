// Issue 13: every session consumer fed the run's sessions in chunks (consecutive slices, in
// session order, any boundaries) gives byte for byte what it gives for the whole list at once:
// the basic tables, the analyses, the recording findings, the session totals, cowrie.sqlite's
// relational part and sessions.jsonl. Sessions are those of the shipped logs (examples/logs,
// tests/data/multi-sensor), built as the engine builds them. Each chunk is a copy whose strings
// are overwritten once the consumer has taken it, as the bounded-memory engine frees them, so
// a consumer that kept a view into a chunk shows it here.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <random>
#include <sstream>
#include <thread>

#include "analysis_fixture.hpp"
#include "cb/analysis/basic_tables.hpp"
#include "cb/engine/state.hpp"
#include "cb/output/outputs.hpp"
#include "cb/tty/tty_link.hpp"
#include "cb/util/zstd_frame.hpp"

namespace fs = std::filesystem;

namespace {

// A run's sessions as the engine hands them to the consumers: finalized, sorted, recordings
// linked, last steps assigned (RunData and `pool` own their strings).
struct Corpus {
    cb::RunData run;
    cb::StringPool pool;
    std::vector<cb::Session> sessions;
};

std::unique_ptr<Corpus> load(const std::string& dir) {
    auto c = std::make_unique<Corpus>();
    cb::RunData& run = c->run;
    run.inputs = cb::scan_inputs({dir});
    cb::IngestOptions io;
    io.threads = 2;
    run.ingest = cb::ingest(run.inputs.files, io);
    run.sessions = cb::build_sessions(run.ingest.shards, cb::SessionOptions{}, 2);
    const cb::MarkerStats stats = cb::collect_markers(run.sessions, 2);
    cb::complete_sessions(run, stats, 2);
    c->sessions = run.sessions;
    return c;
}

// The sessions of `dir` `copies` times over, each copy under session ids and source addresses
// of its own, sorted: enough sessions (over 2000) for AnalysisRunner to split a chunk between
// two workers, and many distinct addresses.
std::unique_ptr<Corpus> replicated(const std::string& dir, int copies) {
    auto c = load(dir);
    const std::vector<cb::Session> one = std::move(c->sessions);
    c->sessions.clear();
    for (int r = 0; r < copies; ++r)
        for (cb::Session s : one) {
            const std::string n = std::to_string(r);
            s.session = c->pool.intern(std::string(s.session) + "-" + n);
            s.src_ip = c->pool.intern("10.13." + std::to_string(r / 250) + "." + std::to_string(r % 250 + 1));
            c->sessions.push_back(std::move(s));
        }
    std::sort(c->sessions.begin(), c->sessions.end(), cb::session_less);
    return c;
}
const char* const kReplicated = "examples/logs x160";

// Sessions [lo, hi) of `all`, every string copied into storage of the chunk's own, which is
// overwritten with '#' when the chunk goes.
class Chunk {
public:
    Chunk(const std::vector<cb::Session>& all, std::size_t lo, std::size_t hi) {
        for (std::size_t i = lo; i < hi; ++i) {
            cb::Session s = all[i];
            for (std::string_view* v : {&s.sensor, &s.session, &s.protocol, &s.src_ip, &s.dst_ip, &s.client_version,
                                        &s.hassh, &s.arch, &s.last_command, &s.last_step})
                *v = copy(*v);
            for (cb::Item& it : s.items) {
                it.a = copy(it.a);
                it.b = copy(it.b);
                it.c = copy(it.c);
            }
            sessions_.push_back(std::move(s));
        }
    }
    ~Chunk() {
        for (std::string& s : store_) std::fill(s.begin(), s.end(), '#');
    }
    const std::vector<cb::Session>& sessions() const { return sessions_; }

private:
    std::string_view copy(std::string_view v) {
        if (v.empty()) return v;
        return store_.emplace_back(v);  // a deque: strings never move
    }
    std::deque<std::string> store_;
    std::vector<cb::Session> sessions_;
};

// A chunking: the end of each chunk, the last one at the number of sessions.
using Cuts = std::vector<std::size_t>;

std::string describe(const Cuts& cuts) {
    std::ostringstream o;
    o << cuts.size() << " chunks, ends";
    for (std::size_t i = 0; i < cuts.size() && i < 12; ++i) o << ' ' << cuts[i];
    if (cuts.size() > 12) o << " ...";
    return o.str();
}

// One chunk; one session a chunk; three random cuttings (a fixed seed, empty chunks allowed);
// a small first chunk and a big rest.
std::vector<Cuts> chunkings(std::size_t n) {
    std::vector<Cuts> out;
    out.push_back({n});
    Cuts singles;
    for (std::size_t i = 1; i <= n; ++i) singles.push_back(i);
    out.push_back(singles);
    std::mt19937 rng(1313);
    for (int trial = 0; trial < 3; ++trial) {
        Cuts c;
        for (int k = 0; k < 4 + trial * 3; ++k) c.push_back(rng() % (n + 1));
        c.push_back(n);
        std::sort(c.begin(), c.end());
        out.push_back(c);
    }
    out.push_back({std::min<std::size_t>(2, n), n});
    return out;
}

// Calls take(chunk) for each chunk of `cuts` in order; a chunk is scribbled over after its call.
void feed(const std::vector<cb::Session>& all, const Cuts& cuts,
          const std::function<void(const std::vector<cb::Session>&)>& take, std::size_t from_chunk = 0) {
    std::size_t lo = 0;
    for (std::size_t k = 0; k < cuts.size(); ++k) {
        if (k >= from_chunk) {
            Chunk chunk(all, lo, cuts[k]);
            take(chunk.sessions());
        }
        lo = cuts[k];
    }
}

// The chunking that leaves out the first half of the sessions: what a consumer that kept
// only its last chunks would see. Every check below must tell it from the whole.
Cuts halves(std::size_t n) { return {n / 2, n}; }

std::string tables_text(const std::vector<cb::Table>& tables) {
    std::string o;
    for (const auto& t : tables) o += "## " + t.name + "\n" + cb::to_csv(t);
    return o;
}

class Chunking : public ::testing::TestWithParam<const char*> {
protected:
    static void SetUpTestSuite() {
        for (const char* dir : {"examples/logs", "tests/data/multi-sensor"})
            corpora_[dir] = load(std::string(CB_SOURCE_DIR) + "/" + dir);
        corpora_[kReplicated] = replicated(std::string(CB_SOURCE_DIR) + "/examples/logs", 160);
    }
    static void TearDownTestSuite() { corpora_.clear(); }
    const cb::RunData& run() const { return corpora_.at(GetParam())->run; }
    const std::vector<cb::Session>& sessions() const { return corpora_.at(GetParam())->sessions; }

    // Checks that chunked(cuts) == whole for every chunking, and that feeding only the second
    // half differs (the test can fail).
    void check(const std::string& whole, const std::function<std::string(const Cuts&, std::size_t)>& chunked) {
        const std::size_t n = sessions().size();
        ASSERT_GT(n, 10u);
        for (const Cuts& cuts : chunkings(n)) EXPECT_EQ(chunked(cuts, 0), whole) << describe(cuts);
        EXPECT_NE(chunked(halves(n), 1), whole) << "the second half alone gives the whole run's result";
    }

    static std::map<std::string, std::unique_ptr<Corpus>> corpora_;
};
std::map<std::string, std::unique_ptr<Corpus>> Chunking::corpora_;

}  // namespace

TEST_P(Chunking, BasicTablesAreTheSameForAnyChunking) {
    const std::string whole = tables_text(cb::basic_tables(sessions()));
    ASSERT_NE(whole.find("## sensors_hourly\n"), std::string::npos);
    check(whole, [&](const Cuts& cuts, std::size_t from) {
        cb::BasicTableBuilder b;
        feed(
            sessions(), cuts, [&](const auto& chunk) { b.add(chunk); }, from);
        return tables_text(b.finish());
    });
}

TEST_P(Chunking, AnalysesAreTheSameForAnyChunking) {
    const cb::AnalysisConfig cfg;
    const std::string whole = cbtest::dump(cb::run_analyses(sessions(), run().markers, cfg, 2));
    check(whole, [&](const Cuts& cuts, std::size_t from) {
        cb::AnalysisRunner r(run().markers, cfg, 2);
        feed(
            sessions(), cuts, [&](const auto& chunk) { r.add(chunk); }, from);
        return cbtest::dump(r.finish());
    });
}

// The analyses that finish alone (outliers) on threads of their own, beside the others, started
// by finish() or earlier by begin_finish() (a checkpoint's states packed meanwhile): the same
// findings, the tables in the same order (outliers' between the others').
TEST_P(Chunking, AnalysesFinishedBesideEachOtherAreTheSame) {
    const cb::AnalysisConfig cfg;
    const std::string whole = cbtest::dump(cb::run_analyses(sessions(), run().markers, cfg, 2));
    ASSERT_NE(whole.find("## outliers\n"), std::string::npos);
    ASSERT_NE(whole.find("## weird_strings\n", whole.find("## outliers\n")), std::string::npos);
    for (const bool early : {false, true}) {
        cb::AnalysisRunner r(run().markers, cfg, 2);
        r.finish_beside(true);
        r.add(sessions());
        if (early) r.begin_finish();
        EXPECT_EQ(cbtest::dump(r.finish()), whole) << (early ? "begun early" : "begun by finish()");
    }
}

TEST_P(Chunking, RecordingFindingsAreTheSameForAnyChunking) {
    auto text = [](const cb::Findings& f) {
        return tables_text(f.tables) + "sessions_with_recordings=" + std::to_string(*f.sessions_with_recordings);
    };
    cb::Findings all;
    cb::recording_findings(sessions(), all, 2);
    const std::string whole = text(all);
    ASSERT_GT(*all.sessions_with_recordings, 0u);  // both corpora have a tty/ folder of recordings
    check(whole, [&](const Cuts& cuts, std::size_t from) {
        cb::RecordingFindingsBuilder b(2);
        feed(
            sessions(), cuts, [&](const auto& chunk) { b.add(chunk); }, from);
        cb::Findings f;
        b.finish(f);
        return text(f);
    });
}

namespace {

std::string totals_text(const cb::SessionTotals& t) {
    std::ostringstream o;
    o << t.sessions << ' ' << t.closed << ' ' << t.sensors << ' ' << t.src_ips << ' ' << t.login_attempts << ' '
      << t.login_successes << ' ' << t.commands << ' ' << t.failed_commands << ' ' << t.downloads << ' '
      << t.downloads_failed << ' ' << t.uploads << ' ' << t.file_writes << ' ' << t.persistence_writes << ' '
      << t.tcpip_requests << ' ' << t.ttylogs << ' ' << t.first << ' ' << t.last << '\n';
    for (const auto& row : t.end_by_channel)
        for (std::uint64_t n : row) o << n << ' ';
    for (const auto& [p, n] : t.protocols) o << '\n' << p << '=' << n;
    return o.str();
}

}  // namespace

TEST_P(Chunking, SessionTotalsAreTheSameForAnyChunking) {
    const cb::SessionTotals all = cb::session_totals(sessions());
    ASSERT_GT(all.src_ips, 0u);
    check(totals_text(all), [&](const Cuts& cuts, std::size_t from) {
        cb::SessionTotals t;
        feed(
            sessions(), cuts, [&](const auto& chunk) { t.add(chunk); }, from);
        t.finish();
        return totals_text(t);
    });
}

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// Every table, view and index of a database (sqlite_master) and every row of every table in
// its stored order (rowid or primary key), with each value's type: what differs when the
// file's bytes do.
std::string sqlite_text(const std::string& path) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK) << path;
    auto rows = [&](const std::string& sql) {
        std::string o;
        sqlite3_stmt* st = nullptr;
        EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sql;
        while (st && sqlite3_step(st) == SQLITE_ROW) {
            for (int i = 0; i < sqlite3_column_count(st); ++i) {
                const unsigned char* v = sqlite3_column_text(st, i);
                o += std::to_string(sqlite3_column_type(st, i)) + ":" + (v ? reinterpret_cast<const char*>(v) : "") +
                     "|";
            }
            o += "\n";
        }
        sqlite3_finalize(st);
        return o;
    };
    std::string o = rows("SELECT type, name, sql FROM sqlite_master ORDER BY name");
    std::vector<std::string> tables;
    std::istringstream names(rows("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"));
    for (std::string line; std::getline(names, line);) tables.push_back(line.substr(2, line.size() - 3));
    for (const auto& t : tables) o += "## " + t + "\n" + rows("SELECT * FROM \"" + t + "\"");
    sqlite3_close(db);
    return o;
}

class TempDir {
public:
    TempDir() : path_(fs::temp_directory_path() / ("cb-chunking-test-" + std::to_string(::getpid()))) {
        fs::create_directories(path_);
    }
    ~TempDir() { fs::remove_all(path_); }
    std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    fs::path path_;
};

}  // namespace

TEST_P(Chunking, SqliteRowsAndBytesAreTheSameForAnyChunking) {
    TempDir dir;
    const std::vector<cb::Table> tables = cb::basic_tables(sessions());
    auto write = [&](const std::function<std::string(cb::SqliteStore&)>& sessions_part) {
        const std::string path = dir.file("cowrie.sqlite");
        cb::SqliteStore store(path);
        EXPECT_EQ(sessions_part(store), "");
        EXPECT_EQ(store.write_tables(tables), "");
        EXPECT_EQ(store.commit(), "");
        return sqlite_text(path) + "# file bytes: " + std::to_string(std::hash<std::string>{}(read_file(path)));
    };
    const std::string whole = write([&](cb::SqliteStore& s) { return s.write_sessions(sessions()); });
    ASSERT_NE(whole.find("## commands_rows\n"), std::string::npos);
    check(whole, [&](const Cuts& cuts, std::size_t from) {
        return write([&](cb::SqliteStore& s) {
            std::string err = s.begin_sessions();
            feed(
                sessions(), cuts, [&](const auto& chunk) { err += s.append_sessions(chunk); }, from);
            return err + s.end_sessions();
        });
    });
}

TEST_P(Chunking, SessionsJsonlBytesAreTheSameForAnyChunking) {
    TempDir dir;
    const std::string path = dir.file("sessions.jsonl");
    ASSERT_EQ(cb::write_sessions_jsonl(path, sessions(), 2), "");
    const std::string whole = read_file(path);
    ASSERT_EQ(static_cast<std::size_t>(std::count(whole.begin(), whole.end(), '\n')), sessions().size());
    check(whole, [&](const Cuts& cuts, std::size_t from) {
        cb::SessionsJsonlWriter w;
        EXPECT_EQ(w.open(path), "");
        feed(
            sessions(), cuts, [&](const auto& chunk) { EXPECT_EQ(w.append(chunk, 2), ""); }, from);
        EXPECT_EQ(w.close(), "");
        return read_file(path);
    });
}

namespace {

std::int64_t day_of(const cb::Session& s) { return s.start == cb::kNoTime ? INT64_MIN : cb::day_number(s.start); }

// Every file under dir, by path, with its bytes.
std::string tree_text(const std::string& dir) {
    std::map<std::string, std::string> files;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file()) files[fs::relative(e.path(), dir).string()] = read_file(e.path().string());
    std::string out;
    for (const auto& [path, bytes] : files) out += "## " + path + "\n" + bytes;
    return out;
}

// sessions/ by day from `sessions` (those `fresh` flags are new since `previous`, which `trusted`
// lists; chunks follow each other as `cuts` says); the days it kept.
std::size_t write_days(const std::string& dir, const std::vector<cb::Session>& sessions, const Cuts& cuts,
                       const std::string& previous = {}, const cb::SessionsListing* trusted = nullptr,
                       const std::vector<std::uint8_t>* fresh = nullptr, cb::SessionsListing* listing = nullptr) {
    fs::remove_all(dir);
    cb::SessionsJsonlWriter w;
    EXPECT_EQ(w.open_days(dir, previous, trusted), "");
    std::size_t lo = 0;
    std::vector<std::uint8_t> unchanged;
    for (std::size_t hi : cuts) {
        Chunk chunk(sessions, lo, hi);
        unchanged.clear();
        for (std::size_t i = lo; i < hi; ++i) unchanged.push_back(fresh ? !(*fresh)[i] : 0);
        EXPECT_EQ(w.append(chunk.sessions(), 2, fresh ? unchanged.data() : nullptr, hi < sessions.size()), "");
        lo = hi;
    }
    EXPECT_EQ(w.close(), "");
    if (listing) *listing = w.listing();
    return w.days_kept();
}

}  // namespace

// An incremental run's sessions/ (issue 13): the days whose sessions all come from the
// checkpoint keep the last run's file without formatting them; a day that gained sessions
// among them, in any chunking, gets the others' records from that file. The new sessions are
// the first of each day, or every fifth, or the last of each day; with the first ones, one
// chunking ends a chunk right after each of them (the rest of its day then has as many
// sessions as the day had in the last run).
TEST_P(Chunking, SessionDaysKeptFromTheLastRunAreTheSameForAnyChunking) {
    TempDir dir;
    const std::vector<cb::Session>& all = sessions();
    const std::size_t n = all.size();
    auto first_of_day = [&](std::size_t i) { return i == 0 || day_of(all[i]) != day_of(all[i - 1]); };
    const std::vector<std::function<bool(std::size_t)>> news = {
        first_of_day, [](std::size_t i) { return i % 5 == 3; },
        [&](std::size_t i) { return i + 1 == n || first_of_day(i + 1); }};
    Cuts after_firsts;
    for (std::size_t i = 1; i < n; ++i)
        if (first_of_day(i - 1)) after_firsts.push_back(i);
    after_firsts.push_back(n);
    write_days(dir.file("whole"), all, {n});
    const std::string whole = tree_text(dir.file("whole"));
    for (std::size_t k = 0; k < news.size(); ++k) {
        std::vector<std::uint8_t> fresh(n);
        std::vector<cb::Session> before;  // the last run's sessions: the same records, less the new ones
        for (std::size_t i = 0; i < n; ++i)
            if (!(fresh[i] = news[k](i))) before.push_back(all[i]);
        cb::SessionsListing trusted;
        write_days(dir.file("previous"), before, {before.size()}, {}, nullptr, nullptr, &trusted);
        ASSERT_NE(trusted.hash, 0u);
        ASSERT_FALSE(trusted.files.empty());
        std::vector<Cuts> cutss = chunkings(n);
        cutss.push_back(after_firsts);
        for (const Cuts& cuts : cutss) {
            write_days(dir.file("chunked"), all, cuts, dir.file("previous"), &trusted, &fresh);
            EXPECT_EQ(tree_text(dir.file("chunked")), whole) << "new sessions " << k << ", " << describe(cuts);
        }
        if (k != 1) continue;
        // A listing the checkpoint does not name: nothing is kept, every record is formatted.
        cb::SessionsListing other = trusted;
        other.hash ^= 2;
        for (const Cuts& cuts : cutss) {
            write_days(dir.file("chunked"), all, cuts, dir.file("previous"), &other, &fresh);
            EXPECT_EQ(tree_text(dir.file("chunked")), whole) << "untrusted, " << describe(cuts);
        }
        // Nothing new: every day is kept, in any chunking.
        std::size_t days_before = 0;
        for (std::size_t i = 0; i < before.size(); ++i)
            days_before += i == 0 || day_of(before[i]) != day_of(before[i - 1]);
        const std::vector<std::uint8_t> none(before.size(), 0);
        write_days(dir.file("whole-before"), before, {before.size()});
        for (const Cuts& cuts : chunkings(before.size())) {
            const std::size_t kept = write_days(dir.file("again"), before, cuts, dir.file("previous"), &trusted, &none);
            EXPECT_EQ(tree_text(dir.file("again")), tree_text(dir.file("whole-before"))) << describe(cuts);
            EXPECT_EQ(kept, days_before) << describe(cuts);
        }
    }
}

// A day file that the trusted listing names with the stat it still has is kept without being
// read (a daily run reads no day it does not write): an edit that keeps the size, the inode and
// the mtime goes unseen, which shows the file was not read. The same edit with its mtime
// changed is seen, and the day is written again.
TEST_P(Chunking, SessionDaysWithTheirListedStatAreKeptUnread) {
    TempDir dir;
    const std::vector<cb::Session>& all = sessions();
    cb::SessionsListing listing;
    write_days(dir.file("previous"), all, {all.size()}, {}, nullptr, nullptr, &listing);
    ASSERT_FALSE(listing.files.empty());
    const std::string name = listing.files.begin()->first;
    const std::string day = dir.file("previous") + "/" + name + "/sessions.jsonl";
    const std::string good = read_file(day);
    ASSERT_GT(good.size(), 2u);
    const std::vector<std::uint8_t> none(all.size(), 0);
    for (bool keep_mtime : {true, false}) {
        const auto mtime = fs::last_write_time(day);
        {
            std::fstream f(day, std::ios::in | std::ios::out | std::ios::binary);  // in place: same inode
            f.seekp(1);
            f.put(good[1] == 'x' ? 'y' : 'x');
        }
        // an edit made later has a later mtime (set here: one made at once may share the tick)
        fs::last_write_time(day, keep_mtime ? mtime : mtime + std::chrono::seconds(1));
        write_days(dir.file("again"), all, {all.size()}, dir.file("previous"), &listing, &none);
        const std::string again = read_file(dir.file("again") + "/" + name + "/sessions.jsonl");
        if (keep_mtime)
            EXPECT_NE(again, good) << "the listed stat was not trusted";
        else
            EXPECT_EQ(again, good) << "an edited day was kept";
        std::ofstream(day, std::ios::binary | std::ios::trunc) << good;
        write_days(dir.file("previous"), all, {all.size()}, {}, nullptr, nullptr, &listing);
    }
}

// A daily run that builds only the sessions from the first day that changed (a tail): the
// days before it are kept from the last run as they are, and the tail is written after them
// as usual, in any chunking; the result is the whole run's. Each tail day also gains a new
// session among kept ones (every fifth). A day before the tail that was edited since cannot
// be kept, and says so before anything is written.
TEST_P(Chunking, SessionDaysBeforeATailAreKeptWithoutTheirSessions) {
    TempDir dir;
    const std::vector<cb::Session>& all = sessions();
    const std::size_t n = all.size();
    write_days(dir.file("whole"), all, {n});
    const std::string whole = tree_text(dir.file("whole"));
    std::size_t first = n / 2;  // the tail: from the first session of the day of the middle one
    while (first > 0 && day_of(all[first - 1]) == day_of(all[first])) --first;
    ASSERT_GT(first, 0u) << "the sessions need days before the middle one's";
    const std::int64_t tail_day = day_of(all[first]);
    std::vector<cb::Session> before;
    std::vector<std::uint8_t> unchanged;  // the tail's
    for (std::size_t i = 0; i < n; ++i) {
        const bool fresh = i >= first && i % 5 == 3;
        if (!fresh) before.push_back(all[i]);
        if (i >= first) unchanged.push_back(!fresh);
    }
    cb::SessionsListing trusted;
    write_days(dir.file("previous"), before, {before.size()}, {}, nullptr, nullptr, &trusted);
    const std::vector<cb::Session> tail(all.begin() + static_cast<std::ptrdiff_t>(first), all.end());
    bool blocked = false;  // once, a file where the first kept day's link goes: it is copied instead
    for (const Cuts& cuts : chunkings(tail.size())) {
        fs::remove_all(dir.file("tail"));
        if (!std::exchange(blocked, true)) {
            fs::create_directories(dir.file("tail") + "/" + trusted.files.begin()->first);
            std::ofstream(dir.file("tail") + "/" + trusted.files.begin()->first + "/sessions.jsonl") << "in the way\n";
        }
        cb::SessionsJsonlWriter w;
        ASSERT_EQ(w.open_days(dir.file("tail"), dir.file("previous"), &trusted), "");
        ASSERT_EQ(w.sessions_before(tail_day), std::optional<std::uint64_t>(first));
        ASSERT_EQ(w.keep_days_before(tail_day), "");
        std::size_t lo = 0;
        for (std::size_t hi : cuts) {
            Chunk chunk(tail, lo, hi);
            EXPECT_EQ(w.append(chunk.sessions(), 2, unchanged.data() + lo, hi < tail.size()), "");
            lo = hi;
        }
        EXPECT_EQ(w.close(), "");
        EXPECT_EQ(tree_text(dir.file("tail")), whole) << describe(cuts);
    }
    // a day before the tail edited since (same size, another mtime): nothing can be kept
    const std::string day = dir.file("previous") + "/" + trusted.files.begin()->first + "/sessions.jsonl";
    std::string bytes = read_file(day);
    bytes[1] = bytes[1] == 'x' ? 'y' : 'x';
    std::ofstream(day, std::ios::binary | std::ios::trunc) << bytes;
    fs::last_write_time(day, fs::last_write_time(day) + std::chrono::seconds(1));
    fs::remove_all(dir.file("tail"));
    cb::SessionsJsonlWriter w;
    ASSERT_EQ(w.open_days(dir.file("tail"), dir.file("previous"), &trusted), "");
    EXPECT_EQ(w.sessions_before(tail_day), std::nullopt);
    EXPECT_NE(w.keep_days_before(tail_day), "");
}

// cowrie.sqlite of a tail run: the first sessions are the copied file's and are kept without
// their records; the tail's rows follow (a new session among kept ones moves every later
// sid). The rows are the whole run's; a file that holds fewer sessions is refused.
TEST_P(Chunking, SqliteRowsBeforeATailAreKeptWithoutTheirSessions) {
    TempDir dir;
    const std::vector<cb::Session>& all = sessions();
    const std::size_t n = all.size(), first = n / 2;
    const std::vector<cb::Table> tables = cb::basic_tables(all);
    {
        cb::SqliteStore whole(dir.file("whole.sqlite"));
        ASSERT_EQ(whole.write_sessions(all), "");
        ASSERT_EQ(whole.write_tables(tables), "");
        ASSERT_EQ(whole.commit(), "");
    }
    std::vector<cb::Session> before;
    for (std::size_t i = 0; i < n; ++i)
        if (i < first || i % 4 != 1) before.push_back(all[i]);
    cb::SqliteRowHashes hashes;
    {
        cb::SqliteStore last(dir.file("last.sqlite"), UINT64_MAX, {{}, nullptr, true});
        ASSERT_EQ(last.write_sessions(before), "");
        ASSERT_EQ(last.write_tables(cb::basic_tables(before)), "");
        ASSERT_EQ(last.commit(), "");
        hashes = last.row_hashes();
    }
    ASSERT_EQ(hashes.rows.size(), before.size());
    const std::vector<cb::Session> tail(all.begin() + static_cast<std::ptrdiff_t>(first), all.end());
    for (const Cuts& cuts : chunkings(tail.size())) {
        fs::remove(dir.file("tail.sqlite"));
        cb::SqliteStore store(dir.file("tail.sqlite"), UINT64_MAX, {dir.file("last.sqlite"), &hashes, true});
        ASSERT_TRUE(store.reused());
        ASSERT_EQ(store.begin_sessions(), "");
        ASSERT_EQ(store.keep_first(first), "");
        std::size_t lo = 0;
        for (std::size_t hi : cuts) {
            Chunk chunk(tail, lo, hi);
            EXPECT_EQ(store.append_sessions(chunk.sessions()), "");
            lo = hi;
        }
        ASSERT_EQ(store.end_sessions(), "");
        ASSERT_EQ(store.write_tables(tables), "");
        ASSERT_EQ(store.commit(), "");
        EXPECT_EQ(sqlite_text(dir.file("tail.sqlite")), sqlite_text(dir.file("whole.sqlite"))) << describe(cuts);
        EXPECT_GE(store.unchanged_sessions(), first);
        EXPECT_EQ(store.row_hashes().rows.size(), n);
    }
    cb::SqliteStore store(dir.file("tail.sqlite"), UINT64_MAX, {dir.file("last.sqlite"), &hashes, true});
    ASSERT_EQ(store.begin_sessions(), "");
    EXPECT_NE(store.keep_first(before.size() + 1), "");
}

namespace {

// An incremental run's checkpoint (engine/state.hpp): a consumer given some of the sessions,
// saved, and loaded into a new one that is given the others, must give what one consumer given
// all of them gives. `settled` picks the sessions of the first part (scattered through the run,
// as closed sessions are); the first part's strings are scribbled over once it is saved.
// `second_only` feeds the second part alone (the test can fail).
std::string saved_then_loaded(const std::vector<cb::Session>& all, const std::function<bool(std::size_t)>& settled,
                              const std::function<void(const cb::SessionRefs&)>& add, const std::function<void()>& save,
                              const std::function<void()>& load, bool second_only = false) {
    cb::SessionRefs first, second;
    {
        Chunk copy(all, 0, all.size());
        for (std::size_t i = 0; i < all.size(); ++i) (settled(i) ? first : second).push_back(&copy.sessions()[i]);
        if (!second_only) add(first);
        save();
        load();
        add(second);
    }
    return {};
}

bool every_third(std::size_t i) { return i % 3 != 1; }

}  // namespace

TEST_P(Chunking, BasicTablesSavedAndLoadedAreTheSame) {
    const std::string whole = tables_text(cb::basic_tables(sessions()));
    for (bool second_only : {false, true}) {
        cb::BasicTableBuilder a, b;
        std::string bytes;
        saved_then_loaded(
            sessions(), every_third, [&](const cb::SessionRefs& r) { (bytes.empty() ? a : b).add(r); },
            [&] { a.save(bytes); }, [&] { ASSERT_TRUE(b.load(bytes)); }, second_only);
        if (second_only)
            EXPECT_NE(tables_text(b.finish()), whole);
        else
            EXPECT_EQ(tables_text(b.finish()), whole);
    }
    cb::BasicTableBuilder damaged;
    EXPECT_FALSE(damaged.load("\x05garbage"));
}

TEST_P(Chunking, AnalysesSavedAndLoadedAreTheSame) {
    const cb::AnalysisConfig cfg;
    const std::string whole = cbtest::dump(cb::run_analyses(sessions(), run().markers, cfg, 2));
    for (bool second_only : {false, true}) {
        cb::AnalysisRunner a(run().markers, cfg, 2), b(run().markers, cfg, 2);
        std::vector<std::string> states;
        bool saved = false;
        saved_then_loaded(
            sessions(), every_third, [&](const cb::SessionRefs& r) { (saved ? b : a).add(r); },
            [&] {
                states = a.save().states;
                saved = true;
            },
            [&] { ASSERT_TRUE(b.load(states)); }, second_only);
        if (second_only)
            EXPECT_NE(cbtest::dump(b.finish()), whole);
        else
            EXPECT_EQ(cbtest::dump(b.finish()), whole);
    }
    cb::AnalysisRunner r(run().markers, cfg, 2);
    EXPECT_FALSE(r.load({"x"}));
}

// An incremental run keeps the outliers' state in pieces (Analysis::saved_in_pieces()): each run
// saves only what it added, after the packed pieces it loaded, until kMaxPieces.
TEST_P(Chunking, AnalysesSavedInPiecesAreTheSame) {
    const cb::AnalysisConfig cfg;
    const std::string whole = cbtest::dump(cb::run_analyses(sessions(), run().markers, cfg, 2));
    std::size_t outliers = 0;
    const auto names = cb::make_analyses();
    while (outliers < names.size() && names[outliers]->name() != "outliers") ++outliers;
    ASSERT_LT(outliers, names.size());
    // Three runs, each over a third of the sessions, from the packed states of the last.
    std::vector<std::string> packed;
    const std::size_t n = sessions().size();
    for (std::size_t part = 0; part < 3; ++part) {
        cb::AnalysisRunner r(run().markers, cfg, 2);
        if (part > 0) ASSERT_TRUE(r.load(packed, cb::unpack_checkpoint_state));
        cb::SessionRefs refs;
        for (std::size_t i = part * n / 3; i < (part + 1) * n / 3; ++i) refs.push_back(&sessions()[i]);
        r.add(refs);
        cb::AnalysisRunner::Saved saved = r.save();
        for (std::size_t k = 0; k < saved.kept.size(); ++k)  // the last run's pieces, as they were
            EXPECT_EQ(saved.kept[k], part > 0 && k == outliers ? packed[k] : std::string()) << names[k]->name();
        ASSERT_TRUE(cb::pack_checkpoint_states(saved.states, saved.kept, 2));
        packed = std::move(saved.states);
        EXPECT_EQ(cb::zstd_frames(packed[outliers]).size(), part + 1);
        EXPECT_EQ(cb::zstd_frames(packed[0]).size(), 1u);
        if (part == 2) EXPECT_EQ(cbtest::dump(r.finish()), whole);  // saving kept every state whole
    }
    // Runs that add nothing: the pieces grow to kMaxPieces, then the state is saved whole.
    std::vector<std::size_t> counts;
    for (std::size_t run_no = 0; run_no < cb::AnalysisRunner::kMaxPieces + 1; ++run_no) {
        cb::AnalysisRunner r(run().markers, cfg, 2);
        ASSERT_TRUE(r.load(packed, cb::unpack_checkpoint_state));
        cb::AnalysisRunner::Saved saved = r.save();
        ASSERT_TRUE(cb::pack_checkpoint_states(saved.states, saved.kept, 2));
        packed = std::move(saved.states);
        counts.push_back(cb::zstd_frames(packed[outliers]).size());
    }
    const auto most = std::find(counts.begin(), counts.end(), cb::AnalysisRunner::kMaxPieces);
    ASSERT_NE(most, counts.end());
    EXPECT_EQ(*std::max_element(counts.begin(), counts.end()), cb::AnalysisRunner::kMaxPieces);
    ASSERT_NE(most + 1, counts.end());
    EXPECT_EQ(most[1], 1u);  // from kMaxPieces, saved whole
    cb::AnalysisRunner last(run().markers, cfg, 2);
    ASSERT_TRUE(last.load(packed, cb::unpack_checkpoint_state));
    EXPECT_EQ(cbtest::dump(last.finish()), whole);
    std::vector<std::string> damaged = packed;
    damaged[outliers] += damaged[outliers].substr(0, 10);  // a piece cut short
    cb::AnalysisRunner r(run().markers, cfg, 2);
    EXPECT_FALSE(r.load(damaged, cb::unpack_checkpoint_state));
    std::vector<std::string> twice = packed;  // a whole state twice would count its sessions twice
    twice[0] += twice[0];
    EXPECT_FALSE(r.load(twice, cb::unpack_checkpoint_state));
    std::vector<std::string> too_many = packed;  // more pieces than save() leaves
    while (cb::zstd_frames(too_many[outliers]).size() <= cb::AnalysisRunner::kMaxPieces)
        too_many[outliers] += cb::zstd_frames(packed[outliers]).back();
    EXPECT_FALSE(r.load(too_many, cb::unpack_checkpoint_state));
    EXPECT_TRUE(r.load(packed, cb::unpack_checkpoint_state));
}

// A daily run loads the states on a thread of its own while it builds its tail (StatesLoad):
// the runner takes the ones left, and gets what a load on its own threads gets.
TEST_P(Chunking, StatesLoadedAheadAreTheSame) {
    const cb::AnalysisConfig cfg;
    const std::string whole = cbtest::dump(cb::run_analyses(sessions(), run().markers, cfg, 2));
    const std::size_t n = sessions().size();
    auto refs = [&](std::size_t from, std::size_t to) {
        cb::SessionRefs r;
        for (std::size_t i = from; i < to; ++i) r.push_back(&sessions()[i]);
        return r;
    };
    cb::AnalysisRunner first(run().markers, cfg, 2);
    first.add(refs(0, n / 2));
    cb::AnalysisRunner::Saved saved = first.save();
    ASSERT_TRUE(cb::pack_checkpoint_states(saved.states, saved.kept, 2));
    const std::vector<std::string> packed = std::move(saved.states);
    for (int ahead : {0, 1, 2}) {  // none loaded before, some, all
        std::optional<cb::StatesLoad> load;
        if (ahead == 1)  // the states moved in, as a run that loads them ahead does
            load.emplace(std::vector<std::string>(packed), cb::unpack_checkpoint_state);
        else
            load.emplace(packed, cb::unpack_checkpoint_state);
        std::thread early;
        if (ahead == 1) early = std::thread([&] { load->work(); });  // the runner joins it
        if (ahead == 2) load->work();
        cb::AnalysisRunner r(run().markers, cfg, 2);
        ASSERT_TRUE(r.load(*load)) << ahead;
        if (early.joinable()) early.join();
        r.add(refs(n / 2, n));
        cb::AnalysisRunner::Saved again = r.save();  // the loaded pieces kept, as a plain load keeps them
        cb::AnalysisRunner plain(run().markers, cfg, 2);
        ASSERT_TRUE(plain.load(packed, cb::unpack_checkpoint_state));
        plain.add(refs(n / 2, n));
        EXPECT_EQ(again.kept, plain.save().kept) << ahead;
        EXPECT_EQ(cbtest::dump(r.finish()), whole) << ahead;
    }
    cb::StatesLoad cancelled(packed, cb::unpack_checkpoint_state);
    cancelled.cancel();
    cb::AnalysisRunner r(run().markers, cfg, 2);
    EXPECT_FALSE(r.load(cancelled));
    std::vector<std::string> damaged = packed;
    damaged.back() = "x";
    cb::StatesLoad bad(damaged, cb::unpack_checkpoint_state);
    bad.work();
    EXPECT_FALSE(r.load(bad));
    cb::StatesLoad fewer({packed.begin(), packed.end() - 1}, cb::unpack_checkpoint_state);
    EXPECT_FALSE(r.load(fewer));
    EXPECT_TRUE(r.load(packed, cb::unpack_checkpoint_state));
}

TEST_P(Chunking, RecordingFindingsAndTotalsSavedAndLoadedAreTheSame) {
    cb::Findings all;
    cb::recording_findings(sessions(), all, 2);
    const std::string whole = tables_text(all.tables) + totals_text(cb::session_totals(sessions()));
    ASSERT_GT(*all.sessions_with_recordings, 0u);
    for (bool second_only : {false, true}) {
        cb::RecordingFindingsBuilder a(2), b(2);
        cb::SessionTotals ta, tb;
        std::string bytes, totals;
        bool saved = false;
        saved_then_loaded(
            sessions(), every_third,
            [&](const cb::SessionRefs& r) {
                (saved ? b : a).add(r);
                (saved ? tb : ta).add(r);
            },
            [&] {
                a.save(bytes);
                cb::OutArchive ar(totals);
                ta.io(ar);
                saved = true;
            },
            [&] {
                ASSERT_TRUE(b.load(bytes));
                cb::InArchive ar(totals);
                tb.io(ar);
                ASSERT_TRUE(ar.ok());
            },
            second_only);
        cb::Findings f;
        b.finish(f);
        tb.finish();
        if (second_only)
            EXPECT_NE(tables_text(f.tables) + totals_text(tb), whole);
        else
            EXPECT_EQ(tables_text(f.tables) + totals_text(tb), whole);
    }
}

INSTANTIATE_TEST_SUITE_P(ShippedLogs, Chunking,
                         ::testing::Values("examples/logs", "tests/data/multi-sensor", kReplicated),
                         [](const auto& info) {
                             const std::string p = info.param;
                             return p == "examples/logs" ? "Examples"
                                    : p == kReplicated   ? "ExamplesX160"
                                                         : "MultiSensor";
                         });

TEST(SessionsJsonlWriter, AnUnwritableFileIsNamedInTheError) {
    cb::SessionsJsonlWriter w;
    const std::string path = "/nonexistent-dir-cb/sessions.jsonl";
    EXPECT_NE(w.open(path).find(path), std::string::npos);
    EXPECT_NE(w.append({}, 1).find(path), std::string::npos);
    EXPECT_NE(w.close().find(path), std::string::npos);
}
