#include "cmd_mr.hpp"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>

#include "cb/engine/streaming.hpp"
#include "cb/util/archive.hpp"
#include "exit_codes.hpp"
#include "limit_options.hpp"
#include "run_options.hpp"

namespace cb::cli {

void add_mr_command(CLI::App& app, int* exit_code) {
    struct Args {
        std::string step;
        SessionFlags session;
        Limits limits;
        std::string attack_rules_base64;
        std::vector<std::string> geoip;
        std::string geoip_fingerprint;
    };
    auto a = std::make_shared<Args>();
    static const std::map<std::string, StreamStep> kSteps = {
        {"map-sessions", StreamStep::MapSessions},       {"combine-sessions", StreamStep::CombineSessions},
        {"reduce-sessions", StreamStep::ReduceSessions}, {"map-markers", StreamStep::MapMarkers},
        {"combine-markers", StreamStep::CombineMarkers}, {"reduce-markers", StreamStep::ReduceMarkers},
        {"map-analyses", StreamStep::MapAnalyses},       {"combine-analyses", StreamStep::CombineAnalyses},
        {"reduce-analyses", StreamStep::ReduceAnalyses},
    };
    CLI::App* cmd =
        app.add_subcommand("mr", "One Hadoop Streaming step: mapper, combiner or reducer (stdin to stdout)");
    cmd->footer(
        "Used by `cowrie-batch hadoop` and by hand-written `mapred streaming` jobs (docs/HADOOP.md).\n"
        "Job 1: map-sessions | combine-sessions | reduce-sessions  (log lines -> merged session partials)\n"
        "Job markers: map-markers | combine-markers | reduce-markers  (partials -> marker statistics and set;\n"
        "             one reducer)\n"
        "Job 2: map-analyses | combine-analyses | reduce-analyses  (partials -> merged analysis states;\n"
        "       the marker set from reduce-markers in $CB_MARKERS, base64)\n"
        "stdout carries only key<TAB>value lines; counters go to stderr. Bad records are counted, never fatal.\n"
        "Exit codes: 0 done; 1 stdout could not be written; 2 usage error.");
    cmd->add_option("step", a->step, "The step")->required()->check(CLI::IsMember([] {
        std::vector<std::string> names;
        for (const auto& [k, _] : kSteps) names.push_back(k);
        return names;
    }()));
    add_session_options(cmd, &a->session);
    add_limit_options(cmd, &a->limits, kLineLimit | kFileLimit);  // map-sessions: per map input
    cmd->add_option("--attack-rules-base64", a->attack_rules_base64,
                    "map-analyses: the ATT&CK rules (TOML, base64) of the hadoop command's --attack-rules");
    cmd->add_option("--geoip", a->geoip, "map-analyses: the hadoop command's --geoip databases (absolute paths)");
    cmd->add_option("--geoip-fingerprint", a->geoip_fingerprint,
                    "map-analyses: the databases' type@build-epoch list as the launching machine saw them");
    cmd->callback([a, exit_code] {
        StreamingOptions opt;
        if (!a->geoip.empty()) {
            std::string err;
            opt.analysis.geoip = GeoIp::open(a->geoip, &err);
            if (opt.analysis.geoip && opt.analysis.geoip->fingerprint() != a->geoip_fingerprint)
                err = "the databases on this node (" + opt.analysis.geoip->fingerprint() +
                      ") are not those of the launching machine (" + a->geoip_fingerprint + ")";
            if (!err.empty()) {
                std::fprintf(stderr, "cowrie-batch mr: --geoip: %s\n", err.c_str());
                *exit_code = kExitUsage;
                return;
            }
        }
        if (!a->attack_rules_base64.empty()) {
            std::string text, err;
            if (base64_decode(a->attack_rules_base64, &text))
                opt.analysis.attack_rules = AttackRules::parse(text, "--attack-rules-base64", &err);
            if (!opt.analysis.attack_rules) {
                std::fprintf(stderr, "cowrie-batch mr: --attack-rules-base64: %s\n",
                             err.empty() ? "not base64" : err.c_str());
                *exit_code = kExitUsage;
                return;
            }
        }
        opt.limits = a->limits;
        opt.session = session_options(a->session);
        opt.analysis.idle_timeout_s = a->session.idle_timeout;
        for (const char* var : {"mapreduce_map_input_file", "map_input_file"})
            if (const char* v = std::getenv(var)) {
                opt.input_name = v;
                break;
            }
        if (const char* m = std::getenv("CB_MARKERS")) {
            std::string text;
            if (!base64_decode(m, &text)) {
                std::fprintf(stderr, "cowrie-batch mr: CB_MARKERS is not base64\n");
                *exit_code = kExitUsage;
                return;
            }
            opt.markers = MarkerSet::decode(text);
        }
        *exit_code =
            run_streaming_step(kSteps.at(a->step), opt, stdin, stdout, stderr) == 0 ? kExitClean : kExitSkipped;
    });
}

}  // namespace cb::cli
