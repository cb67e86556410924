"""Conclusions that must hold on any log (issue #10), checked on the project's own example logs and
on every wild sample source when ../shared is there.

Each source is analysed alone, as a researcher would, and its hints.json is read against its
own sessions.jsonl and tables: evidence you can open, severity that comes from leaving, no
marker or exit blamed, no exec channel counted as leaving, "implement" only for real commands.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta, timezone

import pytest

import cbtest

# The project's recordings run in make test; the wild samples only with --wild (make test-wild).
SOURCES = [pytest.param(cbtest.REPO / "examples" / "logs", id="examples"),
         pytest.param(cbtest.REPO / "tests" / "data" / "multi-sensor", id="multi-sensor")] + [
    pytest.param(f, id=f.name, marks=pytest.mark.wild) for f in cbtest.sample_folders() if f.parent.name == "wild"]
LEAVE_TYPES = ("fork-", "lift-")
NOT_COMMANDS = {"enable", "system", "shell", "linuxshell", "start", "config", "Enter", "lockr", "while", "do", "done"}


@pytest.fixture(scope="module")
def runs(cb_bin, tmp_path_factory):
    cache = {}

    def get(source):
        if source not in cache:
            res = cbtest.analyze(cb_bin, source, tmp_path_factory.mktemp("concl") / "out")
            assert res.rc in (0, 1), res.explain()
            sessions = {}
            for line in (res.out / "sessions.jsonl").read_text().splitlines():
                s = json.loads(line)
                sessions[f"{s['sensor']}/{s['session']}"] = s
            hints = json.loads((res.out / "hints.json").read_text())["hints"]
            cache[source] = (res, sessions, hints)
        return cache[source]

    return get


def table(res, name):
    with open(res.out / "tables" / f"{name}.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("source", SOURCES)
def test_every_finding_has_sessions_you_can_open(runs, source):
    _, sessions, hints = runs(source)
    for h in hints:
        ex = h["evidence"].get("example_sessions")
        if h["severity"] == "info" or h["id"].startswith("cfg-"):
            continue
        assert ex, f"{h['id']} ({h['severity']}) has no example_sessions"
        for sid in ex:
            assert sid in sessions, f"{h['id']}: {sid} is not in sessions.jsonl"


@pytest.mark.parametrize("source", SOURCES)
def test_leaving_is_never_blamed_on_markers_exit_or_exec(runs, source):
    res, sessions, hints = runs(source)
    markers = {r["key"] for r in table(res, "markers") if r["marker"] == "1"}
    for h in hints:
        if not h["id"].startswith(LEAVE_TYPES):
            continue
        step = h["title"].split("after: ", 1)[1]
        assert step not in markers and not step.startswith(("exit", "logout")), h
        assert "busybox <RAND>" not in step, h
        for sid in h["evidence"]["example_sessions"]:
            s = sessions[sid]
            assert s["channel"] == "shell" and s["end_kind"] in ("exit", "disconnect"), (h["id"], s["channel"])
    for s in sessions.values():
        if s["last_step"] is not None:
            assert not s["last_step"].startswith(("exit", "logout")), s["last_step"]


@pytest.mark.parametrize("source", SOURCES)
def test_severity_comes_from_leaving(runs, source):
    _, sessions, hints = runs(source)
    for h in hints:
        e = h["evidence"]
        if h["id"].startswith("probe-"):
            # A check nobody left after is info at most; exec sessions never count as leaving.
            if e["left_right_after"] == 0:
                assert h["severity"] == "info", h
            shell_ran = e["sessions"] - e["exec_sessions"]
            assert e["left_right_after"] + e["went_on"] <= shell_ran, h
        if h["severity"] == "high" and h["id"].startswith(("fork-", "implement-", "probe-", "shell-construct-")):
            left = e.get("stopped", e.get("left_right_after"))
            assert left >= 10, h
        if h["id"].startswith("lift-"):
            assert h["severity"] in ("medium", "low"), h
            assert e["went_on"] >= 3, h


@pytest.mark.parametrize("source", SOURCES)
def test_implement_only_real_commands(runs, source):
    _, _, hints = runs(source)
    for h in hints:
        if h["id"].startswith("implement-"):
            name = h["id"][len("implement-"):]
            assert name not in NOT_COMMANDS and not name.startswith(("./", "/ip")), h


@pytest.mark.parametrize("source", SOURCES)
def test_failed_command_names_count_each_session_once(runs, source):
    """A session that ran two variants of one command counts once for the name: the name's
    sessions lie between the largest variant and the sum of its variants."""
    res, sessions, hints = runs(source)
    variants = {}
    for r in table(res, "failed_commands"):
        variants.setdefault(r["name"], []).append(int(r["sessions"]))
    names = {r["name"]: int(r["sessions"]) for r in table(res, "failed_command_names")}
    assert set(names) == set(variants)
    for name, n in names.items():
        assert max(variants[name]) <= n <= sum(variants[name]), (name, n, variants[name])
    for h in hints:
        if h["id"].startswith("implement-"):
            assert h["evidence"]["sessions"] == names[h["id"][len("implement-"):]], h


@pytest.mark.parametrize("source", SOURCES)
def test_failed_command_rate_counts_leaving_next(runs, source):
    res, sessions, _ = runs(source)
    for r in table(res, "failed_commands"):
        n, left, on = int(r["sessions"]), int(r["left_after"]), int(r["went_on"])
        assert left + on <= n
        assert abs(float(r["disconnect_after_rate"]) - left / n) < 1e-3
        for sid in r["example_sessions"].split(";") if r["example_sessions"] else []:
            assert sid in sessions


@pytest.mark.parametrize("source", SOURCES)
def test_login_policy_is_per_sensor(runs, source):
    """default-userdb names exactly the sensors whose root logins look like Cowrie's default list
    (3+ passwords accepted, root/root and root/123456 never accepted, hardly any other refused);
    sensors that accept many passwords but refuse others (AuthRandom, custom lists) are apart."""
    _, sessions, hints = runs(source)
    pol = {}
    for s in sessions.values():
        for l in s["logins"]:
            if l["username"] != "root" or l.get("fingerprint"):
                continue
            p = pol.setdefault(s["sensor"], {"ok": set(), "ok_n": 0, "excluded_ok": 0, "other_no": 0})
            excluded = l["password"] in ("root", "123456")
            if l["success"]:
                p["ok"].add(l["password"])
                p["ok_n"] += 1
                p["excluded_ok"] += excluded
            elif not excluded and "honeypot" not in (l["password"] or "").lower():
                p["other_no"] += 1
    default = {k for k, p in pol.items()
               if len(p["ok"]) >= 3 and p["excluded_ok"] == 0 and p["other_no"] <= max(2, p["ok_n"] // 50)}
    permissive = {k for k, p in pol.items() if len(p["ok"]) >= 3} - default
    by_id = {h["id"]: h for h in hints}
    named = {r["sensor"] for r in by_id["default-userdb"]["evidence"]["sensors"]} if "default-userdb" in by_id else set()
    assert named == default
    named = {r["sensor"] for r in by_id["permissive-logins"]["evidence"]["sensors"]} if "permissive-logins" in by_id else set()
    assert named == permissive
    for h in (by_id.get("default-userdb"), by_id.get("permissive-logins")):
        for row in (h["evidence"]["sensors"] if h else []):
            assert row["distinct_root_passwords_accepted"] == len(pol[row["sensor"]]["ok"]), row
            assert all(x.startswith(row["sensor"] + "/") for x in row["example_sessions"])


def test_failed_last_line_counts_as_leaving_next(cb_bin, tmp_path):
    """`:` failing in the last line of 6 shell sessions that then disconnect: rate 1, not 0."""
    t0 = datetime(2026, 2, 1, tzinfo=timezone.utc)
    events = []
    for i in range(8):
        sid, ip, t = f"c{i:011x}", f"192.0.2.{i + 1}", t0 + timedelta(minutes=i)
        def ev(eid, dt, **kw):
            return {"eventid": eid, "timestamp": (t + timedelta(seconds=dt)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                    "session": sid, "src_ip": ip, "sensor": "s", **kw}
        events += [ev("cowrie.session.connect", 0, protocol="telnet"),
                   ev("cowrie.login.success", 1, username="root", password="x"),
                   ev("cowrie.command.input", 2, input="cd /tmp"),
                   ev("cowrie.command.input", 3, input="echo ok; :"),
                   ev("cowrie.command.failed", 3.001, input=":")]
        if i >= 6:  # two go on
            events.append(ev("cowrie.command.input", 4, input="uname -a"))
        events.append(ev("cowrie.session.closed", 5))
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "cowrie.json").write_text("".join(json.dumps(e) + "\n" for e in events))
    res = cbtest.analyze(cb_bin, logs, tmp_path / "out")
    row = next(r for r in table(res, "failed_commands") if r["command"] == ":")
    assert (row["sessions"], row["left_after"], row["went_on"]) == ("8", "6", "2")
    assert abs(float(row["disconnect_after_rate"]) - 0.75) < 1e-3
