#include "cb/serve/server.hpp"

#include <arpa/inet.h>
#include <httplib.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <semaphore>
#include <thread>
#include <vector>

#include "assets.hpp"
#include "auth.hpp"
#include "cb/input/limits.hpp"
#include "cb/tty/tty_replay.hpp"
#include "cb/util/json_writer.hpp"
#include "generation.hpp"
#include "session_db.hpp"

namespace cb::serve {

namespace {

constexpr const char* kCookie = "cb_session";
constexpr std::size_t kMaxBody = 16 * 1024;  // a login form; more is refused with 413
constexpr std::int64_t kMaxLimit = 500;

// Sent with every response: no script but our own file, no framing, no sniffing, no referrer.
httplib::Headers security_headers() {
    return {
        {"Content-Security-Policy",
         "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
         "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"},
        {"X-Content-Type-Options", "nosniff"},
        {"X-Frame-Options", "DENY"},
        {"Referrer-Policy", "no-referrer"},
        {"Cache-Control", "no-store"},
        {"Cross-Origin-Opener-Policy", "same-origin"},
        {"Cross-Origin-Resource-Policy", "same-origin"},
    };
}

// The value of cookie `name` in the request's Cookie header, or "".
std::string cookie(const httplib::Request& req, const std::string& name) {
    const std::string all = req.get_header_value("Cookie");
    std::size_t i = 0;
    while (i < all.size()) {
        std::size_t j = all.find(';', i);
        if (j == std::string::npos) j = all.size();
        std::size_t b = i;
        while (b < j && all[b] == ' ') ++b;
        if (all.compare(b, name.size() + 1, name + "=") == 0)
            return all.substr(b + name.size() + 1, j - b - name.size() - 1);
        i = j + 1;
    }
    return {};
}

std::string json_error(std::string_view message) {
    std::string out;
    JsonWriter w(out);
    w.begin_object().field("error", message).end_object();
    return out;
}

// Answers status with {"error": message}.
void fail(httplib::Response& res, int status, std::string_view message) {
    res.status = status;
    res.set_content(json_error(message), "application/json");
}

// A whole number from a query parameter within [lo, hi], or nullopt.
std::optional<std::int64_t> number(const httplib::Request& req, const char* name, std::int64_t dflt, std::int64_t lo,
                                   std::int64_t hi) {
    if (!req.has_param(name)) return dflt;
    const std::string v = req.get_param_value(name);
    if (v.empty() || v.size() > 12) return std::nullopt;
    std::int64_t n = 0;
    for (char c : v) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + (c - '0');
    }
    if (n < lo || n > hi) return std::nullopt;
    return n;
}

}  // namespace

bool is_loopback(const std::string& host) {
    if (host == "localhost" || host == "::1" || host == "[::1]") return true;
    in_addr a{};
    return ::inet_pton(AF_INET, host.c_str(), &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

struct Server::Impl {
    Impl(ServeOptions o, Users u)
        : opt(std::move(o)),
          users(std::move(u)),
          sessions(opt.idle_expiry, opt.absolute_expiry),
          limiter(opt.max_failures, opt.failure_window) {}

    ServeOptions opt;
    Users users;
    SessionStore sessions;
    LoginLimiter limiter;
    std::mutex http_mu;  // http and stopping, between run() and stop() (a signal's thread)
    std::unique_ptr<httplib::Server> http;
    bool stopping = false;
    std::mutex log_mu;
    std::counting_semaphore<2> password_checks{2};
    std::mutex gen_mu;                // gen, between requests and the watcher
    std::shared_ptr<Generation> gen;  // the OUTDIR being served
    std::mutex watch_mu;              // stop_watching, between stop() and the watcher
    std::condition_variable watch_cv;
    bool stop_watching = false;

    void say(const std::string& line) {
        std::lock_guard lock(log_mu);
        std::fprintf(stderr, "cowrie-batch serve: %s\n", line.c_str());
        std::fflush(stderr);
    }

    // Makes the generation of OUTDIR as it is now; nullptr with *err.
    std::shared_ptr<Generation> make_generation(std::string* err) {
        double secs = 0;
        auto g = Generation::make(opt.out_dir, opt.tmp_dir,
                                  std::clamp<std::size_t>(2 * std::thread::hardware_concurrency(), 2, 16), err, &secs);
        if (g) say("search index built in " + format_number(secs, 2) + " s");
        return g;
    }

    // A connection of the generation being served.
    Generation::Lease acquire() {
        std::shared_ptr<Generation> g;
        {
            std::lock_guard lock(gen_mu);
            g = gen;
        }
        return g->acquire();
    }

    // Every opt.check_every, whether analyze swapped in a new OUTDIR; if so, serves it from then on.
    void watch() {
        std::unique_lock lock(watch_mu);
        while (!watch_cv.wait_for(lock, opt.check_every, [&] { return stop_watching; })) {
            lock.unlock();
            std::shared_ptr<Generation> old;
            {
                std::lock_guard g(gen_mu);
                old = gen;
            }
            if (old->replaced()) {
                std::string err;
                if (auto next = make_generation(&err)) {
                    std::lock_guard g(gen_mu);
                    gen = std::move(next);
                    say("OUTDIR changed: serving the new outputs");
                } else {
                    say("OUTDIR changed but cannot be served (" + err + "); still serving the earlier outputs");
                }
            }
            lock.lock();
        }
    }

    bool tls() const { return !opt.tls_cert.empty(); }

    // One line per login, logout and failure on stderr; names that are not valid user names
    // (anything typed into the form) are not printed.
    void audit(const char* what, const std::string& user, const httplib::Request& req) {
        say(std::string(what) + " user=" + (valid_user_name(user) ? user : "(not a user name)") +
            " addr=" + req.remote_addr);
    }

    // The request's login session, or nullopt.
    std::optional<LoginSession> login_of(const httplib::Request& req) {
        const std::string id = cookie(req, kCookie);
        if (id.size() != 64) return std::nullopt;
        return sessions.find(id);
    }

    // A state-changing request from another site is refused: browsers say where a request comes
    // from in Sec-Fetch-Site, and in Origin (sent as "null" by a page under Referrer-Policy:
    // no-referrer, like ours); clients that send neither (curl) are not browsers a site can drive.
    static bool same_origin(const httplib::Request& req) {
        const std::string site = req.get_header_value("Sec-Fetch-Site");
        if (site == "cross-site" || site == "same-site") return false;
        const std::string origin = req.get_header_value("Origin");
        if (origin.empty() || (origin == "null" && site == "same-origin")) return true;
        const std::string host = req.get_header_value("Host");
        return origin == "http://" + host || origin == "https://" + host;
    }

    static void page(httplib::Response& res, std::string_view name, const char* type) {
        res.set_content(std::string(asset(name)), type);
    }

    void login_page(httplib::Response& res, const char* message) {
        std::string html(asset("login.html"));
        if (message)
            html.replace(html.find("<!--message-->"), 14, std::string("<p class=\"message\">") + message + "</p>");
        res.set_content(html, "text/html; charset=utf-8");
    }

    void post_login(const httplib::Request& req, httplib::Response& res) {
        const std::string user = req.get_param_value("username"), password = req.get_param_value("password");
        if (!same_origin(req)) {
            res.status = 403;
            return;
        }
        if (const long wait = limiter.retry_after(req.remote_addr, user); wait > 0) {
            audit("login refused (too many failures)", user, req);
            res.status = 429;
            res.set_header("Retry-After", std::to_string(wait));
            login_page(res, "Too many failed logins: wait and try again.");
            return;
        }
        bool verified = false;
        {
            // Each Argon2id check takes 64 MiB for a moment: a few at a time bound serve's memory
            // (20 logins at once would take 1.3 GiB) and the CPU a password guesser can take.
            password_checks.acquire();
            verified = users.verify(user, password);
            password_checks.release();
        }
        if (!verified) {
            limiter.failed(req.remote_addr, user);
            audit("login failed", user, req);
            res.status = 401;
            login_page(res, "Wrong user name or password.");
            return;
        }
        const std::string id = sessions.create(user);
        audit("login", user, req);
        res.set_header("Set-Cookie", std::string(kCookie) + "=" + id + "; Path=/; HttpOnly; SameSite=Strict" +
                                         (tls() ? "; Secure" : ""));
        res.set_redirect("/", 303);
    }

    void post_logout(const httplib::Request& req, httplib::Response& res, const LoginSession& s) {
        const std::string token =
            req.has_param("csrf") ? req.get_param_value("csrf") : req.get_header_value("X-CSRF-Token");
        if (!same_origin(req) || !same_secret(token, s.csrf)) {
            fail(res, 403, "missing or wrong CSRF token");
            return;
        }
        sessions.remove(cookie(req, kCookie));
        audit("logout", s.user, req);
        res.set_header("Set-Cookie", std::string(kCookie) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
        res.set_redirect("/login", 303);
    }

    void api_sessions(const httplib::Request& req, httplib::Response& res) {
        const auto limit = number(req, "limit", 50, 1, kMaxLimit);
        const auto offset = number(req, "offset", 0, 0, std::int64_t{1} << 40);
        const std::string q = req.get_param_value("q");
        SearchFilters f;
        bool filters_ok = true;
        for (const auto& [name, value] : {std::pair{"sensor", &f.sensor},
                                          {"from", &f.from},
                                          {"to", &f.to},
                                          {"channel", &f.channel},
                                          {"end_kind", &f.end_kind},
                                          {"campaign", &f.campaign}}) {
            *value = req.get_param_value(name);
            filters_ok = filters_ok && value->size() <= 4096 && value->find('\0') == std::string::npos;
        }
        if (!limit || !offset || !filters_ok || q.size() > 4096 || q.find('\0') != std::string::npos) {
            fail(res, 400,
                 "limit is 1 to 500, offset 0 or more, q and the filters at most 4096 bytes "
                 "without NUL");
            return;
        }
        const Generation::Lease lease = acquire();
        SessionDb* d = lease.get();
        if (!d) {
            fail(res, 503, "the database cannot be read");
            return;
        }
        if (!f.campaign.empty() && !d->has_campaigns()) {
            fail(res, 400, "this OUTDIR has no campaigns (analyze ran with --no-analyses)");
            return;
        }
        res.set_content(d->search(q, f, *limit, *offset), "application/json");
    }

    // The session a request names: SENSOR/SESSION in the path, or ?sensor=&session= for any
    // strings (a sensor named with a '/' or empty).
    static std::pair<std::string, std::string> session_key(const httplib::Request& req) {
        if (req.matches.size() >= 3) return {req.matches[1], req.matches[2]};
        return {req.get_param_value("sensor"), req.get_param_value("session")};
    }

    void api_session(const httplib::Request& req, httplib::Response& res) {
        const Generation::Lease lease = acquire();
        SessionDb* d = lease.get();
        const auto [sensor, session] = session_key(req);
        std::optional<std::string> rec = d ? d->session(sensor, session) : std::nullopt;
        if (!rec) {
            fail(res, 404, "no such session");
            return;
        }
        res.set_content(*rec, "application/json");
    }

    void api_tables(httplib::Response& res) {
        const Generation::Lease lease = acquire();
        SessionDb* d = lease.get();
        if (!d) {
            fail(res, 503, "the database cannot be read");
            return;
        }
        res.set_content(d->tables(), "application/json");
    }

    void api_table(const httplib::Request& req, httplib::Response& res) {
        const auto limit = number(req, "limit", 1000, 1, std::int64_t{1} << 40);
        const auto offset = number(req, "offset", 0, 0, std::int64_t{1} << 40);
        const std::string format = req.has_param("format") ? req.get_param_value("format") : "json";
        if (!limit || !offset || (format != "json" && format != "csv")) {
            fail(res, 400, "limit 1 or more, offset 0 or more, format json or csv");
            return;
        }
        const Generation::Lease lease = acquire();
        SessionDb* d = lease.get();
        const std::string name = req.matches[1];
        std::optional<std::string> body = d ? d->table(name, *limit, *offset, format == "csv") : std::nullopt;
        if (!body) {
            fail(res, 404, "no such table");
            return;
        }
        if (format == "csv") {
            res.set_header("Content-Disposition", "attachment; filename=\"" + name + ".csv\"");
            res.set_content(*body, "text/csv; charset=utf-8");
        } else {
            res.set_content(*body, "application/json");
        }
    }

    // A recording's logged name, when it is a plain file name (no folder, no leading dot):
    // only such names are looked up in --tty-dir, so a log cannot point serve elsewhere.
    static bool plain_file_name(const std::string& n) {
        return !n.empty() && n.size() <= 255 && n[0] != '.' && std::all_of(n.begin(), n.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
        });
    }

    // GET /api/sessions/SENSOR/SESSION/tty: the session's recordings as the player shows them.
    void api_tty(const httplib::Request& req, httplib::Response& res) {
        const Generation::Lease lease = acquire();
        const auto [sensor, session] = session_key(req);
        const std::vector<std::string> names =
            lease.get() ? lease.get()->tty_names(sensor, session) : std::vector<std::string>();
        std::string out;
        JsonWriter w(out);
        w.begin_object().key("recordings").begin_array();
        std::size_t found = 0;
        for (const std::string& name : names) {
            if (!plain_file_name(name)) continue;
            for (const std::string& dir : opt.tty_dirs) {
                const std::string file = dir + "/" + name;
                struct stat st {};
                if (::stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
                TtyReplayCaps caps;
                caps.max_recording_bytes = Limits::kDefaultMaxRecordingBytes;  // as analyze reads recordings
                const TtyReplay r = read_tty_replay(file, caps);
                w.begin_object().field("name", r.name).field("duration_s", r.duration_s).field("cut", r.cut);
                w.field("status", tty_status_name(r.status)).key("events").begin_array();
                for (const TtyReplayEvent& e : r.events)
                    w.begin_object().field("ms", e.ms).field("text", e.text).end_object();
                w.end_array().end_object();
                ++found;
                break;
            }
        }
        w.end_array().end_object();
        if (found == 0) {
            fail(res, 404, opt.tty_dirs.empty() ? "no --tty-dir given" : "no recording found");
            return;
        }
        res.set_content(out, "application/json");
    }

    // GET /report: OUTDIR's report.html, under the page's own Content-Security-Policy (its meta
    // tag's: the hashes of its one inline script and style), plus frame-ancestors 'none'.
    void report(httplib::Response& res) {
        std::ifstream in(opt.out_dir + "/report.html", std::ios::binary);
        std::string html((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const std::string tag = "<meta http-equiv=\"Content-Security-Policy\" content=\"";
        const std::size_t at = html.find(tag);
        const std::size_t end = at == std::string::npos ? at : html.find('"', at + tag.size());
        if (html.empty() || end == std::string::npos) {
            fail(res, 404, "this OUTDIR has no report.html");
            return;
        }
        res.headers.erase("Content-Security-Policy");
        res.set_header("Content-Security-Policy",
                       html.substr(at + tag.size(), end - at - tag.size()) + "; frame-ancestors 'none'");
        // The page then links a session it does not embed to serve's page of it.
        if (const std::size_t close = html.find('>', end); close != std::string::npos)
            html.insert(close + 1, "\n<meta name=\"cb-serve\" content=\"1\">");
        res.set_content(html, "text/html; charset=utf-8");
    }

    void api_me(httplib::Response& res, const LoginSession& s) {
        std::string out;
        JsonWriter w(out);
        w.begin_object().field("user", s.user).field("csrf", s.csrf).end_object();
        res.set_content(out, "application/json");
    }

    // A route that needs the login session itself; gate() let the request through, but the
    // session may have ended since (a logout on another connection).
    template <class Fn>
    void with_login(const httplib::Request& req, httplib::Response& res, Fn&& fn) {
        if (const std::optional<LoginSession> s = login_of(req)) return fn(*s);
        fail(res, 401, "login required");
    }

    // Deny by default: only the login page, its form and its style sheet are open.
    httplib::Server::HandlerResponse gate(const httplib::Request& req, httplib::Response& res) {
        const bool open = req.path == "/login" || (req.method == "GET" && req.path == "/static/app.css");
        if (open) return httplib::Server::HandlerResponse::Unhandled;
        if (!login_of(req)) {
            if (req.path.rfind("/api/", 0) == 0) {
                fail(res, 401, "login required");
            } else {
                res.set_redirect("/login", 303);
            }
            return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;  // the routes below (bodies are read after this)
    }

    void routes(httplib::Server& svr) {
        svr.set_default_headers(security_headers());
        svr.set_payload_max_length(kMaxBody);
        svr.set_read_timeout(5, 0);
        svr.set_write_timeout(10, 0);
        svr.set_keep_alive_timeout(5);
        svr.set_tcp_nodelay(true);  // headers and body go out at once, not 40 ms apart (Nagle)
        svr.set_keep_alive_max_count(100);
        const unsigned n = std::max(2u, opt.threads);
        svr.new_task_queue = [n] { return new httplib::ThreadPool(n); };
        svr.set_pre_routing_handler([this](const auto& req, auto& res) { return gate(req, res); });
        svr.set_exception_handler([](const auto&, auto& res, std::exception_ptr) { fail(res, 500, "internal error"); });
        svr.Get("/login", [this](const auto&, auto& res) { login_page(res, nullptr); });
        svr.Post("/login", [this](const auto& req, auto& res) { post_login(req, res); });
        svr.Get("/", [](const auto&, auto& res) { page(res, "app.html", "text/html; charset=utf-8"); });
        svr.Get("/static/app.js",
                [](const auto&, auto& res) { page(res, "app.js", "text/javascript; charset=utf-8"); });
        svr.Get("/static/app.css", [](const auto&, auto& res) { page(res, "app.css", "text/css; charset=utf-8"); });
        svr.Post("/logout", [this](const auto& req, auto& res) {
            with_login(req, res, [&](const LoginSession& s) { post_logout(req, res, s); });
        });
        svr.Get("/api/me", [this](const auto& req, auto& res) {
            with_login(req, res, [&](const LoginSession& s) { api_me(res, s); });
        });
        svr.Get("/api/sessions", [this](const auto& req, auto& res) { api_sessions(req, res); });
        svr.Get("/report", [this](const auto&, auto& res) { report(res); });
        svr.Get("/api/tables", [this](const auto&, auto& res) { api_tables(res); });
        svr.Get(R"(/api/tables/([a-z0-9_]{1,64}))", [this](const auto& req, auto& res) { api_table(req, res); });
        svr.Get(R"(/api/sessions/([^/]+)/([^/]+)/tty)", [this](const auto& req, auto& res) { api_tty(req, res); });
        svr.Get("/api/session/tty", [this](const auto& req, auto& res) { api_tty(req, res); });
        svr.Get("/api/session", [this](const auto& req, auto& res) { api_session(req, res); });
        svr.Get(R"(/api/sessions/([^/]+)/([^/]+))", [this](const auto& req, auto& res) { api_session(req, res); });
    }
};

Server::Server(ServeOptions opt, Users users) : impl_(std::make_unique<Impl>(std::move(opt), std::move(users))) {}

Server::~Server() = default;

std::string Server::run(const std::function<void(int port)>& ready) {
    Impl& m = *impl_;
    std::string err;
    if (m.gen = m.make_generation(&err); !m.gen) return err;
    std::unique_ptr<httplib::Server> http;
    if (m.tls()) {
        auto s = std::make_unique<httplib::SSLServer>(m.opt.tls_cert.c_str(), m.opt.tls_key.c_str());
        if (!s->is_valid()) return "cannot use the TLS certificate " + m.opt.tls_cert + " with key " + m.opt.tls_key;
        http = std::move(s);
    } else {
        http = std::make_unique<httplib::Server>();
    }
    m.routes(*http);
    {
        std::lock_guard lock(m.http_mu);
        if (m.stopping) return {};
        m.http = std::move(http);
    }
    int port = m.opt.port;
    if (port == 0)
        port = m.http->bind_to_any_port(m.opt.host);
    else if (!m.http->bind_to_port(m.opt.host, port))
        port = -1;
    if (port < 0)
        return "cannot listen on " + m.opt.host + ":" + std::to_string(m.opt.port) + " (in use, or no such address)";
    ready(port);
    std::thread watcher([&m] { m.watch(); });
    m.http->listen_after_bind();
    {
        std::lock_guard lock(m.watch_mu);
        m.stop_watching = true;
    }
    m.watch_cv.notify_all();
    watcher.join();
    return {};
}

void Server::stop() {
    std::lock_guard lock(impl_->http_mu);
    impl_->stopping = true;
    if (impl_->http) impl_->http->stop();
}

}  // namespace cb::serve
