#include "cb/input/input_set.hpp"

#include "cb/input/limits.hpp"

#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <set>
#include <utility>

namespace cb {

namespace fs = std::filesystem;

std::string_view file_kind_name(FileKind k) {
    switch (k) {
        case FileKind::JsonLog:
            return "json_log";
        case FileKind::TextLog:
            return "text_log";
        case FileKind::TtyLog:
            return "tty_log";
        case FileKind::Empty:
            return "empty";
        case FileKind::Other:
            break;
    }
    return "other";
}

bool stat_file(const std::string& path, FileStat* out) {
    struct statx st {};
    if (::statx(AT_FDCWD, path.c_str(), 0, STATX_BASIC_STATS | STATX_BTIME, &st) != 0) return false;
    auto ns = [](const statx_timestamp& t) { return static_cast<std::int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec; };
    out->device = (static_cast<std::uint64_t>(st.stx_dev_major) << 32) | st.stx_dev_minor;
    out->inode = st.stx_ino;
    out->size = st.stx_size;
    out->mtime_ns = ns(st.stx_mtime);
    out->btime_ns = (st.stx_mask & STATX_BTIME) ? ns(st.stx_btime) : 0;
    return true;
}

namespace {

bool looks_like_text_log_line(std::string_view l) {
    // "2024-04-05T12:00:01+0000 [..." or "2024-04-05T12:00:01.123456Z [..."
    if (l.size() < 22) return false;
    for (int i : {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18})
        if (l[i] < '0' || l[i] > '9') return false;
    if (l[4] != '-' || l[7] != '-' || l[10] != 'T' || l[13] != ':' || l[16] != ':') return false;
    const auto sp = l.find(" [", 19);
    return sp != std::string_view::npos && sp < 40;
}

bool looks_like_tty(std::string_view h) {
    if (h.size() < 24) return false;
    auto u32 = [&](std::size_t off) {
        std::uint32_t v;
        std::memcpy(&v, h.data() + off, 4);
        return v;  // little-endian host assumed (x86-64, arm64)
    };
    // First record: OPEN(1), tty 0, length 0, direction 0, plausible seconds.
    return u32(0) == 1 && u32(4) == 0 && u32(8) == 0 && u32(12) == 0 && u32(16) > 946684800u;
}

}  // namespace

FileKind classify_content(std::string_view head) {
    if (head.empty()) return FileKind::Empty;
    if (looks_like_tty(head)) return FileKind::TtyLog;
    std::size_t pos = 0;
    while (pos < head.size() && (head[pos] == '\0' || head[pos] == '\n' || head[pos] == '\r' || head[pos] == ' '))
        ++pos;
    if (pos == head.size()) return FileKind::Empty;
    // Look at up to 50 lines: any JSON object with an "eventid" key makes it an event log.
    int lines = 0;
    bool text_log = false;
    while (pos < head.size() && lines < 50) {
        auto nl = head.find('\n', pos);
        if (nl == std::string_view::npos) nl = head.size();
        std::string_view line = head.substr(pos, nl - pos);
        while (!line.empty() && (line.front() == '\0' || line.front() == ' ' || line.front() == '\t'))
            line.remove_prefix(1);
        if (!line.empty() && line.front() == '{' && line.find("\"eventid\"") != std::string_view::npos)
            return FileKind::JsonLog;
        // A first object line longer than the window (a huge command.input, with v3 writing
        // "input" before "eventid") cannot be checked for its key; an object line is enough.
        if (lines == 0 && nl == head.size() && !line.empty() && line.front() == '{' && line.size() > 1 &&
            line[1] == '"')
            return FileKind::JsonLog;
        if (looks_like_text_log_line(line)) text_log = true;
        pos = nl + 1;
        ++lines;
    }
    return text_log ? FileKind::TextLog : FileKind::Other;
}

namespace {

class Expander {
public:
    Expander(std::uint64_t max_file_bytes, const KnownFiles* known) : max_file_bytes_(max_file_bytes), known_(known) {}
    InputSet result;

    void add_path(const std::string& p, bool explicit_file) {
        struct stat st {};
        if (::stat(p.c_str(), &st) != 0) {
            result.problems.push_back({p, std::strerror(errno)});
            return;
        }
        if (S_ISDIR(st.st_mode)) {
            walk(p, st);
        } else if (S_ISREG(st.st_mode)) {
            add_file(p, st);
        } else if (explicit_file) {
            // FIFOs and character devices (e.g. <(zcat ...)) can be read once only: they are
            // taken as JSON event logs without a look at their content.
            if (files_seen_.insert({st.st_dev, st.st_ino}).second)
                result.files.push_back({p, 0, FileKind::JsonLog, Compression::None});
        }
    }

private:
    std::uint64_t max_file_bytes_;
    const KnownFiles* known_;
    // Folders and files by device and inode: a file named twice (by two paths, a symlink or a
    // hard link) is read once.
    std::set<std::pair<dev_t, ino_t>> dirs_seen_, files_seen_;

    // Whether f is a file of known_ as it was then; if so, f has its kind and compression.
    bool known(InputFile& f) const {
        FileStat now;
        if (!known_ || known_->empty() || !stat_file(f.path, &now)) return false;
        const auto it = known_->find({now.device, now.inode});
        if (it == known_->end() || !(it->second.stat == now)) return false;
        f.kind = it->second.kind;
        f.compression = it->second.compression;
        return true;
    }

    void walk(const std::string& dir, const struct stat& st) {
        if (!dirs_seen_.insert({st.st_dev, st.st_ino}).second) {
            result.problems.push_back({dir, "symlink loop or folder reached twice; skipped"});
            return;
        }
        std::error_code ec;
        std::vector<std::string> entries;
        for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
            entries.push_back(it->path().string());
        if (ec) {
            result.problems.push_back({dir, ec.message()});
            return;
        }
        std::sort(entries.begin(), entries.end());
        for (const auto& e : entries) {
            struct stat est {};
            if (::stat(e.c_str(), &est) != 0) {
                result.problems.push_back({e, std::strerror(errno)});  // dangling link, permission
                continue;
            }
            if (S_ISDIR(est.st_mode))
                walk(e, est);
            else if (S_ISREG(est.st_mode))
                add_file(e, est);
        }
    }

    void add_file(const std::string& p, const struct stat& st) {
        if (!files_seen_.insert({st.st_dev, st.st_ino}).second) return;  // same file named twice
        InputFile f;
        f.path = p;
        f.size = static_cast<std::uint64_t>(st.st_size);
        if (known(f)) {
            result.files.push_back(std::move(f));
            return;
        }
        std::string err;
        auto src = open_source(p, &err, &f.compression);
        if (!src) {
            result.problems.push_back({p, err});
            return;
        }
        // Read 64 KiB of content, not counting a leading NUL run (logrotate copytruncate
        // leaves as many NULs before the first line as the file had bytes: it can be GiBs,
        // and the lines after it must not be lost).
        std::string head(65536, '\0');
        std::size_t got = 0;
        std::uint64_t skipped = 0;
        const std::uint64_t budget = max_file_bytes_ ? max_file_bytes_ : UINT64_MAX;
        std::string big;  // past the first 64 KiB, a NUL run is skipped 1 MiB per read
        while (got == 0 && skipped < budget) {
            char* buf = head.data();
            std::size_t cap = head.size();
            if (skipped >= head.size()) {
                if (big.empty()) big.resize(std::size_t{1} << 20);
                buf = big.data();
                cap = big.size();
            }
            const std::size_t r =
                src->read(buf, static_cast<std::size_t>(std::min<std::uint64_t>(cap, budget - skipped)));
            if (r == 0) break;
            const std::size_t k = leading_run(buf, r, '\0');
            skipped += k;
            got = std::min(r - k, head.size());
            if (got > 0) std::memmove(head.data(), buf + k, got);
        }
        while (got > 0 && got < head.size()) {
            const std::size_t r = src->read(head.data() + got, head.size() - got);
            if (r == 0) break;
            got += r;
        }
        head.resize(got);
        if (got == 0 && !src->error().empty()) {
            // Compressed data that yields nothing: not an empty file but a damaged one.
            result.problems.push_back({p, src->error()});
            return;
        }
        if (got == 0 && skipped >= kAllNulReport) {
            // Zeros, not an empty file: a logrotate hole that never got lines, a damaged copy,
            // or a decompression bomb. Named, so the bytes are not silently taken for nothing.
            result.problems.push_back(
                {p, skipped >= budget
                        ? "the first " + std::to_string(skipped) +
                              " decompressed bytes are all NUL (the limit per file, --max-file-bytes); not read further"
                        : std::to_string(skipped) + " bytes, all NUL: no line to read"});
            return;
        }
        f.kind = classify_content(head);
        result.files.push_back(std::move(f));
    }
};

bool has_glob_chars(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

}  // namespace

InputSet expand_inputs(const std::vector<std::string>& inputs, std::uint64_t max_file_bytes, const KnownFiles* known) {
    Expander ex(max_file_bytes, known);
    bool want_stdin = false;
    for (const auto& in : inputs) {
        if (in == "-") {
            want_stdin = true;
            continue;
        }
        struct stat st {};
        if (::stat(in.c_str(), &st) != 0 && has_glob_chars(in)) {
            glob_t g{};
            if (::glob(in.c_str(), GLOB_NOSORT, nullptr, &g) == 0) {
                std::vector<std::string> matches(g.gl_pathv, g.gl_pathv + g.gl_pathc);
                std::sort(matches.begin(), matches.end());
                for (const auto& m : matches) ex.add_path(m, false);
            } else {
                ex.result.problems.push_back({in, "no file matches this pattern"});
            }
            ::globfree(&g);
            continue;
        }
        ex.add_path(in, true);
    }
    auto& files = ex.result.files;
    std::sort(files.begin(), files.end(), [](const InputFile& a, const InputFile& b) { return a.path < b.path; });
    if (want_stdin) files.push_back({"-", 0, FileKind::JsonLog, Compression::None});
    return std::move(ex.result);
}

}  // namespace cb
