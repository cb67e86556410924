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
#include "cb/output/outputs.hpp"
#include "console.hpp"
#include "exit_codes.hpp"
#include "limit_options.hpp"
#include "run_options.hpp"

namespace cb::cli {

namespace {

namespace fs = std::filesystem;

// `hadoop` takes every option of `analyze` (run) and these, which only the Hadoop engine has.
struct HadoopArgs {
    RunFlags run;
    std::string cluster = "local";
    std::string conf_dir;
    std::string workdir;
    std::string launcher;
    std::string ship_binary;  // the binary the tasks run (default: this one)
    unsigned reducers = 2;
    bool keep_work = false;
    std::string collect;  // only read this work folder (jobs submitted by hand)
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
    for (const fs::path& p :
         {exe.parent_path().parent_path() / "hadoop" / "run.sh", fs::path(CB_SOURCE_DIR) / "hadoop" / "run.sh"})
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
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    g_launcher.store(0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// True when `dir` is `outer` or inside it (both resolved as far as they exist).
bool inside(const std::string& dir, const std::string& outer) {
    std::error_code ec;
    const std::string d = fs::weakly_canonical(dir, ec).string() + "/",
                      o = fs::weakly_canonical(outer, ec).string() + "/";
    return d.compare(0, o.size(), o) == 0;
}

// The number of JSON event logs among the inputs, or 0 after saying why there is nothing to
// run (no log, or stdin, which Hadoop cannot read).
std::size_t count_launcher_inputs(const InputSet& inputs) {
    std::size_t logs = 0;
    for (const auto& f : inputs.files) {
        if (f.kind != FileKind::JsonLog) continue;
        if (f.path == "-") {
            std::fprintf(stderr, "cowrie-batch: hadoop reads files, not stdin\n");
            return 0;
        }
        ++logs;
    }
    if (logs == 0) say_no_logs(inputs);
    return logs;
}

// Links the JSON event logs into dir/kStagedInputsFolder, named by position, and gives that
// folder to the launcher (see kStagedInputsFolder: the mappers' file names then lead back to
// the local files). False after saying why the links could not be made.
bool stage_inputs(const InputSet& inputs, const std::string& dir, std::vector<std::string>& argv) {
    const fs::path folder = fs::path(dir) / std::string(kStagedInputsFolder);
    std::error_code ec;
    fs::create_directories(folder, ec);
    std::size_t i = 0;
    for (const auto& f : inputs.files)
        if (!ec && f.kind == FileKind::JsonLog)
            fs::create_symlink(fs::absolute(f.path), folder / std::to_string(i++), ec);
    if (ec) {
        std::fprintf(stderr, "cowrie-batch: cannot link the inputs into %s: %s\n", folder.c_str(),
                     ec.message().c_str());
        return false;
    }
    argv.insert(argv.end(), {"--input", folder.string()});
    return true;
}

// --collect and --workdir must stay outside OUTDIR, which the run replaces as a whole.
bool work_folders_outside_outdir(const HadoopArgs& a) {
    for (const std::string& dir : {a.collect, a.workdir})
        if (!dir.empty() && inside(dir, a.run.out_dir)) {
            std::fprintf(stderr,
                         "cowrie-batch: %s is inside the output folder %s, which the run replaces; move it out\n",
                         dir.c_str(), a.run.out_dir.c_str());
            return false;
        }
    return true;
}

// A work folder is removed only if this run created it: a --workdir that exists must be
// empty, and is left in place (with the jobs' outputs) at the end. Returns false after
// saying why the folder cannot be used.
bool prepare_workdir(const std::string& workdir, bool* created) {
    std::error_code ec;
    *created = false;
    if (!fs::exists(workdir, ec)) {
        fs::create_directories(workdir, ec);
        *created = true;
        return true;
    }
    if (fs::is_directory(workdir, ec) && fs::is_empty(workdir, ec)) return true;
    std::fprintf(stderr, "cowrie-batch: --workdir %s exists and is not an empty folder; name a new or empty one\n",
                 workdir.c_str());
    return false;
}

// The rest of the launcher's command line. Only the options that change what a task computes
// go to the tasks (`mr`): the session and input limits, --attack-rules (job 2 sets each
// session's techniques; the rules' text goes in base64, so no file has to reach the nodes) and
// --geoip (job 2 looks addresses up: the databases must be at the same absolute paths on every
// node, and a task checks they are the same files by their type and build time). The
// other analysis options (--cowrie-cfg, --novelty-days, --no-analyses) act where the analyses are
// finished, in this process.
void add_launcher_options(const HadoopArgs& a, const AnalyzeOptions& opt, const std::string& workdir,
                          std::vector<std::string>& argv) {
    argv.insert(argv.end(), {"--workdir", fs::absolute(workdir).string(), "--reducers", std::to_string(a.reducers)});
    if (!a.conf_dir.empty()) argv.insert(argv.end(), {"--conf", a.conf_dir});
    std::vector<std::string> mr_args = session_mr_args(a.run.session);
    for (std::string& m : limit_mr_args(a.run.limits)) mr_args.push_back(std::move(m));
    if (!a.run.attack_rules.empty())
        mr_args.push_back("--attack-rules-base64=" + base64_encode(opt.analysis.attack_rules->text()));
    if (opt.analysis.geoip) {  // the same files must be at the same paths on every node
        for (const auto& db : opt.analysis.geoip->databases())
            mr_args.push_back("--geoip=" + fs::absolute(db.path).string());
        mr_args.push_back("--geoip-fingerprint=" + opt.analysis.geoip->fingerprint());
    }
    for (const std::string& m : mr_args) argv.insert(argv.end(), {"--mr-arg", m});
}

// Runs the launcher (all the jobs); false after saying that they failed.
bool run_jobs(const HadoopArgs& a, const std::vector<std::string>& argv, const std::string& workdir, OutputDir& out) {
    const int rc = run_child(argv);
    if (rc == 0) return true;
    if (a.workdir.empty()) out.keep();  // removed by the next run into OUTDIR
    std::fprintf(stderr, "cowrie-batch: the Hadoop jobs failed (launcher exit %d); see the log above and %s\n", rc,
                 workdir.c_str());
    std::fprintf(stderr, "cowrie-batch: nothing was written; %s is as it was before the run\n", a.run.out_dir.c_str());
    return false;
}

// Runs the jobs on the staged inputs into workdir; 0, or the exit code after saying why not.
int launch(const HadoopArgs& a, const AnalyzeOptions& opt, const std::string& launcher, const InputSet& inputs,
           const std::string& workdir, OutputDir& out) {
    std::vector<std::string> argv = {"bash", launcher, "--binary",
                                     a.ship_binary.empty() ? self_path() : fs::absolute(a.ship_binary).string()};
    const std::string staged = out.temp() + "/.hadoop-inputs";
    if (!stage_inputs(inputs, staged, argv)) return kExitFatal;
    add_launcher_options(a, opt, workdir, argv);
    if (!a.run.quiet)
        std::fprintf(stderr, "cowrie-batch: running %s on %s (%s)\n",
                     a.conf_dir.empty() ? "an in-process Hadoop" : "Hadoop",
                     counted(count_logs(inputs).files, "log file", "log files").c_str(), launcher.c_str());
    const bool ok = run_jobs(a, argv, workdir, out);
    std::error_code ec;
    fs::remove_all(staged, ec);  // links only: OUTDIR gets the outputs alone
    return ok ? kExitClean : kExitFatal;
}

int run_hadoop(const HadoopArgs& a) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::string launcher = find_launcher(a.launcher);
    if (launcher.empty() && a.collect.empty()) {
        std::fprintf(stderr, "cowrie-batch: hadoop/run.sh not found; set CB_HADOOP_LAUNCHER or --launcher\n");
        return kExitUsage;
    }
    InputSet inputs = scan_inputs(a.run.inputs, a.run.limits);
    if (count_launcher_inputs(inputs) == 0 || !work_folders_outside_outdir(a)) return kExitUsage;
    AnalyzeOptions opt;  // checked (--cowrie-cfg read) before any job runs
    if (const int rc = make_analyze_options(a.run, &opt)) return rc;
    OutputDir out;
    if (const int rc = open_output_dir(out, a.run.out_dir)) return rc;
    say_interrupted(stop_launcher);
    // The default work folder goes with the outputs: kept in OUTDIR with --keep-work.
    const std::string workdir = !a.collect.empty()  ? a.collect
                                : a.workdir.empty() ? out.temp() + "/.hadoop-work"
                                                    : a.workdir;
    bool created_workdir = false;
    if (a.collect.empty()) {
        if (!prepare_workdir(workdir, &created_workdir)) return kExitUsage;
        if (const int rc = launch(a, opt, launcher, inputs, workdir, out)) return rc;
    }
    opt.out_dir = out.temp();
    auto* leaked = new AnalyzeResult(collect_streaming_results(std::move(inputs), workdir, opt,
                                                               writer_into(opt.out_dir, output_layout(a.run, out))));
    AnalyzeResult& res = *leaked;
    std::error_code ec;
    if (!a.keep_work && created_workdir) fs::remove_all(workdir, ec);
    return finish_run(res, out, a.run, t0);
}

}  // namespace

void add_hadoop_command(CLI::App& app, int* exit_code) {
    auto args = std::make_shared<HadoopArgs>();
    CLI::App* cmd =
        app.add_subcommand("hadoop", "Run the same analysis as Hadoop Streaming jobs (in-process or on a cluster)");
    cmd->footer(
        "--cluster local (the default) starts a real HDFS (NameNode + DataNode) and the MapReduce local runner inside\n"
        "one JVM, copies the inputs in, runs both jobs and writes the same OUTDIR as `analyze`. --conf DIR submits to\n"
        "the cluster that DIR's *-site.xml files describe. Needs a JDK and Maven (see docs/HADOOP.md).\n"
        "Every option of `analyze` is taken, with the same effect on OUTDIR (inputs: files, not stdin).\n\n"
        "Exit codes: as for analyze; 3 also when a Hadoop job failed.");
    add_run_options(cmd, &args->run);
    // Only the Hadoop engine has these.
    const char* const kGroup = "Hadoop engine";
    cmd->add_option("--cluster", args->cluster, "local: an in-process Hadoop")
        ->check(CLI::IsMember({"local"}))
        ->group(kGroup);
    cmd->add_option("--conf", args->conf_dir, "A Hadoop configuration folder: submit to that cluster")
        ->check(CLI::ExistingDirectory)
        ->group(kGroup);
    cmd->add_option("--reducers", args->reducers, "Reduce tasks per job")
        ->capture_default_str()
        ->check(CLI::Range(1u, 10000u))
        ->group(kGroup);
    cmd->add_option("--workdir", args->workdir,
                    "Local work folder (default: .hadoop-work in OUTDIR's temporary folder)")
        ->group(kGroup);
    cmd->add_option("--ship-binary", args->ship_binary,
                    "The cowrie-batch the tasks run (for a cluster: the static one from `make static`)")
        ->check(CLI::ExistingFile)
        ->group(kGroup);
    cmd->add_option("--launcher", args->launcher, "Path of hadoop/run.sh (default: found next to the build)")
        ->group(kGroup);
    cmd->add_option("--collect", args->collect,
                    "Run no job: read WORKDIR/sessions and WORKDIR/analyses from jobs submitted by hand")
        ->check(CLI::ExistingDirectory)
        ->group(kGroup);
    cmd->add_flag("--keep-work", args->keep_work, "Keep the work folder (job outputs, counters.json, logs)")
        ->group(kGroup);
    cmd->callback([args, exit_code] { *exit_code = run_hadoop(*args); });
}

}  // namespace cb::cli
