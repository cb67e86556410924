#include "cb/engine/state.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <future>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <new>
#include <random>
#include <set>
#include <utility>

#include "cb/analysis/analysis.hpp"
#include "cb/engine/spill.hpp"
#include "cb/parse/command_template.hpp"
#include "cb/util/archive.hpp"
#include "cb/util/crc64.hpp"
#include "cb/util/direct_file.hpp"
#include "cb/util/interrupt_cleanup.hpp"
#include "cb/util/parallel.hpp"
#include "cb/util/text.hpp"
#include "cb/util/zstd_frame.hpp"
#include "cb/version.hpp"

namespace cb {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kManifestMagic = "cowrie-batch state 1\n";

// A FileReport as the state keeps it.
struct StoredReport {
    std::uint64_t id = 0;
    FileReport r;
    template <class Ar>
    void io(Ar& ar) {
        ar(id, r.file.path, r.file.size, r.file.kind, r.file.compression, r.counts, r.physical_lines, r.error,
           r.samples);
    }
};

// The file's bytes, read into a string of its size (not grown by doubling: no page is taken twice).
std::string read_whole(const std::string& path, bool* ok) {
    std::string bytes;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    *ok = fd >= 0 && ::fstat(fd, &st) == 0;
    if (*ok) bytes.resize(static_cast<std::size_t>(st.st_size));
    std::size_t got = 0;
    while (*ok && got < bytes.size()) {
        const ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
        if (n <= 0) {
            *ok = n == 0;  // 0: the file got shorter
            break;
        }
        got += static_cast<std::size_t>(n);
    }
    bytes.resize(got);
    if (fd >= 0) ::close(fd);
    return bytes;
}

// Writes the parts one after another as PATH.tmp, renamed to PATH (replace_file(): the
// checkpoint and the row hashes, 12 and 6 MB at 1 GiB, past the page cache).
std::string write_whole(const std::string& path, std::initializer_list<std::string_view> parts) {
    return replace_file(path, parts) == 0 ? std::string() : "cannot write the state file " + path;
}

std::string write_whole(const std::string& path, std::string_view data) { return write_whole(path, {data}); }

}  // namespace

std::string save_key_list(const std::string& path, std::vector<std::uint64_t> keys, std::uint64_t tag) {
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    const std::uint64_t crc = crc64(crc64(0, &tag, sizeof tag), keys.data(), keys.size() * sizeof(std::uint64_t));
    std::string bytes;
    OutArchive ar(bytes);
    auto records = raw_records(keys);
    ar(tag, records, crc);
    return write_whole(path, bytes);
}

bool load_key_list(const std::string& path, std::vector<std::uint64_t>* keys, std::uint64_t* tag) {
    bool ok = false;
    const std::string bytes = read_whole(path, &ok);
    if (!ok) return false;
    InArchive ar(bytes);
    std::uint64_t crc = 0;
    auto records = raw_records(*keys);
    ar(*tag, records, crc);
    return ar.ok() && crc == crc64(crc64(0, tag, sizeof *tag), keys->data(), keys->size() * sizeof(std::uint64_t)) &&
           std::is_sorted(keys->begin(), keys->end());
}

std::uint64_t file_tag(const std::string& path) {
    FileStat st;
    if (!stat_file(path, &st)) return 0;
    return (st.size * 0x9E3779B97F4A7C15ULL) ^ static_cast<std::uint64_t>(st.mtime_ns);
}

namespace {

bool load_reports(const std::string& path, std::map<std::uint64_t, FileReport>* out) {
    bool ok = false;
    const std::string bytes = read_whole(path, &ok);
    if (!ok) return false;
    InArchive ar(bytes);
    std::vector<StoredReport> v;
    ar(v);
    if (!ar.ok()) return false;
    for (auto& s : v) (*out)[s.id] = std::move(s.r);
    return true;
}

std::string save_reports(const std::string& path, const std::map<std::uint64_t, FileReport>& reports) {
    std::vector<StoredReport> v;
    for (const auto& [id, r] : reports) v.push_back({id, r});
    std::string bytes;
    OutArchive ar(bytes);
    ar(v);
    return write_whole(path, bytes);
}

// Keeps the first `keep` samples per reason, in the order given.
void trim_samples(std::vector<RejectSample>& samples, std::size_t keep) {
    std::array<std::size_t, static_cast<std::size_t>(Reject::kCount)> taken{};
    std::vector<RejectSample> kept;
    for (auto& s : samples)
        if (taken[static_cast<std::size_t>(s.reason)]++ < keep) kept.push_back(std::move(s));
    samples = std::move(kept);
}

// `more`, read this run from where `base` ended, folded into base.
void continue_report(FileReport& base, FileReport&& more, std::size_t samples_per_reason) {
    base.counts.add(more.counts);
    base.physical_lines = more.physical_lines;  // counted from the file's start
    if (!more.error.empty()) base.error = std::move(more.error);
    for (auto& s : more.samples) base.samples.push_back(std::move(s));
    trim_samples(base.samples, samples_per_reason);
}

// The held last lines (HeldTail): a missing file holds none.
bool load_tails(const std::string& path, std::map<std::uint64_t, HeldTail>* out) {
    bool ok = false;
    const std::string bytes = read_whole(path, &ok);
    if (!ok) return !std::filesystem::exists(path);
    InArchive ar(bytes);
    ar(*out);
    return ar.ok();
}

void load_sqlite_rows(const std::string& path, SqliteRowHashes* out) {
    bool ok = false;
    const std::string bytes = read_whole(path, &ok);
    if (!ok) return;
    InArchive ar(bytes);
    ar(*out);
    if (!ar.ok()) *out = SqliteRowHashes();
}

// Reads what `part` archives from one frame; false unless every byte is read.
template <class Part>
bool read_part(std::string_view frame, Part part) {
    const std::optional<std::string> bytes = unzstd(frame);
    if (!bytes) return false;
    InArchive ar(*bytes);
    part(ar);
    return ar.ok();
}

// The run part (Checkpoint::io_run(), then the picks): the picks are what is left of the
// decompressed part once the rest is read, moved rather than copied out of it.
bool read_run_part(std::string_view frame, Checkpoint& cp) {
    std::optional<std::string> bytes = unzstd(frame);
    if (!bytes) return false;
    InArchive ar(*bytes);
    std::string_view picks;
    cp.io_run(ar);
    ar(picks);
    if (!ar.ok()) return false;
    bytes->erase(0, static_cast<std::size_t>(picks.data() - bytes->data()));
    cp.picks = std::move(*bytes);
    return true;
}

// The checkpoint file (Checkpoint::io()): four frames, the zstd ones each with its checksum, and
// the analyses' skippable one with its CRC (a file damaged on disk is not used: its states would
// carry into every later checkpoint; a tail run trusts a checkpoint whose states read,
// Checkpoint::states_loaded, not to need the sessions before its tail). The plan and run parts
// go to `plan` as soon as they are read, then the states are read and returned (in a Checkpoint
// of their own; nullopt when they do not read whole).
std::optional<Checkpoint> read_checkpoint(const std::string& path, std::promise<std::optional<Checkpoint>>& plan,
                                          bool* told) {
    bool ok = false;
    const std::string packed = read_whole(path, &ok);
    const std::vector<std::string_view> frames = ok ? zstd_frames(packed) : std::vector<std::string_view>();
    Checkpoint cp;
    const bool read = frames.size() == 4 && read_part(frames[0], [&](InArchive& ar) { cp.io_plan(ar); }) &&
                      cp.format == Checkpoint::kFormat && read_run_part(frames[3], cp);
    plan.set_value(read ? std::optional<Checkpoint>(std::move(cp)) : std::nullopt);
    *told = true;
    if (!read) return {};
    Checkpoint states;
    if (!read_part(frames[1], [&](InArchive& ar) { states.io_states(ar); })) return {};
    const std::optional<std::string_view> analyses = skipped_content(frames[2]);
    if (!analyses) return {};
    InArchive ar(*analyses);
    states.io_analyses(ar);
    if (!ar.ok()) return {};
    return states;
}

// read_checkpoint() that fails as a damaged file does, whatever it throws (a header's size
// too large to allocate): `plan` is always told, or the run would wait for it forever.
std::optional<Checkpoint> load_checkpoint(const std::string& path, std::promise<std::optional<Checkpoint>>& plan) {
    bool told = false;
    try {
        return read_checkpoint(path, plan, &told);
    } catch (...) {
        if (!told) plan.set_value(std::nullopt);
        return {};
    }
}

// What `part` archives, in a string reserved `about` bytes: the strings and key hashes the part
// holds, nearly all of it (tens of MB in a year's state: grown by doubling, it would take twice
// that in new pages).
template <class Part>
std::string archived(Part part, std::size_t about) {
    std::string bytes;
    bytes.reserve(about + 4096);
    OutArchive ar(bytes);
    part(ar);
    return bytes;
}

std::size_t total_size(const std::vector<std::string>& strings) {
    std::size_t n = 0;
    for (const std::string& s : strings) n += s.size() + 10;
    return n;
}

// The frames of the parts a run's tables make (Checkpoint::io_plan(), io_states() and
// io_analyses()).
std::string settled_frames(Checkpoint& cp, int workers) {
    constexpr std::size_t kHash = sizeof(std::uint64_t);
    const std::size_t plan_bytes = cp.options.size() + cp.markers.size() + cp.settled_markers.size() +
                                   kHash * (cp.settled.size() + cp.unsettled.size() + cp.provisional.size());
    const std::size_t states_bytes = cp.basic.size() + cp.totals.size() + cp.recording_findings.size();
    const std::string plan = zstd_frame(archived([&](OutArchive& ar) { cp.io_plan(ar); }, plan_bytes), workers);
    const std::string states = zstd_frame(archived([&](OutArchive& ar) { cp.io_states(ar); }, states_bytes), workers);
    if (plan.empty() || states.empty()) return {};
    std::string frames;
    frames.reserve(plan.size() + states.size() + total_size(cp.analyses) + 4096);
    frames.append(plan).append(states);
    const bool fits = append_skippable_frame(frames, [&](std::string& out) {
        OutArchive ar(out);
        cp.io_analyses(ar);
    });
    return fits ? frames : std::string();
}

// The frame of the run part (Checkpoint::io_run(), then the picks): the picks, tens of MB,
// compressed where they are rather than copied into the archive first.
std::string run_frame(Checkpoint& cp) {
    std::string head;
    OutArchive ar(head);
    cp.io_run(ar);
    ar.varint(cp.picks.size());  // what ar(cp.picks) writes before their bytes
    return zstd_frame({head, cp.picks}, 2);
}

// settled_part: settled_frames(cp), when compress_settled_part() made them; run_part: run_frame(cp),
// when the caller made it.
std::string save_checkpoint(const std::string& path, Checkpoint& cp, std::string settled_part, std::string run_part) {
    if (settled_part.empty()) settled_part = settled_frames(cp, 2);
    if (run_part.empty()) run_part = run_frame(cp);
    if (settled_part.empty() || run_part.empty()) return "cannot compress the state file " + path;
    return write_whole(path, {settled_part, run_part});
}

}  // namespace

bool pack_checkpoint_states(std::vector<std::string>& states, std::vector<std::string>& kept, unsigned threads) {
    kept.resize(states.size());
    parallel_for(states.size(), threads, [&](std::size_t k) {
        const std::string piece = zstd_frame(states[k]);
        if (!piece.empty()) {
            kept[k].reserve(kept[k].size() + piece.size());
            kept[k] += piece;
        }
        states[k] = piece.empty() ? std::string() : std::move(kept[k]);
    });
    kept.clear();
    return std::none_of(states.begin(), states.end(), [](const std::string& s) { return s.empty(); });
}

bool unpack_checkpoint_state(std::string_view packed, std::vector<std::string>* pieces) {
    pieces->clear();
    for (std::string_view frame : zstd_frames(packed)) {
        std::optional<std::string> bytes = unzstd(frame);
        if (!bytes) return false;
        pieces->push_back(std::move(*bytes));
    }
    return !pieces->empty();
}

std::uint64_t recording_links_hash(const Session& s, std::uint64_t key_hash) {
    std::uint64_t h = 0;
    for (const Item& it : s.items) {
        if (it.kind != ItemKind::TtyLog) continue;
        h = stable_hash64(it.c, h ^ key_hash) + 1;
        FileStat st;
        if (it.c.empty() || !stat_file(std::string(it.c), &st)) continue;
        // the file at that path, as it is now: a recording completed or changed in place is
        // read again (what was read of it is in the checkpoint's recording findings)
        h = (h ^ st.size) * 0x9E3779B97F4A7C15ULL + static_cast<std::uint64_t>(st.mtime_ns);
    }
    return h;
}

namespace {

// N of a file named sessions.N (N > 0, digits only), 0 for `sessions`, -1 for anything else.
long segment_number(const std::string& name) {
    if (name == "sessions") return 0;
    constexpr std::string_view kPrefix = "sessions.";
    if (name.rfind(kPrefix, 0) != 0 || name.size() == kPrefix.size() || name.size() > kPrefix.size() + 9) return -1;
    long n = 0;
    for (char c : name.substr(kPrefix.size())) {
        if (c < '0' || c > '9') return -1;
        n = n * 10 + (c - '0');
    }
    return n > 0 ? n : -1;
}

// The sessions files in dir, `sessions` first, then sessions.N by N.
std::vector<std::string> sessions_files(const std::string& dir) {
    std::vector<std::pair<long, std::string>> found;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (const long n = segment_number(name); n >= 0) found.emplace_back(n, it->path().string());
    }
    std::sort(found.begin(), found.end());
    std::vector<std::string> out;
    for (auto& f : found) out.push_back(std::move(f.second));
    return out;
}

constexpr std::string_view kFilesLine = "sessions-files";

// The manifest's line naming the state's sessions files, from those in dir.
std::string files_line(const std::string& dir) {
    std::string line(kFilesLine);
    for (const auto& f : sessions_files(dir)) line += " " + fs::path(f).filename().string();
    return line + "\n";
}

constexpr std::string_view kIndexedLine = "indexed", kLikelyLine = "likely";

// The manifest's lines naming the sessions files of dir with a key list (FILE.keys), and the
// number of its `likely` (with likely.keys, which holds it), if any.
std::string index_lines(const std::string& dir) {
    std::error_code ec;
    std::string line(kIndexedLine);
    for (const auto& f : sessions_files(dir))
        if (fs::exists(f + ".keys", ec)) line += " " + fs::path(f).filename().string();
    line += "\n";
    std::vector<std::uint64_t> keys;
    std::uint64_t generation = 0;
    if (fs::exists(dir + "/likely", ec) && load_key_list(dir + "/likely.keys", &keys, &generation))
        line += std::string(kLikelyLine) + " " + std::to_string(generation) + "\n";
    return line;
}

// The names on the manifest's line that begins with `word` (`rest`: its lines after the
// fingerprint), as they are.
std::vector<std::string> manifest_names(std::string_view rest, std::string_view word) {
    std::vector<std::string> out;
    for (std::size_t at = 0; at < rest.size();) {
        const std::size_t end = std::min(rest.find('\n', at), rest.size());
        std::string_view line = rest.substr(at, end - at);
        at = end + 1;
        if (line.rfind(word, 0) != 0 || (line.size() > word.size() && line[word.size()] != ' ')) continue;
        line.remove_prefix(word.size());
        while (!line.empty()) {
            line.remove_prefix(std::min(line.find_first_not_of(' '), line.size()));
            const std::string name(line.substr(0, line.find(' ')));
            line.remove_prefix(name.size());
            if (!name.empty()) out.push_back(name);
        }
    }
    return out;
}

// The sessions files the manifest lists (`rest`: its lines after the fingerprint). Only those:
// a copy of the state made over an older copy (rsync without --delete) may hold files that a
// later run merged into `sessions`, and reading them too would count their sessions twice.
std::vector<std::string> listed_sessions_files(const std::string& dir, std::string_view rest) {
    std::vector<std::string> out;
    for (const std::string& name : manifest_names(rest, kFilesLine))
        if (segment_number(name) >= 0) out.push_back(dir + "/" + name);
    return out;
}

}  // namespace

std::string state_fingerprint(const Limits& limits) {
    return std::string("cowrie-batch ") + kVersion + "; ledger format " + std::to_string(FileLedger::kFormatVersion) +
           "; max-line-bytes " + std::to_string(limits.max_line_bytes) + "; max-file-bytes " +
           std::to_string(limits.max_file_bytes) + "\n";
}

namespace {

// "state/" names the folder "state": the .new-/.old- folders go beside it, not inside.
std::string without_trailing_slashes(std::string dir) {
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    return dir;
}

// A run stopped between the two renames of StateWriter::commit() leaves no DIR, the old state as
// DIR.old-PID and the new one, whole (its manifest is written last), as DIR.new-PID: the new one
// is put in place. Without the .old- folder the .new- one is not trusted (a first run stopped
// before its only rename, or a state the user removed on purpose).
void finish_interrupted_swap(const std::string& dir) {
    const std::string base = without_trailing_slashes(dir);
    const fs::path parent = fs::path(base).parent_path().empty() ? fs::path(".") : fs::path(base).parent_path();
    const std::string name = fs::path(base).filename().string();
    std::error_code ec;
    for (fs::directory_iterator it(parent, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string entry = it->path().filename().string();
        if (entry.rfind(name + ".new-", 0) != 0) continue;
        const std::string pid = entry.substr(name.size() + 5);
        const fs::path old = parent / (name + ".old-" + pid);
        std::error_code e2;
        if (!fs::exists(it->path() / "manifest", e2) || !fs::exists(old, e2)) continue;
        fs::rename(it->path(), base, e2);
        if (!e2) fs::remove_all(old, e2);
        return;
    }
}

// Whether dir needs finish_interrupted_swap(): it is missing, or an empty folder (made again by
// a wrapper's mkdir -p after the swap was stopped).
bool swap_may_be_unfinished(const std::string& dir) {
    std::error_code ec;
    return !fs::exists(dir, ec) || (fs::is_directory(dir, ec) && fs::is_empty(dir, ec));
}

}  // namespace

KnownFiles known_logs(const std::string& dir, const Limits& limits) {
    bool ok = false;
    const std::string manifest = read_whole(dir + "/manifest", &ok);
    const std::string fingerprint = state_fingerprint(limits);
    KnownFiles known;
    FileLedger ledger;
    std::string error;
    if (!ok || manifest.compare(0, kManifestMagic.size(), kManifestMagic) != 0 ||
        manifest.compare(kManifestMagic.size(), fingerprint.size(), fingerprint) != 0 ||
        !FileLedger::load(dir + "/ledger", &ledger, &error))
        return known;
    for (const LedgerEntry& e : ledger.entries())
        if (e.stat.inode != 0) known[{e.stat.device, e.stat.inode}] = {e.stat, FileKind::JsonLog, e.compression};
    return known;
}

bool load_state(const std::string& dir, const std::string& fingerprint, RunState* out, std::string* note,
                std::string* error) {
    *out = RunState();
    std::error_code ec;
    if (swap_may_be_unfinished(dir)) finish_interrupted_swap(dir);
    if (!fs::exists(dir, ec)) return true;
    if (!fs::is_directory(dir, ec)) {
        *error = dir + " is not a folder (--state)";
        return false;
    }
    bool ok = false;
    const std::string manifest = read_whole(dir + "/manifest", &ok);
    if (!ok) {
        if (fs::is_empty(dir, ec)) return true;
        *error = dir + " holds files but no cowrie-batch state (no manifest): give an empty or new folder to --state";
        return false;
    }
    if (manifest.rfind(kManifestMagic, 0) != 0) {
        *error = dir + "/manifest is not a cowrie-batch state manifest";
        return false;
    }
    const std::size_t fingerprint_end = manifest.find('\n', kManifestMagic.size());
    if (fingerprint_end == std::string::npos ||
        manifest.compare(kManifestMagic.size(), fingerprint_end + 1 - kManifestMagic.size(), fingerprint) != 0) {
        *note = "the state in " + dir + " was made by " +
                manifest.substr(kManifestMagic.size(), fingerprint_end - kManifestMagic.size()) + "; this run is " +
                fingerprint.substr(0, fingerprint.size() - 1) + ": reading every log again to rebuild it";
        return true;
    }
    if (!FileLedger::load(dir + "/ledger", &out->ledger, error)) return false;
    if (!load_reports(dir + "/reports", &out->reports)) {
        *error = "cannot read the state file " + dir + "/reports (damaged?)";
        return false;
    }
    if (!load_tails(dir + "/tails", &out->tails)) {
        *error = "cannot read the state file " + dir + "/tails (damaged?)";
        return false;
    }
    const std::string_view rest = std::string_view(manifest).substr(fingerprint_end + 1);
    out->sessions = listed_sessions_files(dir, rest);
    for (const std::string& name : manifest_names(rest, kIndexedLine))  // a list gone is left out by keep()
        if (const std::string f = dir + "/" + name;
            std::find(out->sessions.begin(), out->sessions.end(), f) != out->sessions.end())
            out->indexed.push_back(f);
    const std::vector<std::string> likely = manifest_names(rest, kLikelyLine);
    out->likely = likely.size() == 1 ? std::strtoull(likely[0].c_str(), nullptr, 10) : 0;
    load_sqlite_rows(dir + "/sqlite_rows", &out->sqlite_rows);  // missing or damaged: none
    return true;
}

namespace {

// Whether the folder p holds nothing but files a state has (a user's notes or archive in it keep
// it from being taken for a left-over state).
bool holds_only_state_files(const fs::path& p) {
    static const std::set<std::string, std::less<>> kNames = {"manifest",   "ledger", "reports",     "tails",
                                                              "checkpoint", "likely", "likely.keys", "sqlite_rows"};
    std::error_code ec;
    if (!fs::is_directory(fs::symlink_status(p, ec)) || ec) return false;
    for (fs::directory_iterator it(p, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string n = it->path().filename().string();
        const bool key_list = n.size() > 5 && n.compare(n.size() - 5, 5, ".keys") == 0;
        if (!kNames.count(n) && segment_number(key_list ? n.substr(0, n.size() - 5) : n) < 0) return false;
    }
    return !ec;
}

// The new and old states that runs killed before they could clean up left beside dir (SIGKILL,
// a crash, a power cut: SIGINT and SIGTERM remove them): DIR.new-PID and DIR.old-PID exactly,
// folders of state files only, of a process that is gone. Only while dir holds the state, and
// never a pair of one process (a swap stopped between its renames: finish_interrupted_swap()
// puts the new one in place when dir is missing or empty).
void remove_left_states(const std::string& dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return;
    const fs::path parent = fs::path(dir).parent_path().empty() ? fs::path(".") : fs::path(dir).parent_path();
    const std::string name = fs::path(dir).filename().string();
    const std::string new_prefix = name + ".new-", old_prefix = name + ".old-";
    std::vector<fs::path> left;
    for (fs::directory_iterator it(parent, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string entry = it->path().filename().string();
        const bool is_new = left_by_a_dead_process(entry, new_prefix);
        if (!is_new && !left_by_a_dead_process(entry, old_prefix)) continue;
        const std::string pid = entry.substr((is_new ? new_prefix : old_prefix).size());
        std::error_code e2;
        if (fs::exists(parent / ((is_new ? old_prefix : new_prefix) + pid), e2)) continue;  // a stopped swap
        if (holds_only_state_files(it->path())) left.push_back(it->path());
    }
    for (const fs::path& p : left) fs::remove_all(p, ec);
}

}  // namespace

StateWriter::StateWriter(std::string dir) : dir_(without_trailing_slashes(std::move(dir))) {
    tmp_ = dir_ + ".new-" + std::to_string(::getpid());
    std::error_code ec;
    if (swap_may_be_unfinished(dir_)) finish_interrupted_swap(dir_);  // before a folder of this PID's name goes
    remove_left_states(dir_);
    fs::remove_all(tmp_, ec);
    if (!make_dir_removed_on_interrupt(tmp_)) error_ = "cannot create " + tmp_ + " for the new state";
}

std::string StateWriter::segment_path(const std::vector<std::string>& kept, long nth) const {
    long last = 0;
    for (const auto& f : kept) last = std::max(last, segment_number(fs::path(f).filename().string()));
    return tmp_ + "/sessions." + std::to_string(last + nth);
}

std::string StateWriter::kept_path(const std::string& file) const {
    return tmp_ + "/" + fs::path(file).filename().string();
}

std::string StateWriter::keep(const std::vector<std::string>& files, const std::vector<std::string>& indexed) {
    auto take = [&](const std::string& f) {
        std::error_code ec;
        fs::create_hard_link(f, kept_path(f), ec);  // the old state stays whole until commit()
        if (ec) fs::copy_file(f, kept_path(f), ec);
        return ec;
    };
    for (const auto& f : files)
        if (const std::error_code ec = take(f)) return "cannot take " + f + " into the new state: " + ec.message();
    for (const auto& f : indexed)
        if (take(f + ".keys"))
            std::remove(kept_path(f + ".keys").c_str());  // none: the file is read, and indexed again
    return {};
}

StateWriter::~StateWriter() {
    if (committed_) return;
    std::error_code ec;
    fs::remove_all(tmp_, ec);
    keep_on_interrupt(tmp_);
}

std::string StateWriter::commit(const std::string& fingerprint, const FileLedger& ledger,
                                const std::map<std::uint64_t, FileReport>& reports,
                                const std::map<std::uint64_t, HeldTail>& tails, bool has_sessions,
                                const SqliteRowHashes* sqlite_rows, Checkpoint* checkpoint, std::string settled_part,
                                std::future<std::string> run_part) {
    if (!error_.empty()) return error_;
    // the checkpoint, the largest file (13 MB at 1 GiB, written past the page cache: the disk's
    // time), on a thread of its own while the others are written
    std::future<std::string> checkpoint_saved;
    if (checkpoint && !checkpoint->options.empty())
        checkpoint_saved = std::async(std::launch::async, [&] {
            return save_checkpoint(tmp_ + "/checkpoint", *checkpoint, std::move(settled_part),
                                   run_part.valid() ? run_part.get() : std::string());
        });
    std::string err;
    if (!ledger.save(tmp_ + "/ledger", &err)) return err;
    if (auto e = save_reports(tmp_ + "/reports", reports); !e.empty()) return e;
    if (!tails.empty()) {
        std::string bytes;
        OutArchive ar(bytes);
        ar(tails);
        if (auto e = write_whole(tmp_ + "/tails", bytes); !e.empty()) return e;
    }
    if (sqlite_rows && !sqlite_rows->file_stamp.empty()) {
        std::string bytes;
        bytes.reserve(sizeof(std::uint64_t) * (sqlite_rows->rows.size() + sqlite_rows->keys.size()) + 4096);
        OutArchive ar(bytes);
        ar(*sqlite_rows);
        if (auto e = write_whole(tmp_ + "/sqlite_rows", bytes); !e.empty()) return e;
    }
    if (checkpoint_saved.valid())
        if (auto e = checkpoint_saved.get(); !e.empty()) return e;
    std::error_code ec;
    if (!has_sessions) fs::remove(sessions_path(), ec);
    if (auto e = write_whole(tmp_ + "/manifest",
                             std::string(kManifestMagic) + fingerprint + files_line(tmp_) + index_lines(tmp_));
        !e.empty())
        return e;
    // Swap: the old state moves aside, the new one takes its name, the old one goes. An
    // interruption from here on leaves the new state whole (finish_interrupted_swap()).
    keep_on_interrupt(tmp_);
    const std::string old = dir_ + ".old-" + std::to_string(::getpid());
    fs::remove_all(old, ec);  // left by an earlier process with this number (a container's runs share it)
    const bool had = fs::exists(dir_, ec);
    if (had) {
        fs::rename(dir_, old, ec);
        if (ec) return "cannot replace the state " + dir_ + ": " + ec.message();
    }
    fs::rename(tmp_, dir_, ec);
    if (ec) {
        if (had) fs::rename(old, dir_, ec);
        return "cannot put the new state in place of " + dir_ + ": " + ec.message();
    }
    committed_ = true;
    if (had) fs::remove_all(old, ec);
    return {};
}

void fold_reports(std::map<std::uint64_t, FileReport>& reports, const ReadPlans& plans,
                  const std::vector<Consumed>& consumed, const std::vector<std::uint64_t>& ids,
                  const std::vector<InputFile>& current, const FileLedger& ledger, std::vector<FileReport> read,
                  std::size_t samples_per_reason) {
    std::map<std::string, FileReport*> by_path;
    for (auto& r : read) by_path[r.file.path] = &r;
    for (std::size_t k = 0; k < plans.reads.size() && k < ids.size(); ++k) {
        const ReadPlan& p = plans.reads[k];
        const InputFile& f = current[p.file_index];
        if (ids[k] == 0) continue;  // stdin, or not trackable: read, never stored
        FileReport& stored = reports[ids[k]];
        auto got = by_path.find(f.path);
        if (p.action == ReadPlan::Action::ReadFrom && got != by_path.end())
            continue_report(stored, std::move(*got->second), samples_per_reason);
        else if (got != by_path.end())
            stored = std::move(*got->second);
        stored.file = f;  // its name, size and compression now
        if (!stored.counts.files_cut) stored.counts.bytes = f.size;
        // What a whole read would count: every decoded byte, the last line without its newline
        // too (the ledger reads it only once it is whole).
        if (p.action != ReadPlan::Action::Skip && k < consumed.size())
            if (const LedgerEntry* e = ledger.find(ids[k]))
                stored.counts.decoded_bytes = e->bytes + consumed[k].held_tail;
        for (auto& s : stored.samples) s.path = f.path;
    }
}

void reports_into_ingest(std::vector<FileReport> reports, IngestResult& ingest, std::size_t samples_per_reason) {
    std::stable_sort(reports.begin(), reports.end(),
                     [](const FileReport& a, const FileReport& b) { return a.file.path < b.file.path; });
    ingest.files = std::move(reports);
    finish_ingest_totals(ingest, samples_per_reason);
}

namespace {

// Each log read this run: the line it held back now (HeldTail), if any. A skipped log keeps its
// own while it still ends with it: not when it was cut back to the lines read (nothing follows
// them, so the plan skips it).
void fold_tails(std::map<std::uint64_t, HeldTail>& tails, std::map<std::uint64_t, FileReport>& reports,
                const ReadPlans& plans, std::vector<HeldTail>& held, const std::vector<std::uint64_t>& ids,
                const std::vector<InputFile>& current, const FileLedger& ledger) {
    for (std::size_t k = 0; k < plans.reads.size() && k < ids.size(); ++k) {
        const ReadPlan& p = plans.reads[k];
        if (ids[k] == 0) continue;
        if (p.action != ReadPlan::Action::Skip) {
            tails.erase(ids[k]);
            if (k < held.size() && held[k].held()) tails[ids[k]] = std::move(held[k]);
            continue;
        }
        const auto t = tails.find(ids[k]);
        if (t == tails.end()) continue;
        const LedgerEntry* e = ledger.find(ids[k]);  // a scan of the ledger: only for logs holding a line
        if (!e || current[p.file_index].size == e->bytes + t->second.nuls + t->second.bytes.size()) continue;
        tails.erase(t);
        reports[ids[k]].counts.decoded_bytes = e->bytes;
    }
}

// The reports and held lines of logs the ledger no longer remembers: nothing was read of them (a
// log of one unterminated line that grew is read as a new log, and the old one is forgotten).
void drop_forgotten(std::map<std::uint64_t, FileReport>& reports, std::map<std::uint64_t, HeldTail>& tails,
                    const FileLedger& ledger) {
    std::set<std::uint64_t> remembered;
    for (const LedgerEntry& e : ledger.entries()) remembered.insert(e.id);
    std::erase_if(tails, [&](const auto& t) { return !remembered.count(t.first); });
    std::erase_if(reports, [&](const auto& r) { return !remembered.count(r.first); });
}

}  // namespace

HeldEvents read_held_tails(const std::map<std::uint64_t, HeldTail>& tails, std::map<std::uint64_t, FileReport>& reports,
                           std::size_t max_line_bytes, std::size_t samples_per_reason) {
    HeldEvents out;
    EventParser parser(max_line_bytes);
    for (const auto& [id, tail] : tails) {
        const auto it = reports.find(id);
        if (it == reports.end()) continue;
        FileReport line;
        line.file = it->second.file;
        if (tail.bytes.empty()) {  // NULs alone: a line with nothing after them
            line.counts.blank_lines = line.physical_lines = 1;
        } else {
            ingest_buffer(tail.bytes, line.file.path, parser, out.pool, out.shards.front(), line, samples_per_reason);
        }
        line.counts.nul_bytes += tail.nuls;
        line.counts.bytes = line.counts.decoded_bytes = 0;  // the report counts the file's bytes already
        for (auto& s : line.samples) s.line += tail.line;
        line.physical_lines += tail.line;
        continue_report(it->second, std::move(line), samples_per_reason);
    }
    return out;
}

std::vector<FileReport> report_list(const std::map<std::uint64_t, FileReport>& reports) {
    std::vector<FileReport> v;
    for (const auto& [id, r] : reports) v.push_back(r);
    return v;
}

namespace {

// Reads the planned reads' reasons for the console: one line for the logs that left the inputs
// since the last run (not again on later runs).
void say_plans(const ReadPlans& plans, std::vector<std::string>* notes) {
    if (!plans.gone.empty())
        notes->push_back(counted(plans.gone.size(), "log", "logs") +
                         " read by earlier runs left the inputs since the last run; their sessions stay in the state");
}

// Incremental::segments_to_merge() of a state's sessions files.
std::vector<std::string> small_segments(const std::vector<std::string>& files) {
    if (files.size() < kMaxStateSegments) return {};
    std::vector<std::uint64_t> sizes;
    for (const std::string& f : files) {
        std::error_code ec;
        sizes.push_back(fs::file_size(f, ec));
        if (ec) return {};
    }
    const auto largest = static_cast<std::size_t>(std::max_element(sizes.begin(), sizes.end()) - sizes.begin());
    std::uint64_t others = 0;
    for (std::size_t i = 0; i < sizes.size(); ++i) others += i == largest ? 0 : sizes[i];
    if (others >= sizes[largest] / 4) return {};
    std::vector<std::string> out;
    for (std::size_t i = 0; i < files.size(); ++i)
        if (i != largest) out.push_back(files[i]);
    return out;
}

bool needs_rebuild(const ReadPlans& plans, std::string* why) {
    for (const ReadPlan& p : plans.reads)
        if (p.action == ReadPlan::Action::Reread) {
            *why = p.path + ": " + p.reason;
            return true;
        }
    return false;
}

}  // namespace

CheckpointRead::CheckpointRead(const std::string& state_dir) : dir(without_trailing_slashes(state_dir)) {
    std::error_code ec;
    if (!fs::exists(dir + "/manifest", ec)) return;
    std::promise<std::optional<Checkpoint>> told;
    plan = told.get_future();
    states = std::async(std::launch::async, [path = dir + "/checkpoint", told = std::move(told)]() mutable {
        return load_checkpoint(path, told);
    });
}

Incremental::Incremental(const std::string& dir, const Limits& limits, const std::vector<InputFile>& inputs,
                         std::vector<std::string>* notes, std::vector<std::string>* errors,
                         std::shared_ptr<CheckpointRead> early)
    : dir_(without_trailing_slashes(dir)),
      fingerprint_(state_fingerprint(limits)),
      writer_(dir),
      max_line_bytes_(limits.max_line_bytes) {
    std::string note, error;
    if (!load_state(dir, fingerprint_, &state_, &note, &error)) {
        errors->push_back(error);
        return;
    }
    if (!writer_.error().empty()) {
        errors->push_back(writer_.error());
        return;
    }
    if (!note.empty()) notes->push_back(note);
    plans_ = plan_reads(state_.ledger, inputs);
    if (std::string why; needs_rebuild(plans_, &why)) {
        notes->push_back(why + " (so every log is read again, to rebuild the state in " + dir + ")");
        state_ = RunState();
        plans_ = plan_reads(state_.ledger, inputs);
    }
    say_plans(plans_, notes);
    segments_to_merge_ = small_segments(state_.sessions);
    if (!state_.ledger.entries().empty()) {  // read while the logs are: a run needs it only once they are
        if (!early || early->dir != dir_ || !early->plan.valid()) early = std::make_shared<CheckpointRead>(dir_);
        checkpoint_loading_ = std::move(early->plan);
        states_loading_ = std::move(early->states);
    }
    ok_ = true;
}

const Checkpoint* Incremental::checkpoint() {
    if (checkpoint_loading_.valid()) checkpoint_ = checkpoint_loading_.get();
    return checkpoint_ ? &*checkpoint_ : nullptr;
}

std::string Incremental::take_checkpoint_picks() {
    checkpoint();
    return checkpoint_ ? std::move(checkpoint_->picks) : std::string();
}

void Incremental::checkpoint_states() {
    checkpoint();
    if (!states_loading_.valid()) return;
    std::optional<Checkpoint> states = states_loading_.get();
    if (!checkpoint_ || !states) return;
    checkpoint_->basic = std::move(states->basic);
    checkpoint_->totals = std::move(states->totals);
    checkpoint_->recording_findings = std::move(states->recording_findings);
    checkpoint_->analyses = std::move(states->analyses);
    checkpoint_->analyses_load = std::move(states->analyses_load);
    checkpoint_->states_loaded = true;
}

Incremental::~Incremental() { take_checkpoint(); }

bool Incremental::merged_away(const std::string& file) const {
    return std::find(segments_to_merge_.begin(), segments_to_merge_.end(), file) != segments_to_merge_.end();
}

std::string Incremental::index_kept(const std::string& file, std::vector<std::uint64_t> keys) {
    if (merged_away(file)) return {};  // not kept: the file it is merged into has a key list of its own
    return index(writer_.kept_path(file), std::move(keys));
}

std::string Incremental::keep_segments() {
    auto kept = [&](const std::vector<std::string>& files) {
        std::vector<std::string> out;
        for (const std::string& f : files)
            if (!merged_away(f)) out.push_back(f);
        return out;
    };
    return writer_.keep(kept(state_.sessions), kept(state_.indexed));
}

void Incremental::load_states_ahead() {
    if (!states_loading_.valid() || loading_ahead_.valid()) return;
    std::promise<std::optional<Checkpoint>> told;
    std::future<std::optional<Checkpoint>> read = std::exchange(states_loading_, told.get_future());
    loading_ahead_ = std::async(std::launch::async, [read = std::move(read), told = std::move(told)]() mutable {
        pthread_setname_np(pthread_self(), "cb-states");  // for profilers and top -H
        std::optional<Checkpoint> states = read.get();
        std::shared_ptr<StatesLoad> load;
        try {
            if (states) {
                load = std::make_shared<StatesLoad>(std::move(states->analyses), unpack_checkpoint_state);
                states->analyses_load = load;
            }
        } catch (const std::bad_alloc&) {  // not read, as a damaged part is not
            states.reset();
            load.reset();
        }
        told.set_value(std::move(states));
        if (load) load->work();
    });
}

void Incremental::drop_checkpoint() { take_checkpoint(); }

std::shared_ptr<Checkpoint> Incremental::take_checkpoint() {
    checkpoint();
    if (states_loading_.valid())  // not taken: none of its analyses is loaded any more
        if (std::optional<Checkpoint> states = states_loading_.get(); states && states->analyses_load)
            states->analyses_load->cancel();
    if (checkpoint_ && checkpoint_->analyses_load) checkpoint_->analyses_load->cancel();
    if (loading_ahead_.valid()) loading_ahead_.wait();
    std::shared_ptr<Checkpoint> taken = checkpoint_ ? std::make_shared<Checkpoint>(std::move(*checkpoint_)) : nullptr;
    checkpoint_.reset();
    return taken;
}

void Incremental::fold(const std::vector<InputFile>& inputs, IngestResult& ingest, std::size_t samples_per_reason) {
    std::vector<std::uint64_t> ids;
    ledger_ = state_.ledger.updated(plans_, ingest.consumed, &ids);
    fold_reports(state_.reports, plans_, ingest.consumed, ids, inputs, ledger_, std::move(ingest.files),
                 samples_per_reason);
    fold_tails(state_.tails, state_.reports, plans_, ingest.tails, ids, inputs, ledger_);
    drop_forgotten(state_.reports, state_.tails, ledger_);
    std::map<std::uint64_t, FileReport> reports = state_.reports;  // with the held lines: for this run only
    for (const LedgerEntry& e : ledger_.entries())
        if (e.missing)
            if (auto r = reports.find(e.id); r != reports.end()) r->second.gone = true;
    held_events_ = read_held_tails(state_.tails, reports, max_line_bytes_, samples_per_reason);
    reports_into_ingest(report_list(reports), ingest, samples_per_reason);
}

void Incremental::compress_settled_part() {
    settled_part_ = std::async(std::launch::async, [this] { return settled_frames(new_checkpoint_, 0); });
}

std::string Incremental::index(const std::string& file, std::vector<std::uint64_t> keys) {
    return save_key_list(file + ".keys", std::move(keys), file_tag(file));
}

const std::vector<std::uint64_t>* Incremental::file_keys(const std::string& file) {
    if (std::find(state_.indexed.begin(), state_.indexed.end(), file) == state_.indexed.end()) return nullptr;
    auto it = file_keys_.find(file);
    if (it == file_keys_.end()) {
        std::vector<std::uint64_t> keys;
        std::uint64_t tag = 0;  // the file's size and modification time when listed: a list of another file is not used
        if (!load_key_list(file + ".keys", &keys, &tag) || tag != file_tag(file)) return nullptr;
        it = file_keys_.emplace(file, std::move(keys)).first;
    }
    return &it->second;
}

std::string Incremental::likely_file() const { return state_.likely != 0 ? dir_ + "/likely" : std::string(); }

// The key list must be that of the records: every record's key in it (a list of fewer keys
// would make the run read a session's partials twice, from `likely` and from its file).
const std::vector<std::uint64_t>* Incremental::likely_keys() {
    if (!std::exchange(likely_checked_, true) && !likely_file().empty()) {
        std::vector<std::uint64_t> keys, in_file;
        std::uint64_t generation = 0;  // the manifest's: a `likely` of another run is not used
        if (load_key_list(likely_file() + ".keys", &keys, &generation) && generation == state_.likely &&
            key_run_hashes({likely_file()}, &in_file).empty() &&
            std::all_of(in_file.begin(), in_file.end(), [&](std::uint64_t k) { return has_key(keys, k); }))
            likely_keys_ = std::move(keys);
    }
    return likely_keys_ ? &*likely_keys_ : nullptr;
}

void Incremental::read_for_likely(std::string records, std::vector<std::uint64_t> keys) {
    read_records_ = std::move(records);
    read_keys_ = std::move(keys);
    read_complete_ = true;
}

// `likely` for the next run: the partials of the sessions the new checkpoint's report showed
// and of those still open. From what this run read of the state (complete for those sessions)
// and its own new sessions file; or else from every sessions file of the new state.
std::string Incremental::write_likely(const std::vector<std::uint64_t>& report_keys) {
    const Checkpoint& cp = new_checkpoint_;
    if (cp.options.empty() || (!read_complete_ && !likely_from_files_)) return {};
    std::vector<std::uint64_t> wanted;
    std::set_union(report_keys.begin(), report_keys.end(), cp.unsettled.begin(), cp.unsettled.end(),
                   std::back_inserter(wanted));
    std::vector<std::string> files;
    if (read_complete_) {
        std::vector<std::uint64_t> read;
        std::set_intersection(wanted.begin(), wanted.end(), read_keys_.begin(), read_keys_.end(),
                              std::back_inserter(read));
        wanted = std::move(read);
        if (std::error_code ec; fs::exists(new_segment(), ec)) files.push_back(new_segment());
    } else {
        files = sessions_files(fs::path(writer_.likely_path()).parent_path().string());
    }
    std::vector<std::uint64_t> copied;
    const std::string path = writer_.likely_path();
    if (auto err = copy_records(path, read_records_, files, wanted, &copied); !err.empty()) return err;
    std::string().swap(read_records_);
    // a new number each time: the manifest names it, so that no other run's `likely` is taken for this one's
    std::random_device random;
    const std::uint64_t generation = (std::uint64_t{random()} << 32 | random()) | 1;
    return save_key_list(path + ".keys", std::move(copied), generation);
}

void Incremental::begin_likely(std::vector<std::uint64_t> report_keys) {
    if (likely_written_.valid()) return;
    likely_written_ = std::async(std::launch::async, [this, keys = std::move(report_keys)] {
        pthread_setname_np(pthread_self(), "cb-likely");
        return write_likely(keys);
    });
}

std::string Incremental::commit(bool has_sessions, const SqliteRowHashes* sqlite_rows) {
    // no read of the old state as it is swapped
    if (checkpoint_loading_.valid()) checkpoint_loading_.wait();
    if (states_loading_.valid()) states_loading_.wait();
    if (loading_ahead_.valid()) loading_ahead_.wait();
    // the checkpoint's run part is compressed while `likely` is written (unless begin_likely()
    // wrote it already; both only read the new checkpoint) and while the state's other files are
    std::future<std::string> run_part;
    if (!new_checkpoint_.options.empty())
        run_part = std::async(std::launch::async, [this] { return run_frame(new_checkpoint_); });
    const std::string likely =
        likely_written_.valid() ? likely_written_.get() : write_likely(new_checkpoint_.report_keys);
    if (!likely.empty()) return likely;
    std::string settled_part = settled_part_.valid() ? settled_part_.get() : std::string();
    return writer_.commit(fingerprint_, ledger_, state_.reports, state_.tails, has_sessions, sqlite_rows,
                          &new_checkpoint_, std::move(settled_part), std::move(run_part));
}

}  // namespace cb
