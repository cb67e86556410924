// Helpers for analysis tests: synthetic sessions from NDJSON text, SessionFacts as
// run_analyses() builds them, one analysis run alone, and the merge property.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "cb/analysis/analysis.hpp"
#include "cb/engine/analyze.hpp"
#include "cb/engine/ingest.hpp"
#include "cb/parse/command_template.hpp"

namespace cbtest {

// Concatenates text and integers (GCC 12 warns, wrongly, on "lit" + std::to_string(n)).
inline void cat_one(std::string& o, std::string_view v) { o.append(v); }
inline void cat_one(std::string& o, long long v) { o.append(std::to_string(v)); }
inline void cat_one(std::string& o, int v) { o.append(std::to_string(v)); }
inline void cat_one(std::string& o, std::size_t v) { o.append(std::to_string(v)); }
template <typename... T>
std::string cat(const T&... parts) {
    std::string o;
    (cat_one(o, parts), ...);
    return o;
}

// One Cowrie event line. extra: more JSON members, without braces.
inline std::string ev(std::string_view sensor, std::string_view session, std::string_view src_ip,
                      std::string_view eventid, std::string_view ts, std::string_view extra = "") {
    std::string s = "{\"eventid\":\"";
    s.append(eventid).append("\",\"timestamp\":\"").append(ts).append("\",\"session\":\"").append(session);
    s.append("\",\"sensor\":\"").append(sensor).append("\",\"src_ip\":\"").append(src_ip).append("\"");
    if (!extra.empty()) s.append(",").append(extra);
    s.append("}\n");
    return s;
}

// JSON string literal for test text (quotes, backslashes and control bytes escaped).
inline std::string js(std::string_view v) {
    std::string o = "\"";
    for (unsigned char c : v) {
        if (c == '"' || c == '\\') {
            o.push_back('\\');
            o.push_back(static_cast<char>(c));
        } else if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            o.append(buf);
        } else {
            o.push_back(static_cast<char>(c));
        }
    }
    o.push_back('"');
    return o;
}

// Sessions from NDJSON text; their strings live in pool.
inline std::vector<cb::Session> ingest(const std::string& ndjson, cb::StringPool& pool) {
    cb::EventParser parser;
    cb::SessionMap merged;
    cb::FileReport rep;
    cb::ingest_buffer(ndjson, "test", parser, pool, merged, rep);
    std::vector<cb::SessionMap> shards(1);
    shards[0] = std::move(merged);
    auto v = cb::build_sessions(shards, cb::SessionOptions{}, 1);
    std::sort(v.begin(), v.end(), cb::session_less);
    return v;
}

// SessionFacts exactly as run_analyses() builds them.
inline void facts_of(const cb::Session& s, cb::TemplateCache& cache, cb::SessionFacts& f,
                     const cb::MarkerSet& markers = {}) {
    cb::build_session_facts(s, markers, cache, f);
}

inline std::unique_ptr<cb::Analysis> analysis_named(std::string_view name) {
    for (auto& a : cb::make_analyses())
        if (a->name() == name) return std::move(a);
    ADD_FAILURE() << "no analysis named " << name;
    return nullptr;
}

inline void feed(cb::Analysis& a, const std::vector<const cb::Session*>& sessions) {
    cb::TemplateCache cache;
    cb::SessionFacts f;
    for (const cb::Session* s : sessions) {
        facts_of(*s, cache, f);
        a.add(f);
    }
}

inline cb::Findings run_one(std::string_view name, const std::vector<cb::Session>& sessions,
                            const cb::AnalysisConfig& cfg = {}) {
    auto a = analysis_named(name);
    std::vector<const cb::Session*> ptrs;
    for (const auto& s : sessions) ptrs.push_back(&s);
    feed(*a, ptrs);
    cb::Findings out;
    a->finish(cfg, out);
    return out;
}

// Every table as CSV plus the published facts and hints, as one text (the typed rows of
// Findings are the tables' rows).
inline std::string dump(const cb::Findings& f) {
    std::string o;
    for (const auto& t : f.tables) o += "## " + t.name + "\n" + cb::to_csv(t);
    o += "# facts = " + cb::report_facts_json(f) + "\n# hints = " + cb::hints_json(f);
    return o;
}

inline const cb::Table* table(const cb::Findings& f, std::string_view name) {
    const cb::Table* t = f.table(name);
    EXPECT_NE(t, nullptr) << name;
    return t;
}

inline std::size_t col(const cb::Table& t, std::string_view name) {
    for (std::size_t i = 0; i < t.columns.size(); ++i)
        if (t.columns[i].name == name) return i;
    ADD_FAILURE() << "no column " << name << " in " << t.name;
    return 0;
}

inline std::string text(const cb::Cell& c) {
    if (auto p = std::get_if<std::string>(&c)) return *p;
    if (auto p = std::get_if<std::int64_t>(&c)) return std::to_string(*p);
    if (auto p = std::get_if<double>(&c)) return std::to_string(*p);
    return "";
}

// Rows of t whose column `key` equals value.
inline std::vector<const std::vector<cb::Cell>*> rows_where(const cb::Table& t, std::string_view key,
                                                            std::string_view value) {
    std::vector<const std::vector<cb::Cell>*> out;
    const std::size_t k = col(t, key);
    for (const auto& r : t.rows)
        if (text(r[k]) == value) out.push_back(&r);
    return out;
}

// The merge property: for random splits of the sessions into two parts (in shuffled order),
// add-parts, merge, finish gives the same tables and facts, byte for byte, as one instance fed all.
inline void expect_mergeable(std::string_view name, const std::vector<cb::Session>& sessions,
                             const cb::AnalysisConfig& cfg, int rounds = 5) {
    const std::string whole = dump(run_one(name, sessions, cfg));
    std::mt19937_64 rng(12345);
    for (int round = 0; round < rounds; ++round) {
        std::vector<const cb::Session*> a_part, b_part;
        for (const auto& s : sessions) (rng() % 2 ? a_part : b_part).push_back(&s);
        std::shuffle(a_part.begin(), a_part.end(), rng);
        std::shuffle(b_part.begin(), b_part.end(), rng);
        auto a = analysis_named(name), b = analysis_named(name);
        feed(*a, a_part);
        feed(*b, b_part);
        if (round % 2) {
            b->merge(std::move(*a));
            a = std::move(b);
        } else {
            a->merge(std::move(*b));
        }
        cb::Findings out;
        a->finish(cfg, out);
        EXPECT_EQ(dump(out), whole) << name << ": split round " << round << " (" << a_part.size() << "+"
                                    << b_part.size() << " sessions)";
    }
}

}  // namespace cbtest
