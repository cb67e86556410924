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
#include <string_view>

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
    MapSessions,
    CombineSessions,
    ReduceSessions,
    MapMarkers,
    CombineMarkers,
    ReduceMarkers,
    MapAnalyses,
    CombineAnalyses,
    ReduceAnalyses
};

// Runs one step from `in` to `out`. Returns 0 unless writing failed.
int run_streaming_step(StreamStep step, const StreamingOptions& opt, std::FILE* in, std::FILE* out, std::FILE* err);

// What one map input (a file, or a split of one) gave: the name Hadoop gave it
// ($mapreduce_map_input_file), its counts and its read problem (a cut, a damaged stream).
// The client maps the name back to the local file (hadoop_client.hpp).
struct InputReport {
    std::string name;
    IngestCounts counts;
    std::string error;
    template <class Ar>
    void io(Ar& ar) {
        ar(name, counts, error);
    }
};

// Ingest counts and the first reject samples, as they travel under kIngestKey.
struct IngestState {
    IngestCounts counts;
    std::vector<RejectSample> samples;
    std::uint64_t files = 0;
    std::vector<InputReport> inputs;  // one per map input, for the per-file reports
    template <class Ar>
    void io(Ar& ar) {
        ar(counts, samples, files, inputs);
    }
    // Adds o; keeps the first few samples per reason in (path, line) order.
    void merge(IngestState& o);
};

// Decoders of the values the steps emit (base64 of an archive), for the steps and the Hadoop
// client alike; each returns false on a damaged value.
bool decode_ingest_state(std::string_view value, IngestState* st);
bool decode_session_value(std::string_view value, StringPool& pool, SessionPartial* p);
bool decode_marker_stats(std::string_view value, MarkerStats* stats);
bool decode_analysis_state(std::string_view value, Analysis& analysis);

// Reads the `key<TAB>value` records of a step's input or of a job's part file, a line at a
// time (trailing CR and LF dropped). Used by the steps and by the Hadoop client.
class StreamRecordReader {
public:
    explicit StreamRecordReader(std::FILE* in) : in_(in) {}
    ~StreamRecordReader();
    StreamRecordReader(const StreamRecordReader&) = delete;
    StreamRecordReader& operator=(const StreamRecordReader&) = delete;
    // The next record; a line without a TAB is all key, with an empty value and has_tab false.
    bool next(std::string_view* key, std::string_view* value, bool* has_tab = nullptr);

private:
    std::FILE* in_;
    char* buf_ = nullptr;
    std::size_t cap_ = 0;
};

inline constexpr char kKeySep = '\x1f';
inline constexpr std::string_view kIngestKey = "#ingest";
inline constexpr std::string_view kMarkerStatsKey = "markers";
inline constexpr std::string_view kMarkerSetKey = "marker-set";

}  // namespace cb
