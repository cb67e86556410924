"""`cowrie-batch serve`: the web application over an OUTDIR, deny by default (issue 14).

A real server on 127.0.0.1 (a free port) over the OUTDIR of the project's own recorded logs,
with a users file made by `cowrie-batch user add`. Every route without a login answers 401 (API)
or a redirect to /login, with no data; a login sets an HttpOnly, SameSite=Strict cookie; the
search answers what an independent Python reading of sessions.jsonl says it must (address,
CIDR, session id, user name, password, command text, URL, hash); SQL and LIKE metacharacters,
NUL and 10 kB strings never give a 500 or more rows; paths that try to leave the routes are 404;
oversized requests are refused; failed logins are rate-limited (429 with Retry-After); logout
needs the CSRF token; an idle login expires; non-loopback addresses without TLS are refused; HTTPS
works with a certificate made here; SIGTERM stops the server cleanly.
"""

import http.client
import ipaddress
import json
import os
import random
import signal
import socket
import ssl
import subprocess
import time
import unicodedata
import urllib.parse
from pathlib import Path

import pytest

import cbtest

PASSWORD = "correct horse battery staple"
SECURITY_HEADERS = {
    "Content-Security-Policy": "script-src 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@pytest.fixture(scope="module")
def outdir(cb_bin, tmp_path_factory) -> cbtest.Result:
    root = tmp_path_factory.mktemp("serve")
    res = cbtest.analyze(cb_bin, [cbtest.REPO / "examples/logs", cbtest.REPO / "tests/data/multi-sensor"], root / "out")
    assert res.rc in (0, 1), res.explain()
    return res


def add_user(cb_bin, users: Path, name: str, password: str) -> subprocess.CompletedProcess:
    return cbtest.run_cb(cb_bin, "user", "add", name, "--users", users, stdin=(password + "\n").encode())


class Server:
    def __init__(self, cb_bin, out: Path, users: Path, *extra, tls=None):
        args = [str(cb_bin), "serve", str(out), "--users", str(users), "--listen", "127.0.0.1:0", *map(str, extra)]
        if tls:
            args += ["--tls-cert", str(tls[0]), "--tls-key", str(tls[1])]
        self.tls = bool(tls)
        self.proc = subprocess.Popen(args, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        self.start_log = ""
        while True:  # the search index is built first, then the address is printed
            line = self.proc.stderr.readline()
            self.start_log += line
            if "127.0.0.1:" in line or not line:
                break
        if "127.0.0.1:" not in line:
            self.proc.kill()
            raise AssertionError("serve did not start: " + self.start_log + self.proc.stderr.read())
        assert "search index built" in self.start_log, self.start_log
        self.port = int(line.split("127.0.0.1:")[1].split("/")[0])
        self.cookie = ""

    def conn(self):
        if self.tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=30, context=ctx)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def request(self, method, path, body=None, headers=None, cookie=True):
        c = self.conn()
        h = dict(headers or {})
        if cookie and self.cookie:
            h["Cookie"] = self.cookie
        if isinstance(body, dict):
            body = urllib.parse.urlencode(body)
            h["Content-Type"] = "application/x-www-form-urlencoded"
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r, data

    def login(self, user="alice", password=PASSWORD):
        r, _ = self.request("POST", "/login", {"username": user, "password": password}, cookie=False)
        if r.status == 303:
            self.cookie = r.getheader("Set-Cookie").split(";")[0]
        return r

    def get_json(self, path):
        r, data = self.request("GET", path)
        assert r.status == 200, (path, r.status, data[:200])
        return json.loads(data)

    def stop(self) -> tuple:
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=30)
        return rc, self.proc.stderr.read()


@pytest.fixture(scope="module")
def users(cb_bin, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("users") / "users"
    r = add_user(cb_bin, path, "alice", PASSWORD)
    assert r.returncode == 0, r.stderr
    return path


@pytest.fixture(scope="module")
def server(cb_bin, outdir, users):
    tty = [cbtest.REPO / "examples/logs/tty", *sorted((cbtest.REPO / "tests/data/multi-sensor").glob("*/tty"))]
    s = Server(cb_bin, outdir.out, users, *[a for d in tty for a in ("--tty-dir", d)])
    yield s
    rc, err = s.stop()
    assert rc == 0 and "stopped" in err, err


def assert_secure_headers(r):
    for name, part in SECURITY_HEADERS.items():
        assert part in (r.getheader(name) or ""), (name, r.getheaders())


def test_every_route_needs_a_login_and_gives_no_data(server):
    for method, path in [("GET", "/"), ("GET", "/static/app.js"), ("GET", "/api/sessions"), ("GET", "/api/me"),
                         ("GET", "/api/tables"), ("GET", "/api/tables/credentials?format=csv"), ("GET", "/report"),
                         ("GET", "/api/sessions?q=127.0.0.1"), ("GET", "/api/sessions/a/b"), ("GET", "/nothing"),
                         ("GET", "/../../etc/passwd"), ("POST", "/logout"), ("GET", "/api/sessions/%2e%2e/x")]:
        r, data = server.request(method, path, cookie=False)
        assert_secure_headers(r)
        if path.startswith("/api/"):
            assert r.status == 401 and json.loads(data) == {"error": "login required"}, (path, r.status, data)
        else:
            assert r.status == 303 and r.getheader("Location") == "/login", (path, r.status)
            assert b"session" not in data
    r, data = server.request("GET", "/login", cookie=False)
    assert r.status == 200 and b'action="/login"' in data
    assert b"<script" not in data  # the login page runs no script at all
    r, _ = server.request("GET", "/api/sessions", headers={"Cookie": "cb_session=" + "0" * 64}, cookie=False)
    assert r.status == 401  # a made-up session id is no login


def fts_tokens(text: str) -> list:
    """SQLite FTS5's unicode61 words: runs of letters, digits and private-use characters, folded."""
    words, word = [], []
    for ch in text + " ":
        if unicodedata.category(ch)[0] in "LN" or unicodedata.category(ch) == "Co":
            word.append(ch)
        elif word:
            folded = unicodedata.normalize("NFD", "".join(word).lower())
            words.append("".join(c for c in folded if unicodedata.category(c) != "Mn"))
            word = []
    return words


def has_phrase(words: list, phrase: list) -> bool:
    return bool(phrase) and any(words[i:i + len(phrase)] == phrase for i in range(len(words) - len(phrase) + 1))


def expected_matches(sessions: list, q: str) -> set:
    """The search's documented semantics (docs/SERVE.md), computed from sessions.jsonl."""
    def hit(s):
        exact = [s["src_ip"], s["session"], s["sensor"], s["hassh"]]
        exact += [l.get(k) for l in s["logins"] for k in ("username", "password", "fingerprint")]
        exact += [x.get("shasum") for x in s["downloads"] + s["file_writes"] + s["uploads"]]
        if q in exact:
            return True
        if any(q in (d.get("url") or "") for d in s["downloads"]):
            return True
        lines = [c["input"] for c in s["commands"]]
        if any(ch.isascii() and ch.isalnum() for ch in q):  # words: FTS5 phrase
            return has_phrase(fts_tokens("\n".join(lines)), fts_tokens(q))
        return any(q in line for line in lines)
    return {(s["sensor"], s["session"]) for s in sessions if hit(s)}


def search_all(server, q) -> set:
    found, offset = set(), 0
    while True:
        page = server.get_json("/api/sessions?" + urllib.parse.urlencode({"q": q, "limit": 7, "offset": offset}))
        found |= {(s["sensor"], s["session"]) for s in page["sessions"]}
        offset += 7
        if offset >= page["total"]:
            assert len(found) == page["total"]
            return found


def test_login_search_open_a_session_and_log_out(server, outdir):
    r = server.login()
    assert r.status == 303 and r.getheader("Location") == "/"
    cookie = r.getheader("Set-Cookie")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and len(server.cookie.split("=")[1]) == 64
    me = server.get_json("/api/me")
    assert me["user"] == "alice" and len(me["csrf"]) == 64
    sessions = outdir.sessions
    with_commands = [s for s in sessions if s["commands"]]
    assert with_commands
    word = with_commands[0]["commands"][0]["input"].split()[0]
    queries = [sessions[0]["src_ip"], "127.0.0.0/8", sessions[-1]["session"], word, word.upper(), "root",
               with_commands[-1]["commands"][-1]["input"], "uname -a", "cat /proc", "honeypot-east"]
    downloads = [d for s in sessions for d in s["downloads"] if d.get("shasum")]
    if downloads:
        queries.append(downloads[0]["shasum"])
    for q in queries:
        want = expected_matches(sessions, q) if q != "127.0.0.0/8" else \
            {(s["sensor"], s["session"]) for s in sessions if (s["src_ip"] or "").startswith("127.")}
        assert want, q
        assert search_all(server, q) == want, q
    everything = server.get_json("/api/sessions?limit=500")
    assert everything["total"] == len(sessions)
    starts = [s["start"] for s in everything["sessions"]]
    assert starts == sorted(starts, reverse=True)  # newest first
    s = with_commands[0]
    rec = server.get_json(f"/api/sessions/{urllib.parse.quote(s['sensor'])}/{urllib.parse.quote(s['session'])}")
    assert rec["session"]["src_ip"] == s["src_ip"]
    assert [c["input"] for c in rec["commands"]] == [c["input"] for c in s["commands"]]
    assert len(rec["logins"]) == len(s["logins"])
    r, _ = server.request("GET", "/api/sessions/nope/nope")
    assert r.status == 404
    r, data = server.request("GET", "/")
    assert r.status == 200 and b'src="/static/app.js"' in data and b"<script>" not in data
    r, _ = server.request("POST", "/logout", {"csrf": "0" * 64})
    assert r.status == 403  # a wrong CSRF token logs nobody out
    r, _ = server.request("POST", "/logout", {"csrf": me["csrf"]}, headers={"Origin": "http://evil.example"})
    assert r.status == 403  # nor does another site's form
    r, _ = server.request("POST", "/logout", {"csrf": me["csrf"]}, headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status == 403
    r, _ = server.request("POST", "/logout", {"csrf": me["csrf"]},
                          headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"})  # our own page's form
    assert r.status == 303 and r.getheader("Location") == "/login"
    r, _ = server.request("GET", "/api/me")
    assert r.status == 401  # the session is gone


def test_the_report_under_its_own_policy(server, outdir):
    assert server.login().status == 303
    r, data = server.request("GET", "/report")
    # OUTDIR's page with one line more: the meta tag by which it links the sessions it does not embed to serve
    marker = b'\n<meta name="cb-serve" content="1">'
    assert r.status == 200 and data.count(marker) == 1
    assert data.replace(marker, b"") == (outdir.out / "report.html").read_bytes()
    csp = r.getheaders()
    policies = [v for k, v in csp if k.lower() == "content-security-policy"]
    assert len(policies) == 1 and "script-src 'sha256-" in policies[0] and "frame-ancestors 'none'" in policies[0]
    assert "'unsafe-inline'" not in policies[0] and "'self'" not in policies[0]


def test_every_table_as_json_and_as_the_csv_of_outdir(server, outdir):
    assert server.login().status == 303
    listed = {t["name"]: t for t in server.get_json("/api/tables")["tables"]}
    csvs = sorted(p for p in (outdir.out / "tables").glob("*.csv") if p.stem != "file_writes")  # a view
    assert len(csvs) > 20
    for path in csvs:
        name = path.stem + ("_summary" if path.stem in ("commands", "downloads") else "")
        assert name in listed, name
        r, data = server.request("GET", f"/api/tables/{name}?format=csv&limit=100000000")
        assert r.status == 200 and data == path.read_bytes(), name
        assert r.getheader("Content-Disposition") == f'attachment; filename="{name}.csv"'
        as_json = server.get_json(f"/api/tables/{name}?limit=100000000")
        assert as_json["total"] == listed[name]["rows"] == len(as_json["rows"]) == data.count(b"\r\n") - 1, name
        assert as_json["columns"] == listed[name]["columns"]
    page = server.get_json("/api/tables/credentials?limit=2&offset=1")
    assert len(page["rows"]) == 2 and page["rows"][0] == server.get_json("/api/tables/credentials")["rows"][1]
    for name in ["sessions", "logins_rows", "schema_doc", "sqlite_master", "nope", "..", "credentials.csv"]:
        r, _ = server.request("GET", f"/api/tables/{name}")
        assert r.status == 404, name
    r, _ = server.request("GET", "/api/tables/credentials?format=xml")
    assert r.status == 400
    r, _ = server.request("GET", "/api/tables/credentials", cookie=False)
    assert r.status == 401


def test_filters(server, outdir):
    assert server.login().status == 303
    sessions = outdir.sessions
    campaigns = {}
    header, *rows = outdir.csv_rows("session_campaigns")
    for row in (dict(zip(header, r)) for r in rows):
        campaigns.setdefault(row["campaign"], set()).add((row["sensor"], row["session"]))
    assert campaigns, "the test data has campaigns"
    campaign, members = max(campaigns.items(), key=lambda kv: len(kv[1]))
    days = sorted({s["start"][:10] for s in sessions})
    assert len(days) >= 3
    cases = [({"sensor": "honeypot-west"}, lambda s: s["sensor"] == "honeypot-west"),
             ({"from": days[1]}, lambda s: s["start"] >= days[1]),
             ({"to": days[1]}, lambda s: s["start"] < days[1]),
             ({"from": days[1], "to": days[2]}, lambda s: days[1] <= s["start"] < days[2]),
             ({"channel": "exec"}, lambda s: s["channel"] == "exec"),
             ({"end_kind": "disconnect"}, lambda s: s["end_kind"] == "disconnect"),
             ({"campaign": campaign}, lambda s: (s["sensor"], s["session"]) in members),
             ({"q": "uname", "channel": "shell"},
              lambda s: s["channel"] == "shell" and (s["sensor"], s["session"]) in expected_matches(sessions, "uname"))]
    for params, keep in cases:
        want = {(s["sensor"], s["session"]) for s in sessions if keep(s)}
        got = server.get_json("/api/sessions?" + urllib.parse.urlencode({**params, "limit": 500}))
        assert got["total"] == len(want) and {(x["sensor"], x["session"]) for x in got["sessions"]} == want, params
        assert want, f"{params} selects nothing in the test data"


def test_hostile_parameters_never_fail_or_widen(server, outdir):
    assert server.login().status == 303
    total = len(outdir.sessions)
    for q in ["'", '"', "*", "NEAR(", "%", "_", "' OR 1=1 --", '") OR ("1"="1', "\\", "a" * 4000, "\u202e", "%00"]:
        r, data = server.request("GET", "/api/sessions?" + urllib.parse.urlencode({"q": q}))
        assert r.status == 200, (q[:20], r.status)
        got = json.loads(data)
        assert got["total"] == len(expected_matches(outdir.sessions, q)) <= total, q[:20]
    r, _ = server.request("GET", "/api/sessions?" + urllib.parse.urlencode({"q": "a" * 10_000}))
    assert r.status == 414  # a request line over 8 KiB
    r, _ = server.request("GET", "/api/sessions?q=a%00b")
    assert r.status == 400  # NUL in a query
    for params in [{"sensor": "'; DROP TABLE sessions; --"}, {"from": "' OR 1=1"}, {"campaign": "\" OR \"\"=\""},
                   {"channel": "%"}, {"to": "\u202e"}]:
        r, data = server.request("GET", "/api/sessions?" + urllib.parse.urlencode(params))
        assert r.status == 200, params
        got = json.loads(data)["total"]
        assert got in (0, total), params  # a filter value is a value: all (to "\u202e" is after every date) or none
    for bad in ["limit=-1", "limit=0", "limit=abc", "limit=100000", "offset=-5", "offset=1e3",
                "q=" + "b" * 5000, "sensor=a%00b"]:
        r, data = server.request("GET", "/api/sessions?" + bad)
        assert r.status == 400 and b"sessions" not in data, bad
    for path in ["/static/../../etc/passwd", "/static/%2e%2e/%2e%2e/etc/passwd", "//etc/passwd",
                 "/static/app.js/../../../etc/passwd", "/api/sessions/../../etc/passwd", "/static/",
                 "/static/app.css%00.js", "/..%2f..%2fetc%2fpasswd"]:
        r, data = server.request("GET", path)
        assert r.status in (400, 404), (path, r.status)
        assert b"root:" not in data


def test_a_login_from_another_site_is_refused(server):
    for headers in ({"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"},
                    {"Origin": "null", "Sec-Fetch-Site": "same-site"}):
        r, _ = server.request("POST", "/login", {"username": "alice", "password": PASSWORD}, headers=headers,
                              cookie=False)
        assert r.status == 403 and r.getheader("Set-Cookie") is None, headers


def test_idle_connections_do_not_stop_service(server):
    idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(200)]
    try:
        t0 = time.monotonic()
        r, data = server.request("GET", "/login", cookie=False)
        assert r.status == 200 and b"/login" in data
        assert time.monotonic() - t0 < 2, "a request waited behind idle connections"
    finally:
        for s in idle:
            s.close()


def test_generated_queries_answer_what_the_reference_says(server, outdir):
    """300 queries built from FTS5 and SQL syntax, quotes, wildcards, unicode and real words."""
    assert server.login().status == 303
    words = sorted({w for s in outdir.sessions for c in s["commands"] for w in c["input"].split()[:2]})[:40]
    parts = ['"', "'", "*", "^", "+", "-", ":", "(", ")", "NEAR(", " AND ", " OR ", " NOT ", "%", "_", "\\", "/",
             "é", "‮", "😀", "127.0.0.", "/8", "/24", " ", "{", "}", "[", "]"] + words
    rng = random.Random(14)
    matched = 0
    for _ in range(300):
        q = "".join(rng.choice(parts) for _ in range(rng.randint(1, 4))).strip() or "x"
        r, data = server.request("GET", "/api/sessions?" + urllib.parse.urlencode({"q": q, "limit": 500}))
        assert r.status == 200, (q, r.status, data[:100])
        got = json.loads(data)
        want = expected_matches(outdir.sessions, q)
        if "/" in q:  # a CIDR block: the reference's address part for it
            want |= cidr_matches(outdir.sessions, q)
        assert {(x["sensor"], x["session"]) for x in got["sessions"]} == want and got["total"] == len(want), q
        matched += bool(want)
    assert matched > 50, f"only {matched} of the generated queries match a session: the test would prove little"


def cidr_matches(sessions: list, q: str) -> set:
    try:
        net = ipaddress.ip_network(q, strict=False)
    except ValueError:
        return set()
    if net.version != 4 or not q.split("/")[0].count(".") == 3:
        return set()
    return {(s["sensor"], s["session"]) for s in sessions
            if s["src_ip"] and ipaddress.ip_address(s["src_ip"]) in net}


def test_oversized_requests_are_refused(server):
    r, _ = server.request("POST", "/login", {"username": "alice", "password": "x" * 100_000}, cookie=False)
    assert r.status == 413
    r, _ = server.request("GET", "/login", headers={"X-Big": "y" * 100_000}, cookie=False)
    assert r.status in (400, 413, 431)


def test_failed_logins_are_rate_limited(cb_bin, outdir, users):
    s = Server(cb_bin, outdir.out, users, "--max-failures", "3")
    try:
        for _ in range(3):
            r = s.login(password="wrong")
            assert r.status == 401 and r.getheader("Set-Cookie") is None
        r = s.login(password="wrong")
        assert r.status == 429 and int(r.getheader("Retry-After")) > 0
        r = s.login()  # even the right password waits: the address is limited
        assert r.status == 429 and r.getheader("Set-Cookie") is None
    finally:
        rc, err = s.stop()
    assert rc == 0
    assert err.count("login failed user=alice addr=127.0.0.1") == 3, err
    assert "login refused (too many failures)" in err
    assert PASSWORD not in err and "wrong" not in err  # passwords are never logged


def test_an_idle_login_expires(cb_bin, outdir, users):
    s = Server(cb_bin, outdir.out, users, "--idle-expiry", "1")
    try:
        assert s.login().status == 303
        assert s.request("GET", "/api/me")[0].status == 200
        time.sleep(2.2)
        assert s.request("GET", "/api/me")[0].status == 401
    finally:
        s.stop()


def test_https_with_a_certificate(cb_bin, outdir, users, tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    made = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                           "-days", "1", "-subj", "/CN=127.0.0.1"], capture_output=True)
    assert made.returncode == 0, made.stderr
    s = Server(cb_bin, outdir.out, users, tls=(cert, key))
    try:
        r = s.login()
        assert r.status == 303 and "Secure" in r.getheader("Set-Cookie")
        assert s.get_json("/api/sessions?limit=1")["total"] == len(outdir.sessions)
    finally:
        rc, _ = s.stop()
    assert rc == 0


def test_refusals_before_serving(cb_bin, outdir, users, tmp_path):
    r = cbtest.run_cb(cb_bin, "serve", outdir.out, "--users", users, "--listen", "0.0.0.0:0")
    assert r.returncode == 2 and b"without TLS" in r.stderr
    empty = tmp_path / "empty-users"
    empty.write_text("# nobody\n")
    r = cbtest.run_cb(cb_bin, "serve", outdir.out, "--users", empty, "--listen", "127.0.0.1:0")
    assert r.returncode == 2 and b"holds no user" in r.stderr
    r = cbtest.run_cb(cb_bin, "serve", tmp_path, "--users", users, "--listen", "127.0.0.1:0")
    assert r.returncode == 3 and b"cowrie.sqlite" in r.stderr
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    r = cbtest.run_cb(cb_bin, "serve", outdir.out, "--users", users, "--listen",
                      f"127.0.0.1:{busy.getsockname()[1]}")
    busy.close()
    assert r.returncode == 3 and b"cannot listen" in r.stderr


def test_the_examples_of_serve_md(server, outdir, tmp_path):
    text = (cbtest.REPO / "docs/SERVE.md").read_text()
    block = text.split("tests/e2e/test_serve.py runs this block")[1].split("```sh\n")[1].split("```")[0]
    env = {**os.environ, "BASE": f"http://127.0.0.1:{server.port}", "PASSWORD": PASSWORD}
    r = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=tmp_path, env=env, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    local = [s for s in outdir.sessions if s["src_ip"].startswith("127.")]
    assert lines[0] == "303" and lines[1] == str(len(local)), lines
    assert lines[2] == "127.0.0.1", lines
    assert lines[3] == "username,password,attempts,successes,sessions,src_ips,first_seen,last_seen", lines
    assert len(lines) == 8 and lines[-1] == "401", lines


def test_recordings_play_from_the_tty_dir_only(server, outdir):
    assert server.login().status == 303
    with_tty = [s for s in outdir.sessions if s["ttylog"]]
    without = [s for s in outdir.sessions if not s["ttylog"]]
    assert with_tty and without
    for s in with_tty:
        got = server.get_json(f"/api/sessions/{s['sensor']}/{s['session']}/tty")
        names = [Path(t["path"]).name for t in s["ttylog"]]
        assert [r["name"] for r in got["recordings"]] == list(dict.fromkeys(names))
        for r in got["recordings"]:
            text = "".join(e["text"] for e in r["events"])
            assert text and "\x1b" not in text and r["status"] == "ok", r["name"]
            assert [e["ms"] for e in r["events"]] == sorted(e["ms"] for e in r["events"])
    texts = ["".join(e["text"] for r in server.get_json(f"/api/sessions/{s['sensor']}/{s['session']}/tty")["recordings"]
                     for e in r["events"]) for s in with_tty]
    assert any("uid=0(root)" in t for t in texts), "the recorded `id` answered as root"
    r, _ = server.request("GET", f"/api/sessions/{without[0]['sensor']}/{without[0]['session']}/tty")
    assert r.status == 404


def test_a_logged_recording_path_cannot_leave_the_tty_dir(cb_bin, users, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("TOP SECRET\n")
    tty = tmp_path / "tty"
    tty.mkdir()
    session = "0000deadbeef"
    lines = [{"eventid": "cowrie.session.connect", "src_ip": "127.0.0.9", "src_port": 4000, "dst_ip": "127.0.0.1",
              "dst_port": 2222, "protocol": "ssh"},
             {"eventid": "cowrie.log.closed", "ttylog": f"../../{secret}", "size": 10, "shasum": "ab" * 32},
             {"eventid": "cowrie.log.closed", "ttylog": str(secret), "size": 10, "shasum": "cd" * 32},
             {"eventid": "cowrie.session.closed", "duration": 1.0}]
    log = tmp_path / "cowrie.json"
    log.write_text("".join(json.dumps({**e, "session": session, "sensor": "s", "timestamp":
                                       f"2026-01-01T00:00:0{i}.000000Z"}) + "\n" for i, e in enumerate(lines)))
    res = cbtest.analyze(cb_bin, log, tmp_path / "out")
    assert res.rc in (0, 1), res.explain()
    s = Server(cb_bin, res.out, users, "--tty-dir", tty)
    try:
        assert s.login().status == 303
        r, data = s.request("GET", f"/api/sessions/s/{session}/tty")
        assert r.status == 404 and b"SECRET" not in data
    finally:
        s.stop()


@pytest.mark.parametrize("incremental", [False, True], ids=["full", "state"])
def test_a_new_analyze_into_outdir_is_served_without_a_restart(cb_bin, users, tmp_path, incremental):
    out = tmp_path / "out"
    # with --state, the second run is a daily cron run: it reads only the new logs
    state = ["--state", tmp_path / "state"] if incremental else []
    first = cbtest.analyze(cb_bin, cbtest.REPO / "examples/logs", out, *state)
    assert first.rc in (0, 1), first.explain()
    index_dir = tmp_path / "index"
    index_dir.mkdir()
    s = Server(cb_bin, out, users, "--check-every", "0.2", "--tmp-dir", index_dir)
    try:
        assert s.login().status == 303
        before = s.get_json("/api/sessions?limit=1")["total"]
        assert before == first.summary["sessions"]
        second = cbtest.analyze(cb_bin, [cbtest.REPO / "examples/logs", cbtest.REPO / "tests/data/multi-sensor"], out,
                                *state)
        assert second.rc in (0, 1), second.explain()
        assert second.summary["sessions"] > before
        deadline = time.monotonic() + 30
        while s.get_json("/api/sessions?limit=1")["total"] != second.summary["sessions"]:
            assert time.monotonic() < deadline, "serve still answers from the replaced OUTDIR"
            time.sleep(0.2)
        assert s.get_json("/api/sessions?q=honeypot-west&limit=1")["total"] > 0  # the new index too
        deadline = time.monotonic() + 10
        while len(list(index_dir.iterdir())) != 1:  # the old index goes with its last request
            assert time.monotonic() < deadline, sorted(index_dir.iterdir())
            time.sleep(0.2)
    finally:
        rc, err = s.stop()
    assert rc == 0 and "OUTDIR changed: serving the new outputs" in err, err
    assert not list(index_dir.iterdir()), "the index is removed when serve stops"


def test_any_sensor_name_can_be_opened(cb_bin, users, tmp_path):
    log = tmp_path / "cowrie.json"
    events = []
    for i, sensor in enumerate(["a/b", None, "../x", "plain"]):
        base = {"session": f"00000000000{i}", "src_ip": f"127.0.1.{i}", "timestamp": f"2026-01-01T00:00:0{i}.000000Z"}
        if sensor is not None:
            base["sensor"] = sensor
        events += [{**base, "eventid": "cowrie.session.connect", "src_port": 1000, "dst_ip": "127.0.0.1", "dst_port": 22},
                   {**base, "eventid": "cowrie.command.input", "input": f"echo {i}"},
                   {**base, "eventid": "cowrie.session.closed", "duration": 1.0}]
    log.write_text("".join(json.dumps(e) + "\n" for e in events))
    res = cbtest.analyze(cb_bin, log, tmp_path / "out")
    assert res.rc in (0, 1), res.explain()
    s = Server(cb_bin, res.out, users)
    try:
        assert s.login().status == 303
        for rec in res.sessions:
            got = s.get_json("/api/session?" + urllib.parse.urlencode({"sensor": rec["sensor"], "session": rec["session"]}))
            assert (got["session"]["sensor"], got["session"]["session"]) == (rec["sensor"], rec["session"])
            assert [c["input"] for c in got["commands"]] == [c["input"] for c in rec["commands"]]
        assert {r["sensor"] for r in res.sessions} == {"a/b", "", "../x", "plain"}
        r, _ = s.request("GET", "/api/session?sensor=nope&session=nope")
        assert r.status == 404
    finally:
        s.stop()


def test_users_file(cb_bin, tmp_path):
    path = tmp_path / "users"
    assert add_user(cb_bin, path, "bob", "s3cret!").returncode == 0
    assert add_user(cb_bin, path, "carol", "another one").returncode == 0
    text = path.read_text()
    assert "s3cret" not in text and "another" not in text and text.count("$argon2id$") == 2
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    again = add_user(cb_bin, path, "bob", "x")
    assert again.returncode == 2 and b"exists" in again.stderr
    for bad_name in ["", "a b", "x:y", "../x", "a" * 65]:
        assert add_user(cb_bin, path, bad_name, "pw").returncode == 2, bad_name
    assert add_user(cb_bin, path, "dave", "").returncode == 2  # an empty password
    listed = cbtest.run_cb(cb_bin, "user", "list", "--users", path)
    assert listed.stdout.decode().split() == ["bob", "carol"]
    assert cbtest.run_cb(cb_bin, "user", "del", "bob", "--users", path).returncode == 0
    assert cbtest.run_cb(cb_bin, "user", "del", "bob", "--users", path).returncode == 2
    assert cbtest.run_cb(cb_bin, "user", "list", "--users", path).stdout.decode().split() == ["carol"]
    path.write_text("carol:plaintext\n")
    r = cbtest.run_cb(cb_bin, "user", "list", "--users", path)
    assert r.returncode == 2 and b":1:" in r.stderr
