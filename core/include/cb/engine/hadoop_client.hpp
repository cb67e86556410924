// The client half of the Hadoop engine: turns what the two streaming jobs wrote (job 1:
// merged session partials and ingest counts; job 2: merged analysis states) into the same
// RunData, and so the same outputs, as the local engine.
#pragma once

#include <string>

#include "cb/engine/analyze.hpp"

namespace cb {

// workdir holds sessions/part-* and analyses/part-* as brought back from HDFS. `inputs` is
// the local listing of what was uploaded (for file counts and sizes in summary.json).
AnalyzeResult collect_streaming_results(InputSet inputs, const std::string& workdir, const AnalyzeOptions& opt);

}  // namespace cb
