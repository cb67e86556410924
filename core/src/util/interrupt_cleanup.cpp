#include "cb/util/interrupt_cleanup.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <set>

namespace cb {

namespace {

std::mutex g_mu;
std::set<std::string>& registered() {
    static std::set<std::string> folders;
    return folders;
}

}  // namespace

std::string make_folder_removed_on_interrupt(std::string tmpl) {
    std::lock_guard lock(g_mu);
    if (!::mkdtemp(tmpl.data())) return {};
    registered().insert(tmpl);
    return tmpl;
}

bool make_dir_removed_on_interrupt(const std::string& path) {
    std::lock_guard lock(g_mu);
    std::error_code ec;
    if (!std::filesystem::create_directories(path, ec)) return false;
    registered().insert(path);
    return true;
}

bool removed_on_interrupt(const std::string& path) {
    std::lock_guard lock(g_mu);
    return registered().count(path) > 0;
}

void keep_on_interrupt(const std::string& path) {
    std::lock_guard lock(g_mu);
    registered().erase(path);
}

void remove_tree(const std::filesystem::path& p) {
    namespace fs = std::filesystem;
    std::error_code ec;
    // Writers may still add a file while the tree goes; a few rounds catch them (they cannot
    // recreate the folder itself: nothing creates it but open()).
    for (int round = 0; round < 50 && !p.empty() && fs::symlink_status(p, ec).type() != fs::file_type::not_found;
         ++round)
        fs::remove_all(p, ec);
}

void remove_interrupted_folders() {
    g_mu.lock();  // never unlocked: the process exits next
    for (const std::string& f : registered()) remove_tree(f);
}

namespace {

// The kernel's largest process id (/proc/sys/kernel/pid_max; 4,194,304 at most on 64-bit Linux).
long pid_max() {
    static const long max = [] {
        long v = 4194304;
        if (std::FILE* f = std::fopen("/proc/sys/kernel/pid_max", "r")) {
            if (std::fscanf(f, "%ld", &v) != 1) v = 4194304;
            std::fclose(f);
        }
        return v;
    }();
    return max;
}

}  // namespace

bool left_by_a_dead_process(const std::string& name, const std::string& prefix, char rest_after) {
    if (name.compare(0, prefix.size(), prefix) != 0) return false;
    const char* first = name.data() + prefix.size();
    const char* last = name.data() + name.size();
    long pid = 0;
    const auto [end, ec] = std::from_chars(first, last, pid);
    if (ec != std::errc() || end == first || pid <= 0 || pid > pid_max()) return false;
    if (end != last && (rest_after == '\0' || *end != rest_after)) return false;
    return pid == ::getpid() || (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH);
}

}  // namespace cb
