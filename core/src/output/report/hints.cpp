// The hints section: the typed hints of the hints analysis (Findings::hints) as hints.json
// writes them, and the sessions their evidence cites (the explorer embeds them).
#include <simdjson.h>

#include "report_parts.hpp"

namespace cb::report {

Hints read_hints(const RunData& run) {
    Hints h;
    if (!run.findings.hints) return h;
    h.json = cb::hints_json(run.findings);  // the text of hints.json, from the typed hints
    while (!h.json.empty() && (h.json.back() == '\n' || h.json.back() == ' ')) h.json.pop_back();
    simdjson::dom::parser parser;
    for (const Hint& hint : *run.findings.hints) {  // each hint's evidence object, as the analysis wrote it
        simdjson::dom::element evidence;
        simdjson::dom::array ex;
        if (parser.parse(hint.evidence_json).get(evidence) || evidence["example_sessions"].get_array().get(ex))
            continue;
        for (auto e : ex) {
            std::string_view id;
            if (!e.get_string().get(id)) h.example_sessions.emplace_back(id);
        }
    }
    return h;
}

std::string hints_json(const Hints& hints) { return hints.json.empty() ? "null" : hints.json; }

}  // namespace cb::report
