// serve's logins (issue 14): the users file, the login sessions and the failed-login limit.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "auth.hpp"
#include "cb/serve/users.hpp"

namespace fs = std::filesystem;
using cb::serve::LoginLimiter;
using cb::serve::SessionStore;
using cb::serve::Users;

namespace {

fs::path temp_file(const char* name) {
    const fs::path dir = fs::temp_directory_path() / ("cb-serve-test-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    return dir / name;
}

}  // namespace

TEST(ServeUsers, AddSaveLoadVerify) {
    Users u;
    std::string err;
    ASSERT_TRUE(u.add("alice", "correct horse", &err)) << err;
    ASSERT_TRUE(u.add("bob@example.org", "x", &err)) << err;
    EXPECT_FALSE(u.add("alice", "again", &err));
    EXPECT_NE(err.find("exists"), std::string::npos);
    for (const char* bad : {"", "a b", "a:b", "../x", "ünï"}) EXPECT_FALSE(u.add(bad, "pw", &err)) << bad;
    EXPECT_FALSE(u.add("carol", "", &err));
    const fs::path path = temp_file("users");
    ASSERT_EQ(u.save(path.string()), "");
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    std::ifstream in(path);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text.find("correct horse"), std::string::npos);
    Users loaded;
    ASSERT_TRUE(Users::load(path.string(), false, &loaded, &err)) << err;
    EXPECT_EQ(loaded.names(), (std::vector<std::string>{"alice", "bob@example.org"}));
    EXPECT_TRUE(loaded.verify("alice", "correct horse"));
    EXPECT_FALSE(loaded.verify("alice", "correct horse "));
    EXPECT_FALSE(loaded.verify("alice", ""));
    EXPECT_FALSE(loaded.verify("bob@example.org", "correct horse"));
    EXPECT_FALSE(loaded.verify("mallory", "correct horse"));
    EXPECT_TRUE(loaded.remove("alice"));
    EXPECT_FALSE(loaded.remove("alice"));
    EXPECT_FALSE(loaded.verify("alice", "correct horse"));
}

TEST(ServeUsers, LoadNamesTheBadLine) {
    const fs::path path = temp_file("bad-users");
    std::ofstream(path) << "# comment\n\nalice:$argon2id$v=19$m=65536,t=2,p=1$x$y\nbob:plaintext\n";
    Users u;
    std::string err;
    EXPECT_FALSE(Users::load(path.string(), false, &u, &err));
    EXPECT_NE(err.find(path.string() + ":4:"), std::string::npos) << err;
    EXPECT_FALSE(Users::load((path.string() + ".missing"), false, &u, &err));
    EXPECT_TRUE(Users::load((path.string() + ".missing"), true, &u, &err));
    EXPECT_TRUE(u.empty());
}

TEST(ServeSessions, CreateFindRemoveExpire) {
    SessionStore store(std::chrono::seconds(1), std::chrono::seconds(3600));
    const std::string a = store.create("alice"), b = store.create("alice");
    EXPECT_EQ(a.size(), 64u);
    EXPECT_NE(a, b);
    const auto s = store.find(a);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->user, "alice");
    EXPECT_EQ(s->csrf.size(), 64u);
    EXPECT_NE(s->csrf, a);
    EXPECT_NE(s->csrf, store.find(b)->csrf);
    EXPECT_FALSE(store.find(std::string(64, '0')));
    store.remove(b);
    EXPECT_FALSE(store.find(b));
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    EXPECT_FALSE(store.find(a));  // idle for longer than 1 s
}

TEST(ServeSessions, AbsoluteExpiryWhateverTheActivity) {
    SessionStore store(std::chrono::seconds(3600), std::chrono::seconds(1));
    const std::string a = store.create("alice");
    for (int i = 0; i < 4; ++i) {
        EXPECT_TRUE(store.find(a));
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    EXPECT_FALSE(store.find(a));
}

TEST(ServeLoginLimiter, PerAddressAndPerUser) {
    LoginLimiter limit(3, std::chrono::seconds(1));
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(limit.retry_after("10.0.0.1", "alice"), 0);
        limit.failed("10.0.0.1", "alice");
    }
    EXPECT_GT(limit.retry_after("10.0.0.1", "alice"), 0);
    EXPECT_GT(limit.retry_after("10.0.0.1", "bob"), 0);    // the address is limited
    EXPECT_GT(limit.retry_after("10.0.0.2", "alice"), 0);  // and so is the user
    EXPECT_EQ(limit.retry_after("10.0.0.2", "bob"), 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    EXPECT_EQ(limit.retry_after("10.0.0.1", "alice"), 0);  // the failures left the window
}

TEST(ServeLoginLimiter, StaysBoundedAndAsksNothingOfUnknowns) {
    LoginLimiter limit(3, std::chrono::seconds(1));
    for (int i = 0; i < 100; ++i)
        EXPECT_EQ(limit.retry_after("10.0.0." + std::to_string(i), "u" + std::to_string(i)), 0);
    EXPECT_EQ(limit.tracked(), 0u);  // asking keeps nothing
    for (int i = 0; i < 300; ++i)
        limit.failed("10.0.1." + std::to_string(i % 250), std::string(100, 'x') + std::to_string(i));
    EXPECT_EQ(limit.tracked(), 250u + 1u);                              // names no user can have share one entry
    EXPECT_GT(limit.retry_after("10.9.9.9", std::string(70, 'y')), 0);  // ... and its limit
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    for (int i = 0; i < LoginLimiter::kSweepEvery; ++i) limit.failed("10.0.2.1", "alice");
    EXPECT_EQ(limit.tracked(), 2u);  // the sweep forgot everyone without a failure in the window
}

TEST(ServeSecrets, RandomAndCompared) {
    std::set<std::string> seen;
    for (int i = 0; i < 100; ++i) seen.insert(cb::serve::random_hex(32));
    EXPECT_EQ(seen.size(), 100u);
    EXPECT_TRUE(cb::serve::same_secret("abc", "abc"));
    EXPECT_FALSE(cb::serve::same_secret("abc", "abd"));
    EXPECT_FALSE(cb::serve::same_secret("abc", "abcd"));
}
