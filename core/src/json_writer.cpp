#include "cb/json_writer.hpp"

#include <cmath>
#include <cstdio>

#include "cb/text.hpp"

namespace cb {

std::string format_number(double v, int decimals) {
    if (!std::isfinite(v)) return "null";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    std::string s(buf);
    if (s.find('.') != std::string::npos) {
        while (!s.empty() && s.back() == '0') s.pop_back();
        if (!s.empty() && s.back() == '.') s.pop_back();
    }
    if (s == "-0") s = "0";
    return s;
}

void JsonWriter::comma() {
    if (after_key_) {
        after_key_ = false;
        return;
    }
    if (!first_.empty()) {
        if (!first_.back()) out_.push_back(',');
        first_.back() = false;
    }
}

JsonWriter& JsonWriter::begin_object() {
    comma();
    out_.push_back('{');
    first_.push_back(true);
    return *this;
}
JsonWriter& JsonWriter::end_object() {
    out_.push_back('}');
    first_.pop_back();
    return *this;
}
JsonWriter& JsonWriter::begin_array() {
    comma();
    out_.push_back('[');
    first_.push_back(true);
    return *this;
}
JsonWriter& JsonWriter::end_array() {
    out_.push_back(']');
    first_.pop_back();
    return *this;
}
JsonWriter& JsonWriter::key(std::string_view k) {
    comma();
    append_json_string(out_, k);
    out_.push_back(':');
    after_key_ = true;
    return *this;
}
JsonWriter& JsonWriter::value(std::string_view s) {
    comma();
    append_json_string(out_, s);
    return *this;
}
JsonWriter& JsonWriter::value(std::int64_t v) {
    comma();
    out_.append(std::to_string(v));
    return *this;
}
JsonWriter& JsonWriter::value(std::uint64_t v) {
    comma();
    out_.append(std::to_string(v));
    return *this;
}
JsonWriter& JsonWriter::value(double v, int decimals) {
    comma();
    out_.append(format_number(v, decimals));
    return *this;
}
JsonWriter& JsonWriter::value(bool b) {
    comma();
    out_.append(b ? "true" : "false");
    return *this;
}
JsonWriter& JsonWriter::null() {
    comma();
    out_.append("null");
    return *this;
}

}  // namespace cb
