#include "cb/engine/ingest.hpp"
#include "cb/engine/spill.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <tuple>

#include "cb/util/crc64.hpp"
#include "cb/util/fast_hash.hpp"
#include "cb/util/parallel.hpp"

namespace cb {

void IngestCounts::add(const IngestCounts& o) {
    bytes += o.bytes;
    decoded_bytes += o.decoded_bytes;
    lines += o.lines;
    blank_lines += o.blank_lines;
    events += o.events;
    nul_bytes += o.nul_bytes;
    utf8_repairs += o.utf8_repairs;
    type_errors += o.type_errors;
    sessionless_events += o.sessionless_events;
    files_cut += o.files_cut;
    for (std::size_t i = 0; i < rejected.size(); ++i) rejected[i] += o.rejected[i];
    for (const auto& [k, v] : o.by_eventid) by_eventid[k] += v;
    for (const auto& [f, m] : o.field_errors)
        for (const auto& [k, v] : m) field_errors[f][k] += v;
}

std::uint64_t IngestCounts::rejected_total() const {
    std::uint64_t n = 0;
    for (auto v : rejected) n += v;
    return n;
}

namespace {

constexpr std::size_t kShards = 64;
constexpr std::size_t kChunk = std::size_t{4} << 20;

// Parses lines and folds them into the worker's session shards.
class LineSink {
public:
    LineSink(EventParser& parser, StringPool& pool, std::vector<SessionMap>& shards, std::size_t samples_per_reason,
             PartialSpill* spill = nullptr)
        : parser_(parser), pool_(pool), shards_(shards), samples_per_reason_(samples_per_reason), spill_(spill) {}

    void begin_file(FileReport* report) {
        report_ = report;
        lineno_ = 0;
        eventid_counts_.clear();
        other_counts_.clear();
        type_counts_.fill(0);
        repairs_before_ = parser_.utf8_repairs();
        type_errors_before_ = parser_.type_errors();
        field_errors_before_ = parser_.field_errors();
    }

    void end_file() {
        auto& c = report_->counts;
        c.utf8_repairs += parser_.utf8_repairs() - repairs_before_;
        c.type_errors += parser_.type_errors() - type_errors_before_;
        const FieldErrorCounts& fe = parser_.field_errors();
        for (std::size_t f = 0; f < fe.size(); ++f)
            for (std::size_t k = 0; k < fe[f].size(); ++k)
                if (const std::uint64_t n = fe[f][k] - field_errors_before_[f][k])
                    c.field_errors[std::string(field_name(static_cast<Field>(f)))]
                                  [std::string(field_error_name(static_cast<FieldError>(k)))] += n;
        for (const auto& [k, v] : other_counts_) c.by_eventid[std::string(k)] += v;
        for (const auto& [k, v] : eventid_counts_) c.by_eventid[std::string(k)] += v;
        for (std::size_t i = 1; i < type_counts_.size(); ++i)
            if (type_counts_[i]) c.by_eventid[std::string(event_id_name(static_cast<EventType>(i)))] += type_counts_[i];
        report_->physical_lines = lineno_;
    }

    // `line` excludes the newline; `capacity` counts readable bytes from line.data().
    void line(const char* p, std::size_t n, std::size_t capacity, bool no_newline) {
        ++lineno_;
        auto& c = report_->counts;
        std::size_t k = 0;
        while (k < n && p[k] == '\0') ++k;
        c.nul_bytes += k;
        p += k;
        n -= k;
        capacity -= k;
        while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t')) --n;
        std::size_t lead = 0;
        while (lead < n && (p[lead] == ' ' || p[lead] == '\t')) ++lead;
        if (lead == n) {
            ++c.blank_lines;
            return;
        }
        ++c.lines;
        Event& ev = ev_;
        Reject r = parser_.parse(std::string_view(p, n), capacity, &ev);
        if (r == Reject::InvalidJson && no_newline) r = Reject::TruncatedLine;
        if (r != Reject::None) {
            reject(r, std::string_view(p, n));
            return;
        }
        ++c.events;
        if (ev.type == EventType::Other)
            ++count_other(ev.eventid);
        else
            ++type_counts_[static_cast<std::size_t>(ev.type)];
        if (ev.session.empty()) {
            ++c.sessionless_events;
            return;
        }
        // One hash per event picks the shard and the slot. Session ids are unique per
        // session, so they are stored, not interned (a hash-set entry each for nothing).
        const SessionKey probe{ev.sensor, ev.session};
        const std::uint64_t h = SessionKeyHash{}(probe);
        SessionMap& shard = shards_[h % kShards];
        SessionMap::value_type* e = shard.find_hashed(probe, h);
        if (!e) {
            const SessionKey key{pool_.intern(ev.sensor), pool_.store(ev.session)};
            e = &shard.insert_new(key, h);
            e->second.key = key;
            ++partials_;
        }
        e->second.add(ev, pool_);
        if (spill_ && ++events_ % 64 == 0) spill_if_over_budget();
    }

    // What the worker's partials take, estimated from what it added: strings, records, items.
    std::uint64_t partial_bytes() const {
        constexpr std::uint64_t kPerPartial = sizeof(SessionMap::value_type) + 32, kPerEvent = sizeof(Item);
        return pool_.bytes_used() + pool_.distinct() * 16 + partials_ * kPerPartial + events_ * kPerEvent;
    }

    void spill_if_over_budget() {
        if (partial_bytes() >= spill_->worker_budget()) spill_now();
    }

    // Writes the worker's partials out (a key run) and starts afresh.
    void spill_now() {
        spill_->spill(shards_);
        pool_ = StringPool();  // freed, not kept (clear()): the worker's pool lives on after ingest
        partials_ = events_ = 0;
    }

    void reject(Reject r, std::string_view text) {
        ++report_->counts.rejected[static_cast<std::size_t>(r)];
        std::size_t have = 0;
        for (const auto& s : report_->samples) have += s.reason == r;
        if (have < samples_per_reason_)
            report_->samples.push_back({r, report_->file.path, lineno_, std::string(text.substr(0, 120))});
    }

    // Unmodelled event ids are few (telnet options, client vars): a short list scanned
    // linearly, then a hash map for hostile inputs with many distinct ids.
    std::uint64_t& count_other(std::string_view id) {
        for (auto& [k, v] : other_counts_)
            if (k == id) return v;
        if (other_counts_.size() < 16) return other_counts_.emplace_back(names_.intern(id), 0).second;
        return eventid_counts_[names_.intern(id)];
    }

    std::uint64_t lineno() const { return lineno_; }
    void count_line() { ++lineno_; }
    void blank_lines(std::size_t n) {
        lineno_ += n;
        report_->counts.blank_lines += n;
    }

private:
    EventParser& parser_;
    StringPool& pool_;  // the partials' strings (emptied when they are spilled)
    StringPool names_;  // event ids counted per file
    std::vector<SessionMap>& shards_;
    std::size_t samples_per_reason_;
    PartialSpill* spill_;
    std::uint64_t partials_ = 0, events_ = 0;
    FileReport* report_ = nullptr;
    std::uint64_t lineno_ = 0;
    std::uint64_t repairs_before_ = 0, type_errors_before_ = 0;
    FieldErrorCounts field_errors_before_{};
    std::vector<std::pair<std::string_view, std::uint64_t>> other_counts_;
    std::unordered_map<std::string_view, std::uint64_t, StringHash> eventid_counts_;
    Event ev_;  // reused: parse() resets it
    std::array<std::uint64_t, kEventTypeCount> type_counts_{};
};

// A byte range of an uncompressed file. The source starts at `begin - 1` for ranges
// after the first, so the range owns exactly the lines that start in [begin, end).
struct Range {
    bool skip_partial_first = false;     // drop bytes up to and including the first newline
    std::uint64_t stop_at = UINT64_MAX;  // no line starting at or after this source offset
    // For the file ledger (IngestOptions::plans): fingerprint the source bytes [hash_from,
    // hash_to) that the range owns (Piece), and leave an unterminated last line unread.
    bool fingerprint = false;
    std::uint64_t hash_from = 0, hash_to = UINT64_MAX;
    bool hold_tail = false;
};

// The CRC-64 of the decoded bytes a task owns, for the ledger: of a whole stream, all it read;
// of a range, the bytes from its begin to its end (the last range: to where its last line
// ends), whatever lines they belong to, so the ranges' pieces are contiguous and join into the
// file's Consumed in file order (crc64_combine).
struct Piece {
    std::uint64_t len = 0, crc = 0;              // all the bytes
    std::uint64_t lines_len = 0, lines_crc = 0;  // up to and including the last newline among them
    bool tail_read = false;                      // an unterminated last line went to the sink
    HeldTail held;                               // or was held back (Range::hold_tail): its bytes
    // The file's last range stopped inside a line that goes on past the file's planned end (it
    // grew during the run): where that line ends, and what read it, is unknown here.
    bool ends_inside_line = false;
};

// A worker's read buffer, reused for every file it reads: allocated without zero-filling
// (only the padding is cleared once), so a task costs neither a memset nor fresh page faults.
class ReadBuffer {
public:
    char* data() { return data_.get(); }
    std::size_t capacity() const { return cap_; }  // usable bytes; SIMDJSON_PADDING more follow
    // Ensures at least n usable bytes, keeping the first `keep` bytes.
    void reserve(std::size_t n, std::size_t keep) {
        if (n <= cap_ && data_) return;
        std::unique_ptr<char[]> fresh(new char[n + simdjson::SIMDJSON_PADDING]);
        if (keep) std::memcpy(fresh.get(), data_.get(), keep);
        std::memset(fresh.get() + n, 0, simdjson::SIMDJSON_PADDING);
        data_ = std::move(fresh);
        cap_ = n;
    }

private:
    std::unique_ptr<char[]> data_;
    std::size_t cap_ = 0;
};

// Why a file was read only in part (FileReport::error): `bytes` of it are read ("decompressed
// bytes" when they came through a decompressor or a pipe).
std::string file_cut_message(std::uint64_t bytes, std::string_view unit) {
    return "stopped after " + std::to_string(bytes) + " " + std::string(unit) +
           " (the limit per file, --max-file-bytes); the rest was not read";
}

// Reads one source line by line into a LineSink. Lines longer than limits.max_line_bytes are
// rejected without being held in memory; reading stops after limits.max_file_bytes. The
// window buf[0, have) holds source bytes from offset `consumed`; each round fills it, hands
// its complete lines to the sink, then keeps the unfinished last line for the next round.
class LineReader {
public:
    LineReader(ByteSource& src, LineSink& sink, const Limits& limits, FileReport& report, ReadBuffer& buf, Range range,
               Piece& piece)
        : src_(src),
          sink_(sink),
          report_(report),
          buf_(buf),
          range_(range),
          max_line_(limits.max_line_bytes),
          budget_(limits.max_file_bytes ? limits.max_file_bytes : UINT64_MAX),
          skipping_(range.skip_partial_first),
          piece_(piece),
          hashed_(range.hash_from) {}

    void run(std::atomic<std::uint64_t>* progress) {
        buf_.reserve(kChunk, 0);
        while (!eof_ && !done_) {
            fill();
            count_progress(progress);
            scan_window();
            if (done_) break;
            if (eof_) {
                last_line();
                break;
            }
            if (pos_ == 0 && have_ == cap_)
                grow_or_skip_long_line();
            else
                keep_unfinished_line();
        }
        finish_report();
    }

private:
    // Reads until the window is full, the source ends or the byte budget is spent.
    void fill() {
        while (have_ < cap_) {
            const std::uint64_t left = budget_ - report_.counts.decoded_bytes;
            if (left == 0) {
                char probe;
                cut_ = src_.read(&probe, 1) > 0;
                eof_ = true;
                return;
            }
            const std::size_t r =
                src_.read(buf_.data() + have_, static_cast<std::size_t>(std::min<std::uint64_t>(cap_ - have_, left)));
            if (r == 0) {
                eof_ = true;
                return;
            }
            report_.counts.decoded_bytes += r;
            have_ += r;
        }
    }

    void count_progress(std::atomic<std::uint64_t>* progress) {
        if (!progress) return;
        const std::size_t raw = src_.raw_bytes();
        progress->fetch_add(raw - raw_seen_, std::memory_order_relaxed);
        raw_seen_ = raw;
    }

    // Hands every complete line of the window to the sink; pos_ ends at the first byte not
    // handed over. Sets done_ when the range's lines are all read.
    void scan_window() {
        pos_ = 0;
        while (pos_ < have_) {
            if (!skipping_ && !in_nuls_ && !mid_line_ && consumed_ + pos_ >= range_.stop_at) {
                done_ = true;
                owned_end_ = consumed_ + pos_;
                return;
            }
            if (!skipping_) {
                if (!skip_leading_nuls()) return;
                if (buf_.data()[pos_] == '\n') {
                    blank_lines();
                    continue;
                }
            }
            if (!next_line()) return;
        }
    }

    // Leading NULs (logrotate copytruncate: as many as the file had bytes) are skipped as they
    // stream by, so a run of any length costs no memory. False when they fill the window.
    bool skip_leading_nuls() {
        const char* base = buf_.data();
        if (!in_nuls_ && !mid_line_) line_nuls_ = 0;  // a line starts here
        if (base[pos_] == '\0') {
            const std::size_t k = leading_run(base + pos_, have_ - pos_, '\0');
            report_.counts.nul_bytes += k;
            line_nuls_ += k;
            pos_ += k;
            if (pos_ == have_) {
                in_nuls_ = true;
                return false;
            }
        }
        in_nuls_ = false;
        return true;
    }

    // A run of empty lines at once (4 GiB of newlines is 4 Gi lines). The first newline ends a
    // line that is ours; the others start lines, which are ours only before stop_at.
    void blank_lines() {
        std::size_t k = leading_run(buf_.data() + pos_, have_ - pos_, '\n');
        const std::uint64_t second = consumed_ + pos_ + 1;
        if (k > 1 && range_.stop_at != UINT64_MAX)
            k = 1 + static_cast<std::size_t>(
                        second >= range_.stop_at ? 0 : std::min<std::uint64_t>(k - 1, range_.stop_at - second));
        sink_.blank_lines(k);
        pos_ += k;
    }

    // The line at pos_ up to its newline, to the sink (or skipped); false when the window
    // holds no newline for it.
    bool next_line() {
        const char* base = buf_.data();
        std::size_t span = have_ - pos_;
        if (skipping_ && range_.stop_at != UINT64_MAX) {
            // A line that is not ours (it started before this range) or that was too long: a
            // line after it is ours only if it starts before stop_at, so the search ends there.
            // Each range then reads about its own bytes, even inside a line (or a sparse NUL
            // hole) of many GiB, instead of all of it.
            const std::uint64_t end = range_.stop_at > consumed_ ? range_.stop_at - consumed_ : 0;
            span = end > pos_ ? static_cast<std::size_t>(std::min<std::uint64_t>(have_, end)) - pos_ : 0;
        }
        const char* nl = static_cast<const char*>(std::memchr(base + pos_, '\n', span));
        if (!nl) {
            if (span < have_ - pos_) {  // the range ends inside the skipped line
                done_ = true;
                owned_end_ = range_.stop_at;
                piece_.ends_inside_line = range_.hash_to == UINT64_MAX;
            }
            mid_line_ = !skipping_;
            return false;
        }
        mid_line_ = false;
        const std::size_t len = static_cast<std::size_t>(nl - (base + pos_));
        if (skipping_)
            skipping_ = false;
        else
            sink_.line(base + pos_, len, readable_from(pos_), false);
        pos_ += len + 1;
        return true;
    }

    // Bytes readable from buf[at], padding included (simdjson reads past the line's end).
    std::size_t readable_from(std::size_t at) const { return buf_.capacity() + simdjson::SIMDJSON_PADDING - at; }

    // The last line has no newline (a line cut by max_file_bytes is not read). With hold_tail
    // it is held back for a later run, uncounted, its bytes in the piece (a line too long to
    // hold was counted as it streamed by).
    void last_line() {
        if (skipping_ || cut_ || !(in_nuls_ || mid_line_ || (pos_ < have_ && consumed_ + pos_ < range_.stop_at)))
            return;
        if (range_.hold_tail) {
            report_.counts.nul_bytes -= line_nuls_;
            piece_.held.nuls = line_nuls_;
            piece_.held.bytes.assign(buf_.data() + pos_, have_ - pos_);
            return;
        }
        sink_.line(buf_.data() + pos_, have_ - pos_, readable_from(pos_), true);
        piece_.tail_read = true;
    }

    // Fingerprints the source bytes up to `upto` (within the range's hash_to) not done yet; they
    // are still in the window. Called before bytes leave the window, and at the end.
    void fingerprint_through(std::uint64_t upto) {
        upto = std::min(upto, range_.hash_to);
        if (!range_.fingerprint || upto <= hashed_) return;
        const char* p = buf_.data() + (hashed_ - consumed_);
        const std::size_t n = static_cast<std::size_t>(upto - hashed_);
        if (const void* nl = ::memrchr(p, '\n', n)) {
            const std::size_t k = static_cast<std::size_t>(static_cast<const char*>(nl) - p) + 1;
            piece_.lines_crc = crc64(piece_.crc, p, k);
            piece_.lines_len = piece_.len + k;
            piece_.crc = crc64(piece_.lines_crc, p + k, n - k);
        } else {
            piece_.crc = crc64(piece_.crc, p, n);
        }
        piece_.len += n;
        hashed_ = upto;
    }

    // One line fills the window: grow it, or give up on this line if it is too long.
    void grow_or_skip_long_line() {
        if (skipping_) {
            fingerprint_through(consumed_ + have_);
            consumed_ += have_;
            have_ = 0;
            return;
        }
        if (cap_ > max_line_) {
            sink_.count_line();
            sink_.reject(Reject::TooLarge, std::string_view(buf_.data(), 120));
            skipping_ = true;
            mid_line_ = false;
            fingerprint_through(consumed_ + have_);
            consumed_ += have_;
            have_ = 0;
            return;
        }
        cap_ = std::min(cap_ * 2, max_line_ + 1);
        buf_.reserve(cap_, have_);
    }

    void keep_unfinished_line() {
        fingerprint_through(consumed_ + pos_);
        std::memmove(buf_.data(), buf_.data() + pos_, have_ - pos_);
        have_ -= pos_;
        consumed_ += pos_;
    }

    void finish_report() {
        fingerprint_through(done_ ? owned_end_ : consumed_ + have_);
        report_.counts.bytes = std::min<std::uint64_t>(src_.raw_bytes(), range_.stop_at);
        if (!src_.error().empty()) report_.error = src_.error();
        if (cut_ && range_.stop_at == UINT64_MAX) report_.counts.files_cut = 1;  // ranges: counted by ingest()
        if (src_.error().empty() && cut_) report_.error = file_cut_message(budget_, "decompressed bytes");
    }

    ByteSource& src_;
    LineSink& sink_;
    FileReport& report_;
    ReadBuffer& buf_;
    const Range range_;
    const std::size_t max_line_;
    const std::uint64_t budget_;
    std::size_t cap_ = kChunk;    // usable bytes of this file's window (buf may be bigger from an earlier file)
    std::size_t have_ = 0;        // bytes in the window
    std::size_t pos_ = 0;         // first byte of the window not yet handed to the sink
    std::uint64_t consumed_ = 0;  // source offset of buf[0]
    std::size_t raw_seen_ = 0;    // raw bytes already counted in progress
    bool eof_ = false;
    bool done_ = false;
    bool cut_ = false;             // stopped at limits.max_file_bytes with more data to come
    bool skipping_;                // inside a line that is not ours (or over-long)
    bool in_nuls_ = false;         // inside the leading NUL run of a line that is ours
    std::uint64_t line_nuls_ = 0;  // the leading NULs of the line at pos_, counted
    // The bytes at pos_ continue a line that is ours: it was checked against stop_at where it
    // started, before its leading NULs (which may reach past stop_at).
    bool mid_line_ = false;
    Piece& piece_;
    std::uint64_t hashed_;                  // source bytes before this offset are fingerprinted
    std::uint64_t owned_end_ = UINT64_MAX;  // when done_: where the range's last line ends
};

void read_lines(ByteSource& src, LineSink& sink, const Limits& limits, std::atomic<std::uint64_t>* progress,
                FileReport& report, ReadBuffer& buf, Range range = {}, Piece* piece = nullptr) {
    Piece unused;
    LineReader(src, sink, limits, report, buf, range, piece ? *piece : unused).run(progress);
}

// Where ingest starts in a file: 0, or where an earlier run stopped (IngestOptions::plans).
struct FileStart {
    std::uint64_t byte = 0;  // decoded bytes to pass over; a line starts there
    std::uint64_t line = 0;  // physical lines in them
    std::size_t plan = 0;    // index in plans->reads
};

// A piece of ingest's work: a whole file, or a byte range of a big uncompressed one.
struct Task {
    std::size_t file;
    std::uint64_t begin, end;  // end == 0: the whole stream, from decoded byte `begin` on
    std::uint64_t from = 0;    // the file's start this run: a range beginning there needs no line cut
    bool last = true;          // the file's last task: owns the bytes up to where its last line ends
    FileReport report;
    Piece piece;
    bool opened = false;
    std::uint64_t size() const {
        if (end) return end - begin;
        return report.file.compression == Compression::None ? report.file.size - std::min(begin, report.file.size)
                                                            : report.file.size;
    }
};

// Big uncompressed files are cut into ranges of about split_bytes / 2; the ranges cover the
// first max_file_bytes from the file's start (the line that starts before it is read whole).
std::vector<Task> plan_tasks(std::vector<FileReport>& files, const std::vector<FileStart>& starts,
                             const IngestOptions& opt) {
    std::vector<Task> tasks;
    for (std::size_t i = 0; i < files.size(); ++i) {
        const InputFile& f = files[i].file;
        const std::uint64_t from = starts[i].byte;
        if (f.compression == Compression::None && f.path != "-" && f.size > from && f.size - from > opt.split_bytes &&
            opt.split_bytes > 0) {
            std::uint64_t size = f.size - from;
            if (opt.limits.max_file_bytes && size > opt.limits.max_file_bytes) {
                size = opt.limits.max_file_bytes;
                files[i].counts.files_cut = 1;
                files[i].error = file_cut_message(size, "bytes");
            }
            const std::uint64_t n = (size + opt.split_bytes / 2 - 1) / (opt.split_bytes / 2);
            for (std::uint64_t k = 0; k < n; ++k)
                tasks.push_back({i, from + size * k / n, from + size * (k + 1) / n, from, k + 1 == n, {}, {}, false});
        } else {
            tasks.push_back({i, from, 0, from, true, {}, {}, false});
        }
    }
    for (auto& t : tasks) t.report.file = files[t.file].file;
    // Largest first keeps the threads evenly loaded at the end.
    std::stable_sort(tasks.begin(), tasks.end(), [](const Task& a, const Task& b) { return a.size() > b.size(); });
    return tasks;
}

// What one ingest thread keeps from task to task: its parser, sink and read buffer.
struct IngestWorker {
    IngestWorker(const IngestOptions& opt, StringPool& pool, std::vector<SessionMap>& shards)
        : parser(opt.limits.max_line_bytes), sink(parser, pool, shards, opt.samples_per_reason, opt.spill) {}
    EventParser parser;
    LineSink sink;
    ReadBuffer buf;
};

// Drops the first n decoded bytes of a compressed file: what earlier runs read of it.
bool pass_over(ByteSource& src, std::uint64_t n, ReadBuffer& buf, std::string* err) {
    buf.reserve(kChunk, 0);
    while (n > 0) {
        const std::size_t r = src.read(buf.data(), static_cast<std::size_t>(std::min<std::uint64_t>(n, kChunk)));
        if (r == 0) {
            *err = src.error().empty() ? "has fewer decoded bytes than when the run was planned" : src.error();
            return false;
        }
        n -= r;
    }
    return true;
}

// Opens what a whole-stream task reads: the file, decoded, from decoded byte task.begin on.
std::unique_ptr<ByteSource> open_stream_task(Task& task, ReadBuffer& buf, std::string* err) {
    InputFile& f = task.report.file;
    if (task.begin == 0) return open_source(f.path, err, &f.compression);
    if (f.compression == Compression::None) return open_plain_at(f.path, task.begin, err);
    auto src = open_source(f.path, err, &f.compression);
    if (src && !pass_over(*src, task.begin, buf, err)) src.reset();
    return src;
}

void read_task(Task& task, IngestWorker& w, const IngestOptions& opt) {
    FileReport& report = task.report;
    std::string err;
    Range range;
    std::unique_ptr<ByteSource> src;
    if (task.end == 0) {
        src = open_stream_task(task, w.buf, &err);
    } else {
        const std::uint64_t start = task.begin == task.from ? task.begin : task.begin - 1;
        src = open_plain_at(report.file.path, start, &err);
        range.skip_partial_first = task.begin > task.from;
        range.stop_at = task.end - start;
        range.hash_from = task.begin - start;
        if (!task.last) range.hash_to = range.stop_at;
    }
    if (!src) {
        report.error = err;
        return;
    }
    task.opened = true;
    range.fingerprint = opt.plans != nullptr;
    range.hold_tail = range.fingerprint && report.file.compression == Compression::None && report.file.path != "-";
    w.sink.begin_file(&report);
    read_lines(*src, w.sink, opt.limits, opt.progress_bytes, report, w.buf, range, &task.piece);
    w.sink.end_file();
    if (task.end) report.counts.bytes = report.counts.decoded_bytes = task.end - task.begin;
}

// Folds the tasks of each file, in file order, fixing up line numbers of later ranges, and
// keeps the first samples per reason of each whole file.
void fold_task_reports(std::vector<Task>& tasks, std::vector<FileReport>& files, std::size_t samples_per_reason) {
    std::stable_sort(tasks.begin(), tasks.end(), [](const Task& a, const Task& b) {
        return std::tie(a.file, a.begin) < std::tie(b.file, b.begin);
    });
    for (auto& t : tasks) {
        FileReport& f = files[t.file];
        for (auto& s : t.report.samples) {
            s.line += f.physical_lines;
            f.samples.push_back(std::move(s));
        }
        f.counts.add(t.report.counts);
        f.file.compression = t.report.file.compression;
        f.physical_lines += t.report.physical_lines;
        if (f.error.empty()) f.error = t.report.error;
    }
    for (auto& f : files) {
        std::array<std::size_t, static_cast<std::size_t>(Reject::kCount)> taken{};
        std::vector<RejectSample> kept;
        for (auto& s : f.samples)
            if (taken[static_cast<std::size_t>(s.reason)]++ < samples_per_reason) kept.push_back(std::move(s));
        f.samples = std::move(kept);
    }
}

// The JSON logs to read, and where each starts (IngestOptions::plans): every one whole, or
// those the plans do not skip, from where they say. Sample line numbers continue from the start.
std::vector<FileStart> select_files(const std::vector<InputFile>& files, const IngestOptions& opt,
                                    std::vector<FileReport>& out) {
    std::vector<FileStart> starts;
    if (!opt.plans) {
        for (const auto& f : files)
            if (f.kind == FileKind::JsonLog) out.push_back(FileReport{f, {}, 0, {}, {}});
        starts.resize(out.size());
        return starts;
    }
    for (std::size_t j = 0; j < opt.plans->reads.size(); ++j) {
        const ReadPlan& p = opt.plans->reads[j];
        if (p.action == ReadPlan::Action::Skip) continue;
        const bool from = p.action == ReadPlan::Action::ReadFrom;
        starts.push_back({from ? p.start_decoded_byte : 0, from ? p.start_line : 0, j});
        out.push_back(FileReport{files.at(p.file_index), {}, starts.back().line, {}, {}});
    }
    return starts;
}

// One file's pieces, joined in file order: the fingerprint of what the run read of it.
class PieceJoin {
public:
    explicit PieceJoin(std::uint64_t start) : start_(start) {}
    void add(const Task& t) {
        if (t.opened) opened_ = true;
        if (!t.opened || t.begin != start_ + len_ || t.piece.ends_inside_line) joined_ = false;
        const Piece& p = t.piece;
        if (p.lines_len > 0) {
            lines_crc_ = crc64_combine(crc_, p.lines_crc, p.lines_len);
            lines_len_ = len_ + p.lines_len;
        }
        crc_ = crc64_combine(crc_, p.crc, p.len);
        len_ += p.len;
        tail_read_ = p.tail_read;
        // The range a held line starts in holds it: not always the last range, which may begin
        // inside that line (a copytruncate hole of NULs before it) and then holds nothing.
        if (p.held.held()) held_ = p.held;
    }
    const HeldTail& held() const { return held_; }
    Consumed result(std::uint64_t lines) const {
        Consumed c;
        c.opened = opened_;
        c.joined = joined_;
        c.start = start_;
        c.end = start_ + (tail_read_ ? len_ : lines_len_);
        c.crc = tail_read_ ? crc_ : lines_crc_;
        c.held_tail = tail_read_ ? 0 : len_ - lines_len_;
        c.lines = lines;
        return c;
    }

private:
    std::uint64_t start_, len_ = 0, crc_ = 0, lines_len_ = 0, lines_crc_ = 0;
    bool tail_read_ = false, opened_ = false, joined_ = true;
    HeldTail held_;
};

// What was read of each planned file, one per plans->reads entry (tasks in file order).
// *tails gets the line each planned file held back (HeldTail), if any.
std::vector<Consumed> join_pieces(const std::vector<Task>& tasks, const std::vector<FileReport>& files,
                                  const std::vector<FileStart>& starts, const ReadPlans& plans,
                                  std::vector<HeldTail>* tails) {
    std::vector<PieceJoin> joins;
    for (const auto& s : starts) joins.emplace_back(s.byte);
    for (const auto& t : tasks) joins[t.file].add(t);
    std::vector<Consumed> out(plans.reads.size());
    tails->assign(plans.reads.size(), {});
    for (std::size_t i = 0; i < files.size(); ++i) {
        out[starts[i].plan] = joins[i].result(files[i].physical_lines);
        HeldTail& t = (*tails)[starts[i].plan] = joins[i].held();
        t.line = files[i].physical_lines;
    }
    return out;
}

// Shard s of every worker into one map (the biggest one, moved, takes the others), shards in
// parallel.
std::vector<SessionMap> combine_shards(std::vector<std::vector<SessionMap>>& worker_shards, unsigned threads) {
    std::vector<SessionMap> out(kShards);
    const std::size_t workers = worker_shards.size();
    parallel_for(kShards, threads, [&](std::size_t s) {
        std::size_t biggest = 0;
        for (std::size_t w = 1; w < workers; ++w)
            if (worker_shards[w][s].size() > worker_shards[biggest][s].size()) biggest = w;
        SessionMap merged = std::move(worker_shards[biggest][s]);
        for (std::size_t w = 0; w < workers; ++w) {
            if (w == biggest) continue;
            for (auto& [k, p] : worker_shards[w][s]) {
                auto [it, inserted] = merged.try_emplace(k, std::move(p));
                if (!inserted) it->second.merge(std::move(p));
            }
            SessionMap().swap(worker_shards[w][s]);
        }
        out[s] = std::move(merged);
    });
    return out;
}

}  // namespace

void ingest_buffer(std::string_view data, const std::string& name, EventParser& parser, StringPool& pool,
                   SessionMap& sessions, FileReport& report, std::size_t samples_per_reason) {
    const auto src = open_memory(data);
    Limits limits;
    limits.max_line_bytes = parser.max_line_bytes();
    ingest_stream(*src, name, parser, pool, sessions, report, limits, samples_per_reason);
}

void ingest_stream(ByteSource& src, const std::string& name, EventParser& parser, StringPool& pool,
                   SessionMap& sessions, FileReport& report, const Limits& limits, std::size_t samples_per_reason) {
    std::vector<SessionMap> shards(kShards);
    report.file.path = name;
    LineSink sink(parser, pool, shards, samples_per_reason);
    sink.begin_file(&report);
    ReadBuffer buf;
    read_lines(src, sink, limits, nullptr, report, buf);
    sink.end_file();
    for (auto& shard : shards)
        for (auto& [k, p] : shard) {
            auto [it, inserted] = sessions.try_emplace(k, std::move(p));
            if (!inserted) it->second.merge(std::move(p));
        }
}

IngestResult ingest(const std::vector<InputFile>& files, const IngestOptions& opt) {
    IngestResult res;
    const std::vector<FileStart> starts = select_files(files, opt, res.files);
    std::vector<Task> tasks = plan_tasks(res.files, starts, opt);

    // Each thread folds its tasks into its own string pool and session shards.
    const unsigned threads = parallel_width(tasks.size(), opt.threads);
    res.pools.resize(threads);
    std::vector<std::vector<SessionMap>> worker_shards(threads);
    for (auto& w : worker_shards) w.resize(kShards);
    std::vector<std::unique_ptr<IngestWorker>> workers(threads);
    parallel_for(tasks.size(), threads, [&](std::size_t i, unsigned w) {
        if (!workers[w]) workers[w] = std::make_unique<IngestWorker>(opt, res.pools[w], worker_shards[w]);
        read_task(tasks[i], *workers[w], opt);
    });
    // Once one worker spilled, the rest go to key runs too: the merge reads only runs.
    if (opt.spill && !opt.spill->files().empty())
        parallel_for(threads, threads, [&](std::size_t w) {
            if (workers[w]) workers[w]->sink.spill_now();
        });
    workers.clear();

    fold_task_reports(tasks, res.files, opt.samples_per_reason);
    if (opt.plans) res.consumed = join_pieces(tasks, res.files, starts, *opt.plans, &res.tails);
    res.shards = combine_shards(worker_shards, threads);
    finish_ingest_totals(res, opt.samples_per_reason);
    return res;
}

void finish_ingest_totals(IngestResult& res, std::size_t samples_per_reason) {
    res.totals = IngestCounts();
    res.samples.clear();
    for (const auto& f : res.files) res.totals.add(f.counts);
    // Samples in path and line order, the first few per reason.
    std::array<std::size_t, static_cast<std::size_t>(Reject::kCount)> taken{};
    for (const auto& f : res.files)
        for (const auto& s : f.samples)
            if (taken[static_cast<std::size_t>(s.reason)]++ < samples_per_reason) res.samples.push_back(s);
}

}  // namespace cb
