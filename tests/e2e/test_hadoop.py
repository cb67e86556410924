"""The Hadoop engine gives the local engine's outputs.

`cowrie-batch hadoop` runs the real Apache Hadoop (an in-process HDFS NameNode and DataNode
plus the MapReduce local runner, from Maven Central) with the same binary as mapper,
combiner and reducer. Its OUTDIR must equal `cowrie-batch analyze`'s: sessions.jsonl as a set
of lines, every tables/*.csv, hints.json, summary.json and report.html byte for byte.
Input: plain and gzipped real logs from several sensors, a session split across two files, and
the marker-delimited bot scripts of test_leave_ground_truth (so the job "markers" has markers to
find and job 2 gets them through CB_MARKERS).
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

import cbtest
import test_leave_ground_truth


def have_java_and_maven() -> bool:
    return shutil.which("java") is not None and shutil.which("mvn") is not None


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    """The wild samples when ../shared is there, else the project's own example logs."""
    root = tmp_path_factory.mktemp("hadoop-in")
    samples = cbtest.SAMPLES
    if samples.is_dir():
        # plain files of one sensor, a gzipped T-Pot archive of other sensors
        shutil.copytree(samples / "wild" / "pol-alvarezzz__cloud-cowrie-honeypot" / "logs", root / "plain")
        gz = samples / "wild" / "istec-iuc__tpet" / "history" / "510ac0b3861c" / "cowrie" / "log" / "cowrie.json.2.gz"
        (root / "tpot").mkdir()
        shutil.copy(gz, root / "tpot" / "cowrie.json.2.gz")
        lines = (samples / "generated" / "cowrie-v3.0.12-93-g1b51ef96-run3" / "cowrie.json").read_bytes().splitlines(True)
    else:
        ex = cbtest.REPO / "examples" / "logs"
        lines = [l for f in ("cowrie.json.2026-11-26", "cowrie.json") for l in (ex / f).read_bytes().splitlines(True)]
    # a real session split across the midnight rotation: first half in one file, rest in another
    sid = next(json.loads(l)["session"] for l in lines
               if sum(1 for m in lines if json.loads(m).get("session") == json.loads(l)["session"]) >= 4)
    mine = [l for l in lines if json.loads(l).get("session") == sid]
    others = [l for l in lines if json.loads(l).get("session") != sid]
    half = len(mine) // 2
    (root / "gen").mkdir()
    (root / "gen" / "cowrie.json.2026-11-26").write_bytes(b"".join(mine[:half] + others))
    with gzip.open(root / "gen" / "cowrie.json.1", "wb") as f:  # gzip without a .gz name
        f.write(b"".join(mine[half:]))
    (root.parent / "split-session.txt").write_text(f"{sid} {len(mine)}")
    # damaged fields (issue #11): no sensor, a null, numeric or key-breaking sensor (TAB, LF, the
    # key separator, backslash), a lone surrogate, fields of the wrong type; the events are kept
    damage = [lambda e: e.pop("sensor", None), lambda e: e.update(sensor=None), lambda e: e.update(sensor=42),
              lambda e: e.update(sensor="a\tb\nc\x1fd\\e"), lambda e: e.update(src_ip="\udcff"),
              lambda e: e.update(src_port="x", input={"k": 1}, username=["u"])]
    (root / "damaged").mkdir()
    with open(root / "damaged" / "cowrie.json", "w") as f:
        for i, l in enumerate(lines[:90]):
            e = json.loads(l)
            e["session"] += "-dmg"
            if i % 3 == 0:
                damage[(i // 3) % len(damage)](e)
            f.write(json.dumps(e) + "\n")
    events, _, _ = test_leave_ground_truth.inject(seed=3)
    events.sort(key=lambda e: e["timestamp"])
    (root / "bots").mkdir()
    (root / "bots" / "cowrie.json").write_text("".join(json.dumps(e) + "\n" for e in events))
    return root


@pytest.fixture(scope="module")
def both(cb_bin, inputs, tmp_path_factory):
    if not have_java_and_maven():
        pytest.skip("java and mvn are needed for the Hadoop engine (make deps installs them)")
    out = tmp_path_factory.mktemp("hadoop-out")
    local = cbtest.analyze(cb_bin, inputs, out / "local")
    assert local.rc == 0, local.explain()
    proc = cbtest.run_cb(cb_bin, "hadoop", str(inputs), "-o", str(out / "hadoop"), "--reducers", "2", "-q",
                         timeout=900)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-4000:]
    return local.out, out / "hadoop"


def test_sessions_are_the_same_set(both):
    local, hadoop = both
    a = (local / "sessions.jsonl").read_bytes().splitlines()
    b = (hadoop / "sessions.jsonl").read_bytes().splitlines()
    assert len(a) > (3000 if cbtest.SAMPLES.is_dir() else 250)
    assert set(a) == set(b) and len(a) == len(b)


def test_every_table_is_identical(both):
    local, hadoop = both
    names = sorted(p.name for p in (local / "tables").glob("*.csv"))
    assert len(names) >= 15
    assert any(l for l in (local / "tables" / "forks.csv").read_text().splitlines()[1:])
    assert names == sorted(p.name for p in (hadoop / "tables").glob("*.csv"))
    for n in names:
        assert (local / "tables" / n).read_bytes() == (hadoop / "tables" / n).read_bytes(), n
    assert (local / "hints.json").read_bytes() == (hadoop / "hints.json").read_bytes()


def test_markers_and_steps_are_the_same(both):
    local, hadoop = both
    markers = (hadoop / "tables" / "markers.csv").read_text()
    assert "/bin/busybox <RAND>,1," in markers and "echo -e '<HEX>',1," in markers, markers[:400]
    assert markers == (local / "tables" / "markers.csv").read_text()
    steps = lambda d: sorted((r["sensor"], r["session"], r["last_step"]) for r in map(json.loads, (d / "sessions.jsonl").read_text().splitlines()))
    a, b = steps(local), steps(hadoop)
    assert a == b
    assert sum(1 for _, sid, st in a if sid.startswith("gt") and st) >= 200


def test_summary_counts_are_identical(both):
    local, hadoop = both
    a = json.loads((local / "summary.json").read_text())
    b = json.loads((hadoop / "summary.json").read_text())
    for k in ("sessions", "sessions_closed", "sensors", "src_ips", "first_event", "last_event", "logins", "commands",
              "failed_commands", "downloads", "uploads", "tcpip_requests", "end_kinds", "channels", "eventids"):
        assert a[k] == b[k], k
    for k in ("files", "bytes", "lines", "events", "rejected_total", "field_errors", "type_errors",
              "sessionless_events"):
        assert a["inputs"][k] == b["inputs"][k], k
    assert {"sensor", "src_ip", "src_port"} <= set(a["inputs"]["field_errors"])


def test_summary_and_report_are_byte_identical(both):
    """The mappers' file names lead back to the local files (cowrie-batch-inputs/N), so the
    per-file reports, reject samples and damaged files read as the local engine's."""
    local, hadoop = both
    for name in ("summary.json", "report.html"):
        assert (local / name).read_bytes() == (hadoop / name).read_bytes(), name


def test_damaged_sensors_are_sensors(both):
    local, hadoop = both
    for d in (local, hadoop):
        sensors = {json.loads(l)["sensor"] for l in (d / "sessions.jsonl").read_text().splitlines()}
        assert {"", "42", "a\tb\nc\x1fd\\e"} <= sensors, d


def test_the_split_session_is_whole(both, inputs):
    local, hadoop = both
    sid, n = (inputs.parent / "split-session.txt").read_text().split()
    rows = [json.loads(l) for l in (hadoop / "sessions.jsonl").read_text().splitlines()]
    mine = [r for r in rows if r["session"] == sid]
    assert len(mine) == 1, "the halves of the split session must merge into one record"
    assert mine[0]["events"] == int(n)
    assert mine[0]["closed"] is True
