// The client half of the Hadoop engine: turns what the two streaming jobs wrote (job 1:
// merged session partials and ingest counts; job 2: merged analysis states) into the same
// RunData, and so the same outputs, as the local engine.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "cb/engine/analyze.hpp"

namespace cb {

// `cowrie-batch hadoop` gives the launcher the JSON logs as links in one folder of this name,
// each named by its position among the run's logs (0, 1, ...). The names the mappers report
// ($mapreduce_map_input_file, e.g. hdfs://.../input/cowrie-batch-inputs/3.gz) then lead back to
// the local file exactly, whatever the launcher appends (.gz, .bz2), so reject samples and the
// per-file reports name the files as the local engine does.
inline constexpr std::string_view kStagedInputsFolder = "cowrie-batch-inputs";
// The position of the staged input named `hdfs_name`; none for other names (jobs submitted by hand).
std::optional<std::size_t> staged_input_index(std::string_view hdfs_name);

// workdir holds sessions/part-* and analyses/part-* as brought back from HDFS. `inputs` is
// the local listing of what was uploaded (for file counts and sizes in summary.json).
AnalyzeResult collect_streaming_results(InputSet inputs, const std::string& workdir, const AnalyzeOptions& opt,
                                        const WriteOutputs& write);

}  // namespace cb
