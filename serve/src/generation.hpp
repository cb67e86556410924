// One OUTDIR's database as serve reads it: the search index built for it (session_db.hpp; a
// private temporary file, removed with the generation) and a few read-only connections, lent to
// one request at a time. When analyze swaps in a new OUTDIR, serve makes a new generation and
// requests move to it; the old one goes when its last lease does.
#pragma once

#include <sys/stat.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "session_db.hpp"

namespace cb::serve {

class Generation : public std::enable_shared_from_this<Generation> {
public:
    // Builds the index of OUTDIR/cowrie.sqlite in tmp_dir; nullptr with *err. *index_seconds
    // gets the time the index took.
    static std::shared_ptr<Generation> make(const std::string& out_dir, const std::string& tmp_dir,
                                            std::size_t connections, std::string* err, double* index_seconds);
    ~Generation();
    Generation(const Generation&) = delete;
    Generation& operator=(const Generation&) = delete;

    // A connection for one request; get() is nullptr when none can be opened.
    class Lease {
    public:
        Lease(std::shared_ptr<Generation> gen, std::unique_ptr<SessionDb> db);
        ~Lease();
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        SessionDb* get() const { return db_.get(); }

    private:
        std::shared_ptr<Generation> gen_;
        std::unique_ptr<SessionDb> db_;
    };
    Lease acquire();

    // Whether OUTDIR/cowrie.sqlite is no longer the file this generation was made from (a new
    // analyze swapped OUTDIR); false while it cannot be read.
    bool replaced() const;

private:
    Generation() = default;
    void give_back(std::unique_ptr<SessionDb> db);

    std::string db_path_, index_path_;
    struct stat made_from_ {};
    int lock_fd_ = -1;  // holds a shared flock(2) on the file served
    std::size_t size_ = 2, made_ = 0;
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<std::unique_ptr<SessionDb>> free_;
};

}  // namespace cb::serve
