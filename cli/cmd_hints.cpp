#include "cmd_hints.hpp"

#include <simdjson.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "cb/util/json_writer.hpp"
#include "cb/util/text.hpp"
#include "exit_codes.hpp"

namespace cb::cli {

namespace {

namespace dom = simdjson::dom;

std::string value_text(dom::element v) {
    switch (v.type()) {
        case dom::element_type::STRING:
            return std::string(std::string_view(v));
        case dom::element_type::INT64:
            return std::to_string(int64_t(v));
        case dom::element_type::UINT64:
            return std::to_string(uint64_t(v));
        case dom::element_type::DOUBLE:
            return format_number(double(v), 3);
        case dom::element_type::BOOL:
            return bool(v) ? "true" : "false";
        case dom::element_type::ARRAY: {
            std::string out;
            for (dom::element e : dom::array(v)) out += (out.empty() ? "" : ", ") + value_text(e);
            return out;
        }
        case dom::element_type::OBJECT: {  // e.g. one sensor's figures: "(sensor x, accepted 3)"
            std::string out;
            for (auto [k, e] : dom::object(v)) out += (out.empty() ? "" : ", ") + std::string(k) + " " + value_text(e);
            return "(" + out + ")";
        }
        default:
            return "-";
    }
}

int run_hints(const std::string& dir, const std::string& min_severity) {
    const std::string path = dir + "/hints.json";
    dom::parser parser;
    dom::element doc;
    if (auto err = parser.load(path).get(doc)) {
        std::error_code ec;
        if (!std::filesystem::exists(path, ec) && std::filesystem::exists(dir + "/summary.json", ec))
            std::fprintf(stderr,
                         "cowrie-batch: %s has no hints.json: it was written with --no-analyses, or the file was "
                         "removed since (run `cowrie-batch analyze` without --no-analyses)\n",
                         sanitize_for_terminal(dir).c_str());
        else
            std::fprintf(stderr, "cowrie-batch: cannot read %s: %s (run `cowrie-batch analyze ... -o %s` first)\n",
                         sanitize_for_terminal(path).c_str(), simdjson::error_message(err),
                         sanitize_for_terminal(dir).c_str());
        return kExitUsage;
    }
    const bool color = ::isatty(1) && !std::getenv("NO_COLOR");
    auto rank = [](std::string_view s) { return s == "high" ? 0 : s == "medium" ? 1 : s == "low" ? 2 : 3; };
    const int limit = rank(min_severity);
    int shown = 0;
    dom::array hints;
    if (doc["hints"].get(hints)) {
        std::fprintf(stderr, "cowrie-batch: %s has no hints array\n", sanitize_for_terminal(path).c_str());
        return kExitUsage;
    }
    for (dom::element h : hints) {
        std::string_view sev = "info", title, rec, caveat;
        if (h["severity"].get(sev)) {}        // absent: keep the default
        if (h["title"].get(title)) {}         // absent: keep the default
        if (h["recommendation"].get(rec)) {}  // absent: keep the default
        if (h["caveat"].get(caveat)) {}       // absent: keep the default
        if (rank(sev) > limit) continue;
        ++shown;
        const char* on = !color ? "" : sev == "high" ? "\033[1;31m" : sev == "medium" ? "\033[33m" : "\033[2m";
        const char* off = color ? "\033[0m" : "";
        std::string upper(sev);
        for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        std::printf("%s%-7s%s %s\n", on, upper.c_str(), off, sanitize_for_terminal(title, 160).c_str());
        dom::object ev;
        if (!h["evidence"].get(ev)) {
            std::string line;
            for (auto [k, v] : ev) {
                line += (line.empty() ? "" : ", ") + std::string(k) + " " + value_text(v);
            }
            std::printf("        evidence: %s\n", sanitize_for_terminal(line, 400).c_str());
        }
        std::printf("        fix: %s\n", sanitize_for_terminal(rec, 600).c_str());
        if (!caveat.empty()) std::printf("        caveat: %s\n", sanitize_for_terminal(caveat, 400).c_str());
        std::printf("\n");
    }
    if (shown == 0) std::printf("no hints at severity %s or above\n", min_severity.c_str());
    return kExitClean;
}

}  // namespace

void add_hints_command(CLI::App& app, int* exit_code) {
    auto dir = std::make_shared<std::string>();
    auto sev = std::make_shared<std::string>("info");
    CLI::App* cmd = app.add_subcommand("hints", "Print the honeypot hints of an analyze run, most severe first");
    cmd->footer(
        "Reads OUTDIR/hints.json written by `cowrie-batch analyze`. Colours only on a terminal (NO_COLOR "
        "disables them). Exit codes: 0 printed; 2 no hints.json in OUTDIR.");
    cmd->add_option("outdir", *dir, "The analyze output folder")->required();
    cmd->add_option("--min-severity", *sev, "Show only hints at this severity or above")
        ->check(CLI::IsMember({"high", "medium", "low", "info"}))
        ->capture_default_str();
    cmd->callback([dir, sev, exit_code] { *exit_code = run_hints(*dir, *sev); });
}

}  // namespace cb::cli
