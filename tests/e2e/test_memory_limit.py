"""--memory-limit: a run that spills its sessions to disk writes the same bytes as one in memory.

The limit is set so low that the project's own data spills (it is tens of KiB of sessions); the
run must say it spilled (--stats), so a test cannot pass by never spilling. Every output file is
compared byte for byte with the unlimited run, for one and two threads. The spill folder goes to
--tmp-dir and is gone after the run; a spill folder that cannot be made fails the run (exit 3)
and leaves OUTDIR as it was.
"""

import os
import re
import resource
import subprocess
from pathlib import Path

import pytest

import cbtest
from cbtest import analyze

OWN_DATA = [cbtest.REPO / d for d in ("examples/logs", "tests/data/multi-sensor", "tests/data/quirks")]
SPILLED = re.compile(r"spilled: (\d+) key runs .*, (\d+) order runs")
SPILL_PEAK = re.compile(r"order runs \([\d.]+ MiB\); the spill folder took at most about ([\d.]+) MiB at once")


def spill_counts(res: cbtest.Result) -> tuple[int, int]:
    m = SPILLED.search(res.err)
    assert m, res.explain()
    return int(m.group(1)), int(m.group(2))


@pytest.fixture(scope="module", params=[
    pytest.param(OWN_DATA, id="own"),
    pytest.param(None, id="samples", marks=pytest.mark.wild),
])
def corpus(request):
    return request.param if request.param is not None else [request.getfixturevalue("samples")]


@pytest.fixture(scope="module")
def in_memory(cb_bin, corpus, tmp_path_factory):
    res = analyze(cb_bin, corpus, tmp_path_factory.mktemp("mem") / "out", "--threads", "2", "--stats")
    assert res.rc in (0, 1), res.explain()
    assert spill_counts(res) == (0, 0), "the default limit must not spill this corpus"
    return res


@pytest.mark.parametrize("limit,threads", [("64K", "1"), ("64K", "2"), ("1M", "2")])
def test_spilled_run_writes_the_same_bytes(cb_bin, corpus, in_memory, tmp_path, limit, threads):
    spill_dir = tmp_path / "spill"
    spill_dir.mkdir()
    res = analyze(cb_bin, corpus, tmp_path / "out", "--threads", threads, "--memory-limit", limit, "--tmp-dir",
                  spill_dir, "--stats")
    assert res.rc == in_memory.rc, res.explain()
    key_runs, order_runs = spill_counts(res)
    if limit == "64K" or corpus != OWN_DATA:
        assert key_runs >= 2 and order_runs >= 1, f"expected the run to spill:\n{res.err}"
        # The folder's peak on disk, in allocated blocks (so small runs can take more than their
        # bytes; that the key runs are freed as they are merged is checked by the unit tests).
        m = SPILL_PEAK.search(res.err)
        assert m and float(m.group(1)) > 0, res.explain()
    cbtest.assert_same_tree(in_memory.out, res.out)
    assert not any(spill_dir.iterdir()), "the spill folder must be removed at the end"


def peak_rss_mib(res: cbtest.Result) -> float:
    """The highest peak RSS of the run's phases (--stats)."""
    rows = re.findall(r"^# [a-z].*?\s([\d.]+)\s+([\d.]+)\s+([\d.]+)$", res.err, re.M)
    assert rows, res.explain()
    return max(float(r[2]) for r in rows)


def test_a_lower_limit_takes_no_more_memory(cb_bin, corpus, in_memory, tmp_path):
    """The merge opens no more spill files at once than the limit holds of their read buffers
    (256 KiB each), whatever the open-file limit allows: the samples at 64K made 2,407 key runs and
    merged them 5,000 at a time, 623 MiB against 101 MiB in memory. (The project's own data makes
    too few key runs to show it: for it this is a sanity check.)"""
    res = analyze(cb_bin, corpus, tmp_path / "out", "--threads", "2", "--memory-limit", "64K", "--stats")
    assert res.rc == in_memory.rc, res.explain()
    assert peak_rss_mib(res) <= peak_rss_mib(in_memory) + 8, (peak_rss_mib(res), peak_rss_mib(in_memory))


OPEN_FILES = 24  # RLIMIT_NOFILE of the run below: a merge reads at most 16 runs at once


def test_more_runs_than_open_files_are_merged_in_a_tree(cb_bin, corpus, in_memory, tmp_path):
    """A year of logs at a small limit makes more spill files than a process may hold open: they
    are merged in groups first (a merge tree), and no output byte changes."""
    spill_dir = tmp_path / "spill"
    spill_dir.mkdir()

    def few_open_files():
        resource.setrlimit(resource.RLIMIT_NOFILE, (OPEN_FILES, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))

    args = [cb_bin, "analyze", *corpus, "-o", tmp_path / "out", "--threads", "2", "--memory-limit", "64K",
            "--tmp-dir", spill_dir, "--stats", "--quiet"]
    p = subprocess.run([str(a) for a in args], capture_output=True, text=True, preexec_fn=few_open_files,
                       stdin=subprocess.DEVNULL, env={**os.environ, "LC_ALL": "C", "TZ": "UTC"},
                       timeout=cbtest.RUN_TIMEOUT)
    assert p.returncode == in_memory.rc, p.stderr[-3000:]
    m = SPILLED.search(p.stderr)
    assert m and int(m.group(1)) > 16, f"more key runs than one merge reads at once:\n{p.stderr[-3000:]}"
    cbtest.assert_same_tree(in_memory.out, tmp_path / "out")
    assert not any(spill_dir.iterdir()), "the spill folder must be removed at the end"


def headline(res: cbtest.Result) -> list:
    """The console summary of a run, without the lines that name OUTDIR or time the run."""
    text = res.stdout.decode("utf-8", "replace")
    return [line for line in text.splitlines() if str(res.out) not in line and not line.lstrip().startswith("wrote ")]


def test_spilled_run_prints_the_same_console_summary(cb_bin, tmp_path):
    """The console summary counts every session, not the ones a spilled run keeps for report.html
    (at most 5,000): 6,000 sessions on 3 sensors from 60 addresses."""
    evs = []
    for i in range(6000):
        evs += cbtest.session_events(f"s{i:011x}", 60.0 * i, sensor=f"sensor-{i % 3}", ip=f"198.51.100.{i % 60}",
                                     success=i % 2 == 0, commands=("uname -a",) if i % 2 == 0 else ())
    log = tmp_path / "cowrie.json"
    log.write_bytes(cbtest.dumps(evs))
    mem = analyze(cb_bin, log, tmp_path / "mem", quiet=False)
    spilled = analyze(cb_bin, log, tmp_path / "spilled", "--memory-limit", "64K", quiet=False)
    assert mem.rc == 0 and spilled.rc == 0, spilled.explain()
    assert "in 6,000 sessions from 60 addresses on 3 sensors" in headline(mem)[0], headline(mem)
    assert "logins      6,000 attempts, 3,000 successful" in headline(mem)[2]
    assert headline(spilled) == headline(mem)


def test_spill_folder_that_cannot_be_made_fails_cleanly(cb_bin, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text("{}")  # a previous run's outputs
    missing = tmp_path / "no" / "such" / "folder"
    res = analyze(cb_bin, OWN_DATA, out, "--memory-limit", "64K", "--tmp-dir", missing)
    assert res.rc == 3, res.explain()
    assert str(missing) in res.err and "--tmp-dir" in res.err
    assert [p.name for p in out.iterdir()] == ["summary.json"]
    assert (out / "summary.json").read_text() == "{}"


def test_memory_limit_is_a_size(cb_bin, tmp_path):
    res = cbtest.run_cb(cb_bin, "analyze", *OWN_DATA, "-o", tmp_path / "out", "--memory-limit", "lots")
    assert res.returncode == 2
    assert b"--memory-limit" in res.stderr


def collision_log(n=12) -> tuple[bytes, tuple[str, str]]:
    """n shell sessions that run `uname -a`, then one of two commands whose stable_hash64 (FNV-1a
    with a murmur finaliser, found by a collision search) is the same, then `exit`."""
    pair = ("echo 4169972a22542846", "echo 2226a717992669b5")
    evs = []
    for i in range(n):
        sid, t0 = f"c{i:011d}", 1709251200.0 + 100.0 * i
        for e in cbtest.session_events(sid, t0, commands=("uname -a", pair[i % 2], "exit")):
            evs.append(e)
            if e["eventid"] == "cowrie.client.version":  # a shell, as a terminal size says
                evs.append(dict(e, eventid="cowrie.client.size", width=80, height=24))
                del evs[-1]["version"]
    return cbtest.dumps(evs), pair


def drill_examples(out, command: str) -> list:
    """The predisconnect drill-down examples report.html lists for the `raw` row of command."""
    import csv
    import json
    html = (out / "report.html").read_text("utf-8")
    start = html.index('id="cb-data">') + len('id="cb-data">')
    data = json.loads(html[start:html.index("</script>", start)])
    with open(out / "tables" / "predisconnect.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    row = next(k for k, r in enumerate(rows) if r["kind"] == "raw" and r["command"] == command)
    return data["drill"]["predisconnect"][row]


@pytest.mark.parametrize("memory", [(), ("--memory-limit", "64K")], ids=["in-memory", "spilled"])
def test_crafted_hash_collisions_do_not_mix_drill_down_rows(cb_bin, tmp_path, memory):
    """The report matches predisconnect and forks rows by hashes of attacker-chosen commands: they
    are keyed (keyed_hash64), so two commands crafted to collide keep their own examples."""
    log, pair = collision_log()
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "cowrie.json").write_bytes(log)
    res = analyze(cb_bin, tmp_path / "logs", tmp_path / "out", "--threads", "2", "--stats", *memory)
    assert res.rc == 0, res.explain()
    assert (spill_counts(res)[1] > 0) == bool(memory), res.err
    for k, command in enumerate(pair):
        examples = drill_examples(res.out, command)
        assert examples, f"no examples for {command}"
        assert all(int(e.split("/c")[1]) % 2 == k for e in examples), (command, examples)
