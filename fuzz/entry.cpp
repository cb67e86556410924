// libFuzzer entry point of one target; CB_FUZZ_TARGET names it (see fuzz/CMakeLists.txt).
#include "targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return cb::fuzz::CB_FUZZ_TARGET(data, size);
}
