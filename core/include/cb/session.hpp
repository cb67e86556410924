// Sessions as mergeable partial records.
//
// A SessionPartial holds what some subset of one session's events says. Partials of
// the same (sensor, session) key merge associatively and commutatively, so events of
// a session may come from any number of files, threads or Hadoop mappers in any order;
// finalize() turns the merged partial into the Session record that the outputs use.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cb/event.hpp"
#include "cb/string_pool.hpp"
#include "cb/time.hpp"

namespace cb {

struct SessionKey {
    std::string_view sensor, session;
    bool operator==(const SessionKey&) const = default;
};

struct SessionKeyHash {
    std::size_t operator()(const SessionKey& k) const noexcept {
        const std::size_t a = std::hash<std::string_view>{}(k.sensor);
        const std::size_t b = std::hash<std::string_view>{}(k.session);
        return a ^ (b + 0x9e3779b97f4a7c15ULL + (a << 6) + (a >> 2));
    }
};

enum class ItemKind : std::uint8_t { Login, Command, CommandFailed, Download, DownloadFailed, Upload, Tcpip, TtyLog };

// One timestamped thing that happened in a session. Field use by kind:
//   Login:          a=username b=password c=key fingerprint, flag=success
//   Command:        a=input
//   CommandFailed:  a=input (the unknown command and its arguments)
//   Download:       a=url b=shasum c=outfile/destfile, flag=duplicate
//   DownloadFailed: a=url
//   Upload:         a=filename b=shasum c=destination, flag=duplicate
//   Tcpip:          a=target host b=claimed originator, num=target port
//   TtyLog:         a=ttylog path b=shasum, num=output size, flag=duplicate
struct Item {
    Micros ts = kNoTime;
    std::int64_t num = -1;
    ItemKind kind = ItemKind::Command;
    bool flag = false;
    std::string_view a, b, c;
};

bool item_less(const Item& x, const Item& y);

// A string value that came with a time: on merge the earliest wins (ties: smaller text).
struct Tagged {
    Micros ts = INT64_MAX;
    std::string_view value;
    void offer(Micros t, std::string_view v) {
        if (v.empty()) return;
        if (t < ts || (t == ts && v < value)) {
            ts = t;
            value = v;
        }
    }
    // Interns v only when it wins (most offers lose: events come mostly in time order).
    void offer(Micros t, std::string_view v, StringPool& pool) {
        if (v.empty()) return;
        if (t < ts || (t == ts && v < value)) {
            ts = t;
            value = pool.intern(v);
        }
    }
    void merge(const Tagged& o) { offer(o.ts, o.value); }
};

struct TaggedInt {
    Micros ts = INT64_MAX;
    std::int64_t value = -1;
    void offer(Micros t, std::int64_t v) {
        if (v < 0) return;
        if (t < ts || (t == ts && v < value)) {
            ts = t;
            value = v;
        }
    }
    void merge(const TaggedInt& o) { offer(o.ts, o.value); }
};

struct SessionPartial {
    SessionKey key;
    Tagged protocol, src_ip, dst_ip, client_version, hassh, arch;
    TaggedInt src_port, dst_port, term_width, term_height;
    Micros first_ts = INT64_MAX;      // earliest event of any kind
    Micros last_ts = INT64_MIN;       // latest event of any kind
    Micros last_activity = INT64_MIN; // latest non-late event other than closes
    Micros connect_ts = INT64_MAX;    // earliest session.connect
    Micros close_ts = INT64_MIN;      // latest session.closed
    std::int64_t close_duration_us = -1;
    std::uint32_t events = 0;
    std::uint32_t late_events = 0;
    std::uint32_t tcpip_data = 0;
    std::vector<Item> items;

    // Adds one parsed event; strings are interned into pool.
    void add(const Event& ev, StringPool& pool);
    // Folds another partial of the same key into this one.
    void merge(SessionPartial&& other);
};

using SessionMap = std::unordered_map<SessionKey, SessionPartial, SessionKeyHash>;

enum class EndKind : std::uint8_t { Exit, Disconnect, Timeout, Unknown };
std::string_view end_kind_name(EndKind k);

enum class Channel : std::uint8_t { None, Shell, Exec };
std::string_view channel_name(Channel c);

struct SessionOptions {
    double idle_timeout_s = 180;  // Cowrie [honeypot] idle_timeout
    double auth_timeout_s = 120;  // Cowrie [honeypot] authentication_timeout
};

// The finished record (sessions.jsonl, SQLite, analyses). Items are sorted by time.
struct Session {
    std::string_view sensor, session, protocol, src_ip, dst_ip, client_version, hassh, arch;
    std::int64_t src_port = -1, dst_port = -1, term_width = -1, term_height = -1;
    Micros start = kNoTime, end = kNoTime;
    double duration_s = 0;
    bool closed = false;
    bool has_connect = false;
    EndKind end_kind = EndKind::Unknown;
    Channel channel = Channel::None;
    std::uint32_t events = 0, late_events = 0, tcpip_data = 0;
    std::uint32_t login_attempts = 0, login_successes = 0, commands = 0, failed_commands = 0;
    std::vector<Item> items;              // every item, sorted by item_less
    std::vector<std::uint8_t> cmd_failed; // per Command item (in order): 1 when a command.failed belongs to it
    std::string_view last_command;        // empty when the session ran none
    Micros last_command_ts = kNoTime;
    double secs_after_last_command = -1;  // close (or last event) minus last command; -1 without commands
};

Session finalize(SessionPartial&& p, const SessionOptions& opt);

// Deterministic output order: start time, then sensor, then session id.
bool session_less(const Session& a, const Session& b);

}  // namespace cb

namespace cb {

// Binary form of a partial (for Hadoop Streaming values, after base64). decode interns the
// strings into pool; it returns false for damaged input.
void encode_partial(const SessionPartial& p, std::string& out);
bool decode_partial(std::string_view in, StringPool& pool, SessionPartial* p);

}  // namespace cb
