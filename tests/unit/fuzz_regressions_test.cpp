// Replays every input under tests/fuzz-regressions/<target>/ through its fuzz target
// (fuzz/targets.hpp): inputs that once crashed a target, or broke one of its invariants, and
// inputs kept because they reach rare paths. A target aborts on a broken invariant.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <ostream>
#include <string>
#include <vector>

#include "targets.hpp"

namespace cb::fuzz {
// The target's name in test output, not its bytes.
void PrintTo(const NamedTarget& t, std::ostream* os) { *os << t.name; }
}  // namespace cb::fuzz

namespace {

namespace fs = std::filesystem;

std::vector<fs::path> inputs_of(std::string_view target) {
    std::vector<fs::path> out;
    const fs::path dir = fs::path(CB_SOURCE_DIR) / "tests" / "fuzz-regressions" / std::string(target);
    if (!fs::is_directory(dir)) return out;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.is_regular_file() && e.path().filename().string().front() != '.') out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

std::string read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class FuzzRegressions : public ::testing::TestWithParam<cb::fuzz::NamedTarget> {};

TEST_P(FuzzRegressions, EveryKeptInputRuns) {
    const auto target = GetParam();
    const auto files = inputs_of(target.name);
    ASSERT_FALSE(files.empty()) << "no inputs kept for " << target.name << " in tests/fuzz-regressions/";
    for (const auto& f : files) {
        SCOPED_TRACE(f.string());
        const std::string bytes = read_all(f);
        EXPECT_EQ(target.run(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()), 0);
    }
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzRegressions, ::testing::ValuesIn(cb::fuzz::kTargets),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
