// `cowrie-batch serve OUTDIR`: the team's web application over an OUTDIR's cowrie.sqlite
// (issue 14), on cpp-httplib. Deny by default: every route but the login page answers 401 (API)
// or a redirect to /login (pages) without a logged-in session, and returns no data. Read-only:
// the database is opened with mode=ro and query_only. docs/SERVE.md describes it.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cb/serve/users.hpp"

namespace cb::serve {

struct ServeOptions {
    std::string out_dir;           // an OUTDIR of analyze (its cowrie.sqlite is served)
    std::string tmp_dir = "/tmp";  // where the search index is built (removed at the end)
    // Folders holding the sensors' TTY recordings (Cowrie's var/lib/cowrie/tty): a session's
    // recording is the file of its logged name in the first of them that has it.
    std::vector<std::string> tty_dirs;
    std::string host = "127.0.0.1";
    int port = 8080;                // 0: any free port (printed)
    std::string tls_cert, tls_key;  // both or neither: HTTPS
    bool insecure_http = false;     // allow plain HTTP on an address other than loopback
    unsigned threads = 256;         // request workers: each connection being served holds one
    std::chrono::seconds idle_expiry{30 * 60}, absolute_expiry{12 * 3600};
    // How often serve looks whether analyze swapped in a new OUTDIR (then it serves that).
    std::chrono::milliseconds check_every{10'000};
    int max_failures = 5;  // failed logins per address and per user within failure_window
    std::chrono::seconds failure_window{15 * 60};
};

// True for 127.0.0.0/8, ::1 and localhost.
bool is_loopback(const std::string& host);

// Serves until stop() is called (from another thread, e.g. on SIGTERM). `ready(port)` is called
// once listening. Returns "" after a clean stop, else what went wrong (the port taken, a bad
// certificate, no cowrie.sqlite in OUTDIR).
class Server {
public:
    Server(ServeOptions opt, Users users);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;
    std::string run(const std::function<void(int port)>& ready);
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace cb::serve
