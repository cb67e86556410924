// String interning for the ingest hot path.
//
// Attacker strings repeat massively (bots replay the same credentials and command
// lines millions of times), so every string field of an event is interned once per
// worker and referenced by std::string_view afterwards. Views stay valid for the
// pool's lifetime; pools are never shared between threads while being written.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
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
    std::size_t distinct() const { return count_; }
    // Forgets every string (views into the pool dangle from here on) and keeps the standard
    // blocks and the slot table for the strings to come: a pool emptied per chunk or batch
    // does not return its memory to the system only to fault it in again.
    void clear();

private:
    // One slot of the open-addressing set: the low 32 bits of the hash pick the slot
    // (the table never exceeds 2^31 slots) and filter compares.
    struct Slot {
        const char* p = nullptr;
        std::uint32_t len = 0;
        std::uint32_t tag = 0;
    };
    char* allocate(std::size_t n);
    void grow();
    std::vector<std::unique_ptr<char[]>> blocks_;  // standard blocks; those before next_block_ in use
    std::vector<std::unique_ptr<char[]>> big_;     // values of a block of their own
    std::size_t next_block_ = 0;
    char* cur_ = nullptr;
    std::size_t left_ = 0;
    std::size_t bytes_ = 0;
    std::vector<Slot> slots_;  // size is 0 or a power of two; p == nullptr: empty
    std::size_t count_ = 0;
};

}  // namespace cb
