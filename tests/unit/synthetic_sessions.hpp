// Synthetic Cowrie sessions for analysis tests: written as NDJSON, read back through the real
// ingest (ingest_buffer + build_sessions), then handed to analyses the way run_analyses does.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cb/analysis/analysis.hpp"
#include "cb/engine/analyze.hpp"
#include "cb/engine/ingest.hpp"
#include "cb/parse/command_template.hpp"
#include "cb/util/text.hpp"
#include "cb/util/time.hpp"

namespace cbtest {

struct Spec {
    std::string sensor = "s1", session, src_ip = "10.0.0.1", client = "SSH-2.0-Go", protocol = "ssh";
    double start_s = 0;     // seconds after 2024-01-01T00:00:00Z
    double duration_s = 5;  // the close comes this long after the connect
    struct Login {
        std::string user, pass;
        bool ok;
    };
    std::vector<Login> logins;
    std::vector<std::string> commands;
    std::vector<std::pair<std::string, std::string>> downloads;  // url, shasum
    std::vector<std::pair<std::string, std::string>> uploads;    // filename, shasum
    std::int64_t tty_bytes = -1;                                 // a cowrie.log.closed when >= 0
};

// Index of column `name` in t (a test failure when there is none).
inline std::size_t col(const cb::Table& t, std::string_view name) {
    for (std::size_t i = 0; i < t.columns.size(); ++i)
        if (t.columns[i].name == name) return i;
    ADD_FAILURE() << "no column " << name;
    return 0;
}

inline std::string js(const std::string& s) {
    std::string o;
    cb::append_json_string(o, s);
    return o;
}

inline std::string to_ndjson(const Spec& sp) {
    const cb::Micros t0 = 1704067200LL * cb::kMicrosPerSecond + static_cast<cb::Micros>(sp.start_s * 1e6);
    const cb::Micros t1 = t0 + static_cast<cb::Micros>(sp.duration_s * 1e6);
    std::string out;
    std::size_t k = 0;
    const std::size_t steps = 2 + sp.logins.size() + sp.commands.size() + sp.downloads.size() + sp.uploads.size() + 1;
    // Events spread evenly between connect and close.
    auto ev = [&](const std::string& id, const std::string& extra, bool last = false) {
        const cb::Micros t = last ? t1 : t0 + (t1 - t0) * static_cast<cb::Micros>(k++) / static_cast<cb::Micros>(steps);
        out += R"({"eventid":")" + id + R"(","timestamp":")" + cb::format_timestamp(t) + R"(","session":)" +
               js(sp.session) + R"(,"sensor":)" + js(sp.sensor) + R"(,"src_ip":)" + js(sp.src_ip) +
               (extra.empty() ? "" : "," + extra) + "}\n";
    };
    ev("cowrie.session.connect",
       R"("protocol":")" + sp.protocol + R"(","src_port":40000,"dst_ip":"192.0.2.1","dst_port":22)");
    if (!sp.client.empty()) ev("cowrie.client.version", R"("version":)" + js(sp.client));
    for (const auto& l : sp.logins)
        ev(l.ok ? "cowrie.login.success" : "cowrie.login.failed",
           R"("username":)" + js(l.user) + R"(,"password":)" + js(l.pass));
    for (const auto& c : sp.commands) ev("cowrie.command.input", R"("input":)" + js(c));
    for (const auto& [u, h] : sp.downloads)
        ev("cowrie.session.file_download",
           R"("url":)" + js(u) + R"(,"shasum":)" + js(h) + R"(,"outfile":"var/lib/cowrie/downloads/)" + h + "\"");
    for (const auto& [f, h] : sp.uploads)
        ev("cowrie.session.file_upload", R"("filename":)" + js(f) + R"(,"shasum":)" + js(h));
    if (sp.tty_bytes >= 0)
        ev("cowrie.log.closed", R"("ttylog":"var/lib/cowrie/tty/)" + sp.session + R"(","size":)" +
                                    std::to_string(sp.tty_bytes) + R"(,"shasum":"00")");
    ev("cowrie.session.closed", R"("duration":)" + std::to_string(sp.duration_s), true);
    return out;
}

// Sessions plus the pool their strings live in.
struct Corpus {
    std::unique_ptr<cb::StringPool> pool = std::make_unique<cb::StringPool>();
    std::vector<cb::Session> sessions;
};

inline Corpus build(const std::vector<Spec>& specs) {
    Corpus c;
    std::string text;
    for (const auto& s : specs) text += to_ndjson(s);
    cb::EventParser parser;
    cb::SessionMap merged;
    cb::FileReport rep;
    cb::ingest_buffer(text, "synthetic", parser, *c.pool, merged, rep);
    EXPECT_EQ(rep.counts.rejected_total(), 0u);
    std::vector<cb::SessionMap> shards(1);
    shards[0] = std::move(merged);
    c.sessions = cb::build_sessions(shards, cb::SessionOptions{}, 1);
    return c;
}

// SessionFacts the way run_analyses builds them (no markers unless given).
struct FactsBuilder {
    cb::TemplateCache cache;
    cb::MarkerSet markers;
    cb::SessionFacts f;
    const cb::SessionFacts& operator()(const cb::Session& s) {
        cb::build_session_facts(s, markers, cache, f);
        return f;
    }
};

// Runs one analysis over sessions given as pointers, split into `parts` partial states
// (part[i] gets the sessions with which[i] == part), merged in part order, then finished.
// With through_bytes, every partial state is saved and loaded into a fresh one first (the
// Hadoop Streaming path).
template <typename Make>
cb::Findings run_split(Make make, const std::vector<const cb::Session*>& sessions, const std::vector<unsigned>& which,
                       unsigned parts, cb::Findings before = {}, bool through_bytes = false) {
    std::vector<std::unique_ptr<cb::Analysis>> st;
    for (unsigned p = 0; p < parts; ++p) st.push_back(make());
    FactsBuilder fb;
    for (std::size_t i = 0; i < sessions.size(); ++i) st[which.empty() ? 0 : which[i]]->add(fb(*sessions[i]));
    if (through_bytes)
        for (auto& a : st) {
            std::string bytes;
            a->save(bytes);
            auto fresh = make();
            EXPECT_TRUE(fresh->load(bytes)) << a->name();
            a = std::move(fresh);
        }
    for (unsigned p = 1; p < parts; ++p) st[0]->merge(std::move(*st[p]));
    cb::AnalysisConfig cfg;
    st[0]->finish(cfg, before);
    return before;
}

template <typename Make>
cb::Findings run_all(Make make, const std::vector<cb::Session>& sessions) {
    std::vector<const cb::Session*> p;
    for (const auto& s : sessions) p.push_back(&s);
    return run_split(make, p, {}, 1);
}

// A small deterministic generator (std:: distributions differ between standard libraries).
struct Rng {
    std::uint64_t s;
    explicit Rng(std::uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ULL + 1) {}
    std::uint64_t next() {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        return s;
    }
    std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
    double unit() { return static_cast<double>(next() >> 11) / 9007199254740992.0; }
    std::string hex(std::size_t n) {
        std::string o;
        while (o.size() < n) o.push_back("0123456789abcdef"[below(16)]);
        return o;
    }
    std::string ip() {
        return std::to_string(1 + below(222)) + "." + std::to_string(below(256)) + "." + std::to_string(below(256)) +
               "." + std::to_string(1 + below(254));
    }
};

}  // namespace cbtest
