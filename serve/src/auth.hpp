// serve's logins: the sessions of logged-in users (random 256-bit ids in an HttpOnly cookie, with
// a CSRF token each, idle and absolute expiry) and the limit on failed logins per address and per
// user. Thread-safe.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace cb::serve {

using Clock = std::chrono::steady_clock;

struct LoginSession {
    std::string user, csrf;
    Clock::time_point created, last_seen;
};

class SessionStore {
public:
    SessionStore(std::chrono::seconds idle, std::chrono::seconds absolute) : idle_(idle), absolute_(absolute) {}
    // A new session for user; returns its id (64 hex digits).
    std::string create(const std::string& user);
    // The live session with this id (its idle clock restarted), or nullopt (unknown or expired).
    std::optional<LoginSession> find(const std::string& id);
    void remove(const std::string& id);

private:
    std::chrono::seconds idle_, absolute_;
    std::mutex mu_;
    std::map<std::string, LoginSession> sessions_;
};

// At most `max_failures` failed logins per address and per user name within `window`; then
// logins from that address (or for that user) wait until the oldest failure leaves the window.
class LoginLimiter {
public:
    LoginLimiter(int max_failures, std::chrono::seconds window) : max_(max_failures), window_(window) {}
    // Seconds to wait before trying again (0: go ahead).
    long retry_after(const std::string& addr, const std::string& user);
    void failed(const std::string& addr, const std::string& user);
    // Addresses and user names with failures kept (for tests: it stays bounded).
    std::size_t tracked();
    static constexpr int kSweepEvery = 1024;  // failures between two sweeps of the expired

private:
    using Failures = std::map<std::string, std::deque<Clock::time_point>>;
    long wait_of(std::deque<Clock::time_point>& times, Clock::time_point now) const;
    long wait_in(Failures& by, const std::string& key, Clock::time_point now) const;
    static std::string user_key(const std::string& user);
    int max_;
    std::chrono::seconds window_;
    std::mutex mu_;
    Failures by_addr_, by_user_;
    int since_sweep_ = 0;
};

// Random bytes as hex (libsodium's randombytes_buf).
std::string random_hex(std::size_t bytes);
// Constant-time comparison of two strings (their lengths are not secret).
bool same_secret(const std::string& a, const std::string& b);

}  // namespace cb::serve
