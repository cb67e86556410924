#include "cb/util/interrupt_cleanup.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
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

void remove_on_interrupt(const std::string& path) {
    std::lock_guard lock(g_mu);
    registered().insert(path);
}

std::string make_folder_removed_on_interrupt(std::string tmpl) {
    std::lock_guard lock(g_mu);
    if (!::mkdtemp(tmpl.data())) return {};
    registered().insert(tmpl);
    return tmpl;
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

bool left_by_a_dead_process(const std::string& name, const std::string& prefix) {
    if (name.compare(0, prefix.size(), prefix) != 0) return false;
    const char* first = name.data() + prefix.size();
    const char* last = name.data() + name.size();
    long pid = 0;
    const auto [end, ec] = std::from_chars(first, last, pid);
    if (ec != std::errc() || end == first || (end != last && *end != '.') || pid <= 0 || pid == ::getpid())
        return false;
    return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

}  // namespace cb
