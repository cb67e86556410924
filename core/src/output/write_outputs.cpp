// The last step of a run, shared by both engines: the writers of OUTDIR. The engines call it
// through the WriteOutputs they are given (engine/analyze.hpp), so they do not depend on this
// layer. It overlaps writing with computing: the session writers (SQLite, sessions.jsonl) start
// while make_tables (the engine's analyses) still runs on this thread.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <functional>
#include <future>
#include <thread>

#include "cb/engine/run_clock.hpp"
#include "cb/engine/session_source.hpp"
#include "cb/output/outputs.hpp"
#include "cb/output/report_html.hpp"
#include "cb/util/parallel.hpp"
#include "cb/util/text.hpp"

namespace cb {

namespace {

// The two session writers (SQLite rows, sessions.jsonl), each on its own thread, a chunk at a
// time: SQLite's relational part is the longest single task of a run, so both start while the
// engine's tables and analyses work on the same chunk.
class SessionWriters {
public:
    SessionWriters(SqliteStore& sqlite, SessionsJsonlWriter& jsonl) : sqlite_(sqlite), jsonl_(jsonl) {}
    ~SessionWriters() { wait(); }
    // `last`: the chunk is the last one, and SQLite builds its indexes on its thread right after.
    // `unchanged`: which sessions of the chunk are the checkpoint's (RunTables::unchanged()), or
    // null: sessions.jsonl keeps the days of such sessions without formatting them; SQLite does
    // not hash their rows again where the copied file holds them at the same sid.
    void start(const std::vector<Session>& chunk, bool last, const std::uint8_t* unchanged) {
        wait();
        sqlite_thread_ = std::thread([this, &chunk, last, unchanged] {
            std::string err = sqlite_.append_sessions(chunk, unchanged);
            if (last && err.empty()) err = sqlite_.end_sessions();
            keep(sqlite_err, sqlite_cpu, std::move(err));
        });
        pthread_setname_np(sqlite_thread_.native_handle(), "cb-sqlite");  // for profilers and top -H
        jsonl_thread_ = std::thread(
            [this, &chunk, last, unchanged] { keep(jsonl_err, jsonl_cpu, jsonl_.append(chunk, 1, unchanged, !last)); });
        pthread_setname_np(jsonl_thread_.native_handle(), "cb-jsonl");
    }
    void wait_jsonl() {
        if (jsonl_thread_.joinable()) jsonl_thread_.join();
    }
    void wait_sqlite() {
        if (sqlite_thread_.joinable()) sqlite_thread_.join();
    }
    void wait() {
        wait_jsonl();
        wait_sqlite();
    }
    // SQLite's indexes on its thread, once every chunk has been appended (sources of many chunks).
    void end_sqlite() {
        wait_sqlite();
        sqlite_thread_ = std::thread([this] { keep(sqlite_err, sqlite_cpu, sqlite_.end_sessions()); });
        pthread_setname_np(sqlite_thread_.native_handle(), "cb-sqlite");
    }
    // Runs `step` on SQLite's thread once what it was given is done, without waiting for it here.
    void then_sqlite(std::function<std::string()> step) {
        sqlite_thread_ = std::thread([this, before = std::move(sqlite_thread_), step = std::move(step)]() mutable {
            if (before.joinable()) before.join();
            std::string err;
            try {
                err = step();
            } catch (const std::exception& e) {  // a problem of the run, not an end of the process
                err = std::string("SQLite: ") + e.what();
            }
            keep(sqlite_err, sqlite_cpu, std::move(err));
        });
        pthread_setname_np(sqlite_thread_.native_handle(), "cb-sqlite");
    }
    std::string sqlite_err, jsonl_err;  // the first problem of each
    double sqlite_cpu = 0, jsonl_cpu = 0;

private:
    static void keep(std::string& first, double& cpu, std::string err) {
        if (first.empty()) first = std::move(err);
        cpu += thread_cpu_seconds();  // the thread's whole life: one chunk
    }
    SqliteStore& sqlite_;
    SessionsJsonlWriter& jsonl_;
    std::thread sqlite_thread_, jsonl_thread_;
};

// A spilled run's ReportPicks, one per session in order, made as the sessions stream by and kept
// in a file without a name in `dir` (--tmp-dir or the new OUTDIR: O_TMPFILE, or a file unlinked
// at once where the file system has no O_TMPFILE; either goes with the process): the report's
// choice of sessions then reads them instead of every session again. add() each chunk, then
// offer_all() once.
class PickFile {
public:
    PickFile(const std::string& dir, const MarkerSet& markers, const HashKey& key)
        : path_(dir + "/.cowrie-batch-picks-" + std::to_string(::getpid())),
          cache_(std::make_unique<TemplateCache>()),
          picks_(markers, *cache_, key) {
        const int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        f_ = fd >= 0 ? ::fdopen(fd, "w+b") : nullptr;
        if (fd >= 0 && !f_) ::close(fd);
        if (!f_) {
            f_ = std::fopen(path_.c_str(), "w+b");
            if (f_) ::unlink(path_.c_str());
        }
        err_ = f_ ? 0 : errno;
    }
    ~PickFile() {
        if (f_) std::fclose(f_);
    }
    PickFile(const PickFile&) = delete;
    PickFile& operator=(const PickFile&) = delete;
    void add(const std::vector<Session>& chunk) {
        buf_.clear();
        for (const Session& s : chunk) buf_.push_back(picks_.of(s));
        if (!err_ && std::fwrite(buf_.data(), sizeof(ReportPick), buf_.size(), f_) != buf_.size())
            err_ = errno ? errno : EIO;
        written_ += buf_.size();
    }
    // Offers every pick, in order; the error when they could not all be written and read back.
    // The step templates seen while the picks were made are freed first.
    std::string offer_all(ReportSessionPicker& picker) {
        cache_.reset();
        if (!err_ && (std::fflush(f_) != 0 || std::fseek(f_, 0, SEEK_SET) != 0)) err_ = errno ? errno : EIO;
        std::size_t index = 0;
        buf_.resize(4096);
        while (!err_) {
            const std::size_t n = std::fread(buf_.data(), sizeof(ReportPick), buf_.size(), f_);
            for (std::size_t k = 0; k < n; ++k) picker.offer(buf_[k], index++);
            if (n < buf_.size()) break;
        }
        if (!err_ && (std::ferror(f_) || index != written_)) err_ = errno ? errno : EIO;
        return err_ ? write_error(path_, err_) : std::string();
    }

private:
    std::string path_;
    std::unique_ptr<TemplateCache> cache_;
    ReportPicks picks_;
    std::FILE* f_ = nullptr;
    int err_ = 0;
    std::size_t written_ = 0;
    std::vector<ReportPick> buf_;
};

// The ReportPicks of a chunk's sessions appended to run.picks as bytes (RunData::keep_picks),
// made on `threads` threads; their start days to run.start_days and the names they looked TTY
// recordings up by to run.recordings_looked_up.
void keep_picks(RunData& run, const std::vector<Session>& chunk, unsigned threads) {
    std::vector<ReportPick> picks(chunk.size());
    for_slices(chunk.size(), threads, [&](unsigned, std::size_t lo, std::size_t hi) {
        TemplateCache cache;
        ReportPicks maker(run.markers, cache, run.pick_key);
        for (std::size_t i = lo; i < hi; ++i) picks[i] = maker.of(chunk[i]);
    });
    run.picks.append(reinterpret_cast<const char*>(picks.data()), picks.size() * sizeof(ReportPick));
    for (const Session& s : chunk) {
        add_day(run.start_days, start_day(s.start));
        looked_up_recordings(s, [&](std::uint64_t name, Micros t, bool hides) {
            const Micros at = t == kNoTime ? INT64_MAX : t;
            auto [it, fresh] = run.recordings_looked_up.try_emplace(name, at, hides);
            if (!fresh) it->second = {std::max(it->second.first, at), it->second.second || hides};
        });
    }
}

// Reads every session once: the writers and the engine's tables (and run.totals), when given, get each
// chunk, and so do the report's picks. The writers of the last chunk (SessionSource::last_chunk()) go on
// while the caller does (they finish on wait()).
void stream_sessions(SessionSource& source, SessionWriters& writers, RunTables* tables, PickFile* picks = nullptr,
                     RunData* kept_picks = nullptr) {
    std::vector<Session>* chunk = source.next();
    while (chunk) {
        const bool last = source.last_chunk();
        writers.start(*chunk, last, tables ? tables->unchanged(*chunk) : nullptr);
        if (tables) tables->add(*chunk);
        if (picks) picks->add(*chunk);
        if (kept_picks) keep_picks(*kept_picks, *chunk, kept_picks->threads);
        if (last) return;
        writers.wait();  // the next chunk replaces this one
        chunk = source.next();
    }
    writers.end_sqlite();  // while the analyses finish and the report is made
}

// The session writers of one pass over the sessions: cowrie.sqlite (--state: from a copy of the
// last run's file) and sessions.jsonl or sessions/ (--state: keeping the last run's days).
struct SessionOutputs {
    SessionOutputs(const RunData& run, const std::string& out_dir, const OutputLayout& layout,
                   std::uint64_t memory_limit)
        : sqlite_owned(std::make_shared<SqliteStore>(
              out_dir + "/cowrie.sqlite", memory_limit ? memory_limit / 8 : UINT64_MAX, sqlite_reuse(run, layout))),
          sqlite(*sqlite_owned) {
        writers.sqlite_err = sqlite.begin_sessions();
        const std::string previous = layout.previous.empty() ? std::string() : layout.previous + "/sessions";
        writers.jsonl_err = layout.sessions == SessionsLayout::Day
                                ? jsonl.open_days(out_dir + "/sessions", previous, &run.partitions_before)
                                : jsonl.open(out_dir + "/sessions.jsonl");
    }
    // A tail run (RunData::sessions_before): the last run's rows and days before the tail are
    // kept as they are when both writers can, else the sessions before the tail are written
    // too (SessionSource::before_tail()), all unchanged, before the tail streams by.
    // False when they were written.
    bool keep_before_tail(const RunData& run, SessionSource& source) {
        if (!run.sessions_before || !writers.sqlite_err.empty() || !writers.jsonl_err.empty()) return true;
        if (jsonl.sessions_before(run.tail_day) == std::optional<std::uint64_t>(run.sessions_before) &&
            sqlite.holds_first(run.sessions_before)) {
            writers.jsonl_err = jsonl.keep_days_before(run.tail_day);
            writers.sqlite_err = sqlite.keep_first(run.sessions_before);
            return true;
        }
        std::vector<Session>* before = source.before_tail();
        if (!before) {
            writers.sqlite_err = "the sessions before the tail cannot be built again";
            return false;
        }
        const std::vector<std::uint8_t> unchanged(before->size(), 1);
        writers.start(*before, false, unchanged.data());
        writers.wait();
        return false;
    }
    // --state: the rows' hashes are kept, and the last file reused
    static SqliteReuse sqlite_reuse(const RunData& run, const OutputLayout& layout) {
        if (!run.sqlite_rows_before) return {};
        return {layout.previous.empty() ? std::string() : layout.previous + "/cowrie.sqlite", &*run.sqlite_rows_before,
                true, layout.sqlite_copy.get(), layout.sqlite_in_place};
    }
    std::shared_ptr<SqliteStore>
        sqlite_owned;  // one updated in place outlives the writers (AnalyzeResult::finish_outputs)
    SqliteStore& sqlite;
    SessionsJsonlWriter jsonl;
    SessionWriters writers{sqlite, jsonl};
};

// The sessions report.html can show, chosen from RunData::picks (RunData::keep_picks).
std::vector<std::size_t> picked_from_kept(const RunData& run, const ReportOptions& ropt) {
    ReportSessionPicker picker(run, ropt);
    const auto* p = reinterpret_cast<const ReportPick*>(run.picks.data());
    for (std::size_t i = 0; i < run.picks.size() / sizeof(ReportPick); ++i) picker.offer(p[i], i);
    return picker.picked();
}

// A spilled run has only a chunk of its sessions in memory at a time: run.sessions becomes the
// ones report.html can show (ReportSessionPicker), chosen from their picks, then read again.
std::string keep_report_sessions(RunData& run, SessionSource& source, const ReportOptions& ropt, PickFile* picks) {
    std::vector<std::size_t> picked;
    if (picks) {
        ReportSessionPicker picker(run, ropt);
        if (auto err = picks->offer_all(picker); !err.empty()) return err;
        picked = picker.picked();
    } else {
        picked = picked_from_kept(run, ropt);
    }
    StringPool& pool = run.step_pools.emplace_back();
    run.sessions.clear();
    source.rewind(&picked);  // only those are decoded
    while (auto* chunk = source.next())
        for (const Session& s : *chunk) run.sessions.push_back(copy_session(s, pool));
    return {};
}

// The key hashes of the sessions report.html can show (RunData::report_keys): those
// keep_report_sessions() kept, or when every session is in memory, the same choice among them.
void remember_report_sessions(RunData& run, bool whole, const ReportOptions& ropt) {
    run.report_keys.clear();
    auto add = [&](const Session& s) { run.report_keys.push_back(session_key_hash(s.sensor, s.session)); };
    if (!whole)
        for (const Session& s : run.sessions) add(s);
    else if (run.picks.size() == run.sessions.size() * sizeof(ReportPick))
        for (std::size_t i : picked_from_kept(run, ropt)) add(run.sessions[i]);
    std::sort(run.report_keys.begin(), run.report_keys.end());
}

// iocs/ when the analyses ran (Findings::iocs).
std::vector<std::string> write_iocs(const RunData& run, const std::string& out_dir) {
    if (!run.findings.iocs) return {};
    const std::string dir = out_dir + "/iocs";
    std::error_code ec;
    std::filesystem::create_directory(dir, ec);
    if (ec) return {"cannot create the output folder " + dir + ": " + ec.message()};
    const auto& rows = *run.findings.iocs;
    const AttackRules& rules = *run.attack_rules;
    return {write_file_atomic(dir + "/iocs.csv", iocs_csv(rows)),
            write_file_atomic(dir + "/stix2.json", iocs_stix2_json(rows, rules, run.totals.first)),
            write_file_atomic(dir + "/misp.json", iocs_misp_json(rows, rules, run.totals.first, run.totals.last))};
}

// The files made of the tables and findings but iocs/: tables/*.csv, summary.json, hints.json
// and attack_layer.json. Their errors, "" for none. They read the run's tables, findings,
// totals and inputs, which the report does not change: they are written while it is built.
std::vector<std::string> write_table_files(const RunData& run, const std::string& out_dir) {
    std::vector<std::string> errors = {write_tables_csv(out_dir + "/tables", run.tables),
                                       write_file_atomic(out_dir + "/summary.json", summary_json(run))};
    if (run.findings.hints)  // none with --no-analyses: no hints.json (an empty list would say "no hints")
        errors.push_back(write_file_atomic(out_dir + "/hints.json", hints_json(run.findings)));
    if (const std::string layer = attack_layer_json(run.table("attack"), *run.attack_rules); !layer.empty())
        errors.push_back(write_file_atomic(out_dir + "/attack_layer.json", layer));
    return errors;
}

}  // namespace

void write_outputs(RunData& run, const std::string& out_dir, const OutputLayout& layout, AnalyzeResult& res,
                   SessionSource& source, RunTables& tables) {
    PhaseClock clock(res);
    std::error_code ec;
    // out_dir exists (OutputDir made it) and is never made here: a run interrupted while its
    // temporary folder is being removed cannot bring it back.
    std::filesystem::create_directory(out_dir + "/tables", ec);
    if (ec) {
        res.errors.push_back("cannot create the output folder " + out_dir + "/tables: " + ec.message());
        return;
    }
    auto outs = std::make_unique<SessionOutputs>(run, out_dir, layout, res.memory_limit);
    if (!outs->keep_before_tail(run, source))
        res.info.push_back(
            "sessions: the last run's rows and days before the tail are not in OUTDIR as it left them: "
            "those sessions were built and written too");
    std::unique_ptr<PickFile> picks;
    if (!source.whole() && !run.keep_picks && report_html_available())
        picks =
            std::make_unique<PickFile>(layout.scratch.empty() ? out_dir : layout.scratch, run.markers, run.pick_key);
    stream_sessions(source, outs->writers, &tables, picks.get(), run.keep_picks ? &run : nullptr);
    tables.finish(run, source);   // run.totals too: once, for summary.json and report.html
    if (tables.trust_failed()) {  // the writers kept sessions that changed: they start again
        outs.reset();
        std::filesystem::remove_all(out_dir + "/sessions", ec);
        outs = std::make_unique<SessionOutputs>(run, out_dir, layout, res.memory_limit);
        outs->keep_before_tail(run, source);
        source.rewind();
        stream_sessions(source, outs->writers, nullptr);
    }
    SqliteStore& sqlite = outs->sqlite;
    SessionsJsonlWriter& jsonl = outs->jsonl;
    SessionWriters& writers = outs->writers;
    // The tables go into SQLite on its thread while the CSV files and the report are written
    // here: both only read run.tables from now on.
    // A file updated in place is committed right before OUTDIR's swap (AnalyzeResult::
    // finish_outputs): until then it is the last run's, as the rest of OUTDIR is.
    writers.then_sqlite([&sqlite, &run] {
        const std::string err = sqlite.write_tables(run.tables);
        const std::string committed = sqlite.in_place() ? sqlite.settle() : sqlite.commit();
        return err.empty() ? committed : err;
    });
    clock.lap("tables+analyses");
    // async futures: waited for when they go, also when the report throws, and what they throw
    // reaches the caller as before. iocs/ on a thread of its own: with a year of indicators its
    // STIX bundle is the longest of these files.
    std::future<std::vector<std::string>> iocs = std::async(std::launch::async, [&run, &out_dir] {
        pthread_setname_np(pthread_self(), "cb-iocs");  // for profilers and top -H
        return write_iocs(run, out_dir);
    });
    std::future<std::vector<std::string>> files = std::async(std::launch::async, [&run, &out_dir] {
        pthread_setname_np(pthread_self(), "cb-files");
        return write_table_files(run, out_dir);
    });
    if (report_html_available()) {  // the page's TTY player text, read in the order the page embeds sessions
        const ReportOptions ropt;
        // the writers are done with the chunks
        std::string err = source.whole() ? std::string() : keep_report_sessions(run, source, ropt, picks.get());
        if (err.empty()) {
            const ReportPlan plan(run, ropt);
            if (run.keep_picks) {
                remember_report_sessions(run, source.whole(), ropt);
                if (run.report_keys_made) run.report_keys_made();
            }
            run.tty_replays =
                read_tty_replays(run.sessions, plan.explorer_order(),
                                 {ropt.max_tty_recording_bytes, ropt.max_tty_bytes, run.limits.max_recording_bytes});
            err = write_report_html(out_dir + "/report.html", run, plan, ropt);
        }
        if (!err.empty()) res.errors.push_back(err);
    }
    clock.lap("report.html");
    for (auto* done : {&files, &iocs})
        for (std::string& err : done->get())
            if (!err.empty()) res.errors.push_back(std::move(err));
    writers.wait_jsonl();
    if (writers.jsonl_err.empty()) writers.jsonl_err = jsonl.close();
    run.partitions_written = jsonl.listing();
    if (layout.sessions == SessionsLayout::Day && jsonl.days_kept())
        res.info.push_back("sessions/: " + counted(jsonl.days(), "day", "days") + ", " +
                           with_commas(jsonl.days() - jsonl.days_kept()) + " written, " +
                           with_commas(jsonl.days_kept()) + " unchanged (kept as they were)");
    res.step_cpu_seconds.emplace_back("sessions.jsonl (own thread)", writers.jsonl_cpu);
    clock.lap("csv+summary+jsonl (beside the report)");
    writers.wait_sqlite();
    res.step_cpu_seconds.emplace_back("sqlite sessions and tables (own thread)", writers.sqlite_cpu);
    for (const auto& err : {writers.jsonl_err, writers.sqlite_err})
        if (!err.empty()) res.errors.push_back(err);
    if (sqlite.in_place())
        res.finish_outputs = [store = outs->sqlite_owned](bool publish) mutable {
            std::string err = publish && store ? store->commit() : std::string();
            store.reset();  // not committed: rolled back (taken once)
            return err;
        };
    if (sqlite.reused())
        res.info.push_back(
            std::string("cowrie.sqlite: ") +
            (sqlite.in_place()
                 ? "updated in place"
                 : "updated from a copy of the last run's (another hard link shares it, or `serve` serves it)") +
            "; the rows of the first " + with_commas(sqlite.unchanged_sessions()) + " of " +
            counted(run.totals.sessions, "session", "sessions") +
            " (in start order, up to the first that changed) kept, the others written again");
    if (run.sqlite_rows_before) run.sqlite_rows_written = std::move(sqlite.row_hashes());
    clock.lap("wait for sqlite");
}

WriteOutputs writer_into(const std::string& out_dir, OutputLayout layout) {
    return [out_dir, layout](RunData& run, AnalyzeResult& res, SessionSource& sessions, RunTables& tables) {
        write_outputs(run, out_dir, layout, res, sessions, tables);
    };
}

}  // namespace cb
