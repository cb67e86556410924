// The Hadoop Streaming engine: the same algebra as the local engine, spoken over
// stdin/stdout as `key<TAB>value` lines.
//
// Job 1 (sessions): map-sessions parses log lines into session partials, keyed by
//   sensor<US>session (US = 0x1f); combine-sessions and reduce-sessions merge the partials
//   of one key. Ingest counts travel under the key "#ingest". Values are base64 archives.
// Job "markers" (between 1 and 2; one reducer): map-markers finalizes each merged partial and
//   collects marker statistics (steps.hpp) under the key "markers"; combine-markers merges
//   them; reduce-markers also emits the finished set under "marker-set" (base64 of
//   MarkerSet::encode()), which job 2 gets in the environment variable CB_MARKERS.
// Job 2 (analyses): map-analyses finalizes each merged partial into a Session and feeds
//   every analysis; it emits one partial state per analysis, keyed by the analysis name;
//   combine-analyses and reduce-analyses merge the states of one analysis.
// The client then merges what the reducers wrote and finishes everything (see hadoop.hpp).
//
// Every step counts bad lines and never fails on them (a non-zero exit fails the task);
// counters go to stderr as reporter:counter:cowrie-batch,<name>,<n>.
#pragma once

#include <cstdio>
#include <string>

#include "cb/analysis/analysis.hpp"
#include "cb/engine/ingest.hpp"
#include "cb/session/session.hpp"

namespace cb {

struct StreamingOptions {
    SessionOptions session;
    AnalysisConfig analysis;
    std::string input_name;  // for reject samples: $mapreduce_map_input_file when set
    MarkerSet markers;       // for map-analyses: from $CB_MARKERS
    Limits limits;           // for map-sessions: max_line_bytes, and max_file_bytes per map input
};

enum class StreamStep {
    MapSessions, CombineSessions, ReduceSessions,
    MapMarkers, CombineMarkers, ReduceMarkers,
    MapAnalyses, CombineAnalyses, ReduceAnalyses
};

// Runs one step from `in` to `out`. Returns 0 unless writing failed.
int run_streaming_step(StreamStep step, const StreamingOptions& opt, std::FILE* in, std::FILE* out, std::FILE* err);

// Ingest counts and the first reject samples, as they travel under kIngestKey.
struct IngestState {
    IngestCounts counts;
    std::vector<RejectSample> samples;
    std::uint64_t files = 0;
    template <class Ar>
    void io(Ar& ar) {
        ar(counts, samples, files);
    }
    // Adds o; keeps the first few samples per reason in (path, line) order.
    void merge(IngestState& o);
};

inline constexpr char kKeySep = '\x1f';
inline constexpr std::string_view kIngestKey = "#ingest";
inline constexpr std::string_view kMarkerStatsKey = "markers";
inline constexpr std::string_view kMarkerSetKey = "marker-set";

}  // namespace cb
