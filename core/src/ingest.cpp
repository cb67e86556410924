#include "cb/ingest.hpp"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <thread>

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
    for (std::size_t i = 0; i < rejected.size(); ++i) rejected[i] += o.rejected[i];
    for (const auto& [k, v] : o.by_eventid) by_eventid[k] += v;
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
    LineSink(EventParser& parser, StringPool& pool, std::vector<SessionMap>& shards, std::size_t samples_per_reason)
        : parser_(parser), pool_(pool), shards_(shards), samples_per_reason_(samples_per_reason) {}

    void begin_file(FileReport* report) {
        report_ = report;
        lineno_ = 0;
        eventid_counts_.clear();
        repairs_before_ = parser_.utf8_repairs();
        type_errors_before_ = parser_.type_errors();
    }

    void end_file() {
        auto& c = report_->counts;
        c.utf8_repairs += parser_.utf8_repairs() - repairs_before_;
        c.type_errors += parser_.type_errors() - type_errors_before_;
        for (const auto& [k, v] : eventid_counts_) c.by_eventid[std::string(k)] += v;
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
        Event ev;
        Reject r = parser_.parse(std::string_view(p, n), capacity, &ev);
        if (r == Reject::InvalidJson && no_newline) r = Reject::TruncatedLine;
        if (r != Reject::None) {
            reject(r, std::string_view(p, n));
            return;
        }
        ++c.events;
        ++eventid_counts_[pool_.intern(ev.eventid)];
        if (ev.session.empty()) {
            ++c.sessionless_events;
            return;
        }
        const SessionKey probe{ev.sensor, ev.session};
        auto& shard = shards_[SessionKeyHash{}(probe) % kShards];
        auto it = shard.find(probe);
        if (it == shard.end()) {
            const SessionKey key{pool_.intern(ev.sensor), pool_.intern(ev.session)};
            it = shard.emplace(key, SessionPartial{}).first;
            it->second.key = key;
        }
        it->second.add(ev, pool_);
    }

    void reject(Reject r, std::string_view text) {
        ++report_->counts.rejected[static_cast<std::size_t>(r)];
        std::size_t have = 0;
        for (const auto& s : report_->samples) have += s.reason == r;
        if (have < samples_per_reason_)
            report_->samples.push_back({r, report_->file.path, lineno_, std::string(text.substr(0, 120))});
    }

    std::uint64_t lineno() const { return lineno_; }
    void count_line() { ++lineno_; }

private:
    EventParser& parser_;
    StringPool& pool_;
    std::vector<SessionMap>& shards_;
    std::size_t samples_per_reason_;
    FileReport* report_ = nullptr;
    std::uint64_t lineno_ = 0;
    std::uint64_t repairs_before_ = 0, type_errors_before_ = 0;
    std::unordered_map<std::string_view, std::uint64_t> eventid_counts_;
};

// Reads one source line by line into the sink. Lines longer than max_line are rejected
// without being held in memory.
void read_lines(ByteSource& src, LineSink& sink, std::size_t max_line, std::atomic<std::uint64_t>* progress,
                FileReport& report) {
    std::vector<char> buf(kChunk + simdjson::SIMDJSON_PADDING);
    std::size_t cap = kChunk;  // usable bytes (the rest is padding)
    std::size_t have = 0;
    bool eof = false;
    bool skipping = false;  // inside an over-long line
    std::size_t raw_seen = 0;
    while (!eof) {
        while (have < cap) {
            const std::size_t r = src.read(buf.data() + have, cap - have);
            if (r == 0) {
                eof = true;
                break;
            }
            report.counts.decoded_bytes += r;
            have += r;
        }
        if (progress) {
            const std::size_t raw = src.raw_bytes();
            progress->fetch_add(raw - raw_seen, std::memory_order_relaxed);
            raw_seen = raw;
        }
        std::size_t pos = 0;
        const char* base = buf.data();
        const char* end_alloc = base + buf.size();
        while (pos < have) {
            const char* nl = static_cast<const char*>(std::memchr(base + pos, '\n', have - pos));
            if (!nl) break;
            const std::size_t len = static_cast<std::size_t>(nl - (base + pos));
            if (skipping) {
                skipping = false;
            } else {
                sink.line(base + pos, len, static_cast<std::size_t>(end_alloc - (base + pos)), false);
            }
            pos += len + 1;
        }
        if (eof) {
            if (pos < have && !skipping)
                sink.line(base + pos, have - pos, static_cast<std::size_t>(end_alloc - (base + pos)), true);
            break;
        }
        if (pos == 0 && have == cap) {
            // One line fills the buffer: grow it, or give up on this line if it is too long.
            if (skipping) {
                have = 0;
                continue;
            }
            if (cap * 2 > max_line + 1) {
                sink.count_line();
                sink.reject(Reject::TooLarge, std::string_view(base, 120));
                skipping = true;
                have = 0;
                continue;
            }
            cap *= 2;
            buf.resize(cap + simdjson::SIMDJSON_PADDING);
            continue;
        }
        std::memmove(buf.data(), buf.data() + pos, have - pos);
        have -= pos;
    }
    report.counts.bytes = src.raw_bytes();
    if (!src.error().empty()) report.error = src.error();
}

}  // namespace

void ingest_buffer(std::string_view data, const std::string& name, EventParser& parser, StringPool& pool,
                   SessionMap& sessions, FileReport& report, std::size_t samples_per_reason) {
    class MemSource : public ByteSource {
    public:
        explicit MemSource(std::string_view d) : d_(d) {}
        std::size_t read(char* buf, std::size_t n) override {
            const std::size_t k = std::min(n, d_.size() - pos_);
            std::memcpy(buf, d_.data() + pos_, k);
            pos_ += k;
            raw_bytes_ = pos_;
            return k;
        }

    private:
        std::string_view d_;
        std::size_t pos_ = 0;
    } src(data);
    std::vector<SessionMap> shards(kShards);
    report.file.path = name;
    LineSink sink(parser, pool, shards, samples_per_reason);
    sink.begin_file(&report);
    read_lines(src, sink, std::size_t{1} << 30, nullptr, report);
    sink.end_file();
    for (auto& shard : shards)
        for (auto& [k, p] : shard) {
            auto [it, inserted] = sessions.try_emplace(k, std::move(p));
            if (!inserted) it->second.merge(std::move(p));
        }
}

IngestResult ingest(const std::vector<InputFile>& files, const IngestOptions& opt) {
    IngestResult res;
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < files.size(); ++i)
        if (files[i].kind == FileKind::JsonLog) order.push_back(i);
    res.files.resize(order.size());
    for (std::size_t j = 0; j < order.size(); ++j) res.files[j].file = files[order[j]];
    // Largest files first keeps the threads evenly loaded at the end.
    std::vector<std::size_t> schedule(order.size());
    for (std::size_t j = 0; j < schedule.size(); ++j) schedule[j] = j;
    std::stable_sort(schedule.begin(), schedule.end(),
                     [&](std::size_t a, std::size_t b) { return res.files[a].file.size > res.files[b].file.size; });

    unsigned threads = opt.threads ? opt.threads : std::max(1u, std::thread::hardware_concurrency());
    threads = std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(std::max<std::size_t>(1, order.size()))));
    res.pools.resize(threads);
    std::vector<std::vector<SessionMap>> worker_shards(threads, std::vector<SessionMap>(kShards));
    std::atomic<std::size_t> next{0};

    auto work = [&](unsigned w) {
        EventParser parser(opt.max_line_bytes);
        LineSink sink(parser, res.pools[w], worker_shards[w], opt.samples_per_reason);
        for (;;) {
            const std::size_t n = next.fetch_add(1);
            if (n >= schedule.size()) break;
            FileReport& report = res.files[schedule[n]];
            std::string err;
            auto src = open_source(report.file.path, &err);
            if (!src) {
                report.error = err;
                continue;
            }
            sink.begin_file(&report);
            read_lines(*src, sink, opt.max_line_bytes, opt.progress_bytes, report);
            sink.end_file();
        }
    };
    std::vector<std::thread> pool;
    for (unsigned w = 1; w < threads; ++w) pool.emplace_back(work, w);
    work(0);
    for (auto& t : pool) t.join();

    // Combine: shard s of every worker into one map, shards in parallel.
    res.shards.resize(kShards);
    std::atomic<std::size_t> next_shard{0};
    auto combine = [&] {
        for (;;) {
            const std::size_t s = next_shard.fetch_add(1);
            if (s >= kShards) break;
            unsigned biggest = 0;
            for (unsigned w = 1; w < threads; ++w)
                if (worker_shards[w][s].size() > worker_shards[biggest][s].size()) biggest = w;
            SessionMap merged = std::move(worker_shards[biggest][s]);
            for (unsigned w = 0; w < threads; ++w) {
                if (w == biggest) continue;
                for (auto& [k, p] : worker_shards[w][s]) {
                    auto [it, inserted] = merged.try_emplace(k, std::move(p));
                    if (!inserted) it->second.merge(std::move(p));
                }
                SessionMap().swap(worker_shards[w][s]);
            }
            res.shards[s] = std::move(merged);
        }
    };
    pool.clear();
    for (unsigned w = 1; w < threads; ++w) pool.emplace_back(combine);
    combine();
    for (auto& t : pool) t.join();

    for (const auto& f : res.files) res.totals.add(f.counts);
    // Samples in path and line order, the first few per reason.
    std::array<std::size_t, static_cast<std::size_t>(Reject::kCount)> taken{};
    for (const auto& f : res.files)
        for (const auto& s : f.samples)
            if (taken[static_cast<std::size_t>(s.reason)]++ < opt.samples_per_reason) res.samples.push_back(s);
    return res;
}

}  // namespace cb
