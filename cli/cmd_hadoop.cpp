#include "cmd_hadoop.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "cb/engine/hadoop_client.hpp"
#include "console.hpp"
#include "exit_codes.hpp"
#include "limit_options.hpp"

namespace cb::cli {

namespace {

namespace fs = std::filesystem;

struct HadoopArgs {
    std::vector<std::string> inputs;
    std::string out_dir = "cowrie-batch-out";
    std::string cluster = "local";
    std::string conf_dir;
    std::string workdir;
    std::string launcher;
    std::string ship_binary;  // the binary the tasks run (default: this one)
    unsigned reducers = 2;
    unsigned threads = 0;
    double idle_timeout = 180, auth_timeout = 120;
    bool keep_work = false;
    bool quiet = false;
    std::string collect;  // only read this work folder (jobs submitted by hand)
    Limits limits;
};

std::string self_path() {
    std::error_code ec;
    auto p = fs::read_symlink("/proc/self/exe", ec);
    return ec ? std::string() : p.string();
}

// hadoop/run.sh: $CB_HADOOP_LAUNCHER, else next to the source tree the binary was built from.
std::string find_launcher(const std::string& given) {
    if (!given.empty()) return given;
    if (const char* env = std::getenv("CB_HADOOP_LAUNCHER")) return env;
    const fs::path exe = self_path();
    for (const fs::path& p : {exe.parent_path().parent_path() / "hadoop" / "run.sh",
                              fs::path(CB_SOURCE_DIR) / "hadoop" / "run.sh"})
        if (fs::exists(p)) return p.string();
    return {};
}

// The launcher runs in a process group of its own, so an interrupted run can stop all of it
// (bash, the JVM) before its work folder, inside OUTDIR's temporary folder, is removed.
std::atomic<pid_t> g_launcher{0};

void stop_launcher() {
    const pid_t pid = g_launcher.load();
    if (pid <= 0) return;
    ::kill(-pid, SIGTERM);
    for (int i = 0; i < 100 && ::waitpid(pid, nullptr, WNOHANG) == 0; ++i) ::usleep(100'000);  // 10 s at most
}

int run_child(const std::vector<std::string>& argv) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        ::setpgid(0, 0);
        ::execvp(args[0], args.data());
        std::perror("cowrie-batch: cannot start the Hadoop launcher");
        ::_exit(127);
    }
    ::setpgid(pid, pid);  // as the child does: whichever runs first
    g_launcher.store(pid);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    g_launcher.store(0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// True when `dir` is `outer` or inside it (both resolved as far as they exist).
bool inside(const std::string& dir, const std::string& outer) {
    std::error_code ec;
    const std::string d = fs::weakly_canonical(dir, ec).string() + "/", o = fs::weakly_canonical(outer, ec).string() + "/";
    return d.compare(0, o.size(), o) == 0;
}

int run_hadoop(const HadoopArgs& a) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::string launcher = find_launcher(a.launcher);
    if (launcher.empty() && a.collect.empty()) {
        std::fprintf(stderr, "cowrie-batch: hadoop/run.sh not found; set CB_HADOOP_LAUNCHER or --launcher\n");
        return kExitUsage;
    }
    InputSet inputs = scan_inputs(a.inputs, a.limits);
    std::vector<std::string> argv = {"bash", launcher, "--binary",
                                     a.ship_binary.empty() ? self_path() : fs::absolute(a.ship_binary).string()};
    std::size_t logs = 0;
    for (const auto& f : inputs.files) {
        if (f.kind != FileKind::JsonLog) continue;
        if (f.path == "-") {
            std::fprintf(stderr, "cowrie-batch: hadoop reads files, not stdin\n");
            return kExitUsage;
        }
        argv.push_back("--input");
        argv.push_back(fs::absolute(f.path).string());
        ++logs;
    }
    if (logs == 0) {
        for (const auto& p : inputs.problems) std::fprintf(stderr, "cowrie-batch: %s: %s\n", p.path.c_str(), p.reason.c_str());
        std::fprintf(stderr, "cowrie-batch: no Cowrie JSON event log among the inputs\n");
        return kExitUsage;
    }
    for (const std::string& dir : {a.collect, a.workdir})
        if (!dir.empty() && inside(dir, a.out_dir)) {
            std::fprintf(stderr, "cowrie-batch: %s is inside the output folder %s, which the run replaces; move it out\n",
                         dir.c_str(), a.out_dir.c_str());
            return kExitUsage;
        }
    OutputDir out;
    if (const int rc = open_output_dir(out, a.out_dir)) return rc;
    say_interrupted(stop_launcher);
    // The default work folder goes with the outputs: kept in OUTDIR with --keep-work.
    const std::string workdir = !a.collect.empty() ? a.collect : a.workdir.empty() ? out.temp() + "/.hadoop-work" : a.workdir;
    std::error_code ec;
    // A work folder is removed only if this run created it: a --workdir that exists must be
    // empty, and is left in place (with the jobs' outputs) at the end.
    bool created_workdir = false;
    if (a.collect.empty()) {
        if (fs::exists(workdir, ec)) {
            if (!fs::is_directory(workdir, ec) || !fs::is_empty(workdir, ec)) {
                std::fprintf(stderr, "cowrie-batch: --workdir %s exists and is not an empty folder; name a new or empty one\n",
                             workdir.c_str());
                return kExitUsage;
            }
        } else {
            fs::create_directories(workdir, ec);
            created_workdir = true;
        }
    }
    argv.insert(argv.end(), {"--workdir", fs::absolute(workdir).string(), "--reducers", std::to_string(a.reducers)});
    if (!a.conf_dir.empty()) argv.insert(argv.end(), {"--conf", a.conf_dir});
    for (const std::string& m : {std::string("--idle-timeout"), std::to_string(a.idle_timeout), std::string("--auth-timeout"),
                                 std::to_string(a.auth_timeout)})
        argv.insert(argv.end(), {"--mr-arg", m});
    for (const std::string& m : limit_mr_args(a.limits)) argv.insert(argv.end(), {"--mr-arg", m});
    if (!a.quiet && a.collect.empty())
        std::fprintf(stderr, "cowrie-batch: running %s on %s (%s)\n", a.conf_dir.empty() ? "an in-process Hadoop" : "Hadoop",
                     counted(logs, "log file", "log files").c_str(), launcher.c_str());
    const int rc = a.collect.empty() ? run_child(argv) : 0;
    if (rc != 0) {
        if (a.workdir.empty()) out.keep();  // removed by the next run into OUTDIR
        std::fprintf(stderr, "cowrie-batch: the Hadoop jobs failed (launcher exit %d); see the log above and %s\n", rc,
                     workdir.c_str());
        std::fprintf(stderr, "cowrie-batch: nothing was written; %s is as it was before the run\n", a.out_dir.c_str());
        return kExitFatal;
    }
    AnalyzeOptions opt;
    opt.out_dir = out.temp();
    opt.threads = a.threads;
    opt.session.idle_timeout_s = a.idle_timeout;
    opt.session.auth_timeout_s = a.auth_timeout;
    opt.limits = a.limits;
    auto* leaked = new AnalyzeResult(collect_streaming_results(std::move(inputs), workdir, opt));  // see cmd_analyze.cpp
    AnalyzeResult& res = *leaked;
    const bool skipped = report_problems(res.run);
    if (!a.keep_work && created_workdir) fs::remove_all(workdir, ec);
    if (const int rc = finish_output_dir(out, a.out_dir, res.errors)) return rc;
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!a.quiet) print_summary(res.run, a.out_dir, secs);
    return skipped ? kExitSkipped : kExitClean;
}

}  // namespace

void add_hadoop_command(CLI::App& app, int* exit_code) {
    auto args = std::make_shared<HadoopArgs>();
    CLI::App* cmd = app.add_subcommand("hadoop", "Run the same analysis as Hadoop Streaming jobs (in-process or on a cluster)");
    cmd->footer(
        "--cluster local (the default) starts a real HDFS (NameNode + DataNode) and the MapReduce local runner inside\n"
        "one JVM, copies the inputs in, runs both jobs and writes the same OUTDIR as `analyze`. --conf DIR submits to\n"
        "the cluster that DIR's *-site.xml files describe. Needs a JDK and Maven (see docs/HADOOP.md).\n\n"
        "Exit codes: as for analyze; 3 also when a Hadoop job failed.");
    cmd->add_option("inputs", args->inputs, "Log files, folders or globs")->required();
    cmd->add_option("-o,--out", args->out_dir, "Output folder")->capture_default_str();
    cmd->add_option("--cluster", args->cluster, "local: an in-process Hadoop")->check(CLI::IsMember({"local"}));
    cmd->add_option("--conf", args->conf_dir, "A Hadoop configuration folder: submit to that cluster")
        ->check(CLI::ExistingDirectory);
    cmd->add_option("--reducers", args->reducers, "Reduce tasks per job")->capture_default_str()->check(CLI::Range(1u, 10000u));
    cmd->add_option("--workdir", args->workdir, "Local work folder (default: .hadoop-work in OUTDIR's temporary folder)");
    cmd->add_option("--ship-binary", args->ship_binary,
                    "The cowrie-batch the tasks run (for a cluster: the static one from `make static`)")
        ->check(CLI::ExistingFile);
    cmd->add_option("--launcher", args->launcher, "Path of hadoop/run.sh (default: found next to the build)");
    cmd->add_option("-t,--threads", args->threads, "Threads for the final merge and the outputs");
    cmd->add_option("--idle-timeout", args->idle_timeout, "As for analyze")->capture_default_str();
    cmd->add_option("--auth-timeout", args->auth_timeout, "As for analyze")->capture_default_str();
    cmd->add_option("--collect", args->collect,
                    "Run no job: read WORKDIR/sessions and WORKDIR/analyses from jobs submitted by hand")
        ->check(CLI::ExistingDirectory);
    add_limit_options(cmd, &args->limits);
    cmd->add_flag("--keep-work", args->keep_work, "Keep the work folder (job outputs, counters.json, logs)");
    cmd->add_flag("-q,--quiet", args->quiet, "No summary");
    cmd->callback([args, exit_code] { *exit_code = run_hadoop(*args); });
}

}  // namespace cb::cli
