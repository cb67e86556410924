"""The data the project ships for its own tests (tests/data/): the recorded sensors of
tests/data/multi-sensor read as one multi-sensor set, and the quirk files of tests/data/quirks
as make_quirks.py writes them, each quirk counted where summary.json says it is."""

import json
import subprocess
import sys

import pytest

import cbtest
from cbtest import analyze

DATA = cbtest.REPO / "tests" / "data"
SENSORS = ["honeypot-east", "honeypot-west"]


@pytest.fixture(scope="module")
def multi(cb_bin, tmp_path_factory):
    res = analyze(cb_bin, DATA / "multi-sensor", tmp_path_factory.mktemp("multi") / "out", "--threads", "2")
    assert res.rc == 0, res.explain()
    return res


@pytest.fixture(scope="module")
def quirks(cb_bin, tmp_path_factory):
    res = analyze(cb_bin, DATA / "quirks", tmp_path_factory.mktemp("quirks") / "out", "--threads", "2")
    assert res.rc == 1, res.explain()  # lines that are not events: outputs written, exit 1
    return res


def test_quirk_files_are_what_the_generator_writes():
    p = subprocess.run([sys.executable, str(DATA / "make_quirks.py"), "--check"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


def test_multi_sensor_matches_an_independent_reading(multi):
    ref = cbtest.Reference().add_tree(DATA / "multi-sensor")
    assert cbtest.summary_totals(multi.summary) == ref.totals()
    assert multi.summary["inputs"]["compression"] == {"gzip": 1, "none": 3}
    by_sensor = {}
    for s in multi.sessions:
        by_sensor[s["sensor"]] = by_sensor.get(s["sensor"], 0) + 1
    facts = {n: json.loads((DATA / "multi-sensor" / n / "driver-facts.json").read_text()) for n in SENSORS}
    assert by_sensor == {n: facts[n]["session_count"] for n in SENSORS}


def test_each_sensors_midnight_session_is_one_record(multi):
    """Cowrie's own rotation split one shell per sensor; in honeypot-east the first half is
    inside the gzip file. Each comes out whole, with the commands typed on both days."""
    for name in SENSORS:
        facts = json.loads((DATA / "multi-sensor" / name / "driver-facts.json").read_text())
        scn = next(s for s in facts["scenarios"] if s.get("spans_midnight"))
        mine = [s for s in multi.sessions if s["sensor"] == name and s["src_port"] == scn["src_port"]
                and s["dst_port"] == facts["honeypot"]["ssh_port"]]
        assert len(mine) == 1, name
        s = mine[0]
        assert s["start"] < scn["midnight_utc"] < s["end"] and s["closed"] is True
        assert [c["input"] for c in s["commands"]] == scn["commands"]
    sensors = {r[0]: int(r[1]) for r in multi.csv_rows("sensors")[1:]}
    assert sensors == {n: 15 for n in SENSORS}


QUIRK_SENSORS = ["nul-prefix", "truncated-tail", "crlf", "garbage-lines", "shuffled", "cut-gzip", "bzip2"]


def test_every_quirk_file_is_read(quirks):
    s = quirks.summary
    i = s["inputs"]
    assert i["files"] == 7 and s["sensors"] == 7
    assert i["compression"] == {"bzip2": 1, "gzip": 1, "none": 5}
    assert i["nul_bytes_skipped"] == 3000
    assert i["rejected"] == {"invalid_json": 2, "truncated_line": 2, "not_an_object": 1, "missing_eventid": 1}
    assert i["utf8_repairs"] == 1
    assert i["field_errors"] == {"dst_port": {"wrong_type": 15}, "src_port": {"wrong_type": 15}}
    assert [(d["path"].rsplit("/", 2)[-2], d["events_kept"] > 0) for d in i["damaged_files"]] == [("cut-gzip", True)]
    assert {r["sensor"] for r in quirks.sessions} == {f"quirk-{q}" for q in QUIRK_SENSORS}


def test_undamaged_quirks_give_the_sessions_of_the_source(quirks, multi):
    """NULs before the log, CRLF, shuffled lines, bzip2 and wrong-type ports change nothing
    about the sessions: same commands in the same order as in honeypot-west."""
    def commands(rows, sensor):
        return sorted((r["session"][4:], tuple(c["input"] for c in r["commands"])) for r in rows
                      if r["sensor"] == sensor)

    want = commands(multi.sessions, "honeypot-west")
    for q in ("nul-prefix", "crlf", "shuffled", "bzip2", "garbage-lines"):
        got = commands(quirks.sessions, f"quirk-{q}")
        if q == "garbage-lines":  # one more command, the one with bytes that are not UTF-8
            got = [(sid, tuple(c for c in cmds if not c.startswith("echo \\xff"))) for sid, cmds in got]
        assert got == want, q


def test_summary_is_utf8_when_a_rejected_line_is_not(cb_bin, tmp_path):
    """A rejected line can be any bytes; its excerpt in summary.json shows the invalid ones as \\xNN."""
    log = tmp_path / "cowrie.json"
    log.write_bytes(cbtest.dumps(cbtest.clean_log(1)) + b"\xff\xfe not json \xc3\n")
    res = analyze(cb_bin, log, tmp_path / "out")
    assert res.rc == 1, res.explain()
    (res.out / "summary.json").read_bytes().decode("utf-8")
    excerpts = [s["excerpt"] for s in res.summary["inputs"]["reject_samples"]]
    assert "\\xff\\xfe not json \\xc3" in excerpts, excerpts
