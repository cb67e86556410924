// (in progress)
#include "factories.hpp"
namespace cb::analyses {
std::unique_ptr<Analysis> make_campaigns() { return nullptr; }
}  // namespace cb::analyses
