// (in progress)
#include "factories.hpp"
namespace cb::analyses {
std::unique_ptr<Analysis> make_weird_strings() { return nullptr; }
}  // namespace cb::analyses
