// SHA-256 (FIPS 180-4), for matching TTY recordings by the hash Cowrie names them with.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace cb {

class Sha256 {
public:
    Sha256();
    void update(std::string_view data);
    std::string hex();  // finishes the hash; lower-case hex

private:
    void block(const unsigned char* p);
    std::array<std::uint32_t, 8> h_;
    unsigned char buf_[64];
    std::size_t used_ = 0;
    std::uint64_t bits_ = 0;
};

}  // namespace cb
