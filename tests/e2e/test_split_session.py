"""A session split across two files by Cowrie's midnight rotation.

A real sample file is cut at the time of one session's middle command: the earlier lines go
to `cowrie.json.<day>` (the rotated file), the later ones to `cowrie.json`. The session must
come out as one record with the right start, end and commands, identical to the record from
the uncut file, whatever the order in which the files are given or named.

The logs cut: two of the project's own real recordings (examples/logs and
tests/data/multi-sensor/honeypot-west; make test) and two sample files of ../shared/samples
(make test-wild).
"""

import gzip
import json

import pytest

import cbtest
from cbtest import analyze, parse_time

# (log file, session id or None = the closed session with most commands). "own:" paths are
# relative to the repository, the others to ../shared/samples.
SOURCES = [
    pytest.param("own:examples/logs/cowrie.json", None, id="own-examples"),
    pytest.param("own:tests/data/multi-sensor/honeypot-west/cowrie.json", None, id="own-multi-sensor"),
    pytest.param("generated/cowrie-v3.0.12-93-g1b51ef96-run3/cowrie.json", None, id="generated-v3",
                 marks=pytest.mark.wild),
    pytest.param("wild/AxiomInfinite__HoneyPotLogs/history/722024d1a0b1/cowrie/log/cowrie.json.2022-05-07",
                 "75e4080a2b8e", id="wild-axiom", marks=pytest.mark.wild),
]


def load(path):
    lines = [ln for ln in path.read_bytes().split(b"\n") if ln.strip()]
    return lines, [json.loads(ln) for ln in lines]


def pick_session(events):
    by = {}
    for e in events:
        by.setdefault(e.get("session"), []).append(e)
    good = [(sum(x["eventid"] == "cowrie.command.input" for x in evs), sid) for sid, evs in by.items()
            if sid and {"cowrie.session.connect", "cowrie.session.closed"} <= {x["eventid"] for x in evs}]
    n, sid = max(good)
    assert n >= 3, "need a session with at least 3 commands to split"
    return sid


def source_file(request, rel):
    if rel.startswith("own:"):
        return cbtest.REPO / rel[len("own:"):]
    return request.getfixturevalue("samples") / rel


@pytest.fixture
def split_case(request, tmp_path, cb_bin):
    rel, sid = request.param
    src = source_file(request, rel)
    if not src.is_file():
        pytest.skip(f"sample file missing: {src}")
    lines, events = load(src)
    sid = sid or pick_session(events)
    mine = sorted((parse_time(e["timestamp"]), i) for i, e in enumerate(events) if e.get("session") == sid)
    cmds = [(t, i) for t, i in mine if events[i]["eventid"] == "cowrie.command.input"]
    cut_time = cmds[len(cmds) // 2][0]  # everything from the middle command on goes to the new file
    early = [ln for ln, e in zip(lines, events) if parse_time(e["timestamp"]) < cut_time]
    late = [ln for ln, e in zip(lines, events) if parse_time(e["timestamp"]) >= cut_time]
    assert early and late
    whole = analyze(cb_bin, src, tmp_path / "out-whole")
    assert whole.rc == 0, whole.explain()
    expect = {
        "start": events[[i for _, i in mine if events[i]["eventid"] == "cowrie.session.connect"][0]]["timestamp"],
        "end": events[[i for _, i in mine if events[i]["eventid"] == "cowrie.session.closed"][-1]]["timestamp"],
        "commands": [events[i]["input"] for _, i in cmds],
    }
    day = cut_time.strftime("%Y-%m-%d")
    return dict(sid=sid, early=early, late=late, whole=whole, expect=expect, day=day, n_cmds=len(cmds),
                cmds_early=sum(t < cut_time for t, _ in cmds))


def pytest_generate_tests(metafunc):
    if "split_case" in metafunc.fixturenames:
        metafunc.parametrize("split_case", [pytest.param((p.values[0], p.values[1]), id=p.id, marks=p.marks)
                                            for p in SOURCES], indirect=True)


def write_lines(path, lines):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(ln + b"\n" for ln in lines))
    return path


def check(res, case):
    assert res.rc == 0, res.explain()
    s = res.session(case["sid"])
    exp = case["expect"]
    assert parse_time(s["start"]) == parse_time(exp["start"])
    assert parse_time(s["end"]) == parse_time(exp["end"])
    assert [c["input"] for c in s["commands"]] == exp["commands"]
    assert s["closed"] is True
    # the whole sessions.jsonl equals the one from the uncut file, byte for byte
    assert (res.out / "sessions.jsonl").read_bytes() == (case["whole"].out / "sessions.jsonl").read_bytes()
    n = res.query("SELECT count(*) FROM sessions WHERE session=?", (case["sid"],))[0][0]
    assert n == 1
    seqs = res.query("SELECT seq FROM commands WHERE session=? ORDER BY seq", (case["sid"],))
    assert [r[0] for r in seqs] == list(range(case["n_cmds"]))


def test_split_in_one_folder(split_case, cb_bin, tmp_path):
    d = tmp_path / "logs"
    write_lines(d / f"cowrie.json.{split_case['day']}", split_case["early"])
    write_lines(d / "cowrie.json", split_case["late"])
    assert 0 < split_case["cmds_early"] < split_case["n_cmds"]
    check(analyze(cb_bin, d, tmp_path / "out"), split_case)


def test_split_files_given_in_reverse_order(split_case, cb_bin, tmp_path):
    d = tmp_path / "logs"
    rotated = write_lines(d / f"cowrie.json.{split_case['day']}", split_case["early"])
    current = write_lines(d / "cowrie.json", split_case["late"])
    check(analyze(cb_bin, [current, rotated], tmp_path / "out", "--threads", "2"), split_case)


def test_split_later_part_in_the_file_that_sorts_first(split_case, cb_bin, tmp_path):
    """Path order is the opposite of time order: a/ holds the later half, b/ the earlier."""
    write_lines(tmp_path / "logs" / "a" / "cowrie.json", split_case["late"])
    write_lines(tmp_path / "logs" / "b" / f"cowrie.json.{split_case['day']}", split_case["early"])
    check(analyze(cb_bin, tmp_path / "logs", tmp_path / "out", "--threads", "1"), split_case)


def test_split_with_gzip_rotated_half(split_case, cb_bin, tmp_path):
    """logrotate compresses the older half: cowrie.json.1.gz + cowrie.json."""
    d = tmp_path / "logs"
    d.mkdir()
    (d / "cowrie.json.1.gz").write_bytes(gzip.compress(b"".join(ln + b"\n" for ln in split_case["early"])))
    write_lines(d / "cowrie.json", split_case["late"])
    check(analyze(cb_bin, d, tmp_path / "out"), split_case)
