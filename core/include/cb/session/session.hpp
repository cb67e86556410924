// Sessions as mergeable partial records.
//
// A SessionPartial holds what some subset of one session's events says. Partials of
// the same (sensor, session) key merge associatively and commutatively, so events of
// a session may come from any number of files, threads or Hadoop mappers in any order;
// finalize() turns the merged partial into the Session record that the outputs use.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <new>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cb/parse/event.hpp"
#include "cb/util/fast_hash.hpp"
#include "cb/util/string_pool.hpp"
#include "cb/util/time.hpp"

namespace cb {

struct SessionKey {
    std::string_view sensor, session;
    bool operator==(const SessionKey& o) const {
        return fast_equal(session, o.session) && fast_equal(sensor, o.sensor);
    }
};

// In-memory only (see fast_hash.hpp): shard choice and table slots, never output order;
// seeded per process.
struct SessionKeyHash {
    std::uint64_t operator()(const SessionKey& k) const noexcept {
        return fast_hash(k.session, fast_hash(k.sensor, fast_hash_seed()));
    }
};

// New kinds go at the end: the number is stored in partials (session_codec) and the report.
enum class ItemKind : std::uint8_t {
    Login,
    Command,
    CommandFailed,
    Download,
    DownloadFailed,
    Upload,
    Tcpip,
    TtyLog,
    FileWrite
};
inline constexpr ItemKind kLastItemKind = ItemKind::FileWrite;

// One timestamped thing that happened in a session. Field use by kind:
//   Login:          a=username b=password c=key fingerprint, flag=success; num=kKeyOffer for a
//                   cowrie.client.fingerprint (a key offered; finalize() drops it when a login
//                   event with the same username and fingerprint gives the verdict)
//   Command:        a=input
//   CommandFailed:  a=input (the unknown command and its arguments)
//   Download:       a=url (with a scheme) b=shasum c=outfile/destfile, flag=duplicate
//   DownloadFailed: a=url
//   FileWrite:      a=destination path (empty for a stdin capture) b=shasum c=outfile, num=size,
//                   flag=duplicate (a file_download without a URL: `> file` redirects, stdin)
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

inline constexpr std::int64_t kKeyOffer = 1;

bool item_less(const Item& x, const Item& y);

// Cowrie logs the inner commands of `$( )`, `( )`, backticks and `sh -c '...'` as
// command.input events of their own, a moment after the line that holds them. True when `cmd`
// (a Command item) is such an inner command of `line`, the last line the attacker sent: logged
// within 50 ms of `prev_ts` (the command item before it, the line or an earlier inner command),
// and its first word follows a "(", a backtick or "-c " (quotes allowed) in line. Inner commands
// are no lines the attacker sent: they make no shell channel and no step.
bool is_subcommand(const Item& line, Micros prev_ts, const Item& cmd);

// Walks a session's Command items in order and tells lines the attacker sent from inner commands.
class SentLines {
public:
    bool is_line(const Item& cmd) {
        const bool sub = line_ && is_subcommand(*line_, prev_ts_, cmd);
        prev_ts_ = cmd.ts;
        if (!sub) line_ = &cmd;
        return !sub;
    }

private:
    const Item* line_ = nullptr;
    Micros prev_ts_ = 0;
};

// A cowrie.session.file_download is a file write (a `> file` redirect or a stdin capture) when it
// has no url, or a url without a scheme ("http://", "tftp://", ...) beside a destfile; otherwise
// it is a download (wget, curl, tftp, ftpget).
bool has_url_scheme(std::string_view url);
bool is_file_write(std::string_view url, bool has_destfile);
// Where a write makes itself permanent: "ssh_key", "cron", "init", "shell_profile"; empty if none.
std::string_view persistence_kind(std::string_view path);

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
    Micros first_ts = INT64_MAX;       // earliest event of any kind
    Micros last_ts = INT64_MIN;        // latest event of any kind
    Micros last_activity = INT64_MIN;  // latest non-late event other than closes
    Micros connect_ts = INT64_MAX;     // earliest session.connect
    Micros close_ts = INT64_MIN;       // latest session.closed
    std::int64_t close_duration_us = -1;
    std::uint32_t events = 0;
    std::uint32_t late_events = 0;
    std::uint32_t tcpip_data = 0;
    std::uint32_t channels = 0;  // session.params events: one per shell or exec channel (1.3+)
    std::vector<Item> items;

    // Adds one parsed event; strings are interned into pool.
    void add(const Event& ev, StringPool& pool);
    // Folds another partial of the same key into this one.
    void merge(SessionPartial&& other);
};

// SessionKey → SessionPartial: an open-addressing index (hash tag + entry number) over
// entries stored in chunks that double in size, so entries never move once built and a
// lookup whose hash is already known (the ingest computes it once per event for the
// shard choice) hashes nothing. The subset of std::unordered_map's interface the code
// uses; iteration is in insertion order.
class SessionMap {
public:
    using value_type = std::pair<SessionKey, SessionPartial>;

    template <bool Const>
    class Iter {
    public:
        using Map = std::conditional_t<Const, const SessionMap, SessionMap>;
        using reference = std::conditional_t<Const, const value_type&, value_type&>;
        using pointer = std::conditional_t<Const, const value_type*, value_type*>;
        Iter() = default;
        Iter(Map* m, std::size_t i) : m_(m), i_(i) {}
        reference operator*() const { return m_->at(i_); }
        pointer operator->() const { return &m_->at(i_); }
        Iter& operator++() {
            ++i_;
            return *this;
        }
        bool operator==(const Iter& o) const { return i_ == o.i_; }

    private:
        Map* m_ = nullptr;
        std::size_t i_ = 0;
    };
    using iterator = Iter<false>;
    using const_iterator = Iter<true>;

    SessionMap() = default;
    SessionMap(const SessionMap&) = delete;
    SessionMap& operator=(const SessionMap&) = delete;
    SessionMap(SessionMap&& o) noexcept { swap(o); }
    SessionMap& operator=(SessionMap&& o) noexcept {
        SessionMap tmp(std::move(o));
        swap(tmp);
        return *this;
    }
    ~SessionMap() { clear(); }

    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    iterator begin() { return {this, 0}; }
    iterator end() { return {this, size_}; }
    const_iterator begin() const { return {this, 0}; }
    const_iterator end() const { return {this, size_}; }

    static constexpr std::size_t npos = static_cast<std::size_t>(-1);
    // Entry number of k, or npos; h must be SessionKeyHash{}(k).
    std::size_t find_index(const SessionKey& k, std::uint64_t h) const {
        if (slots_.empty()) return npos;
        const auto tag = static_cast<std::uint32_t>(h >> 32);
        const std::size_t mask = slots_.size() - 1;
        for (std::size_t i = tag & mask;; i = (i + 1) & mask) {
            const std::uint64_t s = slots_[i];
            if (!s) return npos;
            if (static_cast<std::uint32_t>(s >> 32) == tag) {
                const std::size_t e = static_cast<std::uint32_t>(s) - 1;
                if (at(e).first == k) return e;
            }
        }
    }
    value_type* find_hashed(const SessionKey& k, std::uint64_t h) {
        const std::size_t e = find_index(k, h);
        return e == npos ? nullptr : &at(e);
    }
    // Adds a key that is not in the map yet, with a default partial.
    value_type& insert_new(const SessionKey& k, std::uint64_t h) {
        if ((size_ + 1) * 2 > slots_.size()) grow_slots();
        const auto tag = static_cast<std::uint32_t>(h >> 32);
        const std::size_t mask = slots_.size() - 1;
        std::size_t i = tag & mask;
        while (slots_[i]) i = (i + 1) & mask;
        slots_[i] = (std::uint64_t{tag} << 32) | (size_ + 1);
        value_type* e = slot_for(size_);
        ::new (static_cast<void*>(e))
            value_type(std::piecewise_construct, std::forward_as_tuple(k), std::forward_as_tuple());
        ++size_;
        return *e;
    }

    iterator find(const SessionKey& k) {
        const std::size_t e = find_index(k, SessionKeyHash{}(k));
        return e == npos ? end() : iterator{this, e};
    }
    std::pair<iterator, bool> try_emplace(const SessionKey& k, SessionPartial&& p) {
        const std::uint64_t h = SessionKeyHash{}(k);
        if (const std::size_t e = find_index(k, h); e != npos) return {iterator{this, e}, false};
        insert_new(k, h).second = std::move(p);
        return {iterator{this, size_ - 1}, true};
    }
    std::pair<iterator, bool> try_emplace(const SessionKey& k) { return try_emplace(k, SessionPartial{}); }
    SessionPartial& operator[](const SessionKey& k) { return try_emplace(k).first->second; }

    void clear() {
        for (std::size_t i = 0; i < size_; ++i) at(i).~value_type();
        for (std::size_t c = 0; c < chunks_.size(); ++c)
            ::operator delete (static_cast<void*>(chunks_[c]), std::align_val_t{alignof(value_type)});
        chunks_.clear();
        slots_.clear();
        size_ = 0;
    }
    void swap(SessionMap& o) noexcept {
        chunks_.swap(o.chunks_);
        slots_.swap(o.slots_);
        std::swap(size_, o.size_);
    }

    value_type& at(std::size_t i) {
        const std::size_t c = chunk_of(i);
        return chunks_[c][i + kFirst - (std::size_t{kFirst} << c)];
    }
    const value_type& at(std::size_t i) const { return const_cast<SessionMap*>(this)->at(i); }

private:
    static constexpr std::size_t kFirst = 16;  // entries in chunk 0; chunk c holds kFirst << c
    static std::size_t chunk_of(std::size_t i) {
        return static_cast<std::size_t>(63 - __builtin_clzll(i + kFirst)) - 4;  // log2(kFirst) == 4
    }
    value_type* slot_for(std::size_t i) {
        const std::size_t c = chunk_of(i);
        if (c >= chunks_.size())
            chunks_.push_back(static_cast<value_type*>(
                ::operator new (sizeof(value_type) * (kFirst << c), std::align_val_t{alignof(value_type)})));
        return &chunks_[c][i + kFirst - (std::size_t{kFirst} << c)];
    }
    void grow_slots() {
        const std::size_t cap = slots_.empty() ? 64 : slots_.size() * 2;
        std::vector<std::uint64_t> fresh(cap, 0);
        const std::size_t mask = cap - 1;
        for (const std::uint64_t s : slots_) {
            if (!s) continue;
            std::size_t i = static_cast<std::uint32_t>(s >> 32) & mask;
            while (fresh[i]) i = (i + 1) & mask;
            fresh[i] = s;
        }
        slots_.swap(fresh);
    }

    std::vector<value_type*> chunks_;
    std::vector<std::uint64_t> slots_;  // (tag << 32) | (entry number + 1); 0: empty
    std::size_t size_ = 0;
};

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
    std::uint32_t events = 0, late_events = 0, tcpip_data = 0, channels = 0;
    std::uint32_t login_attempts = 0, login_successes = 0, commands = 0, failed_commands = 0;
    std::vector<Item> items;               // every item, sorted by item_less
    std::vector<std::uint8_t> cmd_failed;  // per Command item (in order): 1 when a command.failed belongs to it
    std::string_view last_command;         // empty when the session ran none
    std::string_view last_step;            // the last step (steps.hpp): no marker, exit or empty line
    std::string_view attack;               // ATT&CK technique ids in order of first use, ','-joined (attack.hpp)
    std::string_view country, as_org;      // of src_ip, with --geoip (geoip.hpp); empty when unknown
    std::int64_t asn = -1;                 // of src_ip, with --geoip; -1 when unknown
    bool geo = false;                      // looked up (--geoip given): the three fields are written
    Micros last_command_ts = kNoTime;
    double secs_after_last_command = -1;  // close (or last event) minus last command; -1 without commands
};

Session finalize(SessionPartial&& p, const SessionOptions& opt);

// The session's start as finalize() sets it: the connect time, or the first event's without one.
// Known before finalizing, so partials can be put in output order (engine/analyze, spill).
Micros session_start(const SessionPartial& p);

// The UTC day a session started on (day_number() of its start), kNoDay for one without any
// timestamp: sessions/ has a folder per day, and a daily run rebuilds whole days.
inline constexpr std::int64_t kNoDay = INT64_MIN;
inline std::int64_t start_day(Micros start) { return start == kNoTime ? kNoDay : day_number(start); }

// The shard of a key among `shards`: SessionKeyHash modulo their number.
inline std::size_t shard_of(const SessionKey& k, std::size_t shards) { return SessionKeyHash{}(k) % shards; }

// Merges p into the shard of its key (shard_of()).
void merge_into_shards(std::vector<SessionMap>& shards, SessionPartial&& p);

// The string fields of s, items' strings aside (for copies that outlive s's pools).
std::array<std::string_view*, 13> string_fields(Session& s);

// s with every string copied into pool: a copy that outlives the pools s points into.
Session copy_session(const Session& s, StringPool& pool);

// Left after its last step: a shell session closed by the attacker's side (exit or disconnect,
// not a timeout or no close) within kLeaveWithinSeconds of its last command. Exec channels
// close by design; a longer silence before the close is a stall, not a reaction. Every
// leave-type analysis, last_output.csv and the report use this one definition.
inline constexpr double kLeaveWithinSeconds = 60;
bool session_left(const Session& s);

// Deterministic output order: start time, then sensor, then session id.
bool session_less(const Session& a, const Session& b);

// Some sessions of a chunk, by address (the consumers of sessions take either).
using SessionRefs = std::vector<const Session*>;
SessionRefs session_refs(const std::vector<Session>& chunk);

// A 64-bit hash of (sensor, session) that does not depend on the platform or the run: what
// an incremental state's checkpoint remembers its sessions by (engine/state.hpp).
std::uint64_t session_key_hash(std::string_view sensor, std::string_view session);

// Whether `key` is in `sorted` (key hashes, ascending).
inline bool has_key(const std::vector<std::uint64_t>& sorted, std::uint64_t key) {
    return std::binary_search(sorted.begin(), sorted.end(), key);
}

// has_key() for many keys against a few (a day's changed sessions against a year's): a bitmap of
// the few keys' top 16 bits tells nearly every other key absent, they being uniform hashes,
// before any binary search. `sorted` must outlive it.
class FewKeys {
public:
    explicit FewKeys(const std::vector<std::uint64_t>& sorted) : sorted_(sorted) {
        for (std::uint64_t k : sorted) top_[k >> 54] |= std::uint64_t{1} << (k >> 48 & 63);
    }
    bool has(std::uint64_t key) const {
        return (top_[key >> 54] >> (key >> 48 & 63) & 1) != 0 && has_key(sorted_, key);
    }

private:
    const std::vector<std::uint64_t>& sorted_;
    std::array<std::uint64_t, 1024> top_{};  // 2^16 bits
};

// The start_day() of a run's sessions in session order, as (day, how many sessions in a row):
// what a daily run finds its tail's first day from without reading the sessions (engine/state.hpp).
using DayRuns = std::vector<std::pair<std::int64_t, std::uint64_t>>;
inline void add_day(DayRuns& runs, std::int64_t day) {
    if (runs.empty() || runs.back().first != day)
        runs.emplace_back(day, 1);
    else
        ++runs.back().second;
}
// How many sessions `runs` holds.
std::uint64_t sessions_in(const DayRuns& runs);
// How many of the first sessions started before `day` (up to the first that did not).
std::uint64_t sessions_before(const DayRuns& runs, std::int64_t day);
// The first n sessions' runs.
DayRuns first_sessions(const DayRuns& runs, std::uint64_t n);

}  // namespace cb

namespace cb {

// Binary form of a partial (for Hadoop Streaming values, after base64). decode puts the strings
// into pool, interned (Strings::Interned: equal values shared, for partials kept for the run) or
// copied (Strings::Copied: no lookup, for partials that live until the pool's next reset); the
// session id is always copied (it is one session's). It returns false for damaged input.
enum class Strings : std::uint8_t { Interned, Copied };
void encode_partial(const SessionPartial& p, std::string& out);
bool decode_partial(std::string_view in, StringPool& pool, SessionPartial* p, Strings strings = Strings::Interned);

}  // namespace cb
