// Cowrie TTY recordings (var/lib/cowrie/tty/<sha256>, docs/cowrie-log-format.md section 6):
//   - TtyReader: a streaming reader of the binary records, robust to every kind of damage;
//   - TermFilter: makes recorded terminal output safe to write to an analyst's terminal;
//   - LastLines / last_output(): the last lines of text the attacker saw before leaving;
//   - AsciicastWriter: asciicast v2 export;
//   - find_session_recordings(): a session's recordings through its cowrie.log.closed events.
//
// The record layout is the same from kippo (2010) to Cowrie v3: struct "<iLiiLL", 24 bytes
// little-endian (op, tty, length, direction, sec, usec), then `length` payload bytes. There is
// no file header. A file is OPEN, WRITE x n, CLOSE.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cb/util/time.hpp"

namespace cb {

class ByteSource;

enum class TtyOp : std::uint8_t { Open = 1, Close = 2, Write = 3, Exec = 4 };
enum class TtyDir : std::uint8_t { None = 0, Input = 1, Output = 2, Interact = 3 };
std::string_view tty_op_name(TtyOp op);
std::string_view tty_dir_name(TtyDir d);  // "none", "input", "output", "interact"

// One record, or one piece of a long record (see TtyReader's max_piece).
struct TtyRecord {
    TtyOp op = TtyOp::Write;
    TtyDir dir = TtyDir::None;
    std::uint32_t tty = 0;
    Micros ts = 0;                   // sec * 1e6 + usec
    std::uint64_t offset = 0;        // offset of the record's header (in decompressed bytes)
    std::uint32_t length = 0;        // payload length declared in the header
    std::uint64_t piece_offset = 0;  // where `data` starts inside the payload
    std::string_view data;           // payload piece; valid until the next call to next()
    bool last_piece = true;          // false when more pieces of the same payload follow
    bool cut = false;                // the file ends inside this payload (data is what is left)
};

enum class TtyStatus : std::uint8_t {
    Ok,         // read to the end; the last record is a CLOSE
    NoClose,    // every record complete, but no CLOSE at the end (Cowrie stopped, or still recording)
    Truncated,  // the file ends inside a record (header or payload)
    Garbage,    // after valid records, bytes that are not a record
    NotTtyLog,  // the first 24 bytes are not a record
    Empty,      // zero bytes
    ReadError,  // cannot open or read, or a damaged compressed stream
    Limit,      // stopped at the reader's max_bytes (Limits::max_recording_bytes); the rest is not read
};
std::string_view tty_status_name(TtyStatus s);
// True when some of the recording is lost or unreadable (Truncated, Garbage, ReadError, Empty,
// Limit).
bool tty_status_damaged(TtyStatus s);

// Pull reader. Memory is bounded by max_piece plus a small read buffer whatever the file
// size or the lengths in the headers: a payload longer than max_piece comes as several
// pieces with the same header fields. Compressed recordings (gzip, bzip2, zstd) are
// decompressed by magic bytes. Never throws on bad data; status() says what happened.
class TtyReader {
public:
    static constexpr std::size_t kDefaultMaxPiece = std::size_t{1} << 20;
    // Header lengths above this are taken as garbage (Cowrie writes one record per
    // transport read, a few KiB; 256 MiB is far beyond any real one).
    static constexpr std::uint32_t kMaxRecordLength = std::uint32_t{256} << 20;

    explicit TtyReader(const std::string& path, std::size_t max_piece = kDefaultMaxPiece);
    // Reads a recording held in memory; the bytes must outlive the reader.
    static TtyReader from_bytes(std::string_view bytes, std::size_t max_piece = kDefaultMaxPiece);
    TtyReader(TtyReader&&) noexcept;
    TtyReader& operator=(TtyReader&&) noexcept;
    ~TtyReader();

    // Reads no more than about n decompressed bytes (one header more at most); 0: no limit.
    // Hitting it ends the reading with status Limit. The default is
    // Limits::kDefaultMaxRecordingBytes.
    void set_max_bytes(std::uint64_t n) { max_bytes_ = n ? n : UINT64_MAX; }

    // Next record or piece; false at the end, at the first damage or at the byte limit.
    bool next(TtyRecord* r);

    // Final once next() has returned false; before that, Ok while nothing went wrong.
    TtyStatus status() const { return status_; }
    // One line for people: what went wrong and at which byte offset (empty when Ok).
    const std::string& message() const { return message_; }
    std::uint64_t records() const { return records_; }  // complete headers read
    std::uint64_t bytes() const { return consumed_; }   // decompressed bytes consumed
    Micros first_ts() const { return first_ts_; }       // kNoTime before the first record
    Micros last_ts() const { return last_ts_; }
    std::size_t buffer_capacity() const { return buf_.capacity(); }  // for the memory tests

private:
    TtyReader(std::unique_ptr<ByteSource> src, std::size_t max_piece);
    bool ensure(std::size_t n);  // buffers n bytes if the input has them
    void finish(TtyStatus s, std::string msg);
    bool read_header();             // the next record's header into cur_; false when reading ends
    void finish_without_header();   // the input ends before a whole header
    void read_piece(TtyRecord* r);  // the current record's payload, or its next piece

    std::unique_ptr<ByteSource> src_;
    std::string buf_;
    std::size_t pos_ = 0, end_ = 0;
    std::size_t max_piece_;
    std::uint64_t max_bytes_;
    bool eof_ = false;
    bool done_ = false;
    bool in_payload_ = false;
    bool last_was_close_ = false;
    TtyRecord cur_;
    std::uint64_t consumed_ = 0;
    std::uint64_t records_ = 0;
    Micros first_ts_ = kNoTime, last_ts_ = kNoTime;
    TtyStatus status_ = TtyStatus::Ok;
    std::string message_;
};

// ---------------------------------------------------------------------------------------
// Terminal output filter
//
// Recorded OUTPUT is attacker-influenced (Cowrie's `echo -e`, `cat` of uploaded files) and
// INPUT is attacker-controlled. Written raw to a terminal, it could set the window title,
// switch screens, redefine keys, make the terminal answer (device status, title reports,
// which some terminals feed back as input), or hide text. TermFilter is a streaming state
// machine (ECMA-48 / xterm grammar; sequences split across records are handled) that keeps:
//   - printable text (UTF-8; invalid bytes -> U+FFFD, bidi controls -> U+FFFD);
//   - CR, LF, TAB, BS;
//   - in Safe mode only: SGR (CSI ... m, without conceal 8) and CSI A B C D H J K
//     with plain decimal parameters (no J 3, which erases the scrollback);
// and drops everything else: every other C0 control (BEL, SO/SI, ...), DEL, all C1 controls
// (8-bit or UTF-8 encoded), OSC (titles, clipboard, hyperlinks), DCS, APC, PM, SOS, two-byte
// escapes (RIS, charset designation, keypad modes, ...), and every other CSI (private modes
// such as ?1049h, DSR/DA/window reports, scroll regions, bracketed paste). Strip mode keeps
// no escape sequence at all (for pipes, files and "what they saw").
enum class EscapePolicy : std::uint8_t { Safe, Strip };

struct TermFilterStats {
    std::uint64_t kept_sequences = 0;     // CSI sequences written out (Safe mode)
    std::uint64_t dropped_sequences = 0;  // escape, CSI, OSC/DCS/... and C1 sequences dropped
    std::uint64_t dropped_controls = 0;   // single control characters dropped
    std::uint64_t replaced = 0;           // invalid UTF-8 bytes and bidi controls -> U+FFFD
};

class TermFilter {
public:
    explicit TermFilter(EscapePolicy policy = EscapePolicy::Safe);
    ~TermFilter();
    TermFilter(TermFilter&&) noexcept;
    TermFilter& operator=(TermFilter&&) noexcept;
    // Appends the filtered form of `in` to `out`. State carries over between calls, so the
    // result does not depend on how the input is split.
    void feed(std::string_view in, std::string& out);
    // Ends the stream: an unfinished UTF-8 sequence becomes U+FFFD, an unfinished escape
    // sequence is dropped, and in Safe mode a colour left on is reset (CSI 0 m).
    void finish(std::string& out);
    const TermFilterStats& stats() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Convenience: the whole input through a fresh filter, finished.
std::string filter_terminal_text(std::string_view in, EscapePolicy policy);

// ---------------------------------------------------------------------------------------
// "What they saw before leaving"
//
// A minimal line model of the terminal for OUTPUT bytes: CR returns to column 0 (later text
// overwrites), LF ends the line, BS and CSI C/D/G move the cursor, CSI K/P/@/X erase,
// delete and insert, CSI 4 h/l toggles insert mode (Cowrie's line editor uses it), CSI 2 J
// clears. Every other escape is ignored and the text is filtered as by TermFilter, so the
// lines contain no control characters. Memory: n lines of at most max_line_chars each.
class LastLines {
public:
    explicit LastLines(std::size_t n, std::size_t max_line_chars = 2000);
    ~LastLines();
    LastLines(LastLines&&) noexcept;
    LastLines& operator=(LastLines&&) noexcept;
    void feed(std::string_view output);
    // The last n non-empty-at-the-end lines: trailing spaces trimmed, trailing empty lines
    // dropped, the unfinished last line (usually the prompt) included. UTF-8.
    std::vector<std::string> lines() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

struct LastOutput {
    std::vector<std::string> lines;  // oldest first
    TtyStatus status = TtyStatus::Ok;
    std::string message;      // reader's message when status is not Ok
    Micros end_ts = kNoTime;  // time of the last record read
    std::uint64_t output_bytes = 0;
};

// The last n lines of OUTPUT in a recording (INPUT and INTERACT are not shown to the
// attacker as such; Cowrie echoes typed input in OUTPUT). A damaged recording gives the
// lines before the damage.
LastOutput last_output(const std::string& path, std::size_t n);
LastOutput last_output(TtyReader& reader, std::size_t n);

// ---------------------------------------------------------------------------------------
// asciicast v2 (https://docs.asciinema.org/manual/asciicast/v2/)

struct AsciicastHeader {
    int width = 80, height = 24;
    std::int64_t timestamp = 0;  // Unix seconds of the start
    double idle_time_limit = 0;  // written when > 0 (players cap pauses to it)
    std::string title;           // written when not empty
};

// Builds a cast in memory piece by piece (the caller writes `out` wherever it likes and
// may clear it between calls). Event data is the recorded bytes as JSON text: invalid
// UTF-8 becomes U+FFFD (sequences split between records are joined first), control and
// C1 characters, bidi controls and U+2028/2029 are \u-escaped, so the file is valid JSON
// line by line and harmless to `cat`. A bare LF becomes CR LF, as the pty of the original
// session did (recordings hold the bytes before the pty's ONLCR); asciinema players need it.
class AsciicastWriter {
public:
    void header(const AsciicastHeader& h, std::string& out);
    // One "o" event at `t` seconds from the start; times are kept non-decreasing. `stream`
    // (0..3) keeps UTF-8 and CR state apart for INPUT, OUTPUT and INTERACT.
    void output(double t, std::string_view bytes, int stream, std::string& out);
    // Flushes an incomplete UTF-8 sequence of every stream as U+FFFD (at time `t`).
    void finish(double t, std::string& out);

private:
    struct Stream {
        std::string carry;     // an incomplete UTF-8 sequence from the previous call
        bool last_cr = false;  // the previous byte was CR
    };
    void encode(std::string_view bytes, Stream& s, std::string& text, bool final);
    // Appends one "o" event of already encoded text (nothing when empty).
    void event(double t, const std::string& text, std::string& out);
    Stream streams_[4];
    double last_t_ = 0;
};

// ---------------------------------------------------------------------------------------
// Finding a session's recordings

// One cowrie.log.closed event.
struct TtyLogRef {
    std::string sensor, session;
    Micros ts = kNoTime;
    std::string ttylog;         // path as logged (var/lib/cowrie/tty/<sha256>, or 1.x log/tty/...log)
    std::string shasum;         // SHA-256 of the attacker's input (empty in 1.x)
    std::int64_t size = -1;     // OUTPUT bytes
    bool duplicate = false;     // Cowrie deleted this copy: the file is the first session's
    std::string log_file;       // the JSON log the event came from
    std::string first_session;  // for duplicates: a session that logged the same shasum without duplicate
};

struct SessionRecordings {
    std::vector<TtyLogRef> ttylogs;  // by time
    bool session_seen = false;       // any event of the session
    int width = -1, height = -1;     // first cowrie.client.size
    Micros start = kNoTime;          // first event
    std::vector<std::string> sensors;
    std::vector<std::string> problems;  // unreadable logs ("path: reason")
};

// Scans the JSON logs (plain or compressed) for events of session `session_id` (of `sensor`
// only, when given).
SessionRecordings find_session_recordings(const std::vector<std::string>& json_logs, std::string_view session_id,
                                          std::string_view sensor = {});

// Candidate locations of a recording, most likely first: tty_dir/<name> and tty_dir/<shasum>
// (when tty_dir is set), <log dir>/tty/<name>, the logged path as is, and Cowrie's own
// layout <log dir>/../../lib/cowrie/tty/<name> (var/log/cowrie -> var/lib/cowrie/tty).
std::vector<std::string> recording_candidates(const TtyLogRef& ref, const std::string& tty_dir);
// The first candidate that is a regular file, or "".
std::string locate_recording(const TtyLogRef& ref, const std::string& tty_dir);

}  // namespace cb
