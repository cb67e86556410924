// TtyReader (binary records) and the lookup of a session's recordings in the JSON logs.
// The terminal filter, the line model and the asciicast writer are in tty_text.cpp.
#include "cb/tty/ttylog.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <set>
#include <system_error>
#include <tuple>

#include "cb/input/byte_source.hpp"
#include "cb/input/limits.hpp"
#include "cb/parse/event.hpp"
#include "cb/parse/event_parser.hpp"

namespace cb {

namespace fs = std::filesystem;

std::string_view tty_op_name(TtyOp op) {
    switch (op) {
        case TtyOp::Open:
            return "open";
        case TtyOp::Close:
            return "close";
        case TtyOp::Write:
            return "write";
        case TtyOp::Exec:
            return "exec";
    }
    return "?";
}

std::string_view tty_dir_name(TtyDir d) {
    switch (d) {
        case TtyDir::Input:
            return "input";
        case TtyDir::Output:
            return "output";
        case TtyDir::Interact:
            return "interact";
        case TtyDir::None:
            break;
    }
    return "none";
}

std::string_view tty_status_name(TtyStatus s) {
    switch (s) {
        case TtyStatus::Ok:
            return "ok";
        case TtyStatus::NoClose:
            return "no_close";
        case TtyStatus::Truncated:
            return "truncated";
        case TtyStatus::Garbage:
            return "garbage";
        case TtyStatus::NotTtyLog:
            return "not_a_tty_log";
        case TtyStatus::Empty:
            return "empty";
        case TtyStatus::ReadError:
            return "read_error";
        case TtyStatus::Limit:
            return "limit";
    }
    return "?";
}

bool tty_status_damaged(TtyStatus s) {
    return s == TtyStatus::Truncated || s == TtyStatus::Garbage || s == TtyStatus::ReadError || s == TtyStatus::Empty ||
           s == TtyStatus::Limit;
}

// ---------------------------------------------------------------------------------------
// TtyReader

namespace {

constexpr std::size_t kHeader = 24;
constexpr std::size_t kReadChunk = std::size_t{64} << 10;

// A source that failed to open: reads nothing, reports the reason.
class FailedSource : public ByteSource {
public:
    explicit FailedSource(std::string why) { error_ = std::move(why); }
    std::size_t read(char*, std::size_t) override { return 0; }
};

std::uint32_t le32(const char* p) {
    const auto* u = reinterpret_cast<const unsigned char*>(p);
    return std::uint32_t(u[0]) | std::uint32_t(u[1]) << 8 | std::uint32_t(u[2]) << 16 | std::uint32_t(u[3]) << 24;
}

std::unique_ptr<ByteSource> open_or_fail(const std::string& path) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) return std::make_unique<FailedSource>("is a folder");
    std::string err;
    auto src = open_source(path, &err);
    if (!src) return std::make_unique<FailedSource>(err.empty() ? "cannot open" : err);
    return src;
}

}  // namespace

TtyReader::TtyReader(const std::string& path, std::size_t max_piece) : TtyReader(open_or_fail(path), max_piece) {}

TtyReader::TtyReader(std::unique_ptr<ByteSource> src, std::size_t max_piece)
    : src_(std::move(src)),
      max_piece_(std::max<std::size_t>(max_piece, 1)),
      max_bytes_(Limits::kDefaultMaxRecordingBytes) {
    buf_.resize(std::max(kReadChunk, max_piece_ + kHeader) + kReadChunk);
}

TtyReader TtyReader::from_bytes(std::string_view bytes, std::size_t max_piece) {
    return TtyReader(open_memory(bytes), max_piece);
}

TtyReader::TtyReader(TtyReader&&) noexcept = default;
TtyReader& TtyReader::operator=(TtyReader&&) noexcept = default;
TtyReader::~TtyReader() = default;

bool TtyReader::ensure(std::size_t n) {
    if (end_ - pos_ >= n) return true;
    if (pos_ > 0) {  // compact: keep the unread bytes at the front
        std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
        end_ -= pos_;
        pos_ = 0;
    }
    while (end_ < n && !eof_) {
        const std::size_t room = buf_.size() - end_;
        const std::size_t got = src_->read(buf_.data() + end_, std::min(room, kReadChunk));
        if (got == 0) {
            eof_ = true;
            break;
        }
        end_ += got;
    }
    return end_ - pos_ >= n;
}

void TtyReader::finish(TtyStatus s, std::string msg) {
    // A read or decompression error explains a cut better than the cut itself.
    if (!src_->error().empty() && s != TtyStatus::NotTtyLog) {
        s = TtyStatus::ReadError;
        msg = src_->error() + " (after " + std::to_string(consumed_) + " bytes)";
    }
    done_ = true;
    status_ = s;
    message_ = std::move(msg);
}

bool TtyReader::next(TtyRecord* r) {
    if (done_) return false;
    if (consumed_ >= max_bytes_ && ensure(1)) {
        finish(TtyStatus::Limit, "stopped after " + std::to_string(consumed_) +
                                     " bytes (the limit per recording, --max-recording-bytes); " +
                                     std::to_string(records_) + " records read");
        return false;
    }
    if (!in_payload_ && !read_header()) return false;
    read_piece(r);
    return true;
}

namespace {

// Why a 24-byte header cannot be a TTY record's, or nullptr.
const char* header_problem(std::int32_t op, std::int32_t dir, std::int32_t length, std::uint32_t usec) {
    if (op < 1 || op > 4) return "unknown op";
    if (dir < 0 || dir > 3 || (op == 3 && dir == 0)) return "unknown direction";
    if (length < 0 || static_cast<std::uint32_t>(length) > TtyReader::kMaxRecordLength) return "impossible length";
    if (usec >= 1000000) return "microseconds out of range";
    return nullptr;
}

}  // namespace

bool TtyReader::read_header() {
    if (!ensure(kHeader)) {
        finish_without_header();
        return false;
    }
    const char* h = buf_.data() + pos_;
    const std::int32_t op = static_cast<std::int32_t>(le32(h));
    const std::uint32_t tty = le32(h + 4);
    const std::int32_t length = static_cast<std::int32_t>(le32(h + 8));
    const std::int32_t dir = static_cast<std::int32_t>(le32(h + 12));
    const std::uint32_t sec = le32(h + 16);
    const std::uint32_t usec = le32(h + 20);
    if (const char* why = header_problem(op, dir, length, usec)) {
        if (records_ == 0)
            finish(TtyStatus::NotTtyLog, std::string("not a Cowrie TTY recording (first record: ") + why + ")");
        else
            finish(TtyStatus::Garbage, std::string("bytes at offset ") + std::to_string(consumed_) +
                                           " are not a TTY record (" + why + "); " + std::to_string(records_) +
                                           " records before them were read");
        return false;
    }
    cur_ = TtyRecord{};
    cur_.op = static_cast<TtyOp>(op);
    cur_.dir = static_cast<TtyDir>(dir);
    cur_.tty = tty;
    cur_.ts = static_cast<Micros>(sec) * kMicrosPerSecond + usec;
    cur_.offset = consumed_;
    cur_.length = static_cast<std::uint32_t>(length);
    pos_ += kHeader;
    consumed_ += kHeader;
    ++records_;
    if (first_ts_ == kNoTime) first_ts_ = cur_.ts;
    last_ts_ = cur_.ts;
    last_was_close_ = cur_.op == TtyOp::Close;
    in_payload_ = true;
    return true;
}

void TtyReader::finish_without_header() {
    const std::size_t left = end_ - pos_;
    if (left == 0) {
        if (records_ == 0)
            finish(src_->error().empty() ? TtyStatus::Empty : TtyStatus::ReadError,
                   src_->error().empty() ? "empty file (0 bytes)" : src_->error());
        else if (last_was_close_)
            finish(TtyStatus::Ok, "");
        else
            finish(TtyStatus::NoClose, "no CLOSE record at the end (Cowrie stopped, or the session was still open)");
        return;
    }
    // A short first header is a cut recording when what is there can start one.
    const auto* p = reinterpret_cast<const unsigned char*>(buf_.data() + pos_);
    const bool plausible = records_ > 0 || (p[0] >= 1 && p[0] <= 4 &&
                                            std::all_of(p + 1, p + std::min<std::size_t>(left, 4),
                                                        [](unsigned char c) { return c == 0; }));
    finish(plausible ? TtyStatus::Truncated : TtyStatus::NotTtyLog, "the file ends inside a record header at byte " +
                                                                        std::to_string(consumed_) + " (" +
                                                                        std::to_string(left) + " of 24 bytes)");
}

void TtyReader::read_piece(TtyRecord* r) {
    const std::uint64_t remaining = cur_.length - cur_.piece_offset;
    // Up to the byte limit; the next call then ends with Limit. Without more data past the
    // limit the piece is read as usual (and found cut).
    std::uint64_t room = remaining;
    if (consumed_ < max_bytes_)
        room = max_bytes_ - consumed_;
    else if (ensure(1))
        room = 0;
    const std::size_t want = static_cast<std::size_t>(std::min({remaining, std::uint64_t{max_piece_}, room}));
    const bool complete = ensure(want);
    const std::size_t got = complete ? want : end_ - pos_;
    *r = cur_;
    r->data = std::string_view(buf_.data() + pos_, got);
    r->last_piece = complete && want == remaining;
    r->cut = !complete;
    pos_ += got;
    consumed_ += got;
    cur_.piece_offset += got;
    if (r->last_piece) in_payload_ = false;
    if (!complete) {
        finish(TtyStatus::Truncated, "the file ends inside the payload of the record at byte " +
                                         std::to_string(cur_.offset) + " (" + std::to_string(cur_.piece_offset) +
                                         " of " + std::to_string(cur_.length) + " bytes present)");
        last_was_close_ = false;
    }
}

// ---------------------------------------------------------------------------------------
// Session lookup

namespace {

// Calls fn(line) for every line of a (possibly compressed) file whose text contains one of
// `needles`. Lines are bounded by the source; a line longer than the default line limit
// (Limits::kDefaultMaxLineBytes, as for analyze) is skipped.
template <class Fn>
bool scan_lines(const std::string& path, const std::vector<std::string>& needles, std::string* error, Fn&& fn) {
    std::string err;
    auto src = open_source(path, &err);
    if (!src) {
        *error = err;
        return false;
    }
    constexpr std::size_t kMaxLine = Limits::kDefaultMaxLineBytes;
    std::string buf;
    std::string carry;
    bool skipping = false;
    buf.resize(std::size_t{1} << 20);
    auto consider = [&](std::string_view line) {
        for (const auto& n : needles)
            if (line.find(n) != std::string_view::npos) {
                fn(line);
                return;
            }
    };
    for (;;) {
        const std::size_t got = src->read(buf.data(), buf.size());
        if (got == 0) break;
        std::string_view chunk(buf.data(), got);
        std::size_t start = 0;
        for (;;) {
            const auto nl = chunk.find('\n', start);
            if (nl == std::string_view::npos) {
                if (!skipping) {
                    carry.append(chunk.substr(start));
                    if (carry.size() > kMaxLine) {
                        carry.clear();
                        skipping = true;
                    }
                }
                break;
            }
            if (!skipping) {
                if (carry.empty()) {
                    consider(chunk.substr(start, nl - start));
                } else {
                    carry.append(chunk.substr(start, nl - start));
                    consider(carry);
                    carry.clear();
                }
            }
            skipping = false;
            start = nl + 1;
        }
    }
    if (!skipping && !carry.empty()) consider(carry);
    if (!src->error().empty()) *error = src->error();
    return true;
}

std::string basename_of(std::string_view p) {
    const auto slash = p.find_last_of('/');
    return std::string(slash == std::string_view::npos ? p : p.substr(slash + 1));
}

}  // namespace

namespace {

// Parses one line of a log read by scan_lines (which gives no padding) into an Event.
class LineParser {
public:
    bool parse(std::string_view line, Event* ev) {
        padded_.assign(line);
        padded_.resize(line.size() + simdjson::SIMDJSON_PADDING, '\0');
        return parser_.parse(std::string_view(padded_.data(), line.size()), padded_.size(), ev) == Reject::None;
    }

private:
    EventParser parser_;
    std::string padded_;
};

// What the session's own events say: its sensors, start, first terminal size and recordings.
void scan_session_events(const std::vector<std::string>& json_logs, std::string_view session_id,
                         std::string_view sensor, LineParser& parser, SessionRecordings& out) {
    std::set<std::string> sensors;
    const std::vector<std::string> needles = {"\"" + std::string(session_id) + "\""};
    Micros size_ts = INT64_MAX;
    for (const auto& path : json_logs) {
        std::string error;
        const bool opened = scan_lines(path, needles, &error, [&](std::string_view line) {
            Event ev;
            if (!parser.parse(line, &ev) || ev.session != session_id || (!sensor.empty() && ev.sensor != sensor))
                return;
            out.session_seen = true;
            sensors.insert(std::string(ev.sensor));
            if (out.start == kNoTime || ev.ts < out.start) out.start = ev.ts;
            if (ev.type == EventType::ClientSize && ev.width > 0 && ev.height > 0 && ev.ts < size_ts) {
                size_ts = ev.ts;
                out.width = ev.width;
                out.height = ev.height;
            }
            if (ev.type == EventType::LogClosed && !ev.ttylog.empty()) {
                TtyLogRef r;
                r.sensor = ev.sensor;
                r.session = ev.session;
                r.ts = ev.ts;
                r.ttylog = ev.ttylog;
                r.shasum = ev.shasum;
                r.size = ev.size;
                r.duplicate = ev.duplicate;
                r.log_file = path;
                out.ttylogs.push_back(std::move(r));
            }
        });
        if (!error.empty()) out.problems.push_back(path + ": " + (opened ? error : "cannot open: " + error));
    }
    out.sensors.assign(sensors.begin(), sensors.end());
}

// The same event can be in two copies of a log (cowrie.json.1 and cowrie.json.1.gz).
void drop_repeated_recordings(std::vector<TtyLogRef>& refs) {
    std::sort(refs.begin(), refs.end(), [](const TtyLogRef& a, const TtyLogRef& b) {
        return std::tie(a.ts, a.ttylog, a.sensor, a.log_file) < std::tie(b.ts, b.ttylog, b.sensor, b.log_file);
    });
    refs.erase(std::unique(refs.begin(), refs.end(),
                           [](const TtyLogRef& a, const TtyLogRef& b) {
                               return a.ts == b.ts && a.ttylog == b.ttylog && a.sensor == b.sensor;
                           }),
               refs.end());
}

// Duplicates: which earlier session recorded the same input (and owns the file)?
void find_first_sessions(const std::vector<std::string>& json_logs, LineParser& parser, std::vector<TtyLogRef>& refs) {
    std::vector<std::string> dup_sums;
    for (const auto& r : refs)
        if (r.duplicate && !r.shasum.empty()) dup_sums.push_back("\"" + r.shasum + "\"");
    if (dup_sums.empty()) return;
    std::vector<std::pair<Micros, TtyLogRef>> owners;
    for (const auto& path : json_logs) {
        std::string error;
        scan_lines(path, dup_sums, &error, [&](std::string_view line) {
            Event ev;
            if (!parser.parse(line, &ev) || ev.type != EventType::LogClosed || ev.duplicate) return;
            TtyLogRef r;
            r.session = ev.session;
            r.sensor = ev.sensor;
            r.shasum = ev.shasum;
            owners.emplace_back(ev.ts, std::move(r));
        });
    }
    std::sort(owners.begin(), owners.end(), [](const auto& a, const auto& b) {
        return std::tie(a.first, a.second.session) < std::tie(b.first, b.second.session);
    });
    for (auto& r : refs) {
        if (!r.duplicate) continue;
        for (const auto& [t, o] : owners)
            if (o.shasum == r.shasum && o.sensor == r.sensor && o.session != r.session) {
                r.first_session = o.session;
                break;
            }
    }
}

}  // namespace

SessionRecordings find_session_recordings(const std::vector<std::string>& json_logs, std::string_view session_id,
                                          std::string_view sensor) {
    SessionRecordings out;
    if (session_id.empty()) return out;
    LineParser parser;
    scan_session_events(json_logs, session_id, sensor, parser, out);
    drop_repeated_recordings(out.ttylogs);
    find_first_sessions(json_logs, parser, out.ttylogs);
    return out;
}

std::vector<std::string> recording_candidates(const TtyLogRef& ref, const std::string& tty_dir) {
    std::vector<std::string> c;
    const std::string name = basename_of(ref.ttylog);
    const bool safe_name = !name.empty() && name != "." && name != "..";
    const bool safe_sum =
        !ref.shasum.empty() && ref.shasum.find('/') == std::string::npos && ref.shasum != "." && ref.shasum != "..";
    const fs::path log_dir = fs::path(ref.log_file).parent_path();
    if (!tty_dir.empty()) {
        if (safe_name) c.push_back((fs::path(tty_dir) / name).string());
        if (safe_sum && ref.shasum != name) c.push_back((fs::path(tty_dir) / ref.shasum).string());
    }
    if (safe_name) c.push_back((log_dir / "tty" / name).string());
    if (safe_sum && ref.shasum != name) c.push_back((log_dir / "tty" / ref.shasum).string());
    if (!ref.ttylog.empty()) c.push_back(ref.ttylog);
    if (safe_name) c.push_back((log_dir / ".." / ".." / "lib" / "cowrie" / "tty" / name).string());
    std::vector<std::string> out;
    for (auto& s : c)
        if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
    return out;
}

std::string locate_recording(const TtyLogRef& ref, const std::string& tty_dir) {
    for (const auto& p : recording_candidates(ref, tty_dir)) {
        std::error_code ec;
        if (fs::is_regular_file(p, ec)) return p;
    }
    return "";
}

}  // namespace cb
