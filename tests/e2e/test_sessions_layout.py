"""--sessions day: the sessions in one folder per day, sessions/day=YYYY-MM-DD/sessions.jsonl.

Each session goes to the day (UTC) it started, in the order of sessions.jsonl, so the days' files
joined in day order are sessions.jsonl byte for byte, and every other output is the same as with
--sessions file. The folders are Hive-style partitions: DuckDB (from PyPI, in the e2e tools venv)
must read them as one table with a `day` column. sessions/_partitions.json lists each day's
sessions, bytes and CRC-64/XZ. A run into an OUTDIR that holds an earlier run's days keeps
(hard-links) each day whose bytes did not change and writes the others, so readers and copies of
the folder see which days changed; a damaged _partitions.json or an edited day file only means
that those days are written again.
"""

import json
import os
import subprocess
from pathlib import Path

import cbtest
from cbtest import analyze

EXAMPLES = cbtest.REPO / "examples/logs"
MULTI = cbtest.REPO / "tests/data/multi-sensor"


def crc64_xz(data: bytes) -> int:
    """CRC-64/XZ (reflected ECMA-182), bit by bit: independent of the binary's ISA-L."""
    crc = 0xFFFFFFFFFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0xC96C5795D7870F42 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFFFFFFFFFF


def days_of(out: Path) -> dict:
    """{day folder name: its sessions.jsonl} of OUTDIR/sessions."""
    return {p.parent.name: p for p in sorted((out / "sessions").glob("day=*/sessions.jsonl"))}


def run(cb_bin, inputs, out, *extra) -> cbtest.Result:
    res = analyze(cb_bin, inputs, out, *extra)
    assert res.rc in (0, 1), res.explain()
    return res


def test_days_join_into_sessions_jsonl_and_nothing_else_changes(cb_bin, tmp_path):
    whole = run(cb_bin, [EXAMPLES, MULTI], tmp_path / "file")
    by_day = run(cb_bin, [EXAMPLES, MULTI], tmp_path / "day", "--sessions", "day")
    days = days_of(by_day.out)
    assert len(days) >= 3, sorted(days)
    assert b"".join(p.read_bytes() for p in days.values()) == (whole.out / "sessions.jsonl").read_bytes()
    assert not (by_day.out / "sessions.jsonl").exists() and not (whole.out / "sessions").exists()
    for name, path in days.items():
        starts = {json.loads(line)["start"][:10] for line in path.read_text().splitlines()}
        assert starts == {name.removeprefix("day=")}, (name, starts)
    listed = json.loads((by_day.out / "sessions/_partitions.json").read_text())
    assert listed["layout"] == "day"
    assert [p["path"] for p in listed["partitions"]] == [f"{n}/sessions.jsonl" for n in days]
    for p in listed["partitions"]:
        data = (by_day.out / "sessions" / p["path"]).read_bytes()
        assert p["day"] == p["path"][4:14]
        assert (p["sessions"], p["bytes"], int(p["crc64"], 16)) == (data.count(b"\n"), len(data), crc64_xz(data))
    others = [p.relative_to(whole.out) for p in whole.out.rglob("*") if p.is_file() and p.name != "sessions.jsonl"]
    assert others, "no other outputs"
    for rel in others:  # cowrie.sqlite too: its bytes are the same for the same sessions
        assert (whole.out / rel).read_bytes() == (by_day.out / rel).read_bytes(), rel


def test_duckdb_reads_the_days_as_one_table(cb_bin, tmp_path):
    res = run(cb_bin, [EXAMPLES, MULTI], tmp_path / "out", "--sessions", "day")
    script = """
import duckdb, json, sys
rows = duckdb.sql(
    "SELECT day, count(*), count(DISTINCT sensor || '/' || session), min(start), max(start) "
    "FROM read_json_auto(?, hive_partitioning = true) GROUP BY day ORDER BY day",
    params=[sys.argv[1] + "/sessions/*/*.jsonl"]).fetchall()
print(json.dumps([[str(d), n, k, str(lo), str(hi)] for d, n, k, lo, hi in rows]))
"""
    tools_python = cbtest.tools_python()
    got = subprocess.run([tools_python, "-c", script, str(res.out)],
                         capture_output=True, text=True, timeout=120)
    assert got.returncode == 0, got.stderr
    by_duckdb = json.loads(got.stdout)
    by_day = {}
    for s in res.sessions:
        by_day.setdefault(s["start"][:10], []).append(s)
    assert [r[0] for r in by_duckdb] == sorted(by_day)
    for day, n, distinct, lo, hi in by_duckdb:
        assert n == distinct == len(by_day[day]), day
        assert lo[:10] == hi[:10] == day  # the partition column matches every row's start
    assert sum(r[1] for r in by_duckdb) == res.summary["sessions"]


def test_a_later_run_keeps_the_days_that_did_not_change(cb_bin, tmp_path):
    out = tmp_path / "out"
    run(cb_bin, EXAMPLES, out, "--sessions", "day")
    before = {n: (p.stat().st_ino, p.read_bytes()) for n, p in days_of(out).items()}
    res = cbtest.run_cb(cb_bin, "analyze", EXAMPLES, MULTI, "-o", out, "--sessions", "day")
    assert res.returncode in (0, 1), res.stderr.decode()
    after = days_of(out)
    kept = [n for n in before if n in after and after[n].stat().st_ino == before[n][0]]
    for n, (ino, data) in before.items():  # kept exactly when the bytes are the same
        assert (n in kept) == (n in after and after[n].read_bytes() == data), n
    assert kept, "no day kept: the test data should leave the examples' days as they were"
    assert len(after) > len(before)
    assert f"{len(after)} days, {len(after) - len(kept)} written, {len(kept)} unchanged".encode() in res.stderr
    fresh = run(cb_bin, [EXAMPLES, MULTI], tmp_path / "fresh", "--sessions", "day")
    cbtest.assert_same_tree(fresh.out, out)


def test_an_edited_day_or_a_damaged_list_is_written_again(cb_bin, tmp_path):
    out = tmp_path / "out"
    run(cb_bin, EXAMPLES, out, "--sessions", "day")
    first, second = list(days_of(out).values())[:2]
    good = first.read_bytes()
    os.chmod(first, 0o644)
    first.write_bytes(good.replace(b'"session"', b'"sessioN"', 1))  # same size, other bytes
    ino = second.stat().st_ino
    run(cb_bin, EXAMPLES, out, "--sessions", "day")
    assert first.read_bytes() == good
    assert second.stat().st_ino == ino  # the untouched day stays
    (out / "sessions/_partitions.json").write_text("{not json")
    run(cb_bin, EXAMPLES, out, "--sessions", "day")
    assert second.stat().st_ino != ino and second.read_bytes() and first.read_bytes() == good
    fresh = run(cb_bin, EXAMPLES, tmp_path / "fresh", "--sessions", "day")
    cbtest.assert_same_tree(fresh.out, out)


def test_a_stranger_in_the_sessions_folder_is_not_replaced(cb_bin, tmp_path):
    out = tmp_path / "out"
    run(cb_bin, EXAMPLES, out, "--sessions", "day")
    day = next(iter(days_of(out).values())).parent
    (day / "notes.txt").write_text("mine")
    res = analyze(cb_bin, EXAMPLES, out, "--sessions", "day")
    assert res.rc == 2 and "notes.txt" in res.err, res.explain()
    assert (day / "notes.txt").read_text() == "mine"


def test_state_runs_write_days_unless_told(cb_bin, tmp_path):
    res = run(cb_bin, EXAMPLES, tmp_path / "a", "--state", tmp_path / "st")
    assert days_of(res.out) and not (res.out / "sessions.jsonl").exists()
    res = run(cb_bin, EXAMPLES, tmp_path / "b", "--state", tmp_path / "st2", "--sessions", "file")
    assert (res.out / "sessions.jsonl").exists() and not (res.out / "sessions").exists()
