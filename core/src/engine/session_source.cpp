#include "cb/engine/session_source.hpp"

#include "cb/engine/analyze.hpp"

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
    : spilled_(std::move(spilled)), run_(run), threads_(threads), recordings_(run_recordings(run)) {}

DiskSessions::~DiskSessions() { wait_ahead(); }

void DiskSessions::wait_ahead() {
    if (ahead_.joinable()) ahead_.join();
}

void DiskSessions::fill(Slot& slot) {
    slot.filled = spilled_->next_chunk(slot.sessions, slot.pool);
    if (!slot.filled || !complete_) return;
    recordings_.link(slot.sessions);
    slot.step_pools.clear();
    assign_last_steps(slot.sessions, run_.markers, threads_, slot.step_pools);
    assign_attack(slot.sessions, *run_.attack_rules, threads_, slot.step_pools);
    if (run_.geoip) assign_geo(slot.sessions, *run_.geoip, threads_, slot.step_pools);
}

std::vector<Session>* DiskSessions::next() {
    if (started_)
        wait_ahead();
    else
        fill(slots_[next_]);
    Slot& slot = slots_[next_];
    if (!slot.filled) return nullptr;
    // The caller is done with the other slot's chunk: the one after this one goes there.
    next_ = 1 - next_;
    started_ = true;
    ahead_ = std::thread([this, &after = slots_[next_]] { fill(after); });
    pthread_setname_np(ahead_.native_handle(), "cb-read-ahead");
    return &slot.sessions;
}

void DiskSessions::rewind(const std::vector<std::size_t>* only, bool complete) {
    wait_ahead();
    spilled_->rewind(only);
    complete_ = complete;
    started_ = false;
}

std::string DiskSessions::error() const { return spilled_->error(); }  // asked once next() gave nullptr

}  // namespace cb
