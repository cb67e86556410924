// (in progress)
#include "factories.hpp"
namespace cb::analyses {
std::unique_ptr<Analysis> make_predisconnect() { return nullptr; }
}  // namespace cb::analyses
