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
    JsonWriter& value(std::string_view s);
    JsonWriter& value(const char* s) { return value(std::string_view(s)); }
    JsonWriter& value(std::int64_t v);
    JsonWriter& value(std::uint64_t v);
    JsonWriter& value(int v) { return value(static_cast<std::int64_t>(v)); }
    JsonWriter& value(unsigned v) { return value(static_cast<std::uint64_t>(v)); }
    JsonWriter& value(double v, int decimals = 6);
    JsonWriter& value(bool b);
    JsonWriter& null();
    // Convenience: key + value.
    template <typename T>
    JsonWriter& field(std::string_view k, const T& v) {
        key(k);
        return value(v);
    }

private:
    void comma();
    std::string& out_;
    std::vector<bool> first_;  // per open container: nothing written yet
    bool after_key_ = false;
};

// Formats a double with up to `decimals` decimals, trailing zeros removed ("1.5", "2").
std::string format_number(double v, int decimals = 6);

}  // namespace cb
