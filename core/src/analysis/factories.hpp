// One factory per analysis; each lives in its own file in this folder.
#pragma once

#include <memory>

#include "cb/analysis/analysis.hpp"

namespace cb::analyses {

std::unique_ptr<Analysis> make_action_paths();
std::unique_ptr<Analysis> make_predisconnect();
std::unique_ptr<Analysis> make_failed_commands();
std::unique_ptr<Analysis> make_campaigns();
std::unique_ptr<Analysis> make_forks();
std::unique_ptr<Analysis> make_novelty();
std::unique_ptr<Analysis> make_changes();
std::unique_ptr<Analysis> make_outliers();
std::unique_ptr<Analysis> make_weird_strings();
std::unique_ptr<Analysis> make_attack();
std::unique_ptr<Analysis> make_sources_geo();
std::unique_ptr<Analysis> make_iocs();
std::unique_ptr<Analysis> make_hints();

}  // namespace cb::analyses
