// A small streaming JSON writer: compact output, keys in the order written.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cb {

class JsonWriter {
public:
    explicit JsonWriter(std::string& out) : out_(out) {}
    JsonWriter& begin_object();
    JsonWriter& end_object();
    JsonWriter& begin_array();
    JsonWriter& end_array();
    JsonWriter& key(std::string_view k);
    // A key written in the source as a string literal is trusted and copied without
    // escaping (sessions.jsonl alone writes ~40 keys per session record).
    template <std::size_t N>
    JsonWriter& key(const char (&k)[N]) {
        return literal_key(k, std::char_traits<char>::length(k));
    }
    JsonWriter& literal_key(const char* k, std::size_t n) {
        comma();
        out_.push_back('"');
        out_.append(k, n);
        out_.append("\":", 2);
        after_key_ = true;
        return *this;
    }
    JsonWriter& value(std::string_view s);
    JsonWriter& value(const char* s) { return value(std::string_view(s)); }
    JsonWriter& value(std::int64_t v);
    JsonWriter& value(std::uint64_t v);
    JsonWriter& value(int v) { return value(static_cast<std::int64_t>(v)); }
    JsonWriter& value(unsigned v) { return value(static_cast<std::uint64_t>(v)); }
    JsonWriter& value(double v, int decimals = 6);
    JsonWriter& value(bool b);
    JsonWriter& null();
    // A timestamp as a JSON string ("" for kNoTime), formatted straight into the output.
    JsonWriter& timestamp(std::int64_t micros);
    // Convenience: key + value.
    template <typename T>
    JsonWriter& field(std::string_view k, const T& v) {
        key(k);
        return value(v);
    }
    template <std::size_t N, typename T>
    JsonWriter& field(const char (&k)[N], const T& v) {
        literal_key(k, std::char_traits<char>::length(k));
        return value(v);
    }

private:
    void comma() {
        if (after_key_) {
            after_key_ = false;
        } else if (depth_ > 0 && depth_ <= 64) {
            const std::uint64_t bit = std::uint64_t{1} << (depth_ - 1);
            if (!(first_bits_ & bit)) out_.push_back(',');
            first_bits_ &= ~bit;
        } else if (depth_ > 64) {
            if (!deep_first_.back()) out_.push_back(',');
            deep_first_.back() = false;
        }
    }
    void open(char c);
    void close(char c);
    std::string& out_;
    // Per open container, "nothing written yet": a bit stack for the first 64 levels
    // (no allocation per writer: one is made per session record), a vector beyond.
    std::uint64_t first_bits_ = 0;
    std::size_t depth_ = 0;
    std::vector<bool> deep_first_;
    bool after_key_ = false;
};

// Formats a double with up to `decimals` decimals, trailing zeros removed ("1.5", "2"),
// "null" when not finite.
std::string format_number(double v, int decimals = 6);
// The same, appended to `out`.
void append_number(std::string& out, double v, int decimals = 6);

}  // namespace cb
