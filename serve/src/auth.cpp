#include "auth.hpp"

#include <sodium.h>

#include <vector>

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

long LoginLimiter::wait_of(std::deque<Clock::time_point>& times, Clock::time_point now) {
    while (!times.empty() && now - times.front() >= window_) times.pop_front();
    if (static_cast<int>(times.size()) < max_) return 0;
    const auto left = std::chrono::ceil<std::chrono::seconds>(times.front() + window_ - now).count();
    return left > 0 ? static_cast<long>(left) : 1;
}

long LoginLimiter::retry_after(const std::string& addr, const std::string& user) {
    const auto now = Clock::now();
    std::lock_guard lock(mu_);
    return std::max(wait_of(by_addr_[addr], now), wait_of(by_user_[user], now));
}

void LoginLimiter::failed(const std::string& addr, const std::string& user) {
    const auto now = Clock::now();
    std::lock_guard lock(mu_);
    by_addr_[addr].push_back(now);
    by_user_[user].push_back(now);
}

}  // namespace cb::serve
