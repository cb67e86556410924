// The hints section: hints.json as the hints analysis wrote it, and the sessions it cites
// (the explorer embeds them). The only place the report reads hints.
#include <simdjson.h>

#include "report_parts.hpp"

namespace cb::report {

Hints read_hints(const RunData& run) {
    Hints h;
    auto it = run.findings.facts.find("hints.json");
    if (it == run.findings.facts.end() || it->second.empty()) return h;
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(it->second).get(doc)) return h;  // not JSON: leave it out rather than break the page
    h.json = it->second;
    while (!h.json.empty() && (h.json.back() == '\n' || h.json.back() == ' ')) h.json.remove_suffix(1);
    simdjson::dom::array hints;
    if (doc["hints"].get_array().get(hints)) return h;
    for (auto hint : hints) {
        simdjson::dom::array ex;
        if (hint["evidence"]["example_sessions"].get_array().get(ex)) continue;
        for (auto e : ex) {
            std::string_view id;
            if (!e.get_string().get(id)) h.example_sessions.emplace_back(id);
        }
    }
    return h;
}

std::string hints_json(const Hints& hints) { return hints.json.empty() ? "null" : std::string(hints.json); }

}  // namespace cb::report
