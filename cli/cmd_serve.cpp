#include "cmd_serve.hpp"

#include <pthread.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "exit_codes.hpp"

#ifdef CB_HAVE_SERVE
#include "cb/serve/server.hpp"
#include "cb/serve/users.hpp"
#endif

namespace cb::cli {

namespace {

struct ServeFlags {
    std::string out_dir, listen = "127.0.0.1:8080", users, tls_cert, tls_key, tmp_dir;
    bool insecure_http = false;
    unsigned threads = 256;
    long idle_expiry = 30 * 60, absolute_expiry = 12 * 3600;
    double check_every = 10;
    std::vector<std::string> tty_dirs;
    int max_failures = 5;
};

struct UserFlags {
    std::string name, users;
};

#ifdef CB_HAVE_SERVE

// "HOST:PORT" or "[V6]:PORT"; false when it is not.
bool split_listen(const std::string& s, std::string* host, int* port) {
    const std::size_t colon = s.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == s.size() || s.size() - colon > 6) return false;
    *host = s.substr(0, colon);
    if (host->front() == '[' && host->back() == ']') *host = host->substr(1, host->size() - 2);
    int p = 0;
    for (char c : s.substr(colon + 1)) {
        if (c < '0' || c > '9') return false;
        p = p * 10 + (c - '0');
    }
    *port = p;
    return p <= 65535;
}

int run_serve(const ServeFlags& f) {
    serve::ServeOptions opt;
    opt.out_dir = f.out_dir;
    opt.threads = f.threads;
    opt.tty_dirs = f.tty_dirs;
    opt.check_every = std::chrono::milliseconds(static_cast<long>(f.check_every * 1000));
    if (const char* tmp = std::getenv("TMPDIR"); tmp && *tmp) opt.tmp_dir = tmp;
    if (!f.tmp_dir.empty()) opt.tmp_dir = f.tmp_dir;
    opt.idle_expiry = std::chrono::seconds(f.idle_expiry);
    opt.absolute_expiry = std::chrono::seconds(f.absolute_expiry);
    opt.max_failures = f.max_failures;
    if (!split_listen(f.listen, &opt.host, &opt.port)) {
        std::fprintf(stderr, "cowrie-batch serve: --listen wants HOST:PORT, e.g. 127.0.0.1:8080\n");
        return kExitUsage;
    }
    if (f.tls_cert.empty() != f.tls_key.empty()) {
        std::fprintf(stderr, "cowrie-batch serve: --tls-cert and --tls-key go together\n");
        return kExitUsage;
    }
    opt.tls_cert = f.tls_cert;
    opt.tls_key = f.tls_key;
    if (!serve::is_loopback(opt.host) && opt.tls_cert.empty() && !f.insecure_http) {
        std::fprintf(stderr,
                     "cowrie-batch serve: refusing to serve %s without TLS: logins and attacker data would cross the "
                     "network in clear. Give --tls-cert and --tls-key, or --insecure-http if something else "
                     "encrypts the traffic\n",
                     opt.host.c_str());
        return kExitUsage;
    }
    serve::Users users;
    std::string err;
    if (!serve::Users::load(f.users, false, &users, &err)) {
        std::fprintf(stderr, "cowrie-batch serve: %s\n", err.c_str());
        return kExitUsage;
    }
    if (users.empty()) {
        std::fprintf(stderr,
                     "cowrie-batch serve: %s holds no user: add one with cowrie-batch user add NAME --users %s\n",
                     f.users.c_str(), f.users.c_str());
        return kExitUsage;
    }
    // SIGINT and SIGTERM stop the server from a thread of their own (blocked in every other).
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    serve::Server server(opt, std::move(users));
    std::thread watcher([&] {
        int sig = 0;
        sigwait(&stop_signals, &sig);
        if (sig != 0) server.stop();
    });
    const std::string scheme = opt.tls_cert.empty() ? "http" : "https";
    err = server.run([&](int port) {
        std::fprintf(stderr, "cowrie-batch serve: %s on %s://%s:%d/ (Ctrl-C stops)\n", f.out_dir.c_str(),
                     scheme.c_str(), opt.host.c_str(), port);
        std::fflush(stderr);
    });
    if (!err.empty()) {
        std::fprintf(stderr, "cowrie-batch serve: %s\n", err.c_str());
        pthread_kill(watcher.native_handle(), SIGTERM);
        watcher.join();
        return kExitFatal;
    }
    watcher.join();
    std::fprintf(stderr, "cowrie-batch serve: stopped\n");
    return kExitClean;
}

// One line from the terminal without echo, or from stdin when it is not a terminal.
bool read_password(const char* prompt, std::string* out) {
    const bool tty = ::isatty(STDIN_FILENO);
    termios old{};
    if (tty) {
        std::fprintf(stderr, "%s", prompt);
        std::fflush(stderr);
        ::tcgetattr(STDIN_FILENO, &old);
        termios quiet = old;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    const bool got = static_cast<bool>(std::getline(std::cin, *out));
    if (tty) {
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        std::fprintf(stderr, "\n");
    }
    if (!out->empty() && out->back() == '\r') out->pop_back();
    return got;
}

// Reads the users file into *users; prints why not.
bool load_users(const UserFlags& f, bool missing_ok, serve::Users* users) {
    std::string err;
    if (serve::Users::load(f.users, missing_ok, users, &err)) return true;
    std::fprintf(stderr, "cowrie-batch user: %s\n", err.c_str());
    return false;
}

// Writes the users file; the exit code.
int save_users(const UserFlags& f, const serve::Users& users) {
    if (const std::string err = users.save(f.users); !err.empty()) {
        std::fprintf(stderr, "cowrie-batch user: %s\n", err.c_str());
        return kExitFatal;
    }
    return kExitClean;
}

int user_add(const UserFlags& f) {
    serve::Users users;
    std::string err;
    if (!load_users(f, true, &users)) return kExitUsage;
    std::string pw, again;
    if (!read_password("Password: ", &pw)) {
        std::fprintf(stderr, "cowrie-batch user: no password given (a line on stdin, or typed at the terminal)\n");
        return kExitUsage;
    }
    if (::isatty(STDIN_FILENO) && (!read_password("Again: ", &again) || again != pw)) {
        std::fprintf(stderr, "cowrie-batch user: the passwords differ\n");
        return kExitUsage;
    }
    const bool added = users.add(f.name, pw, &err);
    explicit_bzero(pw.data(), pw.size());
    explicit_bzero(again.data(), again.size());
    if (!added) {
        std::fprintf(stderr, "cowrie-batch user: %s\n", err.c_str());
        return kExitUsage;
    }
    if (const int rc = save_users(f, users)) return rc;
    std::fprintf(stderr, "cowrie-batch user: added %s to %s\n", f.name.c_str(), f.users.c_str());
    return kExitClean;
}

int user_del(const UserFlags& f) {
    serve::Users users;
    if (!load_users(f, false, &users)) return kExitUsage;
    if (!users.remove(f.name)) {
        std::fprintf(stderr, "cowrie-batch user: no user %s in %s\n", f.name.c_str(), f.users.c_str());
        return kExitUsage;
    }
    return save_users(f, users);
}

int user_list(const UserFlags& f) {
    serve::Users users;
    if (!load_users(f, false, &users)) return kExitUsage;
    for (const auto& n : users.names()) std::printf("%s\n", n.c_str());
    return kExitClean;
}

#else

int not_built() {
    std::fprintf(stderr, "cowrie-batch: this build has no serve (the static build for Hadoop nodes leaves it out)\n");
    return kExitUsage;
}
int run_serve(const ServeFlags&) { return not_built(); }
int user_add(const UserFlags&) { return not_built(); }
int user_del(const UserFlags&) { return not_built(); }
int user_list(const UserFlags&) { return not_built(); }

#endif

}  // namespace

void add_serve_commands(CLI::App& app, int* exit_code) {
    auto f = std::make_shared<ServeFlags>();
    CLI::App* cmd = app.add_subcommand("serve", "Serve an OUTDIR to a team: search every session, behind logins");
    cmd->footer(
        "Deny by default: without a login every route answers 401 (API) or a redirect to /login, with no data.\n"
        "Users come from --users FILE (cowrie-batch user add NAME --users FILE). Listens on 127.0.0.1 unless told\n"
        "otherwise; another address needs TLS (--tls-cert, --tls-key) or --insecure-http. SIGINT/SIGTERM stop it.\n"
        "API and security: docs/SERVE.md. Exit codes: 0 stopped by a signal; 2 usage; 3 could not serve.");
    cmd->add_option("outdir", f->out_dir, "An OUTDIR written by cowrie-batch analyze (its cowrie.sqlite is served)")
        ->required();
    cmd->add_option("--users", f->users, "The users file (cowrie-batch user add)")->required();
    cmd->add_option("--listen", f->listen, "HOST:PORT to listen on (PORT 0: any free port, printed)")
        ->capture_default_str();
    cmd->add_option("--tls-cert", f->tls_cert, "PEM certificate (chain) for HTTPS");
    cmd->add_option("--tls-key", f->tls_key, "PEM private key for HTTPS");
    cmd->add_flag("--insecure-http", f->insecure_http, "Allow plain HTTP on an address other than loopback");
    cmd->add_option("--tty-dir", f->tty_dirs,
                    "Folder of TTY recordings (Cowrie's var/lib/cowrie/tty; repeat for several sensors): the "
                    "session page plays them")
        ->check(CLI::ExistingDirectory);
    cmd->add_option("--tmp-dir", f->tmp_dir,
                    "Where the search index is built at start, removed at the end (default: $TMPDIR or /tmp)");
    cmd->add_option("--check-every", f->check_every,
                    "Seconds between looks at OUTDIR: when a new analyze has replaced it, serve moves to it")
        ->capture_default_str()
        ->check(CLI::Range(0.1, 86400.0));
    cmd->add_option("--idle-expiry", f->idle_expiry, "Seconds without a request after which a login ends")
        ->capture_default_str()
        ->check(CLI::Range(1L, 31L * 86400));
    cmd->add_option("--absolute-expiry", f->absolute_expiry, "Seconds after which a login ends, however active")
        ->capture_default_str()
        ->check(CLI::Range(1L, 366L * 86400));
    cmd->add_option("--max-failures", f->max_failures,
                    "Failed logins per address and per user in 15 minutes before further tries wait (429)")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000));
    cmd->add_option("-t,--threads", f->threads, "Request worker threads")
        ->capture_default_str()
        ->check(CLI::Range(2u, 4096u));
    cmd->callback([f, exit_code] { *exit_code = run_serve(*f); });

    CLI::App* user = app.add_subcommand("user", "Add, remove or list the users of cowrie-batch serve");
    user->require_subcommand(1);
    auto u = std::make_shared<UserFlags>();
    CLI::App* add = user->add_subcommand(
        "add", "Add a user: the password is typed twice at the terminal, or read as one line from stdin");
    CLI::App* del = user->add_subcommand("del", "Remove a user (their open sessions end when serve restarts)");
    CLI::App* list = user->add_subcommand("list", "List the users");
    for (CLI::App* c : {add, del}) c->add_option("name", u->name, "User name (letters, digits, . _ @ -)")->required();
    for (CLI::App* c : {add, del, list})
        c->add_option("--users", u->users, "The users file (created by add; mode 0600)")->required();
    add->callback([u, exit_code] { *exit_code = user_add(*u); });
    del->callback([u, exit_code] { *exit_code = user_del(*u); });
    list->callback([u, exit_code] { *exit_code = user_list(*u); });
}

}  // namespace cb::cli
