// The last step of a run, shared by both engines: the writers of OUTDIR. The engines call it
// through the WriteOutputs they are given (engine/analyze.hpp), so they do not depend on this
// layer. It overlaps writing with computing: the session writers (SQLite, sessions.jsonl) start
// while make_tables (the engine's analyses) still runs on this thread.
#include <filesystem>
#include <thread>

#include "cb/engine/run_clock.hpp"
#include "cb/output/outputs.hpp"
#include "cb/output/report_html.hpp"

namespace cb {

void write_outputs(RunData& run, const std::string& out_dir, AnalyzeResult& res, const MakeTables& make_tables) {
    PhaseClock clock(res);
    std::error_code ec;
    // out_dir exists (OutputDir made it) and is never made here: a run interrupted while its
    // temporary folder is being removed cannot bring it back.
    std::filesystem::create_directory(out_dir + "/tables", ec);
    if (ec) {
        res.errors.push_back("cannot create the output folder " + out_dir + "/tables: " + ec.message());
        return;
    }
    // The writers that need only the sessions start at once, beside the analyses:
    // SQLite's relational part is the longest single task of a run.
    SqliteStore sqlite(out_dir + "/cowrie.sqlite");
    std::string sqlite_err, jsonl_err;
    double sqlite_cpu = 0, jsonl_cpu = 0;
    std::thread sqlite_thread([&] {
        sqlite_err = sqlite.write_sessions(run.sessions);
        sqlite_cpu = thread_cpu_seconds();
    });
    pthread_setname_np(sqlite_thread.native_handle(), "cb-sqlite");  // for profilers and top -H
    std::thread jsonl_thread([&] {
        jsonl_err = write_sessions_jsonl(out_dir + "/sessions.jsonl", run.sessions, 1);
        jsonl_cpu = thread_cpu_seconds();
    });
    pthread_setname_np(jsonl_thread.native_handle(), "cb-jsonl");
    run.totals = session_totals(run.sessions);  // once, for summary.json and report.html
    make_tables(run);
    clock.lap("tables+analyses");
    for (const auto& err : {write_tables_csv(out_dir + "/tables", run.tables),
                            write_file_atomic(out_dir + "/summary.json", summary_json(run)),
                            write_file_atomic(out_dir + "/hints.json", hints_json(run.findings))})
        if (!err.empty()) res.errors.push_back(err);
    jsonl_thread.join();
    res.step_cpu_seconds.emplace_back("sessions.jsonl (own thread)", jsonl_cpu);
    clock.lap("csv+summary+jsonl");
    if (report_html_available()) {  // the page's TTY player text, read in the order the page embeds sessions
        const ReportOptions ropt;
        run.tty_replays =
            read_tty_replays(run.sessions, report_explorer_order(run, ropt),
                             {ropt.max_tty_recording_bytes, ropt.max_tty_bytes, run.limits.max_recording_bytes});
    }
    if (auto err = write_report_html(out_dir + "/report.html", run); !err.empty()) res.errors.push_back(err);
    clock.lap("report.html");
    sqlite_thread.join();
    res.step_cpu_seconds.emplace_back("sqlite sessions (own thread)", sqlite_cpu);
    clock.lap("wait for sqlite");
    for (const auto& err : {jsonl_err, sqlite_err, sqlite.write_tables(run.tables), sqlite.commit()})
        if (!err.empty()) res.errors.push_back(err);
    clock.lap("sqlite tables");
}

WriteOutputs writer_into(const std::string& out_dir) {
    return [out_dir](RunData& run, AnalyzeResult& res, const MakeTables& make_tables) {
        write_outputs(run, out_dir, res, make_tables);
    };
}

}  // namespace cb
