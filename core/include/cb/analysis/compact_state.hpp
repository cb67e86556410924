// Compact containers for counting state that grows with millions of distinct values
// (credentials, source addresses, templates): string maps probed by string_view, dense string
// ids per instance, small id sets without a heap allocation for one or two members, and
// per-day counters. Shared by the analyses and the basic count tables (basic_tables.hpp),
// which count distinct sessions, addresses and sensors per key the same way.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <new>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cb/util/archive.hpp"
#include "cb/util/fast_hash.hpp"
#include "cb/util/string_pool.hpp"

namespace cb {

// Transparent hashing so maps keyed by std::string can be probed with a string_view
// (no temporary std::string per lookup), seeded per process (fast_hash.hpp).
using SvHash = StringHash;
struct SvEq {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const noexcept { return a == b; }
};
template <typename V>
using StrMap = std::unordered_map<std::string, V, SvHash, SvEq>;

// Adds v to a set of strings with a transparent comparator (std::set<std::string,
// std::less<>>) unless it is there: a repeat builds no node and copies no string.
template <typename Set>
void insert_absent(Set& set, std::string_view v) {
    if (set.find(v) == set.end()) set.emplace(v);
}

// Keys whose text outlives the sessions it came from (sessions arrive in chunks whose strings
// die after each chunk): own_key() copies a key's strings into a pool, and owned_slot() finds a
// map's entry for a key, making it with an owned copy on first sight. A key seen before costs
// one lookup, as with views into the sessions.
using SvPair = std::pair<std::string_view, std::string_view>;
inline std::string_view own_key(StringPool& pool, std::string_view k) { return pool.intern(k); }
inline SvPair own_key(StringPool& pool, const SvPair& k) { return {pool.intern(k.first), pool.intern(k.second)}; }
inline std::pair<std::int64_t, std::string_view> own_key(StringPool& pool,
                                                         const std::pair<std::int64_t, std::string_view>& k) {
    return {k.first, pool.intern(k.second)};
}
inline std::pair<std::string_view, std::int64_t> own_key(StringPool& pool,
                                                         const std::pair<std::string_view, std::int64_t>& k) {
    return {pool.intern(k.first), k.second};
}
inline std::tuple<std::string_view, std::string_view, bool> own_key(
    StringPool& pool, const std::tuple<std::string_view, std::string_view, bool>& k) {
    return {pool.intern(std::get<0>(k)), pool.intern(std::get<1>(k)), std::get<2>(k)};
}
template <class Map>
typename Map::mapped_type& owned_slot(Map& m, const typename Map::key_type& k, StringPool& pool) {
    auto it = m.find(k);
    if (it == m.end()) it = m.emplace(own_key(pool, k), typename Map::mapped_type{}).first;
    return it->second;
}

// Strings to dense ids, per analysis instance (so per thread). Ids differ between
// instances: merge() translates the other instance's ids with absorb().
class Interner {
public:
    std::uint32_t id(std::string_view s) {
        auto it = map_.find(s);
        if (it != map_.end()) return it->second;
        const auto n = static_cast<std::uint32_t>(strs_.size());
        strs_.emplace_back(s);
        map_.emplace(strs_.back(), n);
        return n;
    }
    std::string_view str(std::uint32_t id) const { return strs_[id]; }
    std::size_t size() const { return strs_.size(); }
    // Archived as the strings in id order; loading rebuilds the same ids.
    template <class Ar>
    void io(Ar& ar) {
        if constexpr (std::is_same_v<Ar, InArchive>) {
            std::vector<std::string> v;
            ar(v);
            strs_.clear();
            map_.clear();
            for (auto& x : v) id(x);
        } else {
            ar(std::vector<std::string>(strs_.begin(), strs_.end()));
        }
    }
    // Interns every string of other; returns other's id -> this id.
    std::vector<std::uint32_t> absorb(const Interner& other) {
        std::vector<std::uint32_t> remap(other.strs_.size());
        for (std::size_t i = 0; i < other.strs_.size(); ++i) remap[i] = id(other.strs_[i]);
        return remap;
    }

private:
    std::deque<std::string> strs_;  // deque: elements never move, so the views in map_ stay valid
    std::unordered_map<std::string_view, std::uint32_t, StringHash> map_;
};

// A set of ids, exact, in 24 bytes when it holds at most two ids. Inserts append (skipping a
// repeat of the last id) and the bag is sorted and de-duplicated whenever it doubles, so a
// popular value with 10^5 members costs O(log n) amortised per insert, not a memmove.
class IdBag {
public:
    IdBag() = default;
    IdBag(const IdBag&) = delete;
    IdBag& operator=(const IdBag&) = delete;
    IdBag(IdBag&& o) noexcept : n_(o.n_), cap_(o.cap_), clean_(o.clean_), u_(o.u_) { o.n_ = o.cap_ = o.clean_ = 0; }
    IdBag& operator=(IdBag&& o) noexcept {
        if (this != &o) {
            release();
            n_ = o.n_, cap_ = o.cap_, clean_ = o.clean_, u_ = o.u_;
            o.n_ = o.cap_ = o.clean_ = 0;
        }
        return *this;
    }
    ~IdBag() { release(); }

    void insert(std::uint32_t v) {
        std::uint32_t* d = data();
        if (n_ > 0 && d[n_ - 1] == v) return;
        if (n_ <= 2 && cap_ == 0) {  // inline: keep it exact (at most two members)
            for (std::uint32_t i = 0; i < n_; ++i)
                if (d[i] == v) return;
        }
        push(v);
        if (n_ >= 16 && n_ >= 2 * clean_) compact();
    }
    // Adds every id of o, translated by remap.
    void merge(const IdBag& o, const std::vector<std::uint32_t>& remap) {
        const std::uint32_t* s = o.data();
        for (std::uint32_t i = 0; i < o.n_; ++i) push(remap[s[i]]);
        compact();
    }
    void merge(const IdBag& o) {
        const std::uint32_t* s = o.data();
        for (std::uint32_t i = 0; i < o.n_; ++i) push(s[i]);
        compact();
    }
    std::size_t count() {
        compact();
        return n_;
    }
    template <class Ar>
    void io(Ar& ar) {
        if constexpr (std::is_same_v<Ar, InArchive>) {
            std::vector<std::uint32_t> v;
            ar(v);
            release();
            n_ = clean_ = 0;
            for (auto x : v) push(x);
            compact();
        } else {
            compact();
            ar(std::vector<std::uint32_t>(data(), data() + n_));
        }
    }
    const std::uint32_t* begin() {
        compact();
        return data();
    }
    const std::uint32_t* end() { return data() + n_; }

private:
    std::uint32_t* data() { return cap_ == 0 ? u_.in : u_.p; }
    const std::uint32_t* data() const { return cap_ == 0 ? u_.in : u_.p; }
    void push(std::uint32_t v) {
        const std::uint32_t cap = cap_ == 0 ? 2 : cap_;
        if (n_ == cap) {
            const std::uint32_t nc = cap * 2;
            auto* p = static_cast<std::uint32_t*>(std::malloc(sizeof(std::uint32_t) * nc));
            if (!p) throw std::bad_alloc();
            std::memcpy(p, data(), sizeof(std::uint32_t) * n_);
            if (cap_ != 0) std::free(u_.p);
            u_.p = p;
            cap_ = nc;
        }
        data()[n_++] = v;
    }
    void compact() {
        if (clean_ == n_) return;
        std::uint32_t* d = data();
        std::sort(d, d + n_);
        n_ = static_cast<std::uint32_t>(std::unique(d, d + n_) - d);
        clean_ = n_;
    }
    void release() {
        if (cap_ != 0) std::free(u_.p);
        cap_ = 0;
    }

    std::uint32_t n_ = 0, cap_ = 0, clean_ = 0;  // cap_ 0: inline storage for 2
    union U {
        std::uint32_t in[2];
        std::uint32_t* p;
    } u_{};
};

// Counts per day number, sorted by day, in 16 bytes with one day inline (most values are
// seen on a single day).
class DayCounts {
public:
    struct Entry {
        std::int32_t day;
        std::uint32_t count;
    };
    DayCounts() = default;
    DayCounts(const DayCounts&) = delete;
    DayCounts& operator=(const DayCounts&) = delete;
    DayCounts(DayCounts&& o) noexcept : n_(o.n_), cap_(o.cap_), u_(o.u_) { o.n_ = o.cap_ = 0; }
    DayCounts& operator=(DayCounts&& o) noexcept {
        if (this != &o) {
            release();
            n_ = o.n_, cap_ = o.cap_, u_ = o.u_;
            o.n_ = o.cap_ = 0;
        }
        return *this;
    }
    ~DayCounts() { release(); }

    void add(std::int32_t day, std::uint32_t n = 1) {
        Entry* d = data();
        if (n_ > 0 && d[n_ - 1].day == day) {
            d[n_ - 1].count += n;
            return;
        }
        const std::uint32_t i = lower(day);
        if (i < n_ && d[i].day == day) {
            d[i].count += n;
            return;
        }
        grow();
        d = data();
        std::memmove(d + i + 1, d + i, sizeof(Entry) * (n_ - i));
        d[i] = Entry{day, n};
        ++n_;
    }
    void merge(const DayCounts& o) {
        for (const Entry& e : o) add(e.day, e.count);
    }
    template <class Ar>
    void io(Ar& ar) {
        if constexpr (std::is_same_v<Ar, InArchive>) {
            std::vector<std::pair<std::int32_t, std::uint32_t>> v;
            ar(v);
            release();
            n_ = 0;
            for (auto [d, c] : v) add(d, c);
        } else {
            std::vector<std::pair<std::int32_t, std::uint32_t>> v;
            for (const Entry& e : *this) v.emplace_back(e.day, e.count);
            ar(v);
        }
    }
    std::uint64_t total() const {
        std::uint64_t t = 0;
        for (const Entry& e : *this) t += e.count;
        return t;
    }
    std::uint32_t at(std::int32_t day) const {
        const std::uint32_t i = lower(day);
        return i < n_ && data()[i].day == day ? data()[i].count : 0;
    }
    const Entry* begin() const { return data(); }
    const Entry* end() const { return data() + n_; }
    std::size_t size() const { return n_; }

private:
    Entry* data() { return cap_ == 0 ? &u_.in : u_.p; }
    const Entry* data() const { return cap_ == 0 ? &u_.in : u_.p; }
    std::uint32_t lower(std::int32_t day) const {
        const Entry* d = data();
        return static_cast<std::uint32_t>(
            std::lower_bound(d, d + n_, day, [](const Entry& e, std::int32_t x) { return e.day < x; }) - d);
    }
    void grow() {
        const std::uint32_t cap = cap_ == 0 ? 1 : cap_;
        if (n_ < cap) return;
        const std::uint32_t nc = cap * 2;
        auto* p = static_cast<Entry*>(std::malloc(sizeof(Entry) * nc));
        if (!p) throw std::bad_alloc();
        std::memcpy(p, data(), sizeof(Entry) * n_);
        if (cap_ != 0) std::free(u_.p);
        u_.p = p;
        cap_ = nc;
    }
    void release() {
        if (cap_ != 0) std::free(u_.p);
        cap_ = 0;
    }

    std::uint32_t n_ = 0, cap_ = 0;  // cap_ 0: one entry inline
    union U {
        Entry in;
        Entry* p;
    } u_{};
};

}  // namespace cb
