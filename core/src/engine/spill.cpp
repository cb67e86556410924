#include "cb/engine/spill.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>
#include <tuple>

#include <zstd.h>

#include "cb/input/byte_source.hpp"
#include "cb/util/interrupt_cleanup.hpp"
#include "cb/util/parallel.hpp"

namespace cb {

namespace {

std::string io_error(const char* what, const std::string& path, int err) {
    return std::string("cannot ") + what + " the spill file " + path + ": " + std::strerror(err);
}

// Bytes of disk a file takes (its allocated blocks; a hole takes none); 0 when it cannot be stat'ed.
std::uint64_t allocated_bytes(const struct stat& st) { return static_cast<std::uint64_t>(st.st_blocks) * 512; }
std::uint64_t allocated_bytes(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? allocated_bytes(st) : 0;
}
std::uint64_t allocated_bytes(int fd) {
    struct stat st {};
    return ::fstat(fd, &st) == 0 ? allocated_bytes(st) : 0;
}

// Appends `u32 length + rec` to out: a run file's record.
void append_length_prefixed(std::string& out, std::string_view rec) {
    const auto n = static_cast<std::uint32_t>(rec.size());
    out.append(reinterpret_cast<const char*>(&n), sizeof n);
    out.append(rec);
}

// Calls fn(rec) for each record append_length_prefixed() put in `bytes`, in order, while fn
// returns true; false when fn stopped or a length passes the end of the bytes.
template <typename Fn>
bool for_each_length_prefixed(std::string_view bytes, Fn&& fn) {
    for (std::size_t at = 0; at + sizeof(std::uint32_t) <= bytes.size();) {
        std::uint32_t n = 0;
        std::memcpy(&n, bytes.data() + at, sizeof n);
        at += sizeof n;
        if (n > bytes.size() - at || !fn(bytes.substr(at, n))) return false;
        at += n;
    }
    return true;
}

// Writes `u32 length + bytes` records to a file through a large buffer, zstd-compressed when
// asked (the state folder's runs: read back by any reader, which detects it by magic bytes).
class RunWriter {
public:
    // `checksum`: the zstd frame carries a checksum of its content (damage is then found at the end).
    // `workers`: zstd's own compressing threads.
    explicit RunWriter(std::string path, bool compress = false, bool checksum = false, int workers = 2)
        : path_(std::move(path)), f_(std::fopen(path_.c_str(), "wb")) {
        if (!f_) error_ = io_error("create", path_, errno);
        if (compress) {
            zstd_ = ZSTD_createCCtx();
            ZSTD_CCtx_setParameter(zstd_, ZSTD_c_compressionLevel, 3);
            ZSTD_CCtx_setParameter(zstd_, ZSTD_c_checksumFlag, checksum ? 1 : 0);
            // zstd's own threads compress while this one encodes records (ignored by a
            // single-threaded libzstd): a state's whole sessions file is one such write
            if (workers > 0) ZSTD_CCtx_setParameter(zstd_, ZSTD_c_nbWorkers, workers);
        }
    }
    ~RunWriter() {
        if (f_) std::fclose(f_);
        ZSTD_freeCCtx(zstd_);
    }
    RunWriter(const RunWriter&) = delete;
    RunWriter& operator=(const RunWriter&) = delete;
    void record(std::string_view rec) {
        append_length_prefixed(buf_, rec);
        if (buf_.size() >= (std::size_t{1} << 20)) flush(false);
    }
    // Flushes and closes; returns the first problem or "".
    std::string close() {
        flush(true);
        if (f_ && std::fclose(f_) != 0 && error_.empty()) error_ = io_error("write", path_, errno);
        f_ = nullptr;
        return error_;
    }
    std::uint64_t bytes() const { return written_; }  // record bytes, before compression

private:
    void flush(bool last) {
        written_ += buf_.size();
        if (zstd_)
            compress(last);
        else
            put(buf_);
        buf_.clear();
    }
    void compress(bool last) {
        ZSTD_inBuffer in{buf_.data(), buf_.size(), 0};
        std::string out(ZSTD_CStreamOutSize(), '\0');
        for (;;) {
            ZSTD_outBuffer o{out.data(), out.size(), 0};
            const std::size_t left = ZSTD_compressStream2(zstd_, &o, &in, last ? ZSTD_e_end : ZSTD_e_continue);
            if (ZSTD_isError(left) && error_.empty())
                error_ = "cannot compress " + path_ + ": " + ZSTD_getErrorName(left);
            put(std::string_view(out.data(), o.pos));
            if (ZSTD_isError(left) || (last ? left == 0 : in.pos == in.size)) break;
        }
    }
    void put(std::string_view bytes) {
        if (f_ && error_.empty() && !bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), f_) != bytes.size())
            error_ = io_error("write", path_, errno);
    }
    std::string path_;
    std::FILE* f_;
    ZSTD_CCtx* zstd_ = nullptr;
    std::string buf_, error_;
    std::uint64_t written_ = 0;
};

// What a run reader reads at a time (its buffer holds at least this much).
constexpr std::size_t kReadBufferBytes = std::size_t{256} << 10;

// Spill files that a merge reads for the last time, by several readers at once (one per
// partition): the bytes every reader has passed are punched out of the file (fallocate
// PUNCH_HOLE), so that the disk and the page cache let go of them while the merge writes its
// own runs. Where the file system cannot punch holes, the file stays whole until it is removed.
class RunConsumption {
public:
    // `last[i]`: files[i] may be punched (else its readers' reports are ignored).
    RunConsumption(const std::vector<std::string>& files, const std::vector<bool>& last, unsigned readers,
                   const SpillDir* dir)
        : dir_(dir), files_(files.size()) {
        for (std::size_t i = 0; i < files.size(); ++i) {
            File& f = files_[i];
            f.at.assign(readers, 0);
            struct stat st {};
            if (!last[i] || ::stat(files[i].c_str(), &st) != 0) continue;
            f.path = files[i];
            // An eighth of the file at a time (a few calls per file), between a block and 8 MiB.
            f.step = std::clamp<std::uint64_t>(static_cast<std::uint64_t>(st.st_size) / 8, kPunchAlign, kPunchMaxStep);
        }
    }
    // Reader `reader` of file `file` holds or has used its first `raw` bytes; `end`: all of them.
    void passed(std::size_t file, unsigned reader, std::uint64_t raw, bool end) {
        std::lock_guard lock(mu_);
        File& f = files_[file];
        f.at[reader] = end ? UINT64_MAX : raw;
        if (f.path.empty()) return;
        const std::uint64_t low = *std::min_element(f.at.begin(), f.at.end());
        // Whole blocks only (a partial one is zeroed, not freed); at the end, the last one too.
        const std::uint64_t upto =
            low == UINT64_MAX ? (raw + kPunchAlign - 1) & ~(kPunchAlign - 1) : low & ~(kPunchAlign - 1);
        if (upto < f.punched + (low == UINT64_MAX ? 1 : f.step)) return;
        // Opened for each punch, not held: a merge may hold a quarter of the open-file limit in
        // readers, and no more (merge_fan_in()). Without a descriptor now, the next one punches.
        const int fd = ::open(f.path.c_str(), O_WRONLY | O_CLOEXEC);
        if (fd < 0) return;
        const std::uint64_t before = allocated_bytes(fd);
        if (::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(f.punched),
                        static_cast<off_t>(upto - f.punched)) == 0) {
            f.punched = upto;
            if (dir_) dir_->shrank(before - std::min(before, allocated_bytes(fd)));
        } else if (errno == EOPNOTSUPP || errno == ENOSYS)
            f.path.clear();  // not supported here: left whole until it is removed
        ::close(fd);         // any other failure: the next punch tries again
    }

private:
    static constexpr std::uint64_t kPunchAlign = 4096, kPunchMaxStep = std::uint64_t{8} << 20;
    struct File {
        std::string path;                    // "" when not punched
        std::uint64_t step = kPunchMaxStep;  // bytes passed before the next punch
        std::vector<std::uint64_t> at;       // per reader; UINT64_MAX once it has read to the end
        std::uint64_t punched = 0;           // bytes [0, punched) are a hole
    };
    const SpillDir* dir_;
    std::mutex mu_;
    std::vector<File> files_;
};

// Where a run reader reports what it has read (no consumption: nothing reported).
struct ReadReport {
    RunConsumption* consumption = nullptr;
    std::size_t file = 0;
    unsigned reader = 0;
};

// Reads the records of one run file in order (compressed or not: open_source() decides).
class RunReader {
public:
    explicit RunReader(const std::string& path, ReadReport report = {}) : path_(path), report_(report) {
        std::string err;
        src_ = open_source(path, &err);
        if (!src_) error_ = "cannot open the spill file " + path + ": " + err;
    }
    // The next record, valid until the next call; false at the end or on a problem (error()).
    bool next(std::string_view* rec) {
        std::uint32_t n = 0;
        if (!src_ || !fill(sizeof n)) return false;
        std::memcpy(&n, buf_.data() + pos_, sizeof n);
        pos_ += sizeof n;
        if (!fill(n)) {
            error_ = "the spill file " + path_ + " ends inside a record";
            return false;
        }
        *rec = std::string_view(buf_).substr(pos_, n);
        pos_ += n;
        return true;
    }
    const std::string& error() const { return error_; }

private:
    // Makes at least n unread bytes available at pos_; false at the end of the data.
    bool fill(std::size_t n) {
        if (buf_.size() - pos_ >= n) return true;
        buf_.erase(0, pos_);
        pos_ = 0;
        while (buf_.size() < n) {
            const std::size_t have = buf_.size(), want = std::max<std::size_t>(n - have, kReadBufferBytes);
            buf_.resize(have + want);
            const std::size_t got = src_->read(buf_.data() + have, want);
            buf_.resize(have + got);
            const bool end = got == 0 && src_->error().empty();
            if (report_.consumption) report_.consumption->passed(report_.file, report_.reader, src_->raw_bytes(), end);
            if (got == 0) {
                if (!src_->error().empty() && error_.empty()) error_ = path_ + ": " + src_->error();
                return false;
            }
        }
        return true;
    }
    std::string path_;
    ReadReport report_;
    std::unique_ptr<ByteSource> src_;
    std::string buf_, error_;
    std::size_t pos_ = 0;
};

// A record: start time (0 in key runs), sensor and session (each u32 length + bytes), then
// encode_partial()'s bytes. The key is written apart so that a merge compares records without
// decoding them.
void append_record_head(std::string& out, Micros start, const SessionKey& key) {
    out.append(reinterpret_cast<const char*>(&start), sizeof start);
    for (std::string_view s : {key.sensor, key.session}) {
        const auto n = static_cast<std::uint32_t>(s.size());
        out.append(reinterpret_cast<const char*>(&n), sizeof n);
        out.append(s);
    }
}

// Appends encode_partial(p), or `encoded` when it holds those bytes already (a partial read
// from a run as a whole, not merged with another).
void append_partial(std::string& out, const SessionPartial& p, std::string_view encoded) {
    if (encoded.empty())
        encode_partial(p, out);
    else
        out.append(encoded);
}

// Sets rec to p's record in a key run (no start: key runs are in key order), its partial's
// bytes as append_partial() gives them.
void key_record(std::string& rec, const SessionPartial& p, std::string_view encoded = {}) {
    rec.clear();
    append_record_head(rec, 0, p.key);
    append_partial(rec, p, encoded);
}

struct RecordView {
    Micros start = 0;
    std::string_view sensor, session, partial;
};

bool parse_record(std::string_view rec, RecordView* v) {
    if (rec.size() < sizeof v->start) return false;
    std::memcpy(&v->start, rec.data(), sizeof v->start);
    rec.remove_prefix(sizeof v->start);
    for (std::string_view* s : {&v->sensor, &v->session}) {
        std::uint32_t n = 0;
        if (rec.size() < sizeof n) return false;
        std::memcpy(&n, rec.data(), sizeof n);
        rec.remove_prefix(sizeof n);
        if (rec.size() < n) return false;
        *s = rec.substr(0, n);
        rec.remove_prefix(n);
    }
    v->partial = rec;
    return true;
}

// Which of `parts` partitions of step 2 a session key falls in.
unsigned partition_of(const RecordView& r, unsigned parts) {
    return parts < 2 ? 0 : static_cast<unsigned>(SessionKeyHash{}(SessionKey{r.sensor, r.session}) % parts);
}

// The keys one merge reads: all of them, or one partition (the others are read past, not decoded).
struct KeyPartition {
    unsigned part = 0, parts = 1;
    bool accepts(const RecordView& r) const { return parts < 2 || partition_of(r, parts) == part; }
};

// A run reader that keeps its next record (raw bytes, key parsed) for the merge to compare.
struct Cursor {
    Cursor(const std::string& path, KeyPartition f, ReadReport report) : reader(path, report), filter(f) {}
    RunReader reader;
    KeyPartition filter;
    bool live = false;
    RecordView head;
    std::string error;

    bool advance() {
        std::string_view rec;
        while ((live = reader.next(&rec))) {
            if (!parse_record(rec, &head)) {
                live = false;
                error = "a damaged record in a spill file";
                return false;
            }
            if (filter.accepts(head)) return true;
        }
        error = reader.error();
        return false;
    }
};

bool key_less(const RecordView& a, const RecordView& b) {
    return std::tie(a.sensor, a.session) < std::tie(b.sensor, b.session);
}
bool order_less(const RecordView& a, const RecordView& b) {
    return std::tie(a.start, a.sensor, a.session) < std::tie(b.start, b.sensor, b.session);
}

// A k-way merge of run files by `less` over their head records.
class RunMerge {
public:
    using Less = bool (*)(const RecordView&, const RecordView&);
    // `consumption`: the files are read for the last time (this merge is reader filter.part of them).
    RunMerge(const std::vector<std::string>& files, Less less, KeyPartition filter = {},
             RunConsumption* consumption = nullptr)
        : less_(less) {
        for (std::size_t i = 0; i < files.size(); ++i) {
            cursors_.push_back(std::make_unique<Cursor>(files[i], filter, ReadReport{consumption, i, filter.part}));
            push_if_live(cursors_.size() - 1);
        }
    }
    bool empty() const { return heap_.empty(); }
    const RecordView& top() const { return cursors_[heap_.front()]->head; }
    // Removes the top record, after `use(record)` has read it.
    template <class Fn>
    void pop(Fn&& use) {
        std::pop_heap(heap_.begin(), heap_.end(), later());
        const std::size_t i = heap_.back();
        heap_.pop_back();
        use(cursors_[i]->head);
        push_if_live(i);
    }
    std::string error() const {
        for (const auto& c : cursors_)
            if (!c->error.empty()) return c->error;
        return {};
    }

private:
    // The heap's order: the cursor whose head comes later sinks.
    struct Later {
        const RunMerge* m;
        bool operator()(std::size_t a, std::size_t b) const {
            return m->less_(m->cursors_[b]->head, m->cursors_[a]->head);
        }
    };
    Later later() const { return Later{this}; }
    void push_if_live(std::size_t i) {
        if (!cursors_[i]->advance()) return;
        heap_.push_back(i);
        std::push_heap(heap_.begin(), heap_.end(), later());
    }
    Less less_;
    std::vector<std::unique_ptr<Cursor>> cursors_;
    std::vector<std::size_t> heap_;
};

constexpr std::size_t kPoolResetBytes = std::size_t{4} << 20;

}  // namespace

// ---- SpillDir

namespace {

constexpr const char* kSpillPrefix = "cowrie-batch-spill-";

// The spill folders in parent that runs killed before they could clean up left (SIGKILL, a
// crash: SIGINT and SIGTERM remove them), untouched for 12 hours: --tmp-dir may be shared with
// runs this process cannot see (another PID namespace), which add files to theirs as they merge
// (a run that makes none for 12 hours is not one this tool makes). Not this process's own.
void remove_left_spill_folders(const std::string& parent) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const auto long_ago = fs::file_time_type::clock::now() - std::chrono::hours(12);
    std::vector<fs::path> left;
    for (fs::directory_iterator it(parent, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code e2;
        if (left_by_a_dead_process(it->path().filename().string(), kSpillPrefix, '.') &&
            fs::is_directory(fs::symlink_status(it->path(), e2)) && fs::last_write_time(it->path(), e2) < long_ago &&
            !e2 && !removed_on_interrupt(it->path().string()))
            left.push_back(it->path());
    }
    for (const fs::path& p : left) fs::remove_all(p, ec);
}

}  // namespace

SpillDir::SpillDir(std::string parent) : parent_(parent.empty() ? "." : std::move(parent)) {
    remove_left_spill_folders(parent_);
}

SpillDir::~SpillDir() {
    if (path_.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
    keep_on_interrupt(path_);
}

std::string SpillDir::next_file(const char* prefix) {
    std::lock_guard lock(mu_);
    if (path_.empty() && error_.empty()) {
        path_ = make_folder_removed_on_interrupt(parent_ + "/" + kSpillPrefix + std::to_string(::getpid()) + ".XXXXXX");
        if (path_.empty())
            error_ = "cannot create a spill folder in " + parent_ + " (--tmp-dir): " + std::strerror(errno);
    }
    if (path_.empty()) return {};
    char name[64];
    std::snprintf(name, sizeof name, "/%s-%06llu", prefix, static_cast<unsigned long long>(files_++));
    return path_ + name;
}

std::string SpillDir::error() const {
    std::lock_guard lock(mu_);
    return error_;
}

std::string SpillDir::path() const {
    std::lock_guard lock(mu_);
    return path_;
}

bool SpillDir::owns(const std::string& file) const {
    const std::string folder = path();
    return !folder.empty() && file.size() > folder.size() + 1 && file.rfind(folder + "/", 0) == 0;
}

void SpillDir::remove_own(const std::vector<std::string>& files) const {
    for (const std::string& f : files) {
        if (!owns(f)) continue;
        const std::uint64_t bytes = allocated_bytes(f);
        if (std::remove(f.c_str()) == 0) shrank(bytes);
    }
}

void SpillDir::written(const std::string& file) const {
    const std::uint64_t bytes = allocated_bytes(file);
    std::lock_guard lock(mu_);
    on_disk_ += bytes;
    peak_ = std::max(peak_, on_disk_);
}

void SpillDir::shrank(std::uint64_t bytes) const {
    std::lock_guard lock(mu_);
    on_disk_ -= std::min(on_disk_, bytes);
}

std::uint64_t SpillDir::peak_bytes() const {
    std::lock_guard lock(mu_);
    return peak_;
}

// ---- step 1

bool has_partials(const std::vector<SessionMap>& shards) {
    for (const auto& shard : shards)
        if (shard.size()) return true;
    return false;
}

std::string write_key_run(const std::string& path, const std::vector<SessionMap>& shards, bool compress,
                          std::uint64_t* bytes) {
    std::vector<const SessionMap::value_type*> all;
    for (const auto& shard : shards)
        for (const auto& e : shard) all.push_back(&e);
    std::sort(all.begin(), all.end(), [](auto* a, auto* b) {
        return std::tie(a->first.sensor, a->first.session) < std::tie(b->first.sensor, b->first.session);
    });
    RunWriter w(path, compress);
    std::string rec;
    for (const auto* e : all) {
        key_record(rec, e->second);
        w.record(rec);
    }
    std::string err = w.close();
    if (bytes) *bytes = w.bytes();
    return err;
}

namespace {

// Records on their way from load_key_runs()' reader to one of its decoders: length-prefixed,
// about 1 MiB a batch, at most kQueued batches waiting (the reader waits for room).
class RecordQueue {
public:
    static constexpr std::size_t kBatch = 1 << 20, kQueued = 8;
    void add(std::string_view rec) {
        append_length_prefixed(filling_, rec);
        if (filling_.size() >= kBatch) push();
    }
    // The last batch, and no more.
    void close() {
        push();
        std::lock_guard lock(mu_);
        closed_ = true;
        cv_.notify_all();
    }
    // The next batch into *out; false once closed and empty.
    bool pop(std::string* out) {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return !ready_.empty() || closed_; });
        if (ready_.empty()) return false;
        *out = std::move(ready_.front());
        ready_.pop_front();
        cv_.notify_all();
        return true;
    }

private:
    void push() {
        if (filling_.empty()) return;
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return ready_.size() < kQueued; });
        ready_.push_back(std::move(filling_));
        filling_.clear();
        cv_.notify_all();
    }
    std::string filling_;
    std::deque<std::string> ready_;
    bool closed_ = false;
    std::mutex mu_;
    std::condition_variable cv_;
};

// Decodes the records of q's batches into shards (only those of this decoder: see
// load_key_runs()); the first problem goes to *error.
void decode_batches(RecordQueue& q, std::vector<SessionMap>& shards, StringPool& pool, std::string* error) {
    std::string batch;
    RecordView v;
    while (q.pop(&batch))
        for_each_length_prefixed(batch, [&](std::string_view rec) {
            SessionPartial p;
            if (parse_record(rec, &v) && decode_partial(v.partial, pool, &p))
                merge_into_shards(shards, std::move(p));
            else if (error->empty())
                *error = "a damaged record";
            return true;
        });
}

}  // namespace

std::string load_key_runs(const std::vector<std::string>& paths, std::vector<SessionMap>& shards,
                          const std::vector<StringPool*>& pools, KeyFilter filter, TakenRecords* taken,
                          std::vector<std::vector<std::uint64_t>>* keys_of) {
    if (keys_of) keys_of->assign(paths.size(), {});
    const std::size_t decoders = std::max<std::size_t>(1, pools.size());
    std::vector<RecordQueue> queues(decoders);
    std::vector<std::string> errors(decoders);
    std::vector<std::thread> threads;
    for (std::size_t d = 0; d < decoders; ++d)
        threads.emplace_back([&, d] { decode_batches(queues[d], shards, *pools[d], &errors[d]); });
    std::string error;
    RecordView v;
    for (std::size_t i = 0; i < paths.size(); ++i) {
        RunReader reader(paths[i]);
        std::string_view rec;
        while (reader.next(&rec)) {
            const bool parsed = parse_record(rec, &v);
            const std::uint64_t key = parsed && (filter.keys || keys_of) ? session_key_hash(v.sensor, v.session) : 0;
            if (parsed && keys_of) (*keys_of)[i].push_back(key);
            if (filter.keys && parsed && !filter.takes(key)) continue;
            // A key's shard belongs to one decoder, so each key's partials merge in file order.
            const std::size_t shard = parsed ? shard_of({v.sensor, v.session}, shards.size()) : 0;
            queues[shard % decoders].add(rec);
            if (taken && taken->complete) {
                taken->complete = taken->bytes.size() + sizeof(std::uint32_t) + rec.size() <= taken->limit;
                if (taken->complete)
                    append_length_prefixed(taken->bytes, rec);
                else
                    std::string().swap(taken->bytes);
            }
        }
        if (error.empty()) error = reader.error();
    }
    for (auto& q : queues) q.close();
    for (auto& t : threads) t.join();
    for (const auto& e : errors)
        if (error.empty() && !e.empty()) error = e + " in " + (paths.size() == 1 ? paths[0] : "the state's sessions");
    return error;
}

std::string key_run_hashes(const std::vector<std::string>& paths, std::vector<std::uint64_t>* keys) {
    RecordView v;
    for (const auto& path : paths) {
        RunReader reader(path);
        std::string_view rec;
        while (reader.next(&rec)) {
            if (!parse_record(rec, &v)) return "a damaged record in " + path;
            keys->push_back(session_key_hash(v.sensor, v.session));
        }
        if (!reader.error().empty()) return reader.error();
    }
    return {};
}

std::string copy_records(const std::string& path, std::string_view records, const std::vector<std::string>& paths,
                         const std::vector<std::uint64_t>& keys, std::vector<std::uint64_t>* copied) {
    RunWriter w(path, true, true, 0);
    RecordView v;
    auto copy = [&](std::string_view rec) {
        if (!parse_record(rec, &v)) return false;
        const std::uint64_t key = session_key_hash(v.sensor, v.session);
        if (!has_key(keys, key)) return true;
        w.record(rec);
        copied->push_back(key);
        return true;
    };
    if (!for_each_length_prefixed(records, copy)) return "a damaged record among those read before for " + path;
    for (const auto& from : paths) {
        RunReader reader(from);
        std::string_view rec;
        while (reader.next(&rec))
            if (!copy(rec)) return "a damaged record in " + from;
        if (!reader.error().empty()) return reader.error();
    }
    std::sort(copied->begin(), copied->end());
    copied->erase(std::unique(copied->begin(), copied->end()), copied->end());
    return w.close();
}

void PartialSpill::spill(std::vector<SessionMap>& shards) {
    if (!has_partials(shards)) return;
    const std::string name = dir_.next_file("keys");
    std::uint64_t bytes = 0;
    const std::string err = name.empty() ? dir_.error() : write_key_run(name, shards, false, &bytes);
    if (!name.empty()) dir_.written(name);
    for (auto& shard : shards) SessionMap().swap(shard);
    std::lock_guard lock(mu_);
    if (!name.empty()) files_.push_back(name);
    bytes_ += bytes;
    if (!err.empty() && error_.empty()) error_ = err;
}

std::vector<std::string> PartialSpill::files() const {
    std::lock_guard lock(mu_);
    return files_;
}

std::string PartialSpill::error() const {
    std::lock_guard lock(mu_);
    return error_;
}

SpillStats PartialSpill::stats() const {
    std::lock_guard lock(mu_);
    SpillStats s;
    s.key_runs = files_.size();
    s.key_run_bytes = bytes_;
    return s;
}

}  // namespace cb

namespace cb {

// ---- order runs

OrderRunWriter::OrderRunWriter(SpillDir& dir, std::uint64_t batch_bytes) : dir_(dir), batch_bytes_(batch_bytes) {}

void OrderRunWriter::add(const SessionPartial& p, std::string_view encoded) {
    if (bytes_.capacity() < batch_bytes_) bytes_.reserve(batch_bytes_ + (std::size_t{1} << 20));  // no doubling
    const std::size_t off = bytes_.size();
    append_record_head(bytes_, session_start(p), p.key);
    append_partial(bytes_, p, encoded);
    entries_.emplace_back(off, bytes_.size() - off);
    ++out_.sessions;
    if (bytes_.size() >= batch_bytes_) write_batch();
}

OrderRuns OrderRunWriter::finish() {
    write_batch();
    return std::move(out_);
}

// Sorts the batch by output order and writes it as one run.
void OrderRunWriter::write_batch() {
    if (entries_.empty()) return;
    std::vector<RecordView> views(entries_.size());
    for (std::size_t i = 0; i < entries_.size(); ++i)
        parse_record(std::string_view(bytes_).substr(entries_[i].first, entries_[i].second), &views[i]);
    std::vector<std::size_t> order(entries_.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return order_less(views[a], views[b]); });
    out_.files.push_back(dir_.next_file("order"));
    RunWriter w(out_.files.back());
    for (std::size_t i : order) w.record(std::string_view(bytes_).substr(entries_[i].first, entries_[i].second));
    if (auto err = w.close(); !err.empty() && out_.error.empty()) out_.error = err;
    dir_.written(out_.files.back());
    out_.bytes += w.bytes();
    entries_.clear();
    bytes_.clear();
}

// ---- step 2

namespace {

// Decodes the partials of one key (the merge's top records) into one.
// *encoded gets the key's one record's encode_partial() bytes, or is emptied when the key had
// several (acc must then be encoded again).
bool merge_top_key(RunMerge& m, StringPool& pool, SessionPartial& acc, std::string* encoded) {
    bool ok = true, first = true;
    const RecordView key = m.top();
    const std::string sensor(key.sensor), session(key.session);
    while (!m.empty() && m.top().sensor == sensor && m.top().session == session) {
        m.pop([&](const RecordView& r) {
            SessionPartial p;
            if (!decode_partial(r.partial, pool, &p, Strings::Copied)) {
                ok = false;
                return;
            }
            if (first) {
                acc = std::move(p);
                encoded->assign(r.partial);
            } else {
                acc.merge(std::move(p));
                encoded->clear();
            }
            first = false;
        });
    }
    return ok && !first;
}

// Step 2 over the keys `filter` accepts: their order runs and marker statistics.
OrderRuns merge_part(const std::vector<std::string>& key_runs, SpillDir& dir, const SessionOptions& opt,
                     std::uint64_t batch_bytes, KeyPartition filter, RunConsumption* consumption) {
    RunMerge merge(key_runs, key_less, filter, consumption);
    OrderRunWriter batch(dir, batch_bytes);
    MarkerStats markers;
    std::string error;
    TemplateCache cache;
    StringPool pool;
    std::string rec, encoded;
    while (!merge.empty()) {
        if (pool.bytes_used() > kPoolResetBytes) pool.clear();
        SessionPartial acc;
        if (!merge_top_key(merge, pool, acc, &encoded)) {
            if (error.empty()) error = "a damaged record in a spill file in " + dir.path();
            continue;
        }
        batch.add(acc, encoded);
        markers.add(finalize(std::move(acc), opt), cache);
    }
    OrderRuns out = batch.finish();
    out.markers = std::move(markers);
    for (const std::string& err : {error, merge.error()})
        if (!err.empty() && out.error.empty()) out.error = err;
    return out;
}

// One run from a group of runs: by key, each key's partials merged into one record (like
// step 2); by order, the records copied in output order.
// `compress`: zstd, for a state's sessions file.
// `consumed`: the group's files in that folder are read for the last time (freed as they are read).
std::string merge_group(const std::vector<std::string>& group, const std::string& path, bool by_key,
                        bool compress = false, const SpillDir* consumed = nullptr) {
    std::vector<bool> last(group.size());
    for (std::size_t i = 0; i < group.size(); ++i) last[i] = consumed && consumed->owns(group[i]);
    RunConsumption consumption(group, last, 1, consumed);
    RunMerge merge(group, by_key ? key_less : order_less, {}, consumed ? &consumption : nullptr);
    RunWriter out(path, compress);
    StringPool pool;
    SessionPartial acc;
    std::string rec, encoded, error;
    while (!merge.empty()) {
        if (!by_key) {
            merge.pop([&](const RecordView& r) {
                rec.clear();
                append_record_head(rec, r.start, SessionKey{r.sensor, r.session});
                rec.append(r.partial);
            });
            out.record(rec);
            continue;
        }
        if (pool.bytes_used() > kPoolResetBytes) pool.clear();
        if (!merge_top_key(merge, pool, acc, &encoded)) {
            if (error.empty()) error = "a damaged record in a spill file";
            continue;
        }
        key_record(rec, acc, encoded);
        out.record(rec);
    }
    for (const std::string& err : {merge.error(), out.close()})
        if (!err.empty() && error.empty()) error = err;
    if (consumed && consumed->owns(path)) consumed->written(path);
    return error;
}

}  // namespace

std::size_t merge_fan_in(std::uint64_t buffer_bytes) {
    rlimit files{};
    const std::uint64_t open_max =
        ::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY ? files.rlim_cur : 1024;
    return std::max<std::uint64_t>(std::min(open_max / 4, buffer_bytes / kReadBufferBytes), kMinFanIn);
}

std::vector<std::string> fold_runs(std::vector<std::string> runs, SpillDir& dir, std::size_t fan_in, bool by_key,
                                   std::string* error) {
    fan_in = std::max<std::size_t>(fan_in, 2);
    while (runs.size() > fan_in) {
        std::vector<std::string> next;
        for (std::size_t i = 0; i < runs.size(); i += fan_in) {
            const std::vector<std::string> group(
                runs.begin() + static_cast<std::ptrdiff_t>(i),
                runs.begin() + static_cast<std::ptrdiff_t>(std::min(runs.size(), i + fan_in)));
            if (group.size() == 1) {
                next.push_back(group.front());
                continue;
            }
            next.push_back(dir.next_file(by_key ? "keys" : "order"));
            if (next.back().empty()) {
                if (error->empty()) *error = dir.error();
                return runs;
            }
            if (auto err = merge_group(group, next.back(), by_key, false, &dir); !err.empty() && error->empty())
                *error = err;
            dir.remove_own(group);
        }
        runs = std::move(next);
    }
    return runs;
}

std::string write_segment(std::vector<std::string>* key_runs, SpillDir& dir, const std::string& path,
                          std::uint64_t buffer_bytes) {
    std::string error;
    *key_runs = fold_runs(std::move(*key_runs), dir, merge_fan_in(buffer_bytes), true, &error);
    if (!error.empty()) return error;
    return merge_group(*key_runs, path, true, true);
}

unsigned merge_partitions(std::size_t key_runs, unsigned threads, std::uint64_t batch_bytes) {
    const std::uint64_t budget = merge_fan_in(batch_bytes);
    unsigned parts = std::max(1u, threads);
    while (parts > 1 && parts * std::max<std::size_t>(key_runs, 1) > budget) --parts;
    return parts;
}

namespace {

// merge_key_runs() once the key runs are few enough to be open at once.
// `last[i]`: key_runs[i] is read for the last time (its bytes are freed as the merge passes them).
OrderRuns merge_key_runs_folded(const std::vector<std::string>& key_runs, const std::vector<bool>& last, SpillDir& dir,
                                const SessionOptions& opt, std::uint64_t batch_bytes, unsigned threads) {
    const unsigned parts = merge_partitions(key_runs.size(), threads, batch_bytes);
    RunConsumption consumption(key_runs, last, parts, &dir);
    std::vector<OrderRuns> part(parts);
    parallel_for(parts, parts, [&](std::size_t p) {
        part[p] = merge_part(key_runs, dir, opt, std::max<std::uint64_t>(1, batch_bytes / parts),
                             {static_cast<unsigned>(p), parts}, &consumption);
    });
    OrderRuns out = std::move(part[0]);
    for (unsigned p = 1; p < parts; ++p) {
        out.files.insert(out.files.end(), part[p].files.begin(), part[p].files.end());
        out.sessions += part[p].sessions;
        out.bytes += part[p].bytes;
        out.markers.merge(std::move(part[p].markers));
        if (out.error.empty()) out.error = std::move(part[p].error);
    }
    return out;
}

}  // namespace

OrderRuns merge_key_runs(const std::vector<std::string>& all_key_runs, SpillDir& dir, const SessionOptions& opt,
                         std::uint64_t batch_bytes, unsigned threads, bool consume) {
    const std::size_t fan_in = merge_fan_in(batch_bytes);
    std::string fold_error;
    const std::vector<std::string> key_runs = fold_runs(all_key_runs, dir, fan_in, true, &fold_error);
    if (!fold_error.empty()) {  // the first problem, not what a merge of the runs left says of it
        OrderRuns failed;
        failed.error = std::move(fold_error);
        return failed;
    }
    // Read for the last time: the spill's files that fold_runs() made, and with `consume` the
    // caller's; never a file of another folder (a state's sessions).
    std::vector<bool> last(key_runs.size());
    std::vector<std::string> done;
    for (std::size_t i = 0; i < key_runs.size(); ++i) {
        const bool folded = std::find(all_key_runs.begin(), all_key_runs.end(), key_runs[i]) == all_key_runs.end();
        last[i] = dir.owns(key_runs[i]) && (consume || folded);
        if (last[i]) done.push_back(key_runs[i]);
    }
    OrderRuns out = merge_key_runs_folded(key_runs, last, dir, opt, batch_bytes, threads);
    dir.remove_own(done);  // with `consume`, the caller's too: fold_runs() removed those it folded away
    out.files = fold_runs(std::move(out.files), dir, fan_in, false, &fold_error);
    if (out.error.empty()) out.error = fold_error;
    return out;
}

// ---- step 3

struct SpilledSessions::Merge {
    Merge(const std::vector<std::string>& files) : runs(files, order_less) {}
    RunMerge runs;
    std::size_t position = 0;     // of the next record, in output order
    std::size_t next_wanted = 0;  // index into only_
};

SpilledSessions::SpilledSessions(std::vector<std::string> order_runs, const SessionOptions& opt,
                                 std::uint64_t chunk_bytes)
    : files_(std::move(order_runs)), opt_(opt), chunk_bytes_(chunk_bytes) {
    rewind();
}

SpilledSessions::~SpilledSessions() = default;

void SpilledSessions::rewind(const std::vector<std::size_t>* only) {
    only_ = only;
    merge_ = std::make_unique<Merge>(files_);
}

bool SpilledSessions::next_chunk(std::vector<Session>& out, StringPool& pool) {
    out.clear();
    Merge& m = *merge_;
    if (m.runs.empty() || (only_ && m.next_wanted >= only_->size())) {
        if (auto err = m.runs.error(); !err.empty() && error_.empty()) error_ = err;
        return false;
    }
    pool.clear();
    std::uint64_t bytes = 0;
    while (!m.runs.empty() && bytes < chunk_bytes_ && !(only_ && m.next_wanted >= only_->size())) {
        m.runs.pop([&](const RecordView& r) {
            const std::size_t position = m.position++;
            if (only_) {
                if ((*only_)[m.next_wanted] != position) return;  // read past, not decoded
                ++m.next_wanted;
            }
            bytes += r.partial.size();
            SessionPartial p;
            if (decode_partial(r.partial, pool, &p))
                out.push_back(finalize(std::move(p), opt_));
            else if (error_.empty())
                error_ = "a damaged record in a spill file";
        });
    }
    return true;
}

}  // namespace cb
