// Steps and markers: what a session did, without the lines bots print between steps.
//
// Mirai-family bots run a marker after every step (`/bin/busybox ECCHI`, `/bin/busybox <RANDOM>`,
// `echo -e '\x6f\x6b'`) to find where the output of the step before ends. Blaming the marker for
// a disconnect names the wrong step, so analyses of leaving work on *steps*: the parts of each
// command line that are neither markers nor the act of leaving (exit, logout), nor empty.
//
// Markers are found from the data, in one pass over all sessions before the analyses
// (MarkerStats, a mergeable aggregate like the analyses): a segment key is a marker when, in
// most sessions that run it and go on past it, it is repeated between other steps. The keys
// are command templates of the segments of a line, with an unknown busybox applet written
// <RAND> (random applet names differ in every session) and `(x || :)` unwrapped. A segment that
// mostly starts a longer line (`cd ~; ...` on every exec channel) is a prefix, not a marker.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cb/parse/command_template.hpp"
#include "cb/session/session.hpp"
#include "cb/util/archive.hpp"
#include "cb/util/string_pool.hpp"

namespace cb {

// One top-level part of a command line: lines split at ; && || and newlines outside quotes,
// parentheses and braces. `sep` is the separator before it ("" for the first).
struct Segment {
    std::string_view sep, text;
};
void split_segments(std::string_view line, std::vector<Segment>& out);

// exit, logout or quit (with arguments): the act of leaving, never a step.
bool is_closer(std::string_view segment);

// The key under which marker statistics of a segment are kept (see the file comment).
std::string marker_key(std::string_view segment, TemplateCache& cache);

// The markers found in a run: sorted keys.
class MarkerSet {
public:
    bool contains(std::string_view key) const { return keys_.count(key) > 0; }
    const std::set<std::string, std::less<>>& keys() const { return keys_; }
    void insert(std::string key) { keys_.insert(std::move(key)); }
    // One key a line (keys hold no newline: templates fold whitespace).
    std::string encode() const;
    static MarkerSet decode(std::string_view text);

private:
    std::set<std::string, std::less<>> keys_;
};

// Marker evidence per key, over all sessions; merges like an Analysis.
class MarkerStats {
public:
    static constexpr std::uint64_t kMinSessions = 3;  // sessions that go on past the key
    static constexpr std::size_t kMaxMarkers = 100;   // keys of at most 400 bytes: under 53 KB in base64
    struct Stat {
        std::uint64_t sessions = 0;  // sessions that run it
        std::uint64_t went_on = 0;   // ... and run another step after its first run
        std::uint64_t repeated = 0;  // ... and run it again between other steps
        std::uint64_t leading = 0;   // sessions where half its runs or more start a longer line (`cd ~; x`)
        template <class Ar>
        void io(Ar& ar) {
            ar(sessions, went_on, repeated, leading);
        }
    };
    void add(const Session& s, TemplateCache& cache);
    void merge(MarkerStats&& o);
    // Takes away what o counted of sessions this one counted too (counts only add up, so the
    // stats of a run's sessions less some of them are those of the others, key for key).
    void subtract(const MarkerStats& o);
    MarkerSet finish() const;
    // Per key (segment template), what the sessions did with it (markers.csv: analysis/basic_tables.hpp).
    const std::map<std::string, Stat, std::less<>>& stats() const { return stats_; }
    void save(std::string& out);
    bool load(std::string_view in);

private:
    std::map<std::string, Stat, std::less<>> stats_;
    std::vector<std::string> keys_;  // scratch
};

// The steps of one session, given the run's markers.
struct Steps {
    std::vector<std::string_view> text;  // the line, or the line without its marker/closer parts
    std::vector<std::size_t> line;       // index of the command line each step comes from
    std::vector<std::string> store;      // owns the rebuilt texts
    void clear() {
        text.clear();
        line.clear();
        store.clear();
    }
};
void session_steps(const Session& s, const MarkerSet& markers, TemplateCache& cache, Steps& out);

// Builds the marker statistics of a run over all sessions (threads as run_analyses).
MarkerStats collect_markers(const std::vector<Session>& sessions, unsigned threads);

// Sets Session::last_step of every session; rebuilt texts are stored in pools.
void assign_last_steps(std::vector<Session>& sessions, const MarkerSet& markers, unsigned threads,
                       std::vector<StringPool>& pools);

}  // namespace cb
