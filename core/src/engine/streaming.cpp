#include "cb/engine/streaming.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <vector>

#include "cb/engine/ingest.hpp"
#include "cb/parse/command_template.hpp"
#include "cb/util/archive.hpp"
#include "cb/util/text.hpp"

namespace cb {

namespace {
constexpr std::size_t kSamples = 5;
}  // namespace

namespace {

class Out {
public:
    Out(std::FILE* out, std::FILE* err) : out_(out), err_(err) {}
    void emit(std::string_view key, std::string_view value) {
        ok_ = ok_ && std::fwrite(key.data(), 1, key.size(), out_) == key.size() && std::fputc('\t', out_) != EOF &&
              std::fwrite(value.data(), 1, value.size(), out_) == value.size() && std::fputc('\n', out_) != EOF;
    }
    void counter(std::string_view name, std::uint64_t n) {
        if (n)
            std::fprintf(err_, "reporter:counter:cowrie-batch,%.*s,%llu\n", static_cast<int>(name.size()), name.data(),
                         static_cast<unsigned long long>(n));
    }
    void status(const std::string& s) { std::fprintf(err_, "reporter:status:%s\n", s.c_str()); }
    int finish() {
        if (std::fflush(out_) != 0) ok_ = false;
        return ok_ ? 0 : 1;
    }

private:
    std::FILE* out_;
    std::FILE* err_;
    bool ok_ = true;
};

std::string encode_state(IngestState& st) {
    std::string bin;
    OutArchive ar(bin);
    st.io(ar);
    return base64_encode(bin);
}

// Appends a sensor or session id to a stream key. Keys are only compared for equality, so
// any injective text does: TAB, LF, CR, the key separator and backslash (which would break
// the key<TAB>value line or make two different keys equal) become \xNN.
void append_key_part(std::string& key, std::string_view s) {
    for (const char c : s) {
        if (c == '\t' || c == '\n' || c == '\r' || c == kKeySep || c == '\\') {
            key.append("\\x");
            append_hex(key, std::string_view(&c, 1));
        } else {
            key.push_back(c);
        }
    }
}

// The mapper's stdin as it streams (never held whole: a gzip input is one map task).
class StdioSource : public ByteSource {
public:
    explicit StdioSource(std::FILE* f) : f_(f) {}
    std::size_t read(char* buf, std::size_t n) override {
        const std::size_t r = std::fread(buf, 1, n, f_);
        raw_bytes_ += r;
        if (r == 0 && std::ferror(f_)) error_ = "read error on standard input";
        return r;
    }

private:
    std::FILE* f_;
};

int map_sessions(const StreamingOptions& opt, std::FILE* in, Out& out) {
    StdioSource src(in);
    EventParser parser(opt.limits.max_line_bytes);
    StringPool pool;
    SessionMap sessions;
    FileReport report;
    const std::string name = opt.input_name.empty() ? "-" : opt.input_name;
    ingest_stream(src, name, parser, pool, sessions, report, opt.limits, kSamples);
    std::vector<const SessionPartial*> order;
    order.reserve(sessions.size());
    for (const auto& [k, p] : sessions) order.push_back(&p);
    std::sort(order.begin(), order.end(), [](auto* a, auto* b) {
        return std::tie(a->key.sensor, a->key.session) < std::tie(b->key.sensor, b->key.session);
    });
    std::string key, bin;
    for (const SessionPartial* p : order) {
        key.clear();
        append_key_part(key, p->key.sensor);
        key.push_back(kKeySep);
        append_key_part(key, p->key.session);
        bin.clear();
        encode_partial(*p, bin);
        out.emit(key, base64_encode(bin));
    }
    IngestState st{report.counts, report.samples, 0, {InputReport{name, report.counts, report.error}}};
    out.emit(kIngestKey, encode_state(st));
    out.counter("lines", report.counts.lines);
    out.counter("events", report.counts.events);
    out.counter("rejected_lines", report.counts.rejected_total());
    out.counter("inputs_cut", report.counts.files_cut);
    out.counter("sessions_partial", sessions.size());
    return out.finish();
}

// Merges runs of equal keys; values are session partials or, for "#ingest", IngestState.
int merge_sessions(std::FILE* in, Out& out) {
    StreamRecordReader reader(in);
    std::string_view key, value;
    std::string cur_key;
    bool have = false;
    StringPool pool;
    SessionPartial merged;
    IngestState ingest;
    bool have_ingest = false;
    std::uint64_t bad = 0, keys = 0;
    std::string bin;
    auto flush = [&] {
        if (!have) return;
        bin.clear();
        encode_partial(merged, bin);
        out.emit(cur_key, base64_encode(bin));
        ++keys;
        have = false;
        merged = SessionPartial{};
        pool = StringPool{};
    };
    while (reader.next(&key, &value)) {
        if (key == kIngestKey) {
            IngestState st;
            if (!decode_ingest_state(value, &st)) {
                ++bad;
                continue;
            }
            if (have_ingest)
                ingest.merge(st);
            else
                ingest = std::move(st);
            have_ingest = true;
            continue;
        }
        if (!have || key != cur_key) {
            flush();
            cur_key.assign(key);
        }
        SessionPartial p;
        if (!decode_session_value(value, pool, &p)) {
            ++bad;
            continue;
        }
        if (!have) {
            merged = std::move(p);
            have = true;
        } else {
            merged.merge(std::move(p));
        }
    }
    flush();
    if (have_ingest) out.emit(kIngestKey, encode_state(ingest));
    out.counter("bad_records", bad);
    out.counter("sessions_merged", keys);
    return out.finish();
}

std::unique_ptr<Analysis> analysis_by_name(std::string_view name) {
    for (auto& a : make_analyses())
        if (a->name() == name) return std::move(a);
    return nullptr;
}

// Calls each(session) for every merged partial on `in` (job 1's output); counts bad records.
template <class F>
std::uint64_t for_each_session(const StreamingOptions& opt, std::FILE* in, F&& each) {
    StreamRecordReader reader(in);
    std::string_view key, value;
    std::uint64_t bad = 0;
    while (reader.next(&key, &value)) {
        if (key == kIngestKey || key.empty()) continue;
        StringPool pool;
        SessionPartial p;
        if (!decode_session_value(value, pool, &p)) {
            ++bad;
            continue;
        }
        Session s = finalize(std::move(p), opt.session);
        each(s);
    }
    return bad;
}

int map_markers(const StreamingOptions& opt, std::FILE* in, Out& out) {
    MarkerStats stats;
    TemplateCache cache;
    const std::uint64_t bad = for_each_session(opt, in, [&](const Session& s) { stats.add(s, cache); });
    std::string bin;
    stats.save(bin);
    out.emit(kMarkerStatsKey, base64_encode(bin));
    out.counter("bad_records", bad);
    return out.finish();
}

int merge_markers(std::FILE* in, Out& out, bool emit_set) {
    StreamRecordReader reader(in);
    std::string_view key, value;
    MarkerStats merged;
    std::uint64_t bad = 0;
    while (reader.next(&key, &value)) {
        MarkerStats part;
        if (key != kMarkerStatsKey || !decode_marker_stats(value, &part)) {
            ++bad;
            continue;
        }
        merged.merge(std::move(part));
    }
    std::string bin;
    merged.save(bin);
    out.emit(kMarkerStatsKey, base64_encode(bin));
    if (emit_set) out.emit(kMarkerSetKey, base64_encode(merged.finish().encode()));
    out.counter("bad_records", bad);
    return out.finish();
}

int map_analyses(const StreamingOptions& opt, std::FILE* in, Out& out) {
    auto analyses = make_analyses();
    TemplateCache cache;
    SessionFacts facts;
    std::uint64_t sessions = 0;
    const auto attack = opt.analysis.attack_rules->matcher();
    StringPool geo_pool;  // the answers of the lookups, kept for the task's life (few addresses)
    std::unique_ptr<GeoMatcher> geo;
    if (opt.analysis.geoip) geo = std::make_unique<GeoMatcher>(*opt.analysis.geoip, geo_pool);
    const std::uint64_t bad = for_each_session(opt, in, [&](Session& s) {
        s.attack = attack->match(s);  // as complete_sessions() sets them in the client
        if (geo) geo->assign(s);
        build_session_facts(s, opt.markers, cache, facts);
        for (auto& a : analyses) a->add(facts);
        ++sessions;
    });
    std::string bin;
    for (auto& a : analyses) {
        bin.clear();
        a->save(bin);
        out.emit(a->name(), base64_encode(bin));
    }
    out.counter("bad_records", bad);
    out.counter("sessions_analysed", sessions);
    return out.finish();
}

int merge_analyses(std::FILE* in, Out& out) {
    StreamRecordReader reader(in);
    std::string_view key, value;
    std::string cur;
    std::unique_ptr<Analysis> merged;
    std::uint64_t bad = 0;
    std::string bin;
    auto flush = [&] {
        if (!merged) return;
        bin.clear();
        merged->save(bin);
        out.emit(cur, base64_encode(bin));
        merged.reset();
    };
    while (reader.next(&key, &value)) {
        if (!merged || key != cur) {
            flush();
            cur.assign(key);
        }
        auto part = analysis_by_name(key);
        if (!part || !decode_analysis_state(value, *part)) {
            ++bad;
            continue;
        }
        if (!merged)
            merged = std::move(part);
        else
            merged->merge(std::move(*part));
    }
    flush();
    out.counter("bad_records", bad);
    return out.finish();
}

}  // namespace

namespace {
// The decoded bytes of a value; one buffer per thread, reused from record to record.
std::string* decoded(std::string_view value) {
    thread_local std::string raw;
    return base64_decode(value, &raw) ? &raw : nullptr;
}
}  // namespace

bool decode_ingest_state(std::string_view value, IngestState* st) {
    const std::string* raw = decoded(value);
    if (!raw) return false;
    InArchive ar(*raw);
    st->io(ar);
    return ar.ok();
}

bool decode_session_value(std::string_view value, StringPool& pool, SessionPartial* p) {
    const std::string* raw = decoded(value);
    return raw && decode_partial(*raw, pool, p);
}

bool decode_marker_stats(std::string_view value, MarkerStats* stats) {
    const std::string* raw = decoded(value);
    return raw && stats->load(*raw);
}

bool decode_analysis_state(std::string_view value, Analysis& analysis) {
    const std::string* raw = decoded(value);
    return raw && analysis.load(*raw);
}

StreamRecordReader::~StreamRecordReader() { std::free(buf_); }

bool StreamRecordReader::next(std::string_view* key, std::string_view* value, bool* has_tab) {
    const ssize_t n = ::getline(&buf_, &cap_, in_);
    if (n < 0) return false;
    std::size_t len = static_cast<std::size_t>(n);
    while (len > 0 && (buf_[len - 1] == '\n' || buf_[len - 1] == '\r')) --len;
    const std::string_view line(buf_, len);
    const auto tab = line.find('\t');
    if (has_tab) *has_tab = tab != std::string_view::npos;
    *key = line.substr(0, tab);
    *value = tab == std::string_view::npos ? std::string_view() : line.substr(tab + 1);
    return true;
}

void IngestState::merge(IngestState& o) {
    counts.add(o.counts);
    files += o.files;
    for (auto& in : o.inputs) inputs.push_back(std::move(in));
    // In a total order, so that a reducer's output does not depend on the order its values came
    // in (pieces of one file carry the same name; their counts tell them apart).
    std::sort(inputs.begin(), inputs.end(), [](const InputReport& a, const InputReport& b) {
        return std::tie(a.name, a.error, a.counts.bytes, a.counts.decoded_bytes, a.counts.lines, a.counts.events) <
               std::tie(b.name, b.error, b.counts.bytes, b.counts.decoded_bytes, b.counts.lines, b.counts.events);
    });
    samples.insert(samples.end(), o.samples.begin(), o.samples.end());
    std::sort(samples.begin(), samples.end(), [](const RejectSample& a, const RejectSample& b) {
        return std::tie(a.path, a.line, a.reason) < std::tie(b.path, b.line, b.reason);
    });
    std::map<Reject, std::size_t> taken;
    std::vector<RejectSample> kept;
    for (auto& s : samples)
        if (taken[s.reason]++ < kSamples) kept.push_back(std::move(s));
    samples = std::move(kept);
}

int run_streaming_step(StreamStep step, const StreamingOptions& opt, std::FILE* in, std::FILE* out, std::FILE* err) {
    Out o(out, err);
    switch (step) {
        case StreamStep::MapSessions:
            return map_sessions(opt, in, o);
        case StreamStep::CombineSessions:
        case StreamStep::ReduceSessions:
            return merge_sessions(in, o);
        case StreamStep::MapMarkers:
            return map_markers(opt, in, o);
        case StreamStep::CombineMarkers:
            return merge_markers(in, o, false);
        case StreamStep::ReduceMarkers:
            return merge_markers(in, o, true);
        case StreamStep::MapAnalyses:
            return map_analyses(opt, in, o);
        case StreamStep::CombineAnalyses:
        case StreamStep::ReduceAnalyses:
            return merge_analyses(in, o);
    }
    return 2;
}

}  // namespace cb
