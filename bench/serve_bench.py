#!/usr/bin/env python3
"""serve under load (issue 14): start-up, searches by address and by command word, peak RSS.

Starts `cowrie-batch serve OUTDIR` on 127.0.0.1 (a free port) with a users file of its own, then
CLIENTS concurrent clients (threads, one keep-alive connection and one login each) run REQUESTS
searches each: by an address of the corpus, then by a command word. Prints one JSON object:
start-up seconds (until serve listens: the search index included), p50/p95/p99/max latency and
errors per kind, and serve's peak RSS (VmHWM). The addresses and words are picked from the OUTDIR
(a seeded sample of src_ips; the first words of the most run commands).

usage: serve_bench.py CB_BIN OUTDIR [--clients 20] [--requests 100] [--seed 1]
"""

import argparse
import http.client
import json
import random
import re
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

PASSWORD = "bench password, not a secret"


def pick_queries(outdir: Path, seed: int) -> tuple:
    db = sqlite3.connect(f"file:{outdir / 'cowrie.sqlite'}?mode=ro", uri=True)
    ips = [r[0] for r in db.execute("SELECT DISTINCT src_ip FROM sessions WHERE src_ip IS NOT NULL ORDER BY src_ip")]
    words = []
    for (cmd,) in db.execute("SELECT command FROM commands_summary ORDER BY count DESC LIMIT 200"):
        m = re.match(r"[A-Za-z][A-Za-z0-9_.-]{2,}", cmd or "")
        if m and m.group(0) not in words:
            words.append(m.group(0))
    rng = random.Random(seed)
    return rng.sample(ips, min(len(ips), 500)), words[:40]


def percentile(values: list, p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))] if s else float("nan")


def client(port: int, queries: list, latencies: list, errors: list):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    body = urllib.parse.urlencode({"username": "bench", "password": PASSWORD})
    c.request("POST", "/login", body=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    r = c.getresponse()
    r.read()
    if r.status != 303:
        errors.append(f"login {r.status}")
        return
    cookie = r.getheader("Set-Cookie").split(";")[0]
    for q in queries:
        t0 = time.perf_counter()
        try:
            c.request("GET", "/api/sessions?" + urllib.parse.urlencode({"q": q, "limit": 50}), headers={"Cookie": cookie})
            r = c.getresponse()
            data = r.read()
            ok = r.status == 200 and data.startswith(b'{"sessions":')
        except (OSError, http.client.HTTPException) as e:
            ok, data = False, str(e).encode()
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        latencies.append(time.perf_counter() - t0)
        if not ok:
            errors.append(f"{q}: {data[:80]!r}")


def load(port: int, pool: list, clients: int, requests: int, seed: int) -> dict:
    rng = random.Random(seed)
    latencies, errors, threads = [], [], []
    t0 = time.perf_counter()
    for _ in range(clients):
        qs = [rng.choice(pool) for _ in range(requests)]
        t = threading.Thread(target=client, args=(port, qs, latencies, errors))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    ms = [x * 1000 for x in latencies]
    return {"requests": len(ms), "errors": len(errors), "first_errors": errors[:3], "wall_s": round(wall, 3),
            "p50_ms": round(percentile(ms, 50), 1), "p95_ms": round(percentile(ms, 95), 1),
            "p99_ms": round(percentile(ms, 99), 1), "max_ms": round(max(ms), 1) if ms else None}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("cb_bin")
    ap.add_argument("outdir", type=Path)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--requests", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    ips, words = pick_queries(a.outdir, a.seed)
    with tempfile.TemporaryDirectory() as tmp:
        users = Path(tmp) / "users"
        subprocess.run([a.cb_bin, "user", "add", "bench", "--users", users], input=(PASSWORD + "\n").encode(),
                       check=True, capture_output=True)
        t0 = time.perf_counter()
        proc = subprocess.Popen([a.cb_bin, "serve", a.outdir, "--users", users, "--listen", "127.0.0.1:0",
                                 "--max-failures", "1000", "--tmp-dir", tmp],
                                stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        log = ""
        while "127.0.0.1:" not in log:
            line = proc.stderr.readline()
            if not line:
                print(json.dumps({"error": "serve did not start: " + log}))
                return 1
            log += line
        startup = time.perf_counter() - t0
        port = int(re.search(r"127\.0\.0\.1:(\d+)/", log).group(1))
        index_s = float(re.search(r"search index built in ([\d.]+) s", log).group(1))
        try:
            result = {"startup_s": round(startup, 3), "index_s": index_s, "clients": a.clients,
                      "requests_per_client": a.requests, "addresses": len(ips), "words": words[:10],
                      "address": load(port, ips, a.clients, a.requests, a.seed),
                      "word": load(port, words, a.clients, a.requests, a.seed + 1)}
            status = Path(f"/proc/{proc.pid}/status").read_text()
            result["peak_rss_mib"] = round(int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024, 1)
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
