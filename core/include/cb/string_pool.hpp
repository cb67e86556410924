// String interning for the ingest hot path.
//
// Attacker strings repeat massively (bots replay the same credentials and command
// lines millions of times), so every string field of an event is interned once per
// worker and referenced by std::string_view afterwards. Views stay valid for the
// pool's lifetime; pools are never shared between threads while being written.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace cb {

class StringPool {
public:
    StringPool() = default;
    StringPool(const StringPool&) = delete;
    StringPool& operator=(const StringPool&) = delete;
    StringPool(StringPool&&) = default;
    StringPool& operator=(StringPool&&) = default;

    // Returns a view of an equal string owned by this pool.
    std::string_view intern(std::string_view s);
    // Copies s into the pool without deduplication (for one-off large values).
    std::string_view store(std::string_view s);
    std::size_t bytes_used() const { return bytes_; }

private:
    char* allocate(std::size_t n);
    std::vector<std::unique_ptr<char[]>> blocks_;
    char* cur_ = nullptr;
    std::size_t left_ = 0;
    std::size_t bytes_ = 0;
    std::unordered_set<std::string_view> set_;
};

}  // namespace cb
