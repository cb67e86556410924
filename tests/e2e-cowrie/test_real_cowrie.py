"""cowrie-batch against logs recorded from a real Cowrie (tests/e2e-cowrie/record.sh).

    CB_COWRIE_LOGS=build/e2e-cowrie-logs CB_BIN=build/cowrie-batch \
        python3 -m pytest -q -p no:cacheprovider tests/e2e-cowrie/test_real_cowrie.py

Every expectation comes from driver-facts.json, written by the attacking clients
(drive.py): ports, commands, passwords, download hashes, forwarding targets.
Nothing about a particular recording is hard-coded here. `make e2e-cowrie` records
and then runs this file. Standard library (plus pytest) only.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LOGS = Path(os.environ.get("CB_COWRIE_LOGS") or REPO / "build" / "e2e-cowrie-logs").resolve()
BIN = Path(os.environ.get("CB_BIN") or REPO / "build" / "cowrie-batch").resolve()
FACTS_FILE = LOGS / "driver-facts.json"
TIMEOUT = 120

if not FACTS_FILE.is_file():
    pytest.skip(f"no recording at {LOGS} (run tests/e2e-cowrie/record.sh {LOGS}, "
                "or set CB_COWRIE_LOGS)", allow_module_level=True)

FACTS = json.loads(FACTS_FILE.read_text("utf-8"))
SCENARIOS = FACTS["scenarios"]
PORT_OF = {"ssh": FACTS["honeypot"]["ssh_port"], "telnet": FACTS["honeypot"]["telnet_port"]}
HOSTNAME = "svr04"  # setup_cowrie.sh keeps Cowrie's default host name


def scn_id(s: dict) -> str:
    return f"{SCENARIOS.index(s):02d}-{s['name']}"


def scenarios(pred=lambda s: True):
    return [pytest.param(s, id=scn_id(s)) for s in SCENARIOS if pred(s)]


def ts(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def is_subsequence(wanted: list, got: list) -> bool:
    it = iter(got)
    return all(any(w == g for g in it) for w in wanted)


# --------------------------------------------------------------------------------------------
# one analyze run shared by every test


class Run:
    def __init__(self, out: Path, proc: subprocess.CompletedProcess) -> None:
        self.out = out
        self.proc = proc
        self.summary = json.loads((out / "summary.json").read_text("utf-8"))
        with open(out / "sessions.jsonl", encoding="utf-8") as f:
            self.sessions = [json.loads(line) for line in f if line.strip()]
        self.hints = json.loads((out / "hints.json").read_text("utf-8"))

    def table(self, name: str) -> list[dict]:
        with open(self.out / "tables" / name, newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))

    def session_of(self, scn: dict) -> dict:
        """The one session of a scenario: same protocol port and client source port."""
        assert scn.get("src_port"), f"{scn['name']}: the driver did not record its source port"
        found = [s for s in self.sessions
                 if s["dst_port"] == PORT_OF[scn["protocol"]] and s["src_port"] == scn["src_port"]]
        assert len(found) == 1, (f"{scn['name']}: expected one session with dst_port "
                                 f"{PORT_OF[scn['protocol']]} src_port {scn['src_port']}, "
                                 f"found {len(found)}")
        return found[0]


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Run:
    assert BIN.is_file() and os.access(BIN, os.X_OK), f"cowrie-batch not found: {BIN} (set CB_BIN)"
    out = tmp_path_factory.mktemp("real-cowrie") / "out"
    proc = subprocess.run([str(BIN), "analyze", str(LOGS), "-o", str(out), "-q"],
                          capture_output=True, timeout=TIMEOUT)
    assert proc.returncode == 0, (f"analyze exited {proc.returncode}\n"
                                  f"stderr: {proc.stderr.decode('utf-8', 'replace')[-3000:]}")
    return Run(out, proc)


# --------------------------------------------------------------------------------------------
# the recording itself


def test_driver_scenarios_all_ok():
    bad = [(s["name"], s.get("error")) for s in SCENARIOS if not s.get("ok")]
    assert not bad, f"the driver reported failed scenarios: {bad}"
    assert FACTS["session_count"] == len(SCENARIOS)


def test_summary_clean(run):
    inputs = run.summary["inputs"]
    assert inputs["rejected_total"] == 0, inputs["reject_samples"]
    assert inputs["damaged_files"] == [] and inputs["skipped_files"] == []
    assert run.summary["sessions"] == FACTS["session_count"], \
        f"{run.summary['sessions']} sessions, the driver ran {FACTS['session_count']} scenarios"
    assert run.summary["sessions_closed"] == FACTS["session_count"]


# --------------------------------------------------------------------------------------------
# per scenario


@pytest.mark.parametrize("scn", scenarios())
def test_session_logins_and_commands(run, scn):
    s = run.session_of(scn)
    assert s["protocol"] == scn["protocol"]
    got_logins = [(x["username"], x["password"], x["success"]) for x in s["logins"]]
    want_logins = [(x["username"], x["password"], x["success"]) for x in scn.get("logins", [])]
    assert got_logins == want_logins
    inputs = [c["input"] for c in s["commands"]]
    assert is_subsequence(scn["commands"], inputs), \
        f"commands {scn['commands']} not in this order in {inputs}"
    if not scn["commands"]:
        assert inputs == []


@pytest.mark.parametrize("scn", scenarios(lambda s: s["commands"]))
def test_last_command(run, scn):
    assert run.session_of(scn)["last_command"] == scn["expected_last_command"]


@pytest.mark.parametrize("scn", scenarios(lambda s: s.get("disconnect", "").startswith("abrupt")))
def test_abrupt_session_ends_on_uname(run, scn):
    """The client reset the connection right after `uname -a`: that is its last command."""
    assert scn["commands"][-1] == "uname -a"
    s = run.session_of(scn)
    assert s["last_command"] == "uname -a"
    assert s["closed"] is True


@pytest.mark.parametrize("scn", scenarios(lambda s: s["commands"]))
def test_failed_commands(run, scn):
    s = run.session_of(scn)
    failed = [c["input"].strip() for c in s["commands"] if c["failed"]]
    assert sorted(failed) == sorted(scn["expected_failed_commands"])
    assert s["failed_commands"] == len(scn["expected_failed_commands"])


def test_failed_commands_table(run):
    rows = run.table("failed_commands.csv")
    listed = {r["command"].strip() for r in rows}
    expected = {c for scn in SCENARIOS for c in scn.get("expected_failed_commands", [])}
    assert expected, "the driver expected no failed commands at all"
    assert expected <= listed, f"missing from failed_commands.csv: {sorted(expected - listed)}"
    assert listed <= expected, f"unexpected in failed_commands.csv: {sorted(listed - expected)}"


@pytest.mark.parametrize("scn", scenarios(lambda s: s.get("downloads")))
def test_downloads(run, scn):
    s = run.session_of(scn)
    served = (FACTS.get("http_server") or {}).get("files", {})
    table = {(r["url"], r["shasum"]) for r in run.table("downloads.csv")}
    for dl in scn["downloads"]:
        name = dl["url"].rsplit("/", 1)[-1]
        if name in served:  # a file the drop server really had: hash of that file
            assert dl["sha256"] == served[name]
        got = [d for d in s["downloads"] if d["url"] == dl["url"]]
        assert len(got) == 1, f"{dl['url']}: {len(got)} downloads in the session"
        assert got[0]["shasum"] == dl["sha256"], dl["url"]
        assert (dl["url"], dl["sha256"]) in table, f"{dl['url']} not in downloads.csv"
        saved = LOGS / "downloads" / dl["sha256"]
        assert hashlib.sha256(saved.read_bytes()).hexdigest() == dl["sha256"]


def test_served_files_were_downloaded(run):
    served = (FACTS.get("http_server") or {}).get("files", {})
    if not served:
        pytest.skip("no drop server in this recording")
    got = {d["url"].rsplit("/", 1)[-1]: d["shasum"] for s in run.sessions for d in s["downloads"]}
    for name, sha in served.items():
        assert got.get(name) == sha, f"{name}: served sha256 {sha}, analyze says {got.get(name)}"


@pytest.mark.parametrize("scn", scenarios(lambda s: s.get("uploads")))
def test_uploads(run, scn):
    s = run.session_of(scn)
    got = {(u["filename"], u["shasum"]) for u in s["uploads"]}
    for up in scn["uploads"]:
        assert (up["filename"], up["sha256"]) in got, f"upload {up['filename']} not listed: {got}"
    assert run.summary["uploads"] == sum(len(x.get("uploads", [])) for x in SCENARIOS)


@pytest.mark.parametrize("scn", scenarios(lambda s: s.get("forwards")))
def test_forwards(run, scn):
    s = run.session_of(scn)
    got = {(t["dst_ip"], t["dst_port"]) for t in s["tcpip"]}
    for fw in scn["forwards"]:
        assert (fw["dst_ip"], fw["dst_port"]) in got, f"forward to {fw['dst_ip']}:{fw['dst_port']}: {got}"


def test_midnight_session_spans_two_files(run):
    mids = [s for s in SCENARIOS if s.get("spans_midnight")]
    if not mids:
        pytest.skip("no midnight scenario in this recording (E2E_FAKETIME=0 or no libfaketime)")
    json_logs = sorted(p.name for p in LOGS.glob("cowrie.json*"))
    assert len(json_logs) == 2, json_logs
    assert run.summary["inputs"]["files"] == 2
    for scn in mids:
        s = run.session_of(scn)
        midnight = ts(scn["midnight_utc"])
        assert ts(s["start"]) < midnight < ts(s["end"]), (s["start"], scn["midnight_utc"], s["end"])
        before = [c["input"] for c in s["commands"] if ts(c["time"]) < midnight]
        assert before == scn["commands_before_midnight"]
        assert s["closed"] is True and s["last_command"] == scn["expected_last_command"]


# --------------------------------------------------------------------------------------------
# TTY recordings


@pytest.mark.parametrize("scn", scenarios(lambda s: s["commands"]))
def test_recordings_linked(run, scn):
    s = run.session_of(scn)
    assert s["ttylog"], "a session with commands has a TTY recording"
    for t in s["ttylog"]:
        assert t["found"] is True, t
        assert (LOGS / "tty" / t["shasum"]).is_file()


@pytest.mark.parametrize("scn", scenarios(lambda s: s.get("channel") == "shell"
                                          and any(x["success"] and x["username"] == "root"
                                                  for x in s.get("logins", []))))
def test_replay_shows_prompt(run, scn):
    s = run.session_of(scn)
    p = subprocess.run([str(BIN), "replay", s["session"], "--log", str(LOGS), "--no-delay"],
                       capture_output=True, timeout=60)
    out = p.stdout.decode("utf-8", "replace")
    assert p.returncode == 0, p.stderr.decode("utf-8", "replace")
    assert f"root@{HOSTNAME}" in out, out[-1000:]


def test_tty_tells_and_hints(run):
    tells = {r["tell"] for r in run.table("tty_tells.csv")}
    assert f"hostname-{HOSTNAME}" in tells, tells
    ids = {h["id"] for h in run.hints["hints"]}
    assert f"seen-hostname-{HOSTNAME}" in ids, ids
