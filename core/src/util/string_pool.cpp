#include "cb/util/string_pool.hpp"

#include <algorithm>
#include <cstring>

#include "cb/util/fast_hash.hpp"

namespace cb {

namespace {
constexpr std::size_t kBlockSize = 1 << 20;
}

char* StringPool::allocate(std::size_t n) {
    if (n > kBlockSize / 4) {  // big values get a block of their own
        big_.emplace_back(new char[n]);
        bytes_ += n;
        return big_.back().get();
    }
    if (n > left_) {
        if (next_block_ == blocks_.size()) blocks_.emplace_back(new char[kBlockSize]);
        cur_ = blocks_[next_block_++].get();
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

void StringPool::clear() {
    big_.clear();
    next_block_ = 0;
    cur_ = nullptr;
    left_ = 0;
    bytes_ = 0;
    std::fill(slots_.begin(), slots_.end(), Slot{});
    count_ = 0;
}

void StringPool::grow() {
    std::vector<Slot> old = std::move(slots_);
    const std::size_t cap = old.empty() ? 1024 : old.size() * 2;
    slots_.assign(cap, Slot{});
    const std::size_t mask = cap - 1;
    for (const Slot& s : old) {
        if (!s.p) continue;
        std::size_t i = s.tag & mask;
        while (slots_[i].p) i = (i + 1) & mask;
        slots_[i] = s;
    }
}

std::string_view StringPool::intern(std::string_view s) {
    if (s.empty()) return {};
    if ((count_ + 1) * 2 > slots_.size()) grow();
    const auto tag = static_cast<std::uint32_t>(fast_hash(s, fast_hash_seed()));
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = tag & mask;
    for (;; i = (i + 1) & mask) {
        const Slot& slot = slots_[i];
        if (!slot.p) break;
        if (slot.tag == tag && slot.len == s.size() && fast_equal(slot.p, s.data(), s.size()))
            return {slot.p, slot.len};
    }
    if (s.size() > UINT32_MAX) return store(s);  // never deduplicated (lines are at most 1 GiB anyway)
    const std::string_view v = store(s);
    slots_[i] = Slot{v.data(), static_cast<std::uint32_t>(v.size()), tag};
    ++count_;
    return v;
}

}  // namespace cb
