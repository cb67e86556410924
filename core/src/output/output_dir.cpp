#include "cb/output/output_dir.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include "cb/util/interrupt_cleanup.hpp"

namespace cb {

namespace fs = std::filesystem;

namespace {

// ---- the signal watcher -------------------------------------------------------------------
// A handler may only do async-signal-safe things, so it writes the signal number to a pipe; a
// thread reads it and does the cleanup with ordinary code.
std::mutex g_mu;    // held while a folder is swapped; the watcher takes it and never gives it back
fs::path g_doomed;  // removed on a signal: the temporary folder, or the old contents after the swap
void (*g_last_words)(int) = nullptr;
int g_pipe[2] = {-1, -1};
bool g_installed = false;
struct sigaction g_old[2];
constexpr int kSignals[2] = {SIGINT, SIGTERM};

void watch() {
    unsigned char sig = 0;
    while (::read(g_pipe[0], &sig, 1) != 1) {}
    g_mu.lock();  // never unlocked: a commit in progress finishes first, none starts after
    if (g_last_words) g_last_words(sig);
    remove_interrupted_folders();  // a spill folder, a new state (util/interrupt_cleanup.hpp)
    remove_tree(g_doomed);
    ::_exit(128 + sig);
}

void on_signal(int sig) {
    const unsigned char c = static_cast<unsigned char>(sig);
    const int saved = errno;
    (void)!::write(g_pipe[1], &c, 1);
    errno = saved;
}

void install_handlers() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (::pipe2(g_pipe, O_CLOEXEC) == 0) std::thread(watch).detach();
    });
    if (g_pipe[1] < 0) return;  // no watcher: the signals keep their usual action
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < 2; ++i) {
        sigaction(kSignals[i], nullptr, &g_old[i]);
        if (g_old[i].sa_handler != SIG_IGN) sigaction(kSignals[i], &sa, nullptr);
    }
    g_installed = true;
}

void restore_handlers() {
    if (!g_installed) return;
    for (int i = 0; i < 2; ++i) sigaction(kSignals[i], &g_old[i], nullptr);
    g_installed = false;
}

// ---- names and places -----------------------------------------------------------------------

// ".NAME.tmp-" or ".NAME.old-": the prefix of this OUTDIR's temporary and set-aside folders.
std::string hidden_prefix(const fs::path& out, const char* kind) {
    std::string s(1, '.');
    s += out.filename().string();
    s += '.';
    s += kind;
    s += '-';
    return s;
}

fs::path hidden_path(const fs::path& out, const char* kind, long pid) {
    return out.parent_path() / (hidden_prefix(out, kind) + std::to_string(pid));
}

// The pid that `name` ends with after `prefix`, or -1.
long pid_after(const std::string& name, const std::string& prefix) {
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return -1;
    long pid = 0;
    for (char c : std::string_view(name).substr(prefix.size())) {
        if (c < '0' || c > '9' || pid > 1'000'000'000) return -1;
        pid = pid * 10 + (c - '0');
    }
    return pid;
}

// A pid reused by another process keeps its folder until that one ends too: never too eager.
bool dead(long pid) { return pid == ::getpid() || (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH); }

struct Entry {
    std::string name;
    bool is_dir;
};

// The entries of `dir` (read whole first: callers remove some), or sets *ec.
std::vector<Entry> list_dir(const fs::path& dir, std::error_code& ec) {
    std::vector<Entry> out;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        out.push_back({it->path().filename().string(), it->symlink_status(ec).type() == fs::file_type::directory});
    return out;
}

// Cleans up after runs that died (a crash, SIGKILL, a power cut): their temporary folders go;
// a folder set aside by the rename fallback of commit() goes back if OUTDIR is missing.
void remove_stale(const fs::path& out) {
    std::error_code ec;
    const std::string tmp = hidden_prefix(out, "tmp"), old = hidden_prefix(out, "old");
    for (const Entry& e : list_dir(out.parent_path(), ec)) {
        const fs::path p = out.parent_path() / e.name;
        const long tmp_pid = pid_after(e.name, tmp), old_pid = pid_after(e.name, old);
        if (tmp_pid >= 0 && dead(tmp_pid)) remove_tree(p);
        if (old_pid < 0 || !dead(old_pid)) continue;
        if (fs::symlink_status(out, ec).type() == fs::file_type::not_found)
            fs::rename(p, out, ec);
        else
            remove_tree(p);
    }
}

// The first entry of `dir` that cowrie-batch did not write, as a path, or "".
// The folder an own folder `name` of `in` is.
std::optional<OutFolder> inner_folder(const std::string& name, OutFolder in) {
    if (in == OutFolder::Top && name == "tables") return OutFolder::Tables;
    if (in == OutFolder::Top && name == "sessions") return OutFolder::Sessions;
    if (in == OutFolder::Top && name == "iocs") return OutFolder::Iocs;
    if (in == OutFolder::Sessions) return OutFolder::Day;
    return std::nullopt;  // .hadoop-work: the Hadoop client's, whatever it holds
}

std::string foreign_entry(const fs::path& dir, OutFolder in) {
    std::error_code ec;
    for (const Entry& e : list_dir(dir, ec)) {
        if (!own_entry(e.name, e.is_dir, in)) return (dir / e.name).string();
        if (!e.is_dir) continue;
        if (auto inner = inner_folder(e.name, in))
            if (auto f = foreign_entry(dir / e.name, *inner); !f.empty()) return f;
    }
    return ec ? dir.string() + " (unreadable: " + ec.message() + ")" : std::string();
}

std::string strip_slashes(std::string s) {
    while (s.size() > 1 && s.back() == '/') s.pop_back();
    return s;
}

// OUTDIR absolute and normal, a symlink to a folder replaced by its target (the link stays).
fs::path resolve(const std::string& out) {
    fs::path p = fs::absolute(strip_slashes(out)).lexically_normal();
    if (p.filename().empty() && p.has_parent_path() && p != p.root_path()) p = p.parent_path();
    std::error_code ec;
    if (fs::is_symlink(p, ec) && fs::is_directory(p, ec)) p = fs::canonical(p, ec);
    return p;
}

// A mount point cannot be renamed (EBUSY): found before the run, not after it.
bool mount_point(const fs::path& p) {
#ifdef STATX_ATTR_MOUNT_ROOT
    struct statx sx {};
    if (::statx(AT_FDCWD, p.c_str(), 0, STATX_BASIC_STATS, &sx) == 0 &&
        (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT))
        return (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
#endif
    struct stat a {
    }, b{};
    return ::stat(p.c_str(), &a) == 0 && ::stat(p.parent_path().c_str(), &b) == 0 && a.st_dev != b.st_dev;
}

// Why OUTDIR must not be replaced (the safety rule), or "".
std::string refusal(const fs::path& p, const std::string& shown) {
    std::error_code ec;
    if (p.filename().empty() || p == p.root_path()) return "the output folder " + shown + " is the root folder";
    const auto st = fs::status(p, ec);
    if (st.type() == fs::file_type::not_found && !fs::is_symlink(p, ec)) return {};
    if (st.type() != fs::file_type::directory) return "the output folder " + shown + " exists and is not a folder";
    if (auto f = foreign_entry(p, OutFolder::Top); !f.empty())
        return "refusing to replace the output folder " + shown + ": it holds " + f +
               ", which cowrie-batch did not write (OUTDIR must be missing, empty, or an earlier run's "
               "output; see docs/OUTPUTS.md)";
    if (mount_point(p))
        return "the output folder " + shown +
               " is a mount point, which cannot be swapped by a rename; name a "
               "folder inside it";
    const std::string cwd = fs::current_path(ec).string() + "/";
    if (cwd.compare(0, p.string().size() + 1, p.string() + "/") == 0)
        return "the output folder " + shown + " is the current folder or holds it; name a folder inside it";
    return {};
}

// renameat2(RENAME_EXCHANGE) where the file system has it, else OUTDIR is renamed aside first.
// Returns where the previous contents are now, or sets *err.
fs::path swap_in(const fs::path& temp, const fs::path& out, std::string* err) {
    if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, out.c_str(), RENAME_EXCHANGE) == 0) return temp;
    if (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP) return swap_by_renames(temp, out, err);
    *err = std::strerror(errno);
    return {};
}

}  // namespace

fs::path swap_by_renames(const fs::path& temp, const fs::path& out, std::string* err) {
    const fs::path aside = hidden_path(out, "old", ::getpid());
    std::error_code ec;
    fs::rename(out, aside, ec);
    if (!ec) fs::rename(temp, out, ec);
    if (ec) {
        *err = ec.message();
        std::error_code ignored;
        if (!fs::exists(out, ignored)) fs::rename(aside, out, ignored);
        return {};
    }
    return aside;
}

bool own_entry(const std::string& name, bool is_dir, OutFolder in) {
    auto file = [&](std::string_view f) { return !is_dir && (name == f || name == std::string(f) + ".tmp"); };
    switch (in) {
        case OutFolder::Tables:
            return !is_dir && (name.ends_with(".csv") || name.ends_with(".csv.tmp"));
        case OutFolder::Sessions:
            return (is_dir && name.starts_with("day=")) || file("_partitions.json");
        case OutFolder::Day:
            return file("sessions.jsonl");
        case OutFolder::Iocs:
            return file("iocs.csv") || file("stix2.json") || file("misp.json");
        case OutFolder::Top:
            break;
    }
    for (std::string_view f :
         {"summary.json", "sessions.jsonl", "cowrie.sqlite", "hints.json", "report.html", "attack_layer.json"})
        if (file(f)) return true;
    if (!is_dir && name == "cowrie.sqlite-journal") return true;  // a run stopped while updating it in place
    return is_dir && (name == "tables" || name == "sessions" || name == "iocs" || name == ".hadoop-work");
}

void on_interrupt(void (*last_words)(int sig)) { g_last_words = last_words; }

OutputDir::~OutputDir() { discard(); }

OutputDir::Status OutputDir::open(const std::string& out_dir, std::string* err) {
    shown_ = strip_slashes(out_dir);
    path_ = resolve(out_dir);
    if (auto why = refusal(path_, shown_); !why.empty()) {
        *err = why;
        return Status::Refused;
    }
    std::error_code ec;
    const bool exists = fs::exists(path_, ec);
    if (exists && ::access(path_.c_str(), W_OK) != 0) {
        *err = "cannot write into the output folder " + shown_ + ": " + std::strerror(errno);
        return Status::Failed;
    }
    fs::create_directories(path_.parent_path(), ec);
    if (!ec) remove_stale(path_);
    const fs::path temp = hidden_path(path_, "tmp", ::getpid());
    if (!ec) create_temp(temp, ec);
    if (ec) {
        *err = exists ? "cannot create the temporary folder " + temp.string() + " beside the output folder " + shown_ +
                            ": " + ec.message() + " (the folder that holds OUTDIR must be writable)"
                      : "cannot create the output folder " + shown_ + ": " + ec.message();
        return Status::Failed;
    }
    temp_ = temp.string();
    open_ = true;
    return Status::Ok;
}

// The handlers come first: a signal as soon as the folder exists must find them.
void OutputDir::create_temp(const fs::path& temp, std::error_code& ec) {
    std::lock_guard lock(g_mu);
    g_doomed = temp;
    install_handlers();
    // Made here or not used: a folder of that name someone else made (in /tmp) is refused.
    if (!fs::create_directory(temp, ec) && !ec) ec = std::make_error_code(std::errc::file_exists);
    if (!ec) return;
    g_doomed.clear();
    restore_handlers();
}

std::string OutputDir::commit(const std::function<std::string()>& last) {
    if (auto why = refusal(path_, shown_); !why.empty()) {  // files may have come meanwhile
        discard();
        return why;
    }
    std::error_code ec;
    const auto old_perms = fs::status(path_, ec).permissions();
    if (!ec) fs::permissions(temp_, old_perms, ec);  // a private OUTDIR stays private
    std::string err;
    {
        std::lock_guard lock(g_mu);
        if (last) err = last();
        if (!err.empty()) {
            discard_locked();
            return err;
        }
        if (::rename(temp_.c_str(), path_.c_str()) == 0)
            g_doomed.clear();
        else if (errno == EEXIST || errno == ENOTEMPTY) {
            const fs::path previous = swap_in(temp_, path_, &err);
            if (err.empty()) g_doomed = previous;
        } else
            err = std::strerror(errno);
    }
    if (!err.empty()) {
        discard();
        return "cannot move the finished outputs from " + temp_ + " to " + shown_ + ": " + err;
    }
    const fs::path previous = g_doomed;  // only this thread writes it
    remove_tree(previous);
    std::lock_guard lock(g_mu);
    g_doomed.clear();
    restore_handlers();
    open_ = false;
    return {};
}

void OutputDir::discard() {
    if (!open_) return;
    std::lock_guard lock(g_mu);
    discard_locked();
}

void OutputDir::discard_locked() {
    remove_tree(temp_);
    g_doomed.clear();
    restore_handlers();
    open_ = false;
}

void OutputDir::keep() {
    std::lock_guard lock(g_mu);
    g_doomed.clear();
    restore_handlers();
    open_ = false;
}

std::string OutputDir::as_final(std::string msg) const {
    if (temp_.empty()) return msg;
    for (auto at = msg.find(temp_); at != std::string::npos; at = msg.find(temp_, at + shown_.size()))
        msg.replace(at, temp_.size(), shown_);
    return msg;
}

}  // namespace cb
