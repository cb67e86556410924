#pragma once
namespace cb {
inline constexpr const char* kVersion = "0.1.0";
}
