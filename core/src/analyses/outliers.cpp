// (in progress)
#include "factories.hpp"
namespace cb::analyses {
std::unique_ptr<Analysis> make_outliers() { return nullptr; }
}  // namespace cb::analyses
