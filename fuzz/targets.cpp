// The fuzz targets (see targets.hpp). Besides crashes and sanitizer reports, each checks what
// must hold for every input: outputs that are valid JSON and UTF-8, terminal text without
// control bytes, and results that do not depend on how the input is split.
#include "targets.hpp"

#include <simdjson.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "cb/analysis/analysis.hpp"
#include "cb/analysis/attack.hpp"
#include "cb/analysis/basic_tables.hpp"
#include "cb/analysis/table.hpp"
#include "cb/engine/analyze.hpp"
#include "cb/engine/ingest.hpp"
#include "cb/engine/streaming.hpp"
#include "cb/input/byte_source.hpp"
#include "cb/input/cowrie_config.hpp"
#include "cb/output/outputs.hpp"
#include "cb/parse/event_parser.hpp"
#include "cb/session/steps.hpp"
#include "cb/tty/ttylog.hpp"
#include "cb/util/text.hpp"

// Aborts with the broken invariant: libFuzzer keeps the input as a crash.
#define CB_FUZZ_CHECK(cond)                                                                         \
    do {                                                                                            \
        if (!(cond)) {                                                                              \
            std::fprintf(stderr, "fuzz invariant broken: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
            std::abort();                                                                           \
        }                                                                                           \
    } while (0)

namespace cb::fuzz {

namespace {

std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

bool is_json(std::string_view text) {
    static simdjson::dom::parser parser;
    return !parser.parse(simdjson::padded_string(text)).error();
}

// Bytes in a file that the readers can open by path (a memfd: nothing touches the disk).
class MemFile {
public:
    explicit MemFile(std::string_view bytes) : fd_(::memfd_create("cb-fuzz", MFD_CLOEXEC)) {
        CB_FUZZ_CHECK(fd_ >= 0);
        std::size_t done = 0;
        while (done < bytes.size()) {
            const ssize_t w = ::write(fd_, bytes.data() + done, bytes.size() - done);
            CB_FUZZ_CHECK(w > 0);
            done += static_cast<std::size_t>(w);
        }
        path_ = "/proc/self/fd/" + std::to_string(fd_);
    }
    ~MemFile() { ::close(fd_); }
    MemFile(const MemFile&) = delete;
    MemFile& operator=(const MemFile&) = delete;
    const std::string& path() const { return path_; }

private:
    int fd_;
    std::string path_;
};

void check_event_text(const Event& ev) {
    for (std::string_view s :
         {ev.eventid,  ev.sensor,      ev.session,  ev.src_ip,   ev.dst_ip,  ev.protocol, ev.username,
          ev.password, ev.fingerprint, ev.key_type, ev.input,    ev.version, ev.hassh,    ev.url,
          ev.shasum,   ev.outfile,     ev.destfile, ev.filename, ev.ttylog,  ev.orig_ip,  ev.arch})
        CB_FUZZ_CHECK(is_valid_utf8(s));
}

IngestResult ingest_file(const InputFile& file, std::uint64_t split_bytes) {
    IngestOptions opt;
    opt.threads = 1;
    opt.split_bytes = split_bytes;
    return ingest({file}, opt);
}

std::size_t session_count(const IngestResult& r) {
    std::size_t n = 0;
    for (const auto& shard : r.shards) n += shard.size();
    return n;
}

}  // namespace

int event_parser(const std::uint8_t* data, std::size_t size) {
    std::string buf(as_text(data, size));
    const std::size_t line = buf.size();
    buf.resize(line + simdjson::SIMDJSON_PADDING);
    static EventParser parser;
    Event ev;
    if (parser.parse(std::string_view(buf.data(), line), buf.size(), &ev) == Reject::None) {
        CB_FUZZ_CHECK(!ev.eventid.empty());
        CB_FUZZ_CHECK(ev.ts != kNoTime);
        check_event_text(ev);
    }
    return 0;
}

int pipeline(const std::uint8_t* data, std::size_t size) {
    EventParser parser;
    StringPool pool;
    std::vector<SessionMap> shards(1);
    FileReport report;
    ingest_buffer(as_text(data, size), "fuzz.json", parser, pool, shards[0], report);
    SessionOptions sopt;
    std::vector<Session> sessions = build_sessions(shards, sopt, 1);
    const MarkerStats stats = collect_markers(sessions, 1);
    const MarkerSet markers = stats.finish();
    std::vector<StringPool> step_pools;
    assign_last_steps(sessions, markers, 1, step_pools);
    const auto rules = AttackRules::builtin();
    assign_attack(sessions, *rules, 1, step_pools);
    for (const Session& s : sessions) {  // every id is a technique of the rules, listed once
        std::set<std::string_view> ids;
        for_each_attack_id(s.attack, [&](std::string_view id) {
            CB_FUZZ_CHECK(rules->find(id) != nullptr);
            CB_FUZZ_CHECK(ids.insert(id).second);
        });
    }
    std::string line;
    for (const Session& s : sessions) {
        line.clear();
        append_session_json(line, s);
        CB_FUZZ_CHECK(is_json(line));
    }
    std::vector<Table> tables = basic_tables(sessions);
    Findings findings = run_analyses(sessions, markers, AnalysisConfig{}, 1);
    for (const Table& t : tables) CB_FUZZ_CHECK(is_valid_utf8(to_csv(t)));
    for (const Table& t : findings.tables) CB_FUZZ_CHECK(is_valid_utf8(to_csv(t)));
    return 0;
}

// Uncompressed input is also read as up to 32 ranges, as big files are on several threads:
// the lines, events and sessions must be the same.
int decoders(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::uint64_t split = std::max<std::uint64_t>(2, 2 * size / (1 + data[0] % 32));
    const MemFile file(as_text(data + 1, size - 1));
    InputFile in{file.path(), size - 1, FileKind::JsonLog,
                 detect_compression(as_text(data + 1, std::min<std::size_t>(size - 1, 4)))};
    const IngestResult whole = ingest_file(in, 0);
    if (in.compression != Compression::None) return 0;
    const IngestResult ranges = ingest_file(in, split);
    CB_FUZZ_CHECK(whole.totals.lines == ranges.totals.lines);
    CB_FUZZ_CHECK(whole.totals.events == ranges.totals.events);
    CB_FUZZ_CHECK(whole.totals.rejected_total() == ranges.totals.rejected_total());
    CB_FUZZ_CHECK(session_count(whole) == session_count(ranges));
    return 0;
}

int ttylog(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::size_t max_piece = 1 + data[0] % 64;
    TtyReader reader = TtyReader::from_bytes(as_text(data + 1, size - 1), max_piece);
    TermFilter safe(EscapePolicy::Safe), strip(EscapePolicy::Strip);
    LastLines last(5, 80);
    AsciicastWriter cast;
    std::string shown, safe_out, strip_out, cast_out;
    cast.header(AsciicastHeader{}, cast_out);
    TtyRecord r;
    while (reader.next(&r)) {
        if (r.op != TtyOp::Write) continue;
        if (r.dir == TtyDir::Output) {
            shown.append(r.data);
            safe.feed(r.data, safe_out);
            strip.feed(r.data, strip_out);
            last.feed(r.data);
        }
        cast.output(static_cast<double>(r.ts % 1000000) / 1e3, r.data, static_cast<int>(r.dir) & 3, cast_out);
    }
    safe.finish(safe_out);
    strip.finish(strip_out);
    cast.finish(0, cast_out);
    CB_FUZZ_CHECK(strip_out == filter_terminal_text(shown, EscapePolicy::Strip));
    CB_FUZZ_CHECK(safe_out == filter_terminal_text(shown, EscapePolicy::Safe));
    CB_FUZZ_CHECK(is_valid_utf8(strip_out) && is_valid_utf8(safe_out));
    for (unsigned char c : strip_out)
        CB_FUZZ_CHECK(c >= 0x20 ? c != 0x7f : (c == '\t' || c == '\n' || c == '\r' || c == '\b'));
    for (const std::string& l : last.lines()) {
        CB_FUZZ_CHECK(is_valid_utf8(l));
        for (unsigned char c : l) CB_FUZZ_CHECK(c >= 0x20 && c != 0x7f);
    }
    std::size_t pos = 0;
    while (pos < cast_out.size()) {
        std::size_t nl = cast_out.find('\n', pos);
        if (nl == std::string::npos) nl = cast_out.size();
        CB_FUZZ_CHECK(is_json(std::string_view(cast_out).substr(pos, nl - pos)));
        pos = nl + 1;
    }
    return 0;
}

int streaming(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    static constexpr StreamStep kSteps[] = {
        StreamStep::MapSessions, StreamStep::CombineSessions, StreamStep::ReduceSessions,
        StreamStep::MapMarkers,  StreamStep::CombineMarkers,  StreamStep::ReduceMarkers,
        StreamStep::MapAnalyses, StreamStep::CombineAnalyses, StreamStep::ReduceAnalyses};
    const StreamStep step = kSteps[data[0] % std::size(kSteps)];
    std::string input(as_text(data + 1, size - 1));
    std::FILE* in = ::fmemopen(input.data(), input.size(), "r");
    char* out_buf = nullptr;
    std::size_t out_size = 0;
    std::FILE* out = ::open_memstream(&out_buf, &out_size);
    static std::FILE* err = std::fopen("/dev/null", "w");
    CB_FUZZ_CHECK(in && out && err);
    StreamingOptions opt;
    CB_FUZZ_CHECK(run_streaming_step(step, opt, in, out, err) == 0);
    std::fclose(in);
    std::fclose(out);
    std::free(out_buf);
    return 0;
}

int cowrie_cfg(const std::uint8_t* data, std::size_t size) {
    std::map<std::string, std::string> cfg;
    parse_cowrie_cfg(as_text(data, size), &cfg);
    for (const auto& [key, value] : cfg) CB_FUZZ_CHECK(key.find('.') != std::string::npos);
    return 0;
}

int attack_rules(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = as_text(data, size);
    std::string err;
    if (const auto rules = AttackRules::parse(text, "fuzz.toml", &err)) {
        CB_FUZZ_CHECK(!rules->techniques().empty());
        for (const auto& t : rules->techniques()) CB_FUZZ_CHECK(t.id.size() == 5 || t.id.size() == 9);
    } else {
        CB_FUZZ_CHECK(err.starts_with("fuzz.toml"));
    }
    std::vector<SimpleCommand> cmds;
    simple_commands(text.substr(0, 4096), cmds);
    for (const auto& c : cmds) CB_FUZZ_CHECK(c.program.find('/') == std::string::npos);
    return 0;
}

}  // namespace cb::fuzz
