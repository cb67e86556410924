#include "cb/session/steps.hpp"

#include <algorithm>
#include <unordered_map>

#include "cb/parse/command_names.hpp"
#include "cb/util/fast_hash.hpp"
#include "cb/util/parallel.hpp"

namespace cb {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
        s.remove_suffix(1);
    return s;
}

std::string_view first_word(std::string_view s, std::size_t* end = nullptr) {
    std::size_t e = 0;
    while (e < s.size() && s[e] != ' ' && s[e] != '\t') ++e;
    if (end) *end = e;
    return s.substr(0, e);
}

std::string_view basename(std::string_view path) {
    const auto slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// `(x || :)`, `(x || true)` and `(x)` -> x: a guarded marker is the same marker.
std::string_view unwrap(std::string_view s) {
    s = trim(s);
    if (s.size() >= 2 && s.front() == '(' && s.back() == ')') s = trim(s.substr(1, s.size() - 2));
    for (std::string_view tail : {"|| :", "||:", "|| true"})
        if (s.size() > tail.size() && s.substr(s.size() - tail.size()) == tail)
            return trim(s.substr(0, s.size() - tail.size()));
    return s;
}

// Segment keys in order (closers and empty segments left out) with the raw text of each, and
// whether it starts a line that has more segments.
void segment_keys(const Session& s, TemplateCache& cache, std::vector<std::string>& keys,
                  std::vector<std::string_view>& raws, std::vector<bool>& leads) {
    constexpr std::size_t kMaxSegments = 400;  // long sessions: the start decides
    keys.clear();
    raws.clear();
    leads.clear();
    std::vector<Segment> segs;
    SentLines sent;
    for (const Item& it : s.items) {
        if (it.kind != ItemKind::Command) continue;
        if (!sent.is_line(it)) continue;  // Cowrie's copy of a `$( )` part of the line before
        split_segments(it.a, segs);
        for (std::size_t k = 0; k < segs.size(); ++k) {
            const Segment& g = segs[k];
            if (keys.size() >= kMaxSegments) return;
            if (g.text.empty() || is_closer(g.text)) continue;
            keys.push_back(marker_key(g.text, cache));
            raws.push_back(unwrap(g.text));
            leads.push_back(k == 0 && segs.size() > 1);
        }
    }
}

// True when raw text v runs twice with other steps between, each of which runs fewer times
// in the session than v: a delimiter, not a loop over a few commands.
bool repeated_between(const std::vector<std::string_view>& raws, std::string_view v,
                      const std::unordered_map<std::string_view, std::uint32_t, StringHash>& count) {
    const std::uint32_t n = count.at(v);
    if (n < 2) return false;
    std::size_t prev = SIZE_MAX;
    for (std::size_t i = 0; i < raws.size(); ++i) {
        if (raws[i] != v) continue;
        if (prev != SIZE_MAX && i > prev + 1) {
            bool all_rarer = true;
            for (std::size_t k = prev + 1; k < i && all_rarer; ++k) all_rarer = count.at(raws[k]) < n;
            if (all_rarer) return true;
        }
        prev = i;
    }
    return false;
}

}  // namespace

void split_segments(std::string_view line, std::vector<Segment>& out) {
    out.clear();
    char quote = 0;
    int depth = 0;
    std::size_t start = 0;
    std::string_view sep;
    auto cut = [&](std::size_t end, std::size_t sep_len) {
        out.push_back({sep, trim(line.substr(start, end - start))});
        sep = line.substr(end, sep_len);
        start = end + sep_len;
    };
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quote) {
            if (c == '\\' && quote == '"')
                ++i;
            else if (c == quote)
                quote = 0;
            continue;
        }
        switch (c) {
            case '\\':
                ++i;
                break;
            case '\'':
            case '"':
            case '`':
                quote = c;
                break;
            case '(':
            case '{':
                ++depth;
                break;
            case ')':
            case '}':
                depth -= depth > 0;
                break;
            case ';':
            case '\n':
                if (depth == 0) cut(i, 1);
                break;
            case '&':
            case '|':
                if (depth == 0 && i + 1 < line.size() && line[i + 1] == c) {
                    cut(i, 2);
                    ++i;
                }
                break;
            default:
                break;
        }
    }
    cut(line.size(), 0);
}

bool is_closer(std::string_view segment) {
    const std::string_view w = first_word(trim(segment));
    return w == "exit" || w == "logout" || w == "quit";
}

std::string marker_key(std::string_view segment, TemplateCache& cache) {
    const std::string_view s = unwrap(segment);
    std::size_t e = 0;
    const std::string_view w0 = first_word(s, &e);
    if (basename(w0) == "busybox") {
        std::string_view rest = trim(s.substr(e));
        std::size_t e1 = 0;
        const std::string_view w1 = first_word(rest, &e1);
        if (!w1.empty() && !is_known_command(w1)) {
            // Random applet names differ in every session: one key for them all.
            std::string k(cache.get(w0));
            k += " <RAND>";
            if (rest = trim(rest.substr(e1)); !rest.empty()) (k += ' ') += cache.get(rest);
            return k;
        }
    }
    return std::string(cache.get(s));
}

std::string MarkerSet::encode() const {
    std::string out;
    for (const auto& k : keys_) (out += k) += '\n';
    return out;
}

MarkerSet MarkerSet::decode(std::string_view text) {
    MarkerSet m;
    while (!text.empty()) {
        const auto nl = text.find('\n');
        const std::string_view k = text.substr(0, nl);
        if (!k.empty()) m.insert(std::string(k));
        if (nl == std::string_view::npos) break;
        text.remove_prefix(nl + 1);
    }
    return m;
}

void MarkerStats::add(const Session& s, TemplateCache& cache) {
    if (s.commands == 0) return;
    std::vector<std::string_view> raws;
    std::vector<bool> leads;
    segment_keys(s, cache, keys_, raws, leads);
    std::unordered_map<std::string_view, std::uint32_t, StringHash> count;
    for (auto r : raws) ++count[r];
    std::vector<std::string_view> seen;
    for (std::size_t i = 0; i < keys_.size(); ++i) {
        const std::string_view key = keys_[i];
        if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
        seen.push_back(key);
        auto it = stats_.find(key);
        if (it == stats_.end()) it = stats_.emplace(std::string(key), Stat{}).first;
        Stat& st = it->second;
        ++st.sessions;
        std::size_t runs = 0, leading = 0;
        for (std::size_t k = i; k < keys_.size(); ++k)
            if (keys_[k] == key) {
                ++runs;
                leading += leads[k];
            }
        st.leading += 2 * leading >= runs;
        // Went on: another step (a segment of another key) after its first run.
        bool went_on = false;
        for (std::size_t k = i + 1; k < keys_.size() && !went_on; ++k) went_on = keys_[k] != key;
        if (!went_on) continue;
        ++st.went_on;
        st.repeated += repeated_between(raws, raws[i], count);
    }
}

void MarkerStats::merge(MarkerStats&& o) {
    for (auto& [k, v] : o.stats_) {
        Stat& st = stats_[k];
        st.sessions += v.sessions;
        st.went_on += v.went_on;
        st.repeated += v.repeated;
        st.leading += v.leading;
    }
}

void MarkerStats::subtract(const MarkerStats& o) {
    for (const auto& [k, v] : o.stats_) {
        auto it = stats_.find(k);
        if (it == stats_.end()) continue;
        Stat& st = it->second;
        st.sessions -= std::min(st.sessions, v.sessions);
        st.went_on -= std::min(st.went_on, v.went_on);
        st.repeated -= std::min(st.repeated, v.repeated);
        st.leading -= std::min(st.leading, v.leading);
        if (st.sessions == 0) stats_.erase(it);  // no session has the key: as if never counted
    }
}

MarkerSet MarkerStats::finish() const {
    std::vector<std::pair<const std::string*, const Stat*>> found;
    for (const auto& [k, st] : stats_)
        if (st.went_on >= kMinSessions && 2 * st.repeated > st.went_on && 2 * st.leading <= st.sessions)
            found.emplace_back(&k, &st);
    // The most used first, then by key: a bounded set (it travels in an environment variable on
    // Hadoop) that does not depend on the order of merges.
    std::stable_sort(found.begin(), found.end(),
                     [](const auto& a, const auto& b) { return a.second->sessions > b.second->sessions; });
    if (found.size() > kMaxMarkers) found.resize(kMaxMarkers);
    MarkerSet m;
    for (const auto& [k, _] : found) m.insert(*k);
    return m;
}

void MarkerStats::save(std::string& out) {
    OutArchive ar(out);
    ar(stats_);
}

bool MarkerStats::load(std::string_view in) {
    InArchive ar(in);
    ar(stats_);
    return ar.ok();
}

void session_steps(const Session& s, const MarkerSet& markers, TemplateCache& cache, Steps& out) {
    out.clear();
    std::vector<Segment> segs;
    std::vector<bool> keep;
    std::size_t line = 0;
    SentLines sent;
    for (const Item& it : s.items) {
        if (it.kind != ItemKind::Command) continue;
        if (!sent.is_line(it)) {  // part of the line before: no step of its own
            ++line;
            continue;
        }
        split_segments(it.a, segs);
        keep.assign(segs.size(), false);
        std::size_t kept = 0;
        for (std::size_t g = 0; g < segs.size(); ++g) {
            const std::string_view t = segs[g].text;
            keep[g] =
                !t.empty() && !is_closer(t) && (markers.keys().empty() || !markers.contains(marker_key(t, cache)));
            kept += keep[g];
        }
        if (kept == segs.size()) {
            out.text.push_back(trim(it.a));
        } else if (kept > 0) {
            std::string rebuilt;
            for (std::size_t g = 0; g < segs.size(); ++g) {
                if (!keep[g]) continue;
                if (!rebuilt.empty()) ((rebuilt += ' ') += segs[g].sep) += ' ';
                rebuilt += segs[g].text;
            }
            out.store.push_back(std::move(rebuilt));
            out.text.push_back({});  // filled below: store may still grow
        }
        if (kept > 0) out.line.push_back(line);
        ++line;
    }
    std::size_t k = 0;
    for (auto& t : out.text)
        if (t.data() == nullptr) t = out.store[k++];
}

namespace {}  // namespace

MarkerStats collect_markers(const std::vector<Session>& sessions, unsigned threads) {
    std::vector<MarkerStats> parts(std::max(1u, threads));
    const unsigned used = for_slices(sessions.size(), threads, [&](unsigned w, std::size_t lo, std::size_t hi) {
        TemplateCache cache;
        for (std::size_t i = lo; i < hi; ++i) parts[w].add(sessions[i], cache);
    });
    for (unsigned w = 1; w < used; ++w) parts[0].merge(std::move(parts[w]));
    return std::move(parts[0]);
}

void assign_last_steps(std::vector<Session>& sessions, const MarkerSet& markers, unsigned threads,
                       std::vector<StringPool>& pools) {
    const std::size_t first = pools.size();
    pools.resize(first + std::max(1u, threads));
    for_slices(sessions.size(), threads, [&](unsigned w, std::size_t lo, std::size_t hi) {
        TemplateCache cache;
        Steps st;
        for (std::size_t i = lo; i < hi; ++i) {
            Session& s = sessions[i];
            if (s.commands == 0) continue;
            session_steps(s, markers, cache, st);
            if (!st.text.empty()) s.last_step = pools[first + w].intern(st.text.back());
        }
    });
}

}  // namespace cb
