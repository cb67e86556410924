#include "auth.hpp"

#include <sodium.h>

#include <vector>

#include "cb/serve/users.hpp"

namespace cb::serve {

std::string random_hex(std::size_t bytes) {
    std::vector<unsigned char> buf(bytes);
    randombytes_buf(buf.data(), buf.size());
    std::string hex(bytes * 2 + 1, '\0');
    sodium_bin2hex(hex.data(), hex.size(), buf.data(), buf.size());
    hex.pop_back();
    return hex;
}

bool same_secret(const std::string& a, const std::string& b) {
    return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string SessionStore::create(const std::string& user) {
    const auto now = Clock::now();
    LoginSession s{user, random_hex(32), now, now};
    std::string id = random_hex(32);
    std::lock_guard lock(mu_);
    for (auto it = sessions_.begin(); it != sessions_.end();)  // forget the expired ones
        it = (now - it->second.last_seen > idle_ || now - it->second.created > absolute_) ? sessions_.erase(it)
                                                                                          : std::next(it);
    sessions_[id] = std::move(s);
    return id;
}

std::optional<LoginSession> SessionStore::find(const std::string& id) {
    const auto now = Clock::now();
    std::lock_guard lock(mu_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return std::nullopt;
    if (now - it->second.last_seen > idle_ || now - it->second.created > absolute_) {
        sessions_.erase(it);
        return std::nullopt;
    }
    it->second.last_seen = now;
    return it->second;
}

void SessionStore::remove(const std::string& id) {
    std::lock_guard lock(mu_);
    sessions_.erase(id);
}

long LoginLimiter::wait_of(std::deque<Clock::time_point>& times, Clock::time_point now) const {
    while (!times.empty() && now - times.front() >= window_) times.pop_front();
    if (static_cast<int>(times.size()) < max_) return 0;
    const auto left = std::chrono::ceil<std::chrono::seconds>(times.front() + window_ - now).count();
    return left > 0 ? static_cast<long>(left) : 1;
}

long LoginLimiter::wait_in(Failures& by, const std::string& key, Clock::time_point now) const {
    auto it = by.find(key);
    return it == by.end() ? 0 : wait_of(it->second, now);
}

std::string LoginLimiter::user_key(const std::string& user) {
    return valid_user_name(user) ? user : std::string();  // names no user can have share one entry
}

long LoginLimiter::retry_after(const std::string& addr, const std::string& user) {
    const auto now = Clock::now();
    std::lock_guard lock(mu_);
    return std::max(wait_in(by_addr_, addr, now), wait_in(by_user_, user_key(user), now));
}

void LoginLimiter::failed(const std::string& addr, const std::string& user) {
    const auto now = Clock::now();
    std::lock_guard lock(mu_);
    by_addr_[addr].push_back(now);
    by_user_[user_key(user)].push_back(now);
    if (++since_sweep_ < kSweepEvery) return;
    since_sweep_ = 0;  // forget who has no failure left in the window: the maps stay bounded
    for (Failures* by : {&by_addr_, &by_user_})
        for (auto it = by->begin(); it != by->end();) {
            wait_of(it->second, now);  // drops the failures that left the window
            it = it->second.empty() ? by->erase(it) : std::next(it);
        }
}

std::size_t LoginLimiter::tracked() {
    std::lock_guard lock(mu_);
    return by_addr_.size() + by_user_.size();
}

}  // namespace cb::serve
