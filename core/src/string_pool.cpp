#include "cb/string_pool.hpp"

#include <cstring>

namespace cb {

namespace {
constexpr std::size_t kBlockSize = 1 << 20;
}

char* StringPool::allocate(std::size_t n) {
    if (n > kBlockSize / 4) {  // big values get a block of their own
        blocks_.emplace_back(new char[n]);
        bytes_ += n;
        return blocks_.back().get();
    }
    if (n > left_) {
        blocks_.emplace_back(new char[kBlockSize]);
        cur_ = blocks_.back().get();
        left_ = kBlockSize;
        bytes_ += kBlockSize;
    }
    char* p = cur_;
    cur_ += n;
    left_ -= n;
    return p;
}

std::string_view StringPool::store(std::string_view s) {
    if (s.empty()) return {};
    char* p = allocate(s.size());
    std::memcpy(p, s.data(), s.size());
    return {p, s.size()};
}

std::string_view StringPool::intern(std::string_view s) {
    if (s.empty()) return {};
    auto it = set_.find(s);
    if (it != set_.end()) return *it;
    std::string_view v = store(s);
    set_.insert(v);
    return v;
}

}  // namespace cb
