#include "cb/engine/hadoop_client.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "cb/util/archive.hpp"
#include "cb/analysis/basic_tables.hpp"
#include "cb/engine/streaming.hpp"
#include "cb/util/threads.hpp"
#include "cb/tty/tty_link.hpp"

namespace cb {

namespace {

namespace fs = std::filesystem;

std::vector<std::string> part_files(const std::string& dir) {
    std::vector<std::string> out;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        if (it->path().filename().string().rfind("part-", 0) == 0) out.push_back(it->path().string());
    std::sort(out.begin(), out.end());
    return out;
}

// Calls each(path, key, decoded value) for every `key<TAB>base64` record in the part files of
// dir; bad(path) for a line without a TAB or with a value that is not base64.
template <class Each, class Bad>
void for_each_record(const std::string& dir, Each&& each, Bad&& bad) {
    std::string raw;
    for (const auto& path : part_files(dir)) {
        std::ifstream in(path, std::ios::binary);
        std::string line;
        while (std::getline(in, line)) {
            const auto tab = line.find('\t');
            if (tab == std::string::npos || !base64_decode(std::string_view(line).substr(tab + 1), &raw)) {
                bad(path);
                continue;
            }
            each(path, std::string_view(line.data(), tab), std::string_view(raw));
        }
    }
}

// The job "markers": its merged statistics (one reducer, so one record in all its parts).
MarkerStats read_marker_stats(const std::string& workdir, std::vector<std::string>& errors) {
    MarkerStats stats;
    auto damaged = [&](const std::string& path) { errors.push_back("damaged record in " + path); };
    for_each_record(workdir + "/markers", [&](const std::string& path, std::string_view key, std::string_view value) {
        if (key != kMarkerStatsKey) return;
        MarkerStats part;
        if (!part.load(value)) return damaged(path);
        stats.merge(std::move(part));
    }, damaged);
    return stats;
}

}  // namespace

AnalyzeResult collect_streaming_results(InputSet inputs, const std::string& workdir, const AnalyzeOptions& opt) {
    AnalyzeResult res;
    RunData& run = res.run;
    run.inputs = std::move(inputs);
    run.session_options = opt.session;
    run.limits = opt.limits;
    const unsigned threads = worker_threads(opt.threads);

    for (const auto& f : run.inputs.files)
        if (f.kind == FileKind::JsonLog) {
            FileReport r;
            r.file = f;
            r.counts.bytes = f.size;
            run.ingest.files.push_back(std::move(r));
            run.ingest.totals.bytes += f.size;
        }

    // Job 1: one merged partial per session key (each key is in exactly one reducer's output).
    run.ingest.pools.resize(1);
    StringPool& pool = run.ingest.pools[0];
    std::vector<SessionMap> shards(64);
    IngestState ingest;
    std::uint64_t bad = 0;
    auto count_bad = [&](const std::string&) { ++bad; };
    for_each_record(workdir + "/sessions", [&](const std::string&, std::string_view key, std::string_view raw) {
        if (key == kIngestKey) {
            IngestState st;
            InArchive ar(raw);
            st.io(ar);
            if (!ar.ok()) return void(++bad);
            return ingest.merge(st);
        }
        SessionPartial p;
        if (!decode_partial(raw, pool, &p)) return void(++bad);
        auto& shard = shards[SessionKeyHash{}(p.key) % shards.size()];
        auto [it, inserted] = shard.try_emplace(p.key, std::move(p));
        if (!inserted) it->second.merge(std::move(p));
    }, count_bad);
    if (bad) res.errors.push_back(std::to_string(bad) + " damaged records in " + workdir + "/sessions");
    const std::uint64_t disk_bytes = run.ingest.totals.bytes;
    run.ingest.totals = ingest.counts;
    run.ingest.totals.bytes = disk_bytes;  // on-disk sizes come from the local listing
    run.ingest.samples = std::move(ingest.samples);
    run.sessions = build_sessions(shards, opt.session, threads);
    link_recordings(run.sessions, run.inputs, pool, opt.limits.max_recording_bytes, &run.recordings_cut);
    const MarkerStats marker_stats = read_marker_stats(workdir, res.errors);
    run.markers = marker_stats.finish();
    assign_last_steps(run.sessions, run.markers, threads, run.step_pools);

    // Job 2: one merged state per analysis; finish them in the local engine's order.
    std::map<std::string, std::string> states;
    for_each_record(
        workdir + "/analyses",
        [&](const std::string&, std::string_view key, std::string_view value) { states[std::string(key)] = value; },
        [&](const std::string& path) { res.errors.push_back("damaged record in " + path); });
    AnalysisConfig acfg = opt.analysis;
    acfg.idle_timeout_s = opt.session.idle_timeout_s;
    write_outputs(run, opt.out_dir, res, [&](RunData& r) {
        r.tables = basic_tables(r.sessions);
        auto analyses = make_analyses();
        for (auto& a : analyses) {
            auto it = states.find(std::string(a->name()));
            // No state: job 2 saw no sessions at all; the fresh analysis is the right empty one.
            if (it != states.end() && !a->load(it->second))
                res.errors.push_back("damaged state for analysis " + std::string(a->name()));
        }
        recording_findings(r.sessions, r.findings, threads, opt.limits.max_recording_bytes);
        r.tables.push_back(marker_stats.table(r.markers));
        for (auto& a : analyses) a->finish(acfg, r.findings);
        for (auto& t : r.findings.tables) r.tables.push_back(std::move(t));
        r.findings.tables.clear();
    });
    return res;
}

}  // namespace cb
