#include "cb/engine/session_source.hpp"

namespace cb {

DiskSessions::DiskSessions(std::unique_ptr<SpilledSessions> spilled, RunData& run, unsigned threads)
    : spilled_(std::move(spilled)),
      run_(run),
      threads_(threads),
      recordings_(std::make_unique<RecordingIndex>(run.inputs, index_pool_, run.limits.max_recording_bytes,
                                                   &run.recordings_cut)) {}

std::vector<Session>* DiskSessions::next() {
    if (!spilled_->next_chunk(chunk_)) return nullptr;
    recordings_->link(chunk_);
    step_pools_.clear();
    assign_last_steps(chunk_, run_.markers, threads_, step_pools_);
    return &chunk_;
}

}  // namespace cb
