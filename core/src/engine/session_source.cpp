#include "cb/engine/session_source.hpp"

namespace cb {

void MemorySessions::rewind(const std::vector<std::size_t>* only, bool /*complete*/) {
    done_ = false;
    only_ = only;
}

std::vector<Session>* MemorySessions::next() {
    if (std::exchange(done_, true)) return nullptr;
    if (!only_) return &sessions_;
    picked_.clear();
    for (std::size_t i : *only_)
        if (i < sessions_.size()) picked_.push_back(sessions_[i]);
    return &picked_;
}

DiskSessions::DiskSessions(std::unique_ptr<SpilledSessions> spilled, RunData& run, unsigned threads)
    : spilled_(std::move(spilled)),
      run_(run),
      threads_(threads),
      recordings_(std::make_unique<RecordingIndex>(run.inputs, index_pool_, run.limits.max_recording_bytes,
                                                   &run.recordings_cut)) {}

std::vector<Session>* DiskSessions::next() {
    if (!spilled_->next_chunk(chunk_)) return nullptr;
    if (!complete_) return &chunk_;
    recordings_->link(chunk_);
    step_pools_.clear();
    assign_last_steps(chunk_, run_.markers, threads_, step_pools_);
    assign_attack(chunk_, *run_.attack_rules, threads_, step_pools_);
    if (run_.geoip) assign_geo(chunk_, *run_.geoip, threads_, step_pools_);
    return &chunk_;
}

}  // namespace cb
