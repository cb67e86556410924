#include "generation.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "cb/output/outputs.hpp"

namespace cb::serve {

namespace {

bool same_file(const struct stat& a, const struct stat& b) {
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_size == b.st_size &&
           a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec;
}

}  // namespace

std::shared_ptr<Generation> Generation::make(const std::string& out_dir, const std::string& tmp_dir,
                                             std::size_t connections, std::string* err, double* index_seconds) {
    std::shared_ptr<Generation> g(new Generation());
    g->db_path_ = out_dir + "/cowrie.sqlite";
    g->size_ = connections;
    // A shared flock(2) for as long as this generation serves the file: a daily `analyze
    // --state` then copies it instead of updating it in place under the search index built
    // here; one updating it now holds an exclusive lock, and this waits for it.
    g->lock_fd_ = ::open(g->db_path_.c_str(), O_RDONLY | O_CLOEXEC);
    const bool locked = g->lock_fd_ >= 0 && ::flock(g->lock_fd_, LOCK_SH) == 0;
    // a daily `analyze --state` killed while it committed the file left its journal: rolled back
    // first, so that the file served is the one whose stat replaced() compares with
    if (locked) roll_back_sqlite_journal(g->db_path_);
    if (!locked || ::fstat(g->lock_fd_, &g->made_from_) != 0) {
        *err = "cannot read " + g->db_path_ + ": " + std::strerror(errno);
        return nullptr;
    }
    SessionDb probe;  // a missing or foreign database is found before anything else
    if (!probe.open(g->db_path_, "", err)) return nullptr;
    std::string tmpl = tmp_dir + "/cowrie-batch-serve-index.XXXXXX";
    const int fd = ::mkstemp(tmpl.data());
    if (fd < 0) {
        *err = "cannot create the search index in " + tmp_dir + ": " + std::strerror(errno);
        return nullptr;
    }
    ::close(fd);
    g->index_path_ = tmpl;
    const auto t0 = std::chrono::steady_clock::now();
    if (*err = build_search_index(g->db_path_, g->index_path_); !err->empty()) return nullptr;
    *index_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return g;
}

Generation::~Generation() {
    free_.clear();  // the connections close before their index goes
    if (!index_path_.empty()) std::remove(index_path_.c_str());
    if (lock_fd_ >= 0) ::close(lock_fd_);  // after SQLite's descriptors: closing it earlier would drop their locks
}

Generation::Lease::Lease(std::shared_ptr<Generation> gen, std::unique_ptr<SessionDb> db)
    : gen_(std::move(gen)), db_(std::move(db)) {}

Generation::Lease::~Lease() {
    if (db_) gen_->give_back(std::move(db_));
}

Generation::Lease Generation::acquire() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !free_.empty() || made_ < size_; });
    if (!free_.empty()) {
        auto db = std::move(free_.back());
        free_.pop_back();
        return Lease(shared_from_this(), std::move(db));
    }
    ++made_;
    lock.unlock();
    auto db = std::make_unique<SessionDb>();
    std::string err;
    if (db->open(db_path_, index_path_, &err)) return Lease(shared_from_this(), std::move(db));
    std::lock_guard again(mu_);
    --made_;
    cv_.notify_one();
    return Lease(shared_from_this(), nullptr);
}

void Generation::give_back(std::unique_ptr<SessionDb> db) {
    std::lock_guard lock(mu_);
    free_.push_back(std::move(db));
    cv_.notify_one();
}

bool Generation::replaced() const {
    struct stat now {};
    return ::stat(db_path_.c_str(), &now) == 0 && !same_file(now, made_from_);
}

}  // namespace cb::serve
