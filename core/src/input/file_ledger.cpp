#include "cb/input/file_ledger.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <tuple>

#include "cb/input/byte_source.hpp"
#include "cb/util/archive.hpp"
#include "cb/util/crc64.hpp"

namespace cb {

std::string_view read_action_name(ReadPlan::Action a) {
    switch (a) {
        case ReadPlan::Action::Skip:
            return "skip";
        case ReadPlan::Action::ReadFrom:
            return "read_from";
        case ReadPlan::Action::ReadWhole:
            return "read_whole";
        case ReadPlan::Action::Reread:
            return "reread";
    }
    return "?";
}

namespace {

// Reads decoded bytes of a file from its start, for the checks of plan_reads().
class DecodedReader {
public:
    explicit DecodedReader(const std::string& path) { src_ = open_source(path, &error_); }
    // Up to n more bytes (fewer at the end, or after an error).
    std::string read(std::size_t n) {
        std::string out(n, '\0');
        std::size_t have = 0;
        while (src_ && have < n) {
            const std::size_t r = src_->read(out.data() + have, n - have);
            if (r == 0) break;
            have += r;
        }
        out.resize(have);
        pos_ += have;
        return out;
    }
    std::uint64_t pos() const { return pos_; }

private:
    std::unique_ptr<ByteSource> src_;
    std::string error_;
    std::uint64_t pos_ = 0;
};

// A prefix to check: its length and the CRC it had when it was read.
struct PrefixCheck {
    std::uint64_t len = 0, crc = 0;
    std::size_t candidate = 0;
    bool same = false;  // out: the file's first `len` decoded bytes have that CRC
    bool more = false;  // out: the file has decoded bytes after them
};

// Reads the file once, up to the longest prefix, checking each. Returns the decoded bytes read.
std::uint64_t check_prefixes(const std::string& path, std::vector<PrefixCheck>& checks) {
    constexpr std::size_t kBlock = std::size_t{1} << 20;
    std::sort(checks.begin(), checks.end(), [](const auto& a, const auto& b) { return a.len < b.len; });
    DecodedReader in(path);
    std::uint64_t crc = 0;
    for (auto& c : checks) {
        while (in.pos() < c.len) {
            const std::string block =
                in.read(static_cast<std::size_t>(std::min<std::uint64_t>(kBlock, c.len - in.pos())));
            if (block.empty()) break;
            crc = crc64(crc, block);
        }
        c.same = in.pos() == c.len && crc == c.crc;
    }
    const std::uint64_t seen = in.pos();
    const bool beyond = !in.read(1).empty();
    for (auto& c : checks) c.more = beyond || c.len < seen;
    return seen;
}

// How well a file matches an entry: lower is stronger.
enum Rank { Untouched = 0, SameFile = 1, SamePath = 2, SameContent = 3 };

// A JSON log of this run, as plan_reads() learns about it.
struct Candidate {
    std::size_t entry = 0;
    Rank rank = SameContent;
    bool same = false;  // its recorded bytes are all still there, unchanged
    bool more = false;  // and more follow them
};
struct Seen {
    ReadPlan plan;
    std::vector<Candidate> candidates;  // entries whose head it shares
    std::uint64_t decoded_seen = 0;     // decoded bytes read to check the candidates
    bool matched = false;
};

// Entries by the (head_len, head_crc) of their first bytes, to find the ones a file may continue.
class HeadIndex {
public:
    explicit HeadIndex(const std::vector<LedgerEntry>& entries) {
        for (std::size_t i = 0; i < entries.size(); ++i)
            if (entries[i].head_len > 0) {
                by_head_[{entries[i].head_len, entries[i].head_crc}].push_back(i);
                lengths_.insert(entries[i].head_len);
            }
    }
    // Entries whose first head_len bytes are those of `head`: one CRC pass over it.
    std::vector<std::size_t> find(std::string_view head) const {
        std::vector<std::size_t> out;
        std::uint64_t crc = 0, done = 0;
        for (const std::uint64_t len : lengths_) {
            if (len > head.size()) break;
            crc = crc64(crc, head.data() + done, static_cast<std::size_t>(len - done));
            done = len;
            if (auto it = by_head_.find({len, crc}); it != by_head_.end())
                out.insert(out.end(), it->second.begin(), it->second.end());
        }
        return out;
    }

private:
    std::map<std::pair<std::uint64_t, std::uint64_t>, std::vector<std::size_t>> by_head_;
    std::set<std::uint64_t> lengths_;
};

Rank rank_of(const ReadPlan& p, const LedgerEntry& e) {
    if (p.stat.same_file(e.stat)) return SameFile;
    return p.path == e.path ? SamePath : SameContent;
}

// The plan of a file before it is compared with the ledger: read whole.
ReadPlan first_plan(std::size_t index, const InputFile& f) {
    ReadPlan p;
    p.file_index = index;
    p.path = f.path;
    p.compression = f.compression;
    p.tracked = f.path != "-" && stat_file(f.path, &p.stat);
    p.reason = f.path == "-" ? "standard input: read whole every run, not tracked"
               : p.tracked   ? "new: not read before"
                             : "could not be stat'ed: read whole, not tracked";
    return p;
}

// Reads the head of a file and checks the entries that share it.
void find_candidates(Seen& s, const std::vector<LedgerEntry>& entries, const std::vector<bool>& taken,
                     const HeadIndex& heads, ReadPlans& out) {
    DecodedReader in(s.plan.path);
    s.plan.head = in.read(kLedgerHeadBytes);
    std::vector<PrefixCheck> checks;
    for (const std::size_t i : heads.find(s.plan.head)) {
        if (taken[i]) continue;
        checks.push_back({entries[i].bytes, entries[i].crc, s.candidates.size(), false, false});
        s.candidates.push_back({i, rank_of(s.plan, entries[i]), false, false});
    }
    if (checks.empty()) return;
    s.decoded_seen = check_prefixes(s.plan.path, checks);
    ++out.files_verified;
    out.bytes_verified += s.decoded_seen;
    for (const auto& k : checks) {
        s.candidates[k.candidate].same = k.same;
        s.candidates[k.candidate].more = k.more;
    }
}

std::string bytes_text(std::uint64_t n) { return std::to_string(n) + " decoded bytes"; }

// The file continues entry e (rank r): skip it, or read what follows the bytes read before.
void plan_continue(ReadPlan& p, const LedgerEntry& e, Rank r, bool more) {
    p.entry_id = e.id;
    p.start_decoded_byte = e.bytes;
    p.start_line = e.lines;
    const std::string as = e.path == p.path ? "" : " as " + e.path;
    if (r == Untouched) {
        p.action = ReadPlan::Action::Skip;
        p.reason = "unchanged since it was read" + as;
    } else if (!more) {
        p.action = ReadPlan::Action::Skip;
        p.reason = "nothing new after the " + bytes_text(e.bytes) + " read before" + as;
    } else {
        p.action = ReadPlan::Action::ReadFrom;
        p.reason = "grew: reading on after the " + bytes_text(e.bytes) + " read before" + as;
    }
    if (p.action == ReadPlan::Action::Skip) p.head.clear();
}

// Same file, same size and mtime as when it was read: skip it without reading a byte.
void match_untouched(std::vector<Seen>& seen, const std::vector<LedgerEntry>& entries, std::vector<bool>& taken) {
    std::map<std::tuple<std::uint64_t, std::uint64_t, std::uint64_t, std::int64_t>, std::size_t> by_stat;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const FileStat& st = entries[i].stat;
        by_stat.emplace(std::tuple(st.device, st.inode, st.size, st.mtime_ns), i);
    }
    for (auto& s : seen) {
        if (!s.plan.tracked) continue;
        const FileStat& st = s.plan.stat;
        const auto it = by_stat.find(std::tuple(st.device, st.inode, st.size, st.mtime_ns));
        if (it == by_stat.end() || taken[it->second] || !entries[it->second].stat.same_file(st)) continue;
        taken[it->second] = s.matched = true;
        plan_continue(s.plan, entries[it->second], Untouched, false);
    }
}

// Verified pairs of file and entry, strongest first (same file, then same path, then content
// only; then path order): each entry goes to one file, each file continues one entry.
void match_verified(std::vector<Seen>& seen, const std::vector<LedgerEntry>& entries, std::vector<bool>& taken) {
    std::vector<std::tuple<Rank, std::size_t, std::size_t>> pairs;  // rank, seen, candidate
    for (std::size_t s = 0; s < seen.size(); ++s)
        for (std::size_t c = 0; c < seen[s].candidates.size(); ++c)
            if (seen[s].candidates[c].same) pairs.emplace_back(seen[s].candidates[c].rank, s, c);
    std::sort(pairs.begin(), pairs.end());
    for (const auto& [rank, s, c] : pairs) {
        const Candidate& cand = seen[s].candidates[c];
        if (seen[s].matched || taken[cand.entry]) continue;
        taken[cand.entry] = seen[s].matched = true;
        plan_continue(seen[s].plan, entries[cand.entry], rank, cand.more);
    }
}

// A file that is the one read before (same device and inode, or same path), still starting as
// it did, whose bytes read before are not all there now: read again whole.
void match_changed(std::vector<Seen>& seen, const std::vector<LedgerEntry>& entries, std::vector<bool>& taken) {
    for (auto& s : seen) {
        if (s.matched) continue;
        for (const auto& c : s.candidates) {
            if (c.rank == SameContent || taken[c.entry]) continue;
            const LedgerEntry& e = entries[c.entry];
            taken[c.entry] = s.matched = true;
            s.plan.action = ReadPlan::Action::Reread;
            s.plan.entry_id = e.id;
            s.plan.reason =
                s.decoded_seen < e.bytes
                    ? "shrank: " + bytes_text(e.bytes) + " were read, it has " + std::to_string(s.decoded_seen) + " now"
                    : "changed: the first " + bytes_text(e.bytes) + " are not those read before";
            if (e.path != s.plan.path) s.plan.reason += " (as " + e.path + ")";
            s.plan.reason += "; read again whole, the data taken from it before is void";
            break;
        }
    }
}

// A file that is the one an entry was read from (same device and inode) but no longer starts as
// it did, while no other file continues that entry: it was edited in place, not rotated (a
// copytruncate's copy would have taken the entry by content, and a log begun anew at the same
// path is another inode). Read again whole; the data taken from it before is void.
void match_rewritten(std::vector<Seen>& seen, const std::vector<LedgerEntry>& entries, std::vector<bool>& taken) {
    for (auto& s : seen) {
        if (s.matched || !s.plan.tracked) continue;
        for (std::size_t i = 0; i < entries.size(); ++i) {
            const LedgerEntry& e = entries[i];
            if (taken[i] || e.missing || e.bytes == 0) continue;
            if (!e.stat.same_file(s.plan.stat)) continue;
            taken[i] = s.matched = true;
            s.plan.action = ReadPlan::Action::Reread;
            s.plan.entry_id = e.id;
            s.plan.reason = "changed: it does not start as it did when it was read";
            if (e.path != s.plan.path) s.plan.reason += " (as " + e.path + ")";
            s.plan.reason += "; read again whole, the data taken from it before is void";
            break;
        }
    }
}

}  // namespace

ReadPlans plan_reads(const FileLedger& previous, const std::vector<InputFile>& current) {
    const std::vector<LedgerEntry>& entries = previous.entries();
    std::vector<Seen> seen;
    for (std::size_t i = 0; i < current.size(); ++i)
        if (current[i].kind == FileKind::JsonLog) seen.push_back({first_plan(i, current[i]), {}, 0, false});
    std::vector<bool> taken(entries.size(), false);
    ReadPlans out;
    match_untouched(seen, entries, taken);
    const HeadIndex heads(entries);
    for (auto& s : seen)
        if (s.plan.tracked && !s.matched) find_candidates(s, entries, taken, heads, out);
    match_verified(seen, entries, taken);
    match_changed(seen, entries, taken);
    match_rewritten(seen, entries, taken);
    for (auto& s : seen) out.reads.push_back(std::move(s.plan));
    for (std::size_t i = 0; i < entries.size(); ++i)
        if (!taken[i] && !entries[i].missing && entries[i].bytes > 0) out.gone.push_back(entries[i]);
    return out;
}

// ---- FileLedger ----

const LedgerEntry* FileLedger::find(std::uint64_t id) const {
    for (const auto& e : entries_)
        if (e.id == id) return &e;
    return nullptr;
}

LedgerEntry* FileLedger::find_mutable(std::uint64_t id) { return const_cast<LedgerEntry*>(find(id)); }

namespace {

// Folds one read into its entry. A Skip changes only where the file is.
void record_read(LedgerEntry& e, const ReadPlan& p, const Consumed& c) {
    e.path = p.path;
    e.stat = p.stat;
    e.compression = p.compression;
    e.missing = false;
    if (p.action == ReadPlan::Action::Skip) return;
    const bool continues = p.action == ReadPlan::Action::ReadFrom && c.start == e.bytes;
    e.crc = continues ? crc64_combine(e.crc, c.crc, c.end - c.start) : c.crc;
    e.bytes = c.end;
    e.lines = c.lines;
    if (!continues || e.head_len < kLedgerHeadBytes) {
        e.head_len = std::min<std::uint64_t>(p.head.size(), e.bytes);
        e.head_crc = crc64(0, p.head.data(), static_cast<std::size_t>(e.head_len));
    }
    // Not joined up: the file changed while it was read. No size or mtime matches it next run,
    // and its CRC will not either: it is read again whole.
    if (!c.joined || (p.action == ReadPlan::Action::ReadFrom && !continues)) e.stat.size = e.stat.mtime_ns = 0;
}

}  // namespace

FileLedger FileLedger::updated(const ReadPlans& plans, const std::vector<Consumed>& consumed,
                               std::vector<std::uint64_t>* ids) const {
    FileLedger next = *this;
    std::set<std::uint64_t> present;
    if (ids) ids->assign(plans.reads.size(), 0);
    for (std::size_t i = 0; i < plans.reads.size(); ++i) {
        const ReadPlan& p = plans.reads[i];
        const bool read = p.action != ReadPlan::Action::Skip;
        if (!p.tracked || (read && (i >= consumed.size() || !consumed[i].opened))) {
            if (p.entry_id) present.insert(p.entry_id);  // not read this time: as it was
            if (ids && p.tracked) (*ids)[i] = p.entry_id;
            continue;
        }
        LedgerEntry* e = p.entry_id ? next.find_mutable(p.entry_id) : nullptr;
        if (!e) {
            e = &next.entries_.emplace_back();
            e->id = next.next_id_++;
        }
        record_read(*e, p, read ? consumed[i] : Consumed{});
        present.insert(e->id);
        if (ids) (*ids)[i] = e->id;
    }
    for (auto& e : next.entries_)
        if (!present.count(e.id)) e.missing = true;
    // A missing file of which nothing was taken (it held no complete line) need not be remembered.
    std::erase_if(next.entries_, [](const LedgerEntry& e) { return e.missing && e.bytes == 0; });
    return next;
}

namespace {
constexpr std::string_view kMagic = "cowrie-batch file ledger\n";
}

bool FileLedger::load(const std::string& path, FileLedger* out, std::string* error) {
    *out = FileLedger();
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        if (errno == ENOENT) return true;
        *error = path + ": " + std::strerror(errno);
        return false;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string data = ss.str();
    if (data.compare(0, kMagic.size(), kMagic) != 0) {
        *error = path + ": not a file ledger of cowrie-batch";
        return false;
    }
    InArchive ar(std::string_view(data).substr(kMagic.size()));
    std::uint64_t version = 0;
    ar(version);
    if (version != kFormatVersion) {
        *error = path + ": file ledger format " + std::to_string(version) + ", this build reads " +
                 std::to_string(kFormatVersion);
        return false;
    }
    ar(out->next_id_, out->entries_);
    if (!ar.ok()) {
        *out = FileLedger();
        *error = path + ": damaged file ledger";
        return false;
    }
    return true;
}

bool FileLedger::save(const std::string& path, std::string* error) const {
    std::string data(kMagic);
    OutArchive ar(data);
    ar(kFormatVersion, next_id_, entries_);
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out.write(data.data(), static_cast<std::streamsize>(data.size()));
        out.close();
        if (!out) {
            *error = tmp + ": " + std::strerror(errno);
            return false;
        }
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        *error = path + ": " + std::strerror(errno);
        return false;
    }
    return true;
}

}  // namespace cb
