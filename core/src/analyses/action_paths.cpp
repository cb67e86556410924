// (in progress)
#include "factories.hpp"
namespace cb::analyses {
std::unique_ptr<Analysis> make_action_paths() { return nullptr; }
}  // namespace cb::analyses
