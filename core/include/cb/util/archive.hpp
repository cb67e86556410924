// A small binary archive for partial aggregates that travel between processes (Hadoop
// Streaming mappers, combiners and reducers). One member template serves both directions:
//
//     template <class Ar> void io(Ar& ar) { ar(count_, by_key_, first_seen_); }
//
// OutArchive appends the fields; InArchive reads them back in the same order. Supported:
// integers, double, bool, std::string, std::string_view (read as a view into the input, valid
// while it is), pairs, tuples, arrays, vectors, maps, sets, and any
// type with such an io() member. Integers are varints (zig-zag for signed ones).
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace cb {

// A vector of plain records kept as their bytes: the count, the host's byte order ('L' or 'B'),
// then count * sizeof(T) bytes. For large per-session states, where a varint per field is most
// of the cost of saving and loading them. T must be trivially copyable without padding bytes
// (they would carry uninitialised memory into the archive); an archive of the other byte order
// does not load (the reader fails, as for damage).
template <typename T>
struct RawRecords {
    static_assert(std::is_trivially_copyable_v<T>);
    std::vector<T>& v;
};
template <typename T>
RawRecords<T> raw_records(std::vector<T>& v) {
    return {v};
}
inline constexpr char kHostByteOrder = std::endian::native == std::endian::little ? 'L' : 'B';

template <typename T, typename Ar, typename = void>
struct has_io : std::false_type {};
template <typename T, typename Ar>
struct has_io<T, Ar, std::void_t<decltype(std::declval<T&>().io(std::declval<Ar&>()))>> : std::true_type {};

class OutArchive {
public:
    explicit OutArchive(std::string& out) : out_(out) {}

    template <typename... T>
    void operator()(const T&... v) {
        (put(v), ...);
    }

    void varint(std::uint64_t v) {
        while (v >= 0x80) {
            out_.push_back(static_cast<char>(v | 0x80));
            v >>= 7;
        }
        out_.push_back(static_cast<char>(v));
    }

private:
    template <typename T>
    void put(const T& v) {
        if constexpr (std::is_same_v<T, bool>) {
            out_.push_back(v ? 1 : 0);
        } else if constexpr (std::is_enum_v<T>) {
            put(static_cast<std::underlying_type_t<T>>(v));
        } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
            const auto x = static_cast<std::int64_t>(v);
            varint((static_cast<std::uint64_t>(x) << 1) ^ static_cast<std::uint64_t>(x >> 63));
        } else if constexpr (std::is_integral_v<T>) {
            varint(static_cast<std::uint64_t>(v));
        } else if constexpr (std::is_same_v<T, double>) {
            char b[8];
            std::memcpy(b, &v, 8);
            out_.append(b, 8);
        } else if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::string_view>) {
            varint(v.size());
            out_.append(v);
        } else if constexpr (has_io<T, OutArchive>::value) {
            const_cast<T&>(v).io(*this);
        } else {
            put_container(v);
        }
    }
    template <typename A>
    void put(const RawRecords<A>& r) {
        varint(r.v.size());
        out_.push_back(kHostByteOrder);
        if (!r.v.empty()) out_.append(reinterpret_cast<const char*>(r.v.data()), r.v.size() * sizeof(A));
    }

    template <typename A, typename B>
    void put_container(const std::pair<A, B>& p) {
        put(p.first);
        put(p.second);
    }
    template <typename... A>
    void put_container(const std::tuple<A...>& t) {
        std::apply([&](const auto&... x) { (put(x), ...); }, t);
    }
    template <typename A, std::size_t N>
    void put_container(const std::array<A, N>& a) {
        for (const auto& x : a) put(x);
    }
    template <typename A, std::size_t N>
    void put_container(const A (&a)[N]) {
        for (const auto& x : a) put(x);
    }
    // Unordered containers are written in key order: their own order follows the hash, which
    // is seeded per process (fast_hash.hpp), and an archive's bytes must not depend on it (a
    // state's checkpoint, a Hadoop task's records: the same input gives the same bytes).
    template <typename K, typename V, typename H, typename E, typename Al>
    void put_container(const std::unordered_map<K, V, H, E, Al>& m) {
        put_sorted(m, [](const auto* a, const auto* b) { return a->first < b->first; });
    }
    template <typename K, typename H, typename E, typename Al>
    void put_container(const std::unordered_set<K, H, E, Al>& s) {
        put_sorted(s, [](const auto* a, const auto* b) { return *a < *b; });
    }
    template <typename C>
    void put_container(const C& c) {  // vector, map, set
        varint(c.size());
        for (const auto& x : c) {
            if constexpr (std::is_same_v<C, std::vector<bool>>)
                put(static_cast<bool>(x));
            else
                put(x);
        }
    }
    template <typename C, typename Less>
    void put_sorted(const C& c, Less less) {
        std::vector<const typename C::value_type*> order;
        order.reserve(c.size());
        for (const auto& x : c) order.push_back(&x);
        std::sort(order.begin(), order.end(), less);
        varint(c.size());
        for (const auto* x : order) put(*x);
    }

    std::string& out_;
};

class InArchive {
public:
    explicit InArchive(std::string_view in) : in_(in) {}
    bool ok() const { return ok_ && pos_ == in_.size(); }
    bool failed() const { return !ok_; }

    template <typename... T>
    void operator()(T&... v) {
        (get(v), ...);
    }

    std::uint64_t varint() {
        std::uint64_t v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos_ >= in_.size()) {
                ok_ = false;
                return 0;
            }
            const auto b = static_cast<unsigned char>(in_[pos_++]);
            if (shift == 63 && (b & 0x7e)) break;  // bits past the 64th: damage, no encoder writes them
            v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
            if (!(b & 0x80)) return v;
        }
        ok_ = false;
        return 0;
    }

private:
    template <typename T>
    void get(T& v) {
        if (!ok_) return;
        if constexpr (std::is_same_v<T, bool>) {
            v = byte() != 0;
        } else if constexpr (std::is_enum_v<T>) {
            std::underlying_type_t<T> u{};
            get(u);
            v = static_cast<T>(u);
        } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
            const std::uint64_t z = varint();
            v = static_cast<T>(static_cast<std::int64_t>(z >> 1) ^ -static_cast<std::int64_t>(z & 1));
        } else if constexpr (std::is_integral_v<T>) {
            v = static_cast<T>(varint());
        } else if constexpr (std::is_same_v<T, double>) {
            if (pos_ + 8 > in_.size()) {
                ok_ = false;
                return;
            }
            std::memcpy(&v, in_.data() + pos_, 8);
            pos_ += 8;
        } else if constexpr (std::is_same_v<T, std::string>) {
            const std::uint64_t n = varint();
            if (!ok_ || n > in_.size() - pos_) {
                ok_ = false;
                return;
            }
            v.assign(in_.data() + pos_, n);
            pos_ += n;
        } else if constexpr (std::is_same_v<T, std::string_view>) {  // a view into the input: no copy
            const std::uint64_t n = varint();
            if (!ok_ || n > in_.size() - pos_) {
                ok_ = false;
                return;
            }
            v = in_.substr(pos_, n);
            pos_ += n;
        } else if constexpr (has_io<T, InArchive>::value) {
            v.io(*this);
        } else {
            get_container(v);
        }
    }
    template <typename A>
    void get(RawRecords<A>& r) {
        const std::uint64_t n = varint();
        if (!ok_ || byte() != kHostByteOrder || n > (in_.size() - pos_) / sizeof(A)) {
            ok_ = false;
            return;
        }
        // room to grow by a day's records (1/64) without a copy of them all: these are per-session states
        r.v.reserve(n + n / 64);
        r.v.resize(n);
        if (n) std::memcpy(r.v.data(), in_.data() + pos_, n * sizeof(A));  // data() may be null when n is 0
        pos_ += n * sizeof(A);
    }

    char byte() {
        if (pos_ >= in_.size()) {
            ok_ = false;
            return 0;
        }
        return in_[pos_++];
    }

    template <typename A, typename B>
    void get_container(std::pair<A, B>& p) {
        get(const_cast<std::remove_const_t<A>&>(p.first));
        get(p.second);
    }
    template <typename... A>
    void get_container(std::tuple<A...>& t) {
        std::apply([&](auto&... x) { (get(x), ...); }, t);
    }
    template <typename A, std::size_t N>
    void get_container(std::array<A, N>& a) {
        for (auto& x : a) get(x);
    }
    template <typename A, std::size_t N>
    void get_container(A (&a)[N]) {
        for (auto& x : a) get(x);
    }
    template <typename A>
    void get_container(std::vector<A>& v) {
        const std::uint64_t n = varint();
        if (!ok_ || n > in_.size()) {  // every element takes at least one byte
            ok_ = false;
            return;
        }
        v.clear();
        v.reserve(n);
        for (std::uint64_t i = 0; i < n && ok_; ++i) {
            if constexpr (std::is_same_v<A, bool>) {
                bool b = false;
                get(b);
                v.push_back(b);
            } else {
                A x{};
                get(x);
                v.push_back(std::move(x));
            }
        }
    }
    template <typename C>
    void get_assoc(C& c) {
        const std::uint64_t n = varint();
        if (!ok_ || n > in_.size()) {
            ok_ = false;
            return;
        }
        c.clear();
        for (std::uint64_t i = 0; i < n && ok_; ++i) {
            typename C::value_type x{};
            get_container_value(x);
            c.insert(c.end(), std::move(x));  // a tree's keys come sorted (put()): each goes in at the end
        }
    }
    template <typename K, typename V>
    void get_container_value(std::pair<const K, V>& p) {
        get(const_cast<K&>(p.first));
        get(p.second);
    }
    template <typename K>
    void get_container_value(K& k) {
        get(k);
    }
    template <typename K, typename V, typename Cm, typename Al>
    void get_container(std::map<K, V, Cm, Al>& m) {
        get_assoc(m);
    }
    template <typename K, typename Cm, typename Al>
    void get_container(std::set<K, Cm, Al>& s) {
        get_assoc(s);
    }
    template <typename K, typename V, typename H, typename E, typename Al>
    void get_container(std::unordered_map<K, V, H, E, Al>& m) {
        get_assoc(m);
    }
    template <typename K, typename H, typename E, typename Al>
    void get_container(std::unordered_set<K, H, E, Al>& s) {
        get_assoc(s);
    }

    std::string_view in_;
    std::size_t pos_ = 0;
    bool ok_ = true;
};

// Base64 (RFC 4648, no line breaks) for archives inside Hadoop Streaming's text lines.
std::string base64_encode(std::string_view bytes);
bool base64_decode(std::string_view text, std::string* out);

}  // namespace cb
