// serve's web files (serve/web/), compiled in by serve/embed.cmake.
#pragma once

#include <cstddef>
#include <string_view>

namespace cb::serve {

struct Asset {
    const char* name;  // file name in serve/web
    const char* data;
};
extern const Asset kAssets[];
extern const std::size_t kAssetCount;

// The file called name; empty when there is none.
inline std::string_view asset(std::string_view name) {
    for (std::size_t i = 0; i < kAssetCount; ++i)
        if (name == kAssets[i].name) return kAssets[i].data;
    return {};
}

}  // namespace cb::serve
