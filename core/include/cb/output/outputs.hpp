// Writers for OUTDIR: summary.json, sessions.jsonl, tables/*.csv, cowrie.sqlite.
// Every writer produces the same bytes for the same input, whatever the thread count.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cb/analysis/table.hpp"
#include "cb/engine/analyze.hpp"  // what the writers write: a run's data (outputs depend on the engines' results)
#include "cb/session/session.hpp"

namespace cb {

// Writes summary.json, sessions.jsonl, hints.json, tables/*.csv, report.html and cowrie.sqlite
// into out_dir for a run whose sessions are built (both engines end here, as their WriteOutputs).
// The sessions come from `sessions` (one chunk, or many when the run spilled); each chunk goes to
// the session writers on their own threads and to `tables` on the calling thread, which then
// fills run.tables and run.findings. Problems go to res.errors, timings to res.phase_seconds.
class SessionSource;
void write_outputs(RunData& run, const std::string& out_dir, AnalyzeResult& res, SessionSource& sessions,
                   RunTables& tables);
// The WriteOutputs for an engine: write_outputs() into out_dir.
WriteOutputs writer_into(const std::string& out_dir);

void append_session_json(std::string& out, const Session& s);
std::string summary_json(const RunData& run);
class JsonWriter;
// The ingest counts and reject samples of summary.json's "inputs" (shared with report.html);
// strings longer than max_string are cut visibly.
void append_ingest_counts_json(JsonWriter& w, const RunData& run, std::size_t max_string = SIZE_MAX);

// Each returns an empty string on success, else a message naming the file and the reason
// (write_error(): "cannot write PATH: No space left on device"). Each file is written as
// PATH.tmp and renamed, inside a folder that is itself renamed into place (output_dir.hpp).
std::string write_error(const std::string& path, int err);
std::string write_file_atomic(const std::string& path, std::string_view data);
std::string write_sessions_jsonl(const std::string& path, const std::vector<Session>& sessions, unsigned threads);
std::string write_tables_csv(const std::string& dir, const std::vector<Table>& tables);

// cowrie.sqlite in two phases, so the big relational part can start as soon as sessions
// exist while the analyses still run: write_sessions() (schema, rows, indexes), then
// write_tables() (every result table and the schema doc), then commit() (renames *.tmp).
// Not thread-safe; one thread at a time. Each returns an empty string or an error message.
class Db;
class SqliteStore {
public:
    explicit SqliteStore(const std::string& path);
    ~SqliteStore();
    std::string write_sessions(const std::vector<Session>& sessions);
    std::string write_tables(const std::vector<Table>& tables);
    std::string commit();

private:
    std::string path_;
    std::unique_ptr<Db> db_;
};

}  // namespace cb
