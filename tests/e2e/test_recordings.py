"""TTY recordings given to analyze are linked to their sessions and read: what attackers saw
last (last_output.csv), Cowrie defaults in the output (tty_tells.csv) and the hints they give.
Input: examples/logs, recorded from a real Cowrie 3.1.4 by tests/e2e-cowrie/record.sh."""

from __future__ import annotations

import csv
import json

import pytest

import cbtest

EXAMPLES = cbtest.REPO / "examples" / "logs"


@pytest.fixture(scope="module")
def run(cb_bin, tmp_path_factory):
    res = cbtest.analyze(cb_bin, EXAMPLES, tmp_path_factory.mktemp("rec") / "out")
    assert res.rc == 0, res.explain()
    return res


def rows(res, name):
    with open(res.out / "tables" / f"{name}.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_recordings_are_linked_by_hash(run):
    recs = [t for s in run.sessions for t in s["ttylog"]]
    on_disk = {p.name for p in (EXAMPLES / "tty").iterdir()}
    assert recs, "the example sessions have cowrie.log.closed events"
    for t in recs:
        assert t["found"] == (t["shasum"] in on_disk), t
    assert sum(1 for t in recs if t["found"]) >= 5
    n = run.query("SELECT count(*) FROM ttylogs WHERE found = 1")[0][0]
    assert n == sum(1 for t in recs if t["found"])


def test_renamed_recordings_are_found_by_content(cb_bin, tmp_path):
    import shutil
    shutil.copytree(EXAMPLES, tmp_path / "logs")
    for i, p in enumerate(sorted((tmp_path / "logs" / "tty").iterdir())):
        p.rename(p.with_name(f"rec-{i}"))  # names no longer say which session they belong to
    res = cbtest.analyze(cb_bin, tmp_path / "logs", tmp_path / "out")
    assert res.rc == 0
    found = sum(1 for s in res.sessions for t in s["ttylog"] if t["found"])
    assert found >= 5


def test_a_recording_of_another_time_is_not_the_sessions(cb_bin, tmp_path):
    """Cowrie names a recording by the SHA-256 of what the attacker typed, so a bot that types the
    same thing on every sensor for years makes recordings of one name everywhere: the same logs
    two years later (every timestamp moved) have sessions whose recordings are not these files."""
    import re
    import shutil
    shutil.copytree(EXAMPLES, tmp_path / "logs")
    for log in (tmp_path / "logs").glob("cowrie.json*"):
        log.write_text(re.sub(r'"timestamp":"2026-', '"timestamp":"2028-', log.read_text("utf-8")), "utf-8")
    res = cbtest.analyze(cb_bin, tmp_path / "logs", tmp_path / "out")
    assert res.rc == 0, res.explain()
    recs = [t for s in res.sessions for t in s["ttylog"]]
    assert len(recs) >= 5 and not any(t["found"] for t in recs), recs
    assert rows(res, "last_output") == []


def test_a_duplicate_sessions_recording_is_the_earlier_sessions_file(cb_bin, tmp_path):
    """Cowrie deletes the recording of a session that typed what an earlier one did and logs
    `duplicate: true`: the file it kept, hours before, is that session's recording too. A session
    without the flag two hours later is not linked to it (another session's, by time)."""
    import struct
    sha, base = "ab" * 32, 1709251200  # cbtest.ts(0)

    def rec(op, direction, t, data=b""):
        return struct.pack("<iLiiLL", op, 0, len(data), direction, int(t), 0) + data

    logs = tmp_path / "logs"
    (logs / "tty").mkdir(parents=True)
    (logs / "tty" / sha).write_bytes(rec(1, 0, base + 1) + rec(3, 1, base + 2, b"id\n") +
                                     rec(3, 2, base + 2, b"uid=0(root)\n") + rec(2, 0, base + 3))
    events = []
    for sid, t0, duplicate in (("aaaa00000001", 0, False), ("bbbb00000002", 7200, True),
                               ("cccc00000003", 7300, False)):
        events += [e for e in cbtest.session_events(sid, t0, commands=("id",))
                   if e["eventid"] != "cowrie.session.closed"]
        events.append({"eventid": "cowrie.log.closed", "session": sid, "sensor": "sensor-a", "src_ip": "203.0.113.7",
                       "timestamp": cbtest.ts(t0 + 4), "ttylog": f"var/lib/cowrie/tty/{sha}", "shasum": sha, "size": 40,
                       "duplicate": duplicate})
        events.append({"eventid": "cowrie.session.closed", "session": sid, "sensor": "sensor-a",
                       "src_ip": "203.0.113.7", "timestamp": cbtest.ts(t0 + 5), "duration": 5.0})
    (logs / "cowrie.json").write_bytes(cbtest.dumps(events))
    res = cbtest.analyze(cb_bin, logs, tmp_path / "out")
    assert res.rc == 0, res.explain()
    found = {s["session"]: [t["found"] for t in s["ttylog"]] for s in res.sessions}
    assert found == {"aaaa00000001": [True], "bbbb00000002": [True], "cccc00000003": [False]}, found


def test_last_output_shows_what_uname_printed(run):
    r = [x for x in rows(run, "last_output") if x["command"] == "uname -a"]
    assert len(r) == 1
    assert "Linux svr04 6.1.0-21-amd64" in r[0]["last_lines"]
    assert int(r[0]["sessions"]) >= 1


def test_default_tells_seen_and_hinted(run):
    tells = {x["tell"]: int(x["sessions"]) for x in rows(run, "tty_tells")}
    assert tells.get("hostname-svr04", 0) >= 3  # the prompt root@svr04 in every shell
    assert tells.get("kernel-6.1.0-21", 0) >= 1
    hints = {h["id"]: h for h in json.loads((run.out / "hints.json").read_text())["hints"]}
    assert hints["seen-hostname-svr04"]["severity"] == "high"
    assert "hostname" in hints["seen-hostname-svr04"]["recommendation"]
