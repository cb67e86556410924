"""analyze --state: runs that read only what is new write what one full run writes.

A sensor's log folder is played forward from the project's own recorded logs (examples/logs and
the two sensors of tests/data/multi-sensor): the live cowrie.json grows (once ending in half a
line, which must wait for its newline), is renamed at rotation while a new one begins, an old
day is gzipped by "logrotate", another sensor's logs appear. After each step the incremental
run's OUTDIR must be byte-identical to a full run (no state) over the folder as it is then;
so must runs after a file changed in the middle (the state is rebuilt, and the run says so),
after a log was deleted (its sessions stay), and with other read limits (rebuilt). `merge` of
two sensors' states must equal one run over both sensors' logs.
"""

import datetime
import gzip
import json
import os
import re
import resource
import shutil
import subprocess
from pathlib import Path

import pytest

import cbtest
from cbtest import analyze

SOURCES = [
    cbtest.REPO / "examples/logs/cowrie.json.2026-11-26",
    cbtest.REPO / "examples/logs/cowrie.json",
    cbtest.REPO / "tests/data/multi-sensor/honeypot-west/cowrie.json.2026-12-04",
    cbtest.REPO / "tests/data/multi-sensor/honeypot-west/cowrie.json",
]


def event_lines() -> list:
    """The recorded events of one sensor folder after another, each line with its newline."""
    out = []
    for p in SOURCES:
        data = p.read_bytes()
        out += [line + b"\n" for line in data.split(b"\n") if line.strip()]
    return out


class Sensor:
    """A Cowrie log folder written as Cowrie and logrotate would, and the runs over it."""

    def __init__(self, cb_bin, root: Path, one_outdir=False):
        self.cb_bin, self.root = cb_bin, root
        self.one_outdir = one_outdir  # every incremental run into the same OUTDIR, as cron does
        self.logs = root / "logs"
        self.logs.mkdir(parents=True)
        self.state = root / "state"
        self.runs = 0

    def append_live(self, data: bytes):
        with open(self.logs / "cowrie.json", "ab") as f:
            f.write(data)

    def rotate(self, day: str):
        os.rename(self.logs / "cowrie.json", self.logs / f"cowrie.json.{day}")
        (self.logs / "cowrie.json").write_bytes(b"")

    def gzip_old(self, day: str):
        src = self.logs / f"cowrie.json.{day}"
        with open(src, "rb") as f, gzip.open(str(src) + ".gz", "wb") as g:
            shutil.copyfileobj(f, g)
        src.unlink()

    def incremental(self, *extra) -> cbtest.Result:
        self.runs += 1
        out = self.root / ("out" if self.one_outdir else f"inc{self.runs}")
        res = analyze(self.cb_bin, self.logs, out, "--state", self.state, *extra)
        assert res.rc in (0, 1), res.explain()
        return res

    def full(self, *extra) -> cbtest.Result:
        # --state writes sessions by day unless told otherwise: the full run is told the same
        layout = () if "--sessions" in extra else ("--sessions", "day")
        res = analyze(self.cb_bin, self.logs, self.root / f"full{self.runs}", *layout, *extra)
        assert res.rc in (0, 1), res.explain()
        return res

    def check(self, *extra) -> cbtest.Result:
        """One incremental run, compared with a full run over the same files."""
        inc = self.incremental(*extra)
        full = self.full(*extra)
        assert inc.rc == full.rc, inc.explain() + full.explain()
        if self.one_outdir:
            cbtest.assert_same_outputs(full.out, inc.out)
        else:
            cbtest.assert_same_tree(full.out, inc.out)
        return inc


def assert_same_but_gone(before: Path, after: Path, gone: str):
    """The outputs of a run after a log was deleted equal those before it, but report.html's files
    table marks that log as gone."""
    report = Path("report.html")
    ta, tb = cbtest.file_tree(before), cbtest.file_tree(after)
    assert ta.keys() == tb.keys()
    assert [str(k) for k in ta if k != report and ta[k].read_bytes() != tb[k].read_bytes()] == []
    assert f"{gone} (gone)".encode() in tb[report].read_bytes()
    assert f"{gone} (gone)".encode() not in ta[report].read_bytes()


@pytest.fixture
def lines():
    ls = event_lines()
    assert len(ls) > 200
    return ls


# The memory of a run: in memory, or spilled (the state does not fit the limit: its sessions are
# merged on disk, and a checkpoint's are skipped as they stream by, then checked).
IN_MEMORY, SPILLED = (), ("--memory-limit", "128K")


def spilled(res: cbtest.Result) -> bool:
    """Whether the run (with --stats) merged its sessions on disk."""
    import re
    m = re.search(r"(\d+) order runs", res.err)
    assert m, res.err
    return int(m.group(1)) > 0


def test_days_fed_in_batches_with_a_live_file_that_grows_and_rotates(cb_bin, tmp_path, lines):
    s = Sensor(cb_bin, tmp_path)
    n = len(lines)
    day1, day2, day3 = lines[: n // 3], lines[n // 3: 2 * n // 3], lines[2 * n // 3:]
    s.append_live(b"".join(day1[: len(day1) // 2]))
    first = s.check()
    assert first.summary["sessions"] > 0
    # Cowrie is writing a line: the run leaves it for the next one, but counts it as a full run does
    rest = b"".join(day1[len(day1) // 2:])
    s.append_live(rest[:50])
    s.check()
    s.append_live(rest[50:])
    s.check()
    s.rotate("2026-11-26")
    s.append_live(b"".join(day2[:100]))
    renamed = s.check("--stats")
    assert "read 1 of 2 logs" in renamed.err, renamed.err  # the renamed file has nothing new
    s.gzip_old("2026-11-26")
    s.append_live(b"".join(day2[100:]))
    s.check()
    s.rotate("2026-11-27")
    s.append_live(b"".join(day3))
    s.check()
    (s.logs / "east").mkdir()
    shutil.copy(cbtest.REPO / "tests/data/multi-sensor/honeypot-east/cowrie.json.2026-12-04.gz", s.logs / "east")
    last = s.check()
    assert last.summary["sessions"] > first.summary["sessions"]


def sessions_files(state: Path) -> list:
    """The sessions files of a state folder, sorted; each has its key list (FILE.keys)."""
    names = sorted(p.name for p in state.iterdir() if p.name.startswith("sessions") and p.suffix != ".keys")
    keys = sorted(p.name for p in state.iterdir() if p.name.startswith("sessions") and p.suffix == ".keys")
    assert keys == sorted(n + ".keys" for n in names), (names, keys)
    return names


@pytest.mark.parametrize("memory", [IN_MEMORY, SPILLED], ids=["in-memory", "spilled"])
def test_runs_add_a_sessions_file_each_until_they_are_merged(cb_bin, tmp_path, lines, memory):
    """A run adds its partials as sessions.N (a spilled run merges its spill files into it) and
    keeps the older files as they were (hard links of the same bytes); every 16 files the run
    merges them into one again."""
    s = Sensor(cb_bin, tmp_path)
    central = tmp_path / "central"  # the state copied after each run over the last copy (rsync -a)
    per_run = max(1, len(lines) // 20)
    s.append_live(b"".join(lines[:per_run]))
    s.incremental(*memory)
    shutil.copytree(s.state, central, dirs_exist_ok=True)
    base = (s.state / "sessions").read_bytes()
    for k in range(1, 16):
        s.append_live(b"".join(lines[k * per_run:(k + 1) * per_run]))
        if k == 8:  # outputs from 9 files equal a full run's
            res = s.check("--stats", *memory)
            # a state too large for the limit is merged on disk, or its tail built in memory
            assert (spilled(res) or KEPT.search(res.err)) if memory == SPILLED else not spilled(res), res.err
        else:
            s.incremental(*memory)
        shutil.copytree(s.state, central, dirs_exist_ok=True)
        names = sessions_files(s.state)
        assert names == ["sessions"] + sorted(f"sessions.{i}" for i in range(1, k + 1)), names
        assert (s.state / "sessions").read_bytes() == base
    full = s.check(*memory)  # the 16th file: all merged into one
    shutil.copytree(s.state, central, dirs_exist_ok=True)
    names = sessions_files(s.state)
    assert names == ["sessions"], names
    assert full.summary["sessions"] > 0
    # the copy still holds sessions.1 to .15, merged into its `sessions`: the manifest says
    # which files make the state, and only those are read
    assert (central / "sessions.15").exists()
    merged = cbtest.run_cb(cb_bin, "merge", central, "-o", tmp_path / "merged", "--sessions", "day", "--quiet")
    assert merged.returncode == full.rc, merged.stderr.decode()
    cbtest.assert_same_tree(full.out.parent / f"full{s.runs}", tmp_path / "merged")
    s.append_live(b"".join(lines[16 * per_run:]))
    s.check(*memory)
    assert (s.state / "sessions.1").exists()


@pytest.mark.parametrize("memory", [IN_MEMORY, SPILLED], ids=["in-memory", "spilled"])
def test_small_sessions_files_are_merged_into_one_beside_the_large_one(cb_bin, tmp_path, lines, memory):
    """Daily runs after a long history: once there are 16 sessions files, the 15 small ones the
    last runs added (under a quarter of the large one's bytes) are merged into one, and the
    large one is kept as it was (a run rewrites the last weeks' partials, not a year's). Outputs
    stay those of a full run, and `merge` of the state gives them too."""
    s = Sensor(cb_bin, tmp_path)
    pat = re.compile(rb'"session":\s*"([^"]*)"')
    for k in range(200):  # the history: renamed copies of the recorded sessions
        s.append_live(b"".join(pat.sub(lambda m: b'"session":"%s-%x"' % (m.group(1), k), l) for l in lines))
    s.incremental(*memory)
    base = (s.state / "sessions").read_bytes()
    per_run = len(lines) // 40
    for k in range(1, 16):  # then a run a day, each over a few of the recorded events
        s.append_live(b"".join(lines[(k - 1) * per_run:k * per_run]))
        s.incremental(*memory)
    assert sessions_files(s.state) == ["sessions"] + sorted(f"sessions.{i}" for i in range(1, 16))
    small = sum((s.state / f"sessions.{i}").stat().st_size for i in range(1, 16))
    assert small < len(base) // 4, (small, len(base))
    s.append_live(b"".join(lines[15 * per_run:16 * per_run]))
    res = s.check("--stats", *memory)  # the 16th file: the 15 small ones merged into sessions.16, this run's .17
    assert "15 sessions files of the last runs merged into one" in res.err, res.err
    assert sessions_files(s.state) == ["sessions", "sessions.16", "sessions.17"], sessions_files(s.state)
    assert (s.state / "sessions").read_bytes() == base
    merged = cbtest.run_cb(cb_bin, "merge", s.state, "-o", tmp_path / "merged", "--sessions", "day", "--quiet")
    assert merged.returncode == res.rc, merged.stderr.decode()
    cbtest.assert_same_tree(res.out.parent / f"full{s.runs}", tmp_path / "merged")
    s.append_live(b"".join(lines[16 * per_run:]))
    s.check(*memory)
    assert sessions_files(s.state) == ["sessions", "sessions.16", "sessions.17", "sessions.18"]


@pytest.mark.parametrize("memory", [IN_MEMORY, SPILLED], ids=["in-memory", "spilled"])
def test_a_last_line_without_its_newline_counts_as_a_full_run_counts_it(cb_bin, tmp_path, lines, memory):
    """A log's last line without its newline (Cowrie writing it, a log cut by a crash, a file saved
    without one) waits in the ledger for its newline, but every run counts it as one run over the
    whole log does: a whole event is kept (a log that never gets its newline keeps it), a cut line
    is a truncated_line, and the line is read for good once it is whole."""
    s = Sensor(cb_bin, tmp_path, one_outdir=True)
    n = len(lines)
    s.append_live(b"".join(lines[: n // 2])[:-1])  # the last event whole, without its newline
    first = s.check("--stats", *memory)
    assert (s.state / "tails").exists()
    merged = cbtest.run_cb(cb_bin, "merge", s.state, "-o", tmp_path / "merged", "--sessions", "day", "--quiet")
    assert merged.returncode == first.rc, merged.stderr.decode()
    cbtest.assert_same_tree(tmp_path / f"full{s.runs}", tmp_path / "merged")  # merge counts it too
    again = s.check("--stats", *memory)  # nothing new: the held line still counts
    assert TAKEN in again.err, again.err
    s.append_live(b"\n" + b"".join(lines[n // 2: n // 2 + 20]))  # the newline comes
    s.check(*memory)
    assert not (s.state / "tails").exists()
    cut = lines[n // 2 + 20]
    s.append_live(cut[: len(cut) // 2])  # a line half written when Cowrie stopped, then rotation
    s.rotate("2026-11-26")
    s.append_live(b"".join(lines[n // 2 + 21:]))
    res = s.check("--stats", *memory)
    assert res.summary["inputs"]["rejected"] == {"truncated_line": 1}, res.summary["inputs"]
    assert spilled(res) == (memory == SPILLED), res.err


@pytest.mark.parametrize("case", ["only line", "cut back", "too long", "nul bytes", "hole over ranges"])
def test_held_last_lines_in_odd_places_count_once(cb_bin, tmp_path, lines, case):
    """A log of one unterminated line, read again as a new log once it grows; a log cut back to
    the lines read (its held line gone); a held line longer than --max-line-bytes (a full run
    calls it too_large); NUL bytes before a held line (counted once, also once it is whole); a
    copytruncate hole of 70 MB before a held line, so that the log is read in ranges and the
    line starts in one before the last."""
    s = Sensor(cb_bin, tmp_path, one_outdir=True)
    extra = ("--max-line-bytes", "1K") if case == "too long" else ()
    if case == "only line":
        s.append_live(lines[0][:-1])
        s.check()
        s.append_live(b"\n" + b"".join(lines[1:100]))
    else:
        s.append_live(b"".join(lines[:100]))
        held = {"cut back": lines[100][:-1], "too long": b'{"eventid":"x","pad":"' + b"a" * 3000,
                "nul bytes": b"\0" * 50 + lines[100][:-1], "hole over ranges": lines[100][:-1]}[case]
        if case == "hole over ranges":  # sparse: NULs on reading, no disk
            os.truncate(s.logs / "cowrie.json", 70 << 20)
        s.append_live(held)
        s.check(*extra)
        if case == "cut back":
            os.truncate(s.logs / "cowrie.json", len(b"".join(lines[:100])))
        else:
            s.append_live(b"\n" + b"".join(lines[101:120]))
    s.check(*extra)
    s.check(*extra)  # nothing new


def test_a_daily_run_into_the_same_outdir_updates_cowrie_sqlite_in_place(cb_bin, tmp_path, lines):
    """Runs into one OUTDIR start from a copy of the last cowrie.sqlite and rewrite only from the
    first session whose rows changed: the rows equal a full run's at every step, whether the new
    sessions come last, in the middle (an older log found late) or change old sessions' rows."""
    s = Sensor(cb_bin, tmp_path, one_outdir=True)
    n = len(lines)
    s.append_live(b"".join(lines[: n // 3]))
    first = s.check()
    assert "updated in place" not in first.err  # nothing to start from
    s.append_live(b"".join(lines[n // 3: n // 2]))
    grown = s.check("--stats")
    assert "cowrie.sqlite: updated in place" in grown.err, grown.err
    same = s.check("--stats")
    total = same.summary["sessions"]
    assert f"the rows of the first {total:,} of {total:,} sessions (in start order" in same.err, same.err
    # another sensor's older day: its sessions sort among the ones already there
    (s.logs / "east").mkdir()
    shutil.copy(cbtest.REPO / "tests/data/multi-sensor/honeypot-east/cowrie.json.2026-12-04.gz", s.logs / "east")
    s.append_live(b"".join(lines[n // 2:]))
    middle = s.check("--stats")
    assert "updated in place" in middle.err, middle.err
    # other options change every session's rows: all rewritten, still equal to a full run
    s.check("--idle-timeout", "30")
    # a file changed by hand since (its modification time moved) is not reused
    db = s.root / "out" / "cowrie.sqlite"
    os.utime(db, ns=(db.stat().st_atime_ns, db.stat().st_mtime_ns + 1_000_000_000))
    touched = s.check("--stats")
    assert "updated in place" not in touched.err, touched.err


def test_cowrie_sqlite_is_updated_where_it_is_unless_another_link_shares_it(cb_bin, tmp_path, lines):
    """A daily run updates OUTDIR's cowrie.sqlite itself (the same inode, no journal left) instead
    of copying it; a snapshot that shares it by a hard link (cp -al, rsync --link-dest) keeps its
    bytes, the run updating a copy. Both equal a full run (check())."""
    s = Sensor(cb_bin, tmp_path, one_outdir=True)
    n = len(lines)
    s.append_live(b"".join(lines[: n // 3]))
    s.check()
    db = s.root / "out" / "cowrie.sqlite"
    inode = db.stat().st_ino
    s.append_live(b"".join(lines[n // 3: n // 2]))
    grown = s.check("--stats")
    assert "cowrie.sqlite: updated in place;" in grown.err, grown.err
    assert db.stat().st_ino == inode and db.stat().st_nlink == 1
    assert not (s.root / "out" / "cowrie.sqlite-journal").exists()
    snapshot = tmp_path / "snapshot.sqlite"
    os.link(db, snapshot)
    kept = snapshot.read_bytes()
    s.append_live(b"".join(lines[n // 2:]))
    copied = s.check("--stats")
    assert "cowrie.sqlite: updated from a copy of the last run's (another hard link shares it, or `serve` serves it);" in copied.err, copied.err
    assert snapshot.read_bytes() == kept
    assert db.stat().st_ino != inode and db.stat().st_nlink == 1


def test_a_failed_run_leaves_cowrie_sqlite_updated_in_place_as_it_was(cb_bin, tmp_path, lines):
    """A run that fails after it began updating cowrie.sqlite in place (here a file-size limit
    that the grown file passes) rolls it back: OUTDIR has the same bytes and no journal, and the
    next run equals a full run."""
    s = Sensor(cb_bin, tmp_path, one_outdir=True)
    n = len(lines)
    s.append_live(b"".join(lines[: n // 3]))
    s.check()
    out = s.root / "out"
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    limit = (out / "cowrie.sqlite").stat().st_size  # every other file is smaller
    assert max(len(b) for p, b in before.items() if p.name != "cowrie.sqlite") < limit
    s.append_live(b"".join(lines[n // 3:]))
    pat = re.compile(rb'"session":\s*"([^"]*)"')
    for k in range(100):  # more sessions (renamed copies): the file grows
        s.append_live(b"".join(pat.sub(lambda m: b'"session":"%s-%x"' % (m.group(1), k), l) for l in lines))

    def limit_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    args = [str(cb_bin), "analyze", str(s.logs), "-o", str(out), "--state", str(s.state), "-q"]
    p = subprocess.run(args, capture_output=True, preexec_fn=limit_files, timeout=cbtest.RUN_TIMEOUT)
    err = p.stderr.decode(errors="replace")
    assert p.returncode == 3 and f"cannot write {out}/cowrie.sqlite: File too large" in err, err
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    s.check()


def test_a_run_stopped_between_the_state_swaps_renames_loses_nothing(cb_bin, tmp_path, lines):
    """Killed after moving the old state aside and before renaming the new one into place, a
    run leaves DIR.old-PID and a whole DIR.new-PID: the next run puts the new one in place, so
    the sessions of a log deleted since are not lost."""
    s = Sensor(cb_bin, tmp_path)
    half = len(lines) // 2
    s.append_live(b"".join(lines[:half]))
    s.rotate("2026-11-26")
    s.incremental()
    shutil.copytree(s.state, tmp_path / "old-state")
    s.append_live(b"".join(lines[half:]))
    before = s.check()
    os.rename(s.state, tmp_path / "state.new-4242")  # as the kill leaves them
    os.rename(tmp_path / "old-state", tmp_path / "state.old-4242")
    (s.logs / "cowrie.json.2026-11-26").unlink()
    after = s.incremental()
    assert after.summary["sessions"] == before.summary["sessions"], after.err
    assert_same_but_gone(before.out, after.out, "cowrie.json.2026-11-26")
    assert not (tmp_path / "state.new-4242").exists() and not (tmp_path / "state.old-4242").exists()


def test_nothing_new_reads_nothing(cb_bin, tmp_path, lines):
    s = Sensor(cb_bin, tmp_path)
    s.append_live(b"".join(lines))
    s.check()
    again = s.check("--stats")
    assert "read 0 of 1 log; the others had nothing new" in again.err, again.err


def test_logs_read_before_are_known_by_their_stat_unread(cb_bin, tmp_path, lines):
    """A log the state read that has the stat it had then is taken for the log it was without a
    look at its content (before, every run read 64 KiB of every old log to tell what it is). Its
    bytes overwritten in place with NULs, size and mtime restored, it is still the log it was:
    nothing of it is read, and its sessions stay (the blind spot the ledger has too)."""
    s = Sensor(cb_bin, tmp_path)
    half = len(lines) // 2
    s.append_live(b"".join(lines[:half]))
    s.rotate("2026-11-26")
    first = s.incremental()
    old = s.logs / "cowrie.json.2026-11-26"
    st = old.stat()
    with open(old, "r+b") as f:
        f.write(b"\0" * st.st_size)  # a log of NULs only would not be a log to a look at it
    os.utime(old, ns=(st.st_atime_ns, st.st_mtime_ns))
    s.append_live(b"".join(lines[half:]))
    res = s.incremental("--stats")
    assert "read 1 of 2 logs" in res.err, res.err
    assert res.summary["sessions"] >= first.summary["sessions"] > 0
    assert res.summary["inputs"]["events"] == len(lines), res.summary["inputs"]


def test_a_change_in_the_middle_rebuilds_and_says_so(cb_bin, tmp_path, lines):
    s = Sensor(cb_bin, tmp_path)
    half = len(lines) // 2
    s.append_live(b"".join(lines[:half]))
    s.rotate("2026-11-26")
    s.append_live(b"".join(lines[half:]))
    s.check()
    old = s.logs / "cowrie.json.2026-11-26"
    data = bytearray(old.read_bytes())
    i = data.index(b'"src_port":') + len(b'"src_port":')
    data[i] = ord("9") if data[i] != ord("9") else ord("8")
    old.write_bytes(bytes(data))
    rebuilt = s.check()
    assert "cowrie.json.2026-11-26" in rebuilt.err and "rebuild" in rebuilt.err, rebuilt.err


def test_a_log_gone_with_rejected_lines_is_not_blamed_on_the_file_now_at_its_path(cb_bin, tmp_path, lines):
    """Numbered rotation: the log with a bad line was cowrie.json.1, retention deleted it, and the
    next log took its name. The bad line's report names the path where its log was last seen and
    says that log is gone, not that the file there now has a bad line."""
    s = Sensor(cb_bin, tmp_path)
    half = len(lines) // 2
    s.append_live(b"".join(lines[:half]) + b"this is not an event\n")
    os.rename(s.logs / "cowrie.json", s.logs / "cowrie.json.1")
    s.append_live(b"".join(lines[half:]))
    assert s.incremental().rc == 1
    os.remove(s.logs / "cowrie.json.1")  # retention
    os.rename(s.logs / "cowrie.json", s.logs / "cowrie.json.1")
    (s.logs / "cowrie.json").write_bytes(b"")
    res = analyze(cb_bin, s.logs, tmp_path / "after", "--state", s.state, quiet=False)
    assert res.rc == 1, res.explain()
    blamed = [line for line in res.err.splitlines() if "rejected 1 line" in line]
    assert len(blamed) == 1 and "cowrie.json.1 (read by an earlier run; no longer among the inputs" in blamed[0], res.err


def test_a_deleted_log_keeps_its_sessions(cb_bin, tmp_path, lines):
    s = Sensor(cb_bin, tmp_path)
    half = len(lines) // 2
    s.append_live(b"".join(lines[:half]))
    s.rotate("2026-11-26")
    s.append_live(b"".join(lines[half:]))
    before = s.check()
    (s.logs / "cowrie.json.2026-11-26").unlink()
    after = s.incremental()
    assert "1 log read by earlier runs left the inputs since the last run" in after.err, after.err
    assert_same_but_gone(before.out, after.out, "cowrie.json.2026-11-26")
    assert "left the inputs" not in s.incremental().err, "said once, when it left"


def test_other_read_limits_rebuild_the_state(cb_bin, tmp_path, lines):
    s = Sensor(cb_bin, tmp_path)
    s.append_live(b"".join(lines))
    s.check()
    other = s.check("--max-line-bytes", "2000")
    assert "rebuild" in other.err and "max-line-bytes 2000" in other.err, other.err


def test_state_folder_is_small_and_only_ours(cb_bin, tmp_path, lines):
    s = Sensor(cb_bin, tmp_path)
    s.append_live(b"".join(lines))
    s.check()
    names = sorted(p.name for p in s.state.iterdir())
    assert names == ["checkpoint", "ledger", "likely", "likely.keys", "manifest", "reports", "sessions",
                     "sessions.keys", "sqlite_rows"], names
    state_bytes = sum(p.stat().st_size for p in s.state.iterdir())
    log_bytes = sum(len(x) for x in lines)
    assert state_bytes < log_bytes / 4, (state_bytes, log_bytes)
    assert not list(tmp_path.glob("state.new-*")) and not list(tmp_path.glob("state.old-*"))
    stranger = tmp_path / "not-a-state"
    stranger.mkdir()
    (stranger / "notes.txt").write_text("mine")
    res = analyze(cb_bin, s.logs, tmp_path / "o", "--state", stranger)
    assert res.rc == 3 and "no manifest" in res.err, res.explain()
    assert (stranger / "notes.txt").read_text() == "mine"


TAKEN = "closed sessions taken from the state"
@pytest.mark.parametrize("memory", [IN_MEMORY, SPILLED], ids=["in-memory", "spilled"])
def test_a_daily_run_counts_only_what_the_checkpoint_does_not_hold(cb_bin, tmp_path, lines, memory):
    s = Sensor(cb_bin, tmp_path, one_outdir=True)
    n = len(lines)
    s.append_live(b"".join(lines[: n // 2]))
    first = s.check("--stats", *memory)
    assert "tables and analyses" not in first.err, first.err  # nothing to start from yet
    s.rotate("2026-11-26")
    s.append_live(b"".join(lines[n // 2:]))
    daily = s.check("--stats", *memory)
    assert spilled(daily) == (memory == SPILLED), daily.err
    assert TAKEN in daily.err, daily.err
    taken = int(daily.err.split(TAKEN)[0].split()[-1])
    assert 0 < taken < daily.summary["sessions"], daily.err
    if memory == IN_MEMORY:  # days whose sessions all come from the checkpoint keep their file unwritten
        assert "unchanged (kept as they were)" in daily.err, daily.err
    again = s.check("--stats", *memory)  # nothing new: every closed session comes from the checkpoint
    assert f"{daily.summary['sessions_closed']} {TAKEN}" in again.err, again.err


def day_of_sessions(t0: float, n: int, prefix: str) -> bytes:
    """n short sessions two minutes apart from t0, on one sensor."""
    return b"".join(cbtest.dumps(cbtest.session_events(f"{prefix}{i:06x}", t0 + 120.0 * i, sensor="sensor-d",
                                                       ip=f"198.51.100.{i % 200 + 1}", commands=(f"echo {i}",)))
                    for i in range(n))


@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_a_day_that_gains_a_session_among_kept_ones_is_written_whole(cb_bin, tmp_path, where):
    """A spilled daily run keeps the last run's file of each day whose sessions all come from the
    checkpoint, without formatting them. Here a day of 300 sessions (many chunks at this limit)
    gains one among them: the others' records come from that file, the other day keeps its file."""
    s = Sensor(cb_bin, tmp_path, one_outdir=True)
    day1, day2 = 1764547200.0, 1764633600.0  # 2025-12-01 and -02, 00:00 UTC
    s.append_live(day_of_sessions(day1 + 60, 300, "a") + day_of_sessions(day2 + 60, 20, "b"))
    s.check(*SPILLED)
    at = {"first": day1 + 1, "middle": day1 + 60 + 120 * 150 + 30, "last": day1 + 60 + 120 * 300}[where]
    s.rotate("2025-12-02")
    s.append_live(cbtest.dumps(cbtest.session_events("new0", at, sensor="sensor-d", commands=("id",))))
    res = s.check("--stats", *SPILLED)
    assert spilled(res), res.err
    assert "300 closed sessions taken from the state" not in res.err and "320 " + TAKEN in res.err, res.err
    assert "sessions/: 2 days, 1 written, 1 unchanged" in res.err, res.err


@pytest.mark.parametrize("memory", [IN_MEMORY, SPILLED], ids=["in-memory", "spilled"])
def test_a_kept_day_edited_since_is_written_again(cb_bin, tmp_path, memory):
    """A daily run takes a day file whose stat is the one the state kept as holding its listed
    bytes, without reading it; a file edited since (same size, other bytes) has another mtime,
    is read, and its day is written again."""
    s = Sensor(cb_bin, tmp_path, one_outdir=True)
    day1, day2, day3 = 0.0, 86400.0, 172800.0  # after cbtest.ts()'s base: 2024-03-01, -02, -03
    s.append_live(day_of_sessions(day1 + 60, 30, "a") + day_of_sessions(day2 + 60, 30, "b"))
    s.check(*memory)
    days = sorted((s.root / "out" / "sessions").glob("day=*/sessions.jsonl"))
    assert [d.parent.name for d in days] == ["day=2024-03-01", "day=2024-03-02"]
    edited, untouched = days
    good = edited.read_bytes()
    os.chmod(edited, 0o644)
    edited.write_bytes(good.replace(b'"session"', b'"sessioN"', 1))  # same size, same inode
    ino = untouched.stat().st_ino
    s.rotate("2024-03-02")
    s.append_live(day_of_sessions(day3 + 60, 5, "c"))
    res = s.check("--stats", *memory)  # the edited day is the full run's again
    assert edited.read_bytes() == good
    assert untouched.stat().st_ino == ino, "the untouched day was not kept"
    assert "sessions/: 3 days, 2 written, 1 unchanged" in res.err, res.err


def closed_session(lines) -> dict:
    """The first session of `lines` that has a cowrie.session.closed event, as that event."""
    import json
    for line in lines:
        e = json.loads(line)
        if e.get("eventid") == "cowrie.session.closed":
            return e
    raise AssertionError("no closed session")


def marker_sessions(n: int) -> bytes:
    """n sessions of one bot that prints the same marker between its steps."""
    evs = []
    for i in range(n):
        evs += cbtest.session_events(f"mk{i:010x}", 5000.0 * i, sensor="sensor-m", ip=f"198.51.100.{i + 1}",
                                     commands=("echo 7x7x7", "uname -a", "echo 7x7x7", "cat /proc/cpuinfo",
                                               "echo 7x7x7", "free -m", "echo 7x7x7"))
    return cbtest.dumps(evs)


def claim_the_largest_size(path: Path):
    """Makes the first zstd frame of a file claim the largest content size its header's field
    can hold (RFC 8878: the frame header descriptor, then the window descriptor unless single
    segment, the dictionary id, and the frame content size)."""
    d = bytearray(path.read_bytes())
    assert d[:4] == b"\x28\xb5\x2f\xfd"
    fhd = d[4]
    single = (fhd >> 5) & 1
    at = 5 + (0 if single else 1) + [0, 1, 2, 4][fhd & 3]
    size = [single, 2, 4, 8][fhd >> 6]
    assert size >= 2, size  # 2 bytes: 256 + the field, so 65,791 bytes, more than such a frame holds
    d[at:at + size] = b"\xff" * size
    path.write_bytes(bytes(d))


@pytest.mark.parametrize("memory", [IN_MEMORY, SPILLED], ids=["in-memory", "spilled"])
@pytest.mark.parametrize("change, why", [
    ("options", "the options differ"),
    ("late event", "new events of a session that had closed"),
    ("markers", "the marker set changed"),
    ("recordings", "the TTY recordings linked to earlier sessions changed"),
    ("damaged", None),
    ("bit flip", None),
    ("claimed size", None),
])
def test_a_checkpoint_that_no_longer_holds_is_not_used(cb_bin, tmp_path, lines, change, why, memory):
    s = Sensor(cb_bin, tmp_path, one_outdir=True)
    s.append_live(b"".join(lines))
    s.check(*memory)
    extra = memory
    if change == "options":
        extra += ("--idle-timeout", "300")
    elif change == "late event":
        import json
        e = closed_session(lines)
        late = {"eventid": "cowrie.log.closed", "session": e["session"], "sensor": e.get("sensor", ""),
                "src_ip": e.get("src_ip", ""), "timestamp": e["timestamp"], "ttylog": "var/lib/cowrie/tty/x",
                "size": 10, "shasum": "0" * 64}
        s.append_live(json.dumps(late).encode() + b"\n")
    elif change == "markers":
        s.append_live(marker_sessions(4))
    elif change == "recordings":
        shutil.copytree(cbtest.REPO / "examples/logs/tty", s.logs / "tty")
    elif change == "damaged":
        (s.state / "checkpoint").write_bytes(b"\x28\xb5\x2f\xfd not zstd")
    elif change == "claimed size":  # not under zstd's checksum: a run must neither trust nor allocate it
        claim_the_largest_size(s.state / "checkpoint")
    else:  # one bit of the compressed data (the run part's, after the analyses' skippable frame,
        # whose own frames another test damages): zstd's checksum must catch it
        cp = bytearray((s.state / "checkpoint").read_bytes())
        run_part, end = zstd_file_frames(bytes(cp))[-1]
        cp[(run_part + end) // 2] ^= 0x10
        (s.state / "checkpoint").write_bytes(bytes(cp))
    res = s.check("--stats", *extra)
    assert spilled(res) == (memory == SPILLED), res.err
    assert TAKEN not in res.err, res.err
    if why:
        assert f"every session counted ({why}" in res.err, res.err
    after = s.check("--stats", *extra)  # the new checkpoint serves the next run
    assert TAKEN in after.err, after.err


def test_a_session_whose_start_moves_later_is_rewritten_in_cowrie_sqlite(cb_bin, tmp_path):
    """A session is placed by its connect event when it has one: a connect logged in a later file,
    after the session's first event, moves it after sessions it came before."""
    s = Sensor(cb_bin, tmp_path, one_outdir=True)
    early = [e for e in cbtest.session_events("u00000000001", 0.0) if e["eventid"] == "cowrie.login.success"]
    s.append_live(cbtest.dumps(early + cbtest.session_events("c00000000001", 10.0)))
    s.check()
    s.rotate("2026-11-26")
    late = cbtest.session_events("u00000000001", 30.0)
    s.append_live(cbtest.dumps([e for e in late if e["eventid"] in ("cowrie.session.connect", "cowrie.session.closed")]))
    res = s.check()
    assert [x["session"] for x in res.sessions] == ["c00000000001", "u00000000001"], res.sessions


def test_a_recording_changed_in_place_is_read_again(cb_bin, tmp_path):
    """Cowrie names a recording by its content's hash, but a copy synced in pieces is linked by its
    name before it is whole: its findings must follow the bytes."""
    import struct
    s = Sensor(cb_bin, tmp_path, one_outdir=True)
    for p in SOURCES[:2]:
        shutil.copy(p, s.logs / p.name)
    shutil.copytree(cbtest.REPO / "examples/logs/tty", s.logs / "tty")
    s.check()
    rec = sorted((s.logs / "tty").iterdir())[0]
    data, out, i, head = rec.read_bytes(), b"", 0, struct.Struct("<iLiiLL")
    while i + head.size <= len(data):  # one more output record after the first: a kernel banner
        op, tty, n, d, sec, usec = head.unpack_from(data, i)
        body = data[i + head.size:i + head.size + n]
        i += head.size + n
        out += head.pack(op, tty, n, d, sec, usec) + body
        if op == 3 and d == 2 and b"svr04" not in out:
            extra = b"\r\nLinux svr04 3.2.0-4-amd64\r\n"
            out += head.pack(op, tty, len(extra), d, sec, usec) + extra
    rec.write_bytes(out)
    res = s.check("--stats")
    assert "every session counted (the TTY recordings linked to earlier sessions changed" in res.err, res.err


def many_root_passwords(first: int, sessions: int, t0: float) -> list:
    """`sessions` sessions of 1000 accepted root logins each, with distinct passwords."""
    evs = []
    for j in range(sessions):
        base = {"session": f"p{first + j:011d}", "sensor": "s1", "src_ip": "203.0.113.9"}
        evs.append(dict(base, eventid="cowrie.session.connect", timestamp=cbtest.ts(t0 + 10 * j), src_port=1,
                        dst_ip="10.0.0.5", dst_port=22, protocol="ssh"))
        evs += [dict(base, eventid="cowrie.login.success", timestamp=cbtest.ts(t0 + 10 * j + 0.001 * (k + 1)),
                     username="root", password=f"pw{(first + j) * 1000 + k:07d}") for k in range(1000)]
        evs.append(dict(base, eventid="cowrie.session.closed", timestamp=cbtest.ts(t0 + 10 * j + 5), duration=5.0))
    return evs


def test_capped_value_sets_do_not_depend_on_the_order_sessions_come_in(cb_bin, tmp_path):
    """The hints keep at most 100,000 distinct root passwords per sensor: the same ones whatever
    the order (a checkpoint's sessions are counted before older sessions read later)."""
    s = Sensor(cb_bin, tmp_path, one_outdir=True)
    s.append_live(cbtest.dumps(many_root_passwords(60, 51, 100000.0)))
    s.check()
    s.rotate("2026-11-26")
    # the last thousand passwords accepted in the first run, rejected in a session of the second
    rejected = [dict(e, session="r00000000110", eventid="cowrie.login.failed" if e["eventid"] ==
                     "cowrie.login.success" else e["eventid"]) for e in many_root_passwords(110, 1, 50000.0)]
    s.append_live(cbtest.dumps(many_root_passwords(0, 51, 0.0) + rejected))
    res = s.check("--stats")
    assert TAKEN in res.err, res.err


def test_another_geoip_database_of_the_same_build_time_is_noticed(cb_bin, tmp_path):
    import json
    import subprocess
    spec = {name: {"type": "GeoLite2-Country", "epoch": 1700000000,
                   "networks": [["203.0.113.0/24", {"country": {"iso_code": cc}}]]}
            for name, cc in (("a.mmdb", "AU"), ("b.mmdb", "NZ"))}
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    subprocess.run([cbtest.tools_python(), str(cbtest.REPO / "tests/e2e/tools/make_test_mmdb.py"), str(tmp_path),
                    str(tmp_path / "spec.json")], check=True)
    geo = tmp_path / "geo.mmdb"
    shutil.copy(tmp_path / "a.mmdb", geo)
    s = Sensor(cb_bin, tmp_path, one_outdir=True)
    s.append_live(cbtest.dumps(cbtest.clean_log(3)))
    s.check("--geoip", geo)
    shutil.copy(tmp_path / "b.mmdb", geo)
    s.rotate("2026-11-26")
    s.append_live(cbtest.dumps(cbtest.clean_log(2, t0=1000.0, prefix="b")))
    res = s.check("--geoip", geo, "--stats")
    assert "every session counted (the options differ" in res.err, res.err
    assert {x["country"] for x in res.sessions} == {"NZ"}, res.sessions


def test_too_many_open_sessions_to_hold_back_make_no_checkpoint(cb_bin, tmp_path):
    """Sessions still open at the end are held back from the checkpoint, up to a 16th of the limit
    and at least 4 MiB (under 16M, one open session used to cost the checkpoint): 40 sessions of
    120 KB each (distinct: strings are pooled), open in the last minute of the logs (earlier ones
    are closed by the idle timeout), pass it. The run says it keeps no checkpoint, and the next one
    says why it counts every session."""
    s = Sensor(cb_bin, tmp_path, one_outdir=True)
    open_sessions = [e for i in range(40)
                     for e in cbtest.session_events(f"o{i:011d}", 9500.0 + i, commands=(f"echo {i} " + "x" * 120000,))
                     if e["eventid"] != "cowrie.session.closed"]
    s.append_live(cbtest.dumps(cbtest.clean_log(3, t0=9000.0) + open_sessions))
    first = s.check("--memory-limit", "64K", "--stats")
    assert "no checkpoint kept for the next run (the sessions still open would take more than 4.0 MiB, a 16th of --memory-limit and at least 4 MiB)" in first.err
    assert not (s.state / "checkpoint").exists()
    s.append_live(cbtest.dumps(cbtest.clean_log(2, t0=20000.0, prefix="n")))
    res = s.check("--memory-limit", "64K", "--stats")
    assert TAKEN not in res.err, res.err
    assert "every session counted (the state holds no usable checkpoint)" in res.err, res.err


def test_a_few_open_sessions_at_a_tiny_limit_keep_the_checkpoint(cb_bin, tmp_path):
    s = Sensor(cb_bin, tmp_path, one_outdir=True)
    """20 open sessions of 4 KB at --memory-limit 64K (a 16th of it: 4 KB) still leave a checkpoint."""
    still_open = [e for i in range(20)
                  for e in cbtest.session_events(f"o{i:011d}", 9500.0 + i, commands=("echo " + "x" * 4000,))
                  if e["eventid"] != "cowrie.session.closed"]
    s.append_live(cbtest.dumps(cbtest.clean_log(3) + still_open))
    s.check("--memory-limit", "64K")
    assert (s.state / "checkpoint").exists()
    s.check("--stats")  # with room to hold them back, a checkpoint is made again
    assert (s.state / "checkpoint").exists()


def test_merge_of_two_sensors_states_equals_one_run(cb_bin, tmp_path):
    east = cbtest.REPO / "tests/data/multi-sensor/honeypot-east"
    west = cbtest.REPO / "tests/data/multi-sensor/honeypot-west"
    logs = {d.name: sorted(p for p in d.iterdir() if p.name.startswith("cowrie.json")) for d in (east, west)}
    states = []
    for name, files in logs.items():
        st = tmp_path / f"state-{name}"
        r = analyze(cb_bin, files, tmp_path / f"out-{name}", "--state", st)
        assert r.rc in (0, 1), r.explain()
        states.append(st)
    merged = cbtest.run_cb(cb_bin, "merge", *states, "-o", tmp_path / "merged", "--quiet")
    assert merged.returncode in (0, 1), merged.stderr.decode()
    full = analyze(cb_bin, logs["honeypot-east"] + logs["honeypot-west"], tmp_path / "full")
    assert full.rc == merged.returncode
    cbtest.assert_same_tree(full.out, tmp_path / "merged")
    assert full.summary["sensors"] == 2
    # the fleet's outputs by day, as a central cron run would write them
    by_day = cbtest.run_cb(cb_bin, "merge", *states, "-o", tmp_path / "merged-days", "--sessions", "day", "--quiet")
    assert by_day.returncode == merged.returncode, by_day.stderr.decode()
    full_days = analyze(cb_bin, logs["honeypot-east"] + logs["honeypot-west"], tmp_path / "full-days", "--sessions", "day")
    cbtest.assert_same_tree(full_days.out, tmp_path / "merged-days")
    assert list((tmp_path / "merged-days" / "sessions").glob("day=*/sessions.jsonl"))


@pytest.mark.parametrize("args,why", [(["-"], "stdin"), (["--max-file-bytes", "1000"], "--max-file-bytes")])
def test_what_cannot_be_read_incrementally_is_refused(cb_bin, tmp_path, args, why):
    logs = cbtest.REPO / "examples/logs"
    res = cbtest.run_cb(cb_bin, "analyze", logs, *args, "-o", tmp_path / "out", "--state", tmp_path / "st")
    assert res.returncode == 2, res.stderr
    assert why.encode() in res.stderr
    assert not (tmp_path / "st").exists() and not (tmp_path / "out").exists()


def test_merge_refuses_a_log_held_by_two_states(cb_bin, tmp_path):
    west = sorted(p for p in (cbtest.REPO / "tests/data/multi-sensor/honeypot-west").iterdir()
                  if p.name.startswith("cowrie.json"))
    for name in ("a", "b"):  # the same sensor's logs, analysed twice
        r = analyze(cb_bin, west, tmp_path / f"out-{name}", "--state", tmp_path / f"state-{name}")
        assert r.rc in (0, 1), r.explain()
    res = cbtest.run_cb(cb_bin, "merge", tmp_path / "state-a", tmp_path / "state-b", "-o", tmp_path / "merged")
    assert res.returncode == 3, res.stderr
    assert b"same log twice" in res.stderr and b"state-a" in res.stderr
    assert not (tmp_path / "merged").exists()


def test_merge_refuses_an_older_copy_of_a_state_beside_the_newer(cb_bin, tmp_path, lines):
    """A state copied before the sensor's live log grew holds less of that log than the state
    now: the two read different bytes of it, and the merge still knows it by its first KiB."""
    s = Sensor(cb_bin, tmp_path)
    half = len(lines) // 2
    s.append_live(b"".join(lines[:half]))
    s.incremental()
    older = tmp_path / "state-yesterday"
    shutil.copytree(s.state, older)
    s.append_live(b"".join(lines[half:]))
    s.incremental()
    res = cbtest.run_cb(cb_bin, "merge", older, s.state, "-o", tmp_path / "merged")
    assert res.returncode == 3, res.stderr
    err = res.stderr.decode()
    assert "same log twice" in err and f"{older}: " in err and f"{s.state}: " in err, err
    assert not (tmp_path / "merged").exists()


def test_merge_refuses_a_state_given_twice(cb_bin, tmp_path):
    r = analyze(cb_bin, cbtest.REPO / "examples/logs", tmp_path / "out", "--state", tmp_path / "st")
    assert r.rc in (0, 1), r.explain()
    res = cbtest.run_cb(cb_bin, "merge", tmp_path / "st", f"{tmp_path}/st/", "-o", tmp_path / "merged")
    assert res.returncode == 3 and b"given twice" in res.stderr, res.stderr
    assert not (tmp_path / "merged").exists()


def test_merge_of_sensors_whose_logs_start_with_a_copytruncate_hole(cb_bin, tmp_path):
    """Two sensors' logs that each start with the NULs logrotate's copytruncate leaves share their
    first KiB; that is no sign of one log in two states: the merge equals one run over both."""
    logs = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        log = tmp_path / name / "cowrie.json"
        log.write_bytes(b"\0" * 2000 + cbtest.dumps(cbtest.clean_log(3, prefix=name)))
        r = analyze(cb_bin, log, tmp_path / f"out-{name}", "--state", tmp_path / f"state-{name}")
        assert r.rc in (0, 1), r.explain()
        logs.append(log)
    merged = cbtest.run_cb(cb_bin, "merge", tmp_path / "state-a", tmp_path / "state-b", "-o", tmp_path / "merged")
    assert merged.returncode in (0, 1), merged.stderr.decode()
    full = analyze(cb_bin, logs, tmp_path / "full")
    assert full.rc == merged.returncode
    assert json.loads((tmp_path / "merged" / "summary.json").read_text())["sessions"] == full.summary["sessions"] == 6


KEPT = re.compile(r"the last run's first ([\d,]+) \(its days before (\S+)\) kept as they were, ([\d,]+) sessions? built")


def sessions_before_day(outdir: Path, day: str) -> int:
    """The sessions an OUTDIR's sessions/ holds on days before `day` (its _partitions.json)."""
    listing = json.loads((outdir / "sessions" / "_partitions.json").read_text())
    return sum(p["sessions"] for p in listing["partitions"]
               if p["path"].startswith("day=2") and p["path"][4:14] < day)


def renamed_sessions(path: Path, suffix: bytes) -> bytes:
    """A log's events as those of other sessions (each session id with `suffix`): a log of the
    same days that a run had not seen."""
    out = []
    for line in path.read_bytes().splitlines(keepends=True):
        ev = json.loads(line)
        if "session" in ev:
            ev["session"] += suffix.decode()
        out.append(json.dumps(ev).encode() + b"\n")
    return b"".join(out)


def test_a_daily_run_builds_only_the_sessions_from_the_first_day_that_changed(cb_bin, tmp_path):
    """A daily run into the same OUTDIR builds only the sessions from the first day any session it
    read events of starts on (its tail): the last run's sessions before that day keep their days,
    rows and report picks without being built. The outputs equal a full run's after each step: a
    new sensor's day after every other, its live log that continues an open session of that day,
    an old log of the first days found late (new sessions among the kept ones' days), nothing new.
    The sessions kept are the last run's on the days before the tail, as its sessions/ lists."""
    s = Sensor(cb_bin, tmp_path, one_outdir=True)
    west = cbtest.REPO / "tests/data/multi-sensor/honeypot-west"
    shutil.copy(SOURCES[0], s.logs / "cowrie.json.2026-11-26")
    shutil.copy(SOURCES[1], s.logs / "cowrie.json")
    first = s.check("--stats")
    assert "kept as they were" not in first.err, first.err  # the first run builds everything
    steps = [
        (lambda: shutil.copy(west / "cowrie.json.2026-12-04", s.logs / "west.json.2026-12-04"), "2026-12-04"),
        (lambda: shutil.copy(west / "cowrie.json", s.logs / "west.json"), "2026-12-04"),  # continues an open one
        (lambda: (s.logs / "late.json.2026-11-27").write_bytes(renamed_sessions(SOURCES[1], b"late")), "2026-11-27"),
    ]
    for add, tail_day in steps:
        previous = s.root / "out-before"
        shutil.rmtree(previous, ignore_errors=True)
        shutil.copytree(s.root / "out", previous)
        add()
        res = s.check("--stats")
        m = KEPT.search(res.err)
        assert m, res.err
        assert m.group(2) == tail_day, res.err
        kept = int(m.group(1).replace(",", ""))
        assert kept == sessions_before_day(previous, tail_day) > 0, res.err
        built = int(m.group(3).replace(",", ""))
        assert kept + built == res.summary["sessions"], res.err
    again = s.check("--stats")  # nothing new: every session kept
    assert f"the last run's {res.summary['sessions']} kept as they were" in again.err, again.err


def test_a_tail_run_into_another_outdir_writes_the_days_it_does_not_build(cb_bin, tmp_path):
    """When the writers cannot keep the last run's days and rows (a new OUTDIR, or a day's file
    edited since), the sessions before the tail are built for them after all: the outputs still
    equal a full run's."""
    s = Sensor(cb_bin, tmp_path)  # a new OUTDIR each run
    shutil.copy(SOURCES[0], s.logs / "cowrie.json.2026-11-26")
    shutil.copy(SOURCES[1], s.logs / "cowrie.json")
    s.check("--stats")
    shutil.copy(SOURCES[2], s.logs / "west.json.2026-12-04")
    res = s.check("--stats")
    assert KEPT.search(res.err), res.err


def seconds_to(day: str) -> float:
    """The `t0` of cbtest.session_events() (seconds after cbtest.ts()'s base) of a day's start."""
    utc = datetime.timezone.utc
    return (datetime.datetime.fromisoformat(day).replace(tzinfo=utc) - datetime.datetime(2024, 3, 1, tzinfo=utc)).total_seconds()


def test_a_state_too_large_for_memory_whose_tail_fits_is_a_tail_run(cb_bin, tmp_path):
    """A spilled run keeps what the next run's tail needs (the report's picks, the start days), so
    the daily run after it is a tail run; when the state does not fit the memory limit but the
    partials of its tail do, that run reads and builds only the tail, in memory, merging nothing on
    disk. When a check fails after that read (a bot's marker changes the marker set), it merges
    every session on disk after all. The outputs equal a full run's at every step."""
    s = Sensor(cb_bin, tmp_path, one_outdir=True)
    shutil.copy(SOURCES[0], s.logs / "cowrie.json.2026-11-26")
    shutil.copy(SOURCES[1], s.logs / "cowrie.json")
    first = s.check("--stats", *SPILLED)
    assert spilled(first), first.err
    shutil.copy(SOURCES[2], s.logs / "west.json.2026-12-04")
    res = s.check("--stats", *SPILLED)
    m = KEPT.search(res.err)
    assert m and m.group(2) == "2026-12-04", res.err
    assert not spilled(res), res.err
    day = seconds_to("2026-12-06")
    evs = []
    for i in range(4):
        evs += cbtest.session_events(f"mk{i:010x}", day + 600.0 * i, sensor="sensor-m", ip=f"198.51.100.{i + 1}",
                                     commands=("echo 7x7x7", "uname -a", "echo 7x7x7", "free -m", "echo 7x7x7"))
    (s.logs / "bot.json.2026-12-06").write_bytes(cbtest.dumps(evs))
    res = s.check("--stats", *SPILLED)
    assert "sessions: every session built (the marker set changed)" in res.err, res.err
    assert spilled(res), res.err


def test_a_held_line_alone_that_changes_the_marker_set_of_a_state_too_large_for_memory(cb_bin, tmp_path):
    """The only new input a half-written last line (held: not stored, read again once whole)
    whose command teaches a new marker: the tail run of a state too large for memory fails its
    check and merges every session on disk from the state and the held line, with no file of
    this run's partials, since it read none (an independent review found the run exiting 3)."""
    s = Sensor(cb_bin, tmp_path, one_outdir=True)
    shutil.copy(SOURCES[0], s.logs / "cowrie.json.2026-11-26")
    shutil.copy(SOURCES[1], s.logs / "cowrie.json")
    day = seconds_to("2026-11-30")
    bot = cbtest.session_events("mk0000000000", day, sensor="sensor-m", ip="198.51.100.1",
                                commands=("echo ZQZQ", "uname -a", "echo ZQZQ", "free -m"))
    for i, sid in enumerate(("my0000000000", "mz0000000000")):  # still open
        bot += cbtest.session_events(sid, day + 3600.0 * (i + 1), sensor="sensor-m", ip="198.51.100.1",
                                     commands=("echo ZQZQ", "uname -a"))[:-1]
    (s.logs / "bot.json").write_bytes(cbtest.dumps(bot))
    s.check("--stats")
    late = {"eventid": "cowrie.command.input", "session": "mz0000000000", "sensor": "sensor-m",
            "src_ip": "198.51.100.1", "timestamp": cbtest.ts(day + 7300.0), "input": "echo ZQZQ; free -m; echo ZQZQ"}
    with open(s.logs / "bot.json", "ab") as f:
        f.write(json.dumps(late).encode())  # no newline
    res = s.check("--stats", *SPILLED)
    assert "sessions: every session built (the marker set changed)" in res.err, res.err
    assert spilled(res), res.err


TTY = cbtest.REPO / "examples/logs/tty"
WEST = cbtest.REPO / "tests/data/multi-sensor/honeypot-west"
LATE_RECORDING = "1e00e153426a5c598d96bab7c6c8cd65e99863ff50b3ba877c683b73620d69a0"  # ce455275380c's, 2026-11-27


def test_a_tail_run_with_tty_recordings_among_the_inputs(cb_bin, tmp_path):
    """TTY recordings beside the logs (Cowrie's own layout) leave a daily run a tail run while
    the recordings it read are as they were and no new one could be an earlier session's: another
    sensor's new recordings a week later, under the names the first sensor's sessions looked up
    (the same input typed), keep the days before; so does nothing new. A recording that an earlier
    session looked up in vain, found later, or a recording gone, make it build every session,
    and it says why. The outputs equal a full run's at every step."""
    s = Sensor(cb_bin, tmp_path, one_outdir=True)
    shutil.copy(SOURCES[0], s.logs / "cowrie.json.2026-11-26")
    shutil.copy(SOURCES[1], s.logs / "cowrie.json")
    (s.logs / "tty").mkdir()
    for f in TTY.iterdir():
        if f.name != LATE_RECORDING:
            shutil.copy(f, s.logs / "tty")
    first = s.check("--stats")
    assert sum(t["found"] for r in first.sessions for t in r.get("ttylog", [])) == 6, first.sessions
    shutil.copy(WEST / "cowrie.json.2026-12-04", s.logs / "west.json.2026-12-04")
    shutil.copy(WEST / "cowrie.json", s.logs / "west.json")
    shutil.copytree(WEST / "tty", s.logs / "tty-west")
    res = s.check("--stats")
    m = KEPT.search(res.err)
    assert m and m.group(2) == "2026-12-04", res.err
    assert sum(t["found"] for r in res.sessions for t in r.get("ttylog", [])) == 6 + 7, res.sessions
    assert "TTY recordings: 7 of 13 read, the others as the last run read them" in res.err, res.err
    shutil.copy(TTY / LATE_RECORDING, s.logs / "tty")  # ce455275380c looked it up, the same minute
    res = s.check("--stats")
    assert "sessions: every session built (a new TTY recording may be an earlier session's)" in res.err, res.err
    assert res.session("ce455275380c", "cowrie-batch-e2e")["ttylog"][0]["found"], res.err
    again = s.check("--stats")
    assert f"the last run's {res.summary['sessions']} kept as they were" in again.err, again.err
    (s.logs / "tty-west" / LATE_RECORDING).unlink()
    res = s.check("--stats")
    assert "sessions: every session built (a TTY recording the last run read is gone or changed)" in res.err, res.err


def test_a_new_recording_named_by_an_earlier_sessions_shasum_builds_every_session(cb_bin, tmp_path):
    """A session whose recording is kept under another name (Cowrie 1.x) and no longer hashes to
    the log's shasum (cut short on disk) is linked by its file name, as long as no recording has
    that shasum: one that comes later, however much later (another sensor's, a week after), hides
    the file name, and the session is linked to nothing. The daily run builds every session then
    (an independent review found the old link kept)."""
    s = Sensor(cb_bin, tmp_path, one_outdir=True)
    name = "20261126-235949-ce455275380c-0i.log"
    live = SOURCES[1].read_bytes().replace(f"var/lib/cowrie/tty/{LATE_RECORDING}\"".encode(),
                                           f"log/tty/{name}\"".encode())
    assert name.encode() in live
    (s.logs / "cowrie.json").write_bytes(live)
    shutil.copy(SOURCES[0], s.logs / "cowrie.json.2026-11-26")
    shutil.copytree(TTY, s.logs / "tty")
    (s.logs / "tty" / LATE_RECORDING).rename(s.logs / "tty" / name)
    cut = (s.logs / "tty" / name).read_bytes()[:1500]
    (s.logs / "tty" / name).write_bytes(cut)
    first = s.check("--stats")
    assert first.session("ce455275380c", "cowrie-batch-e2e")["ttylog"][0]["found"], first.err
    shutil.copy(WEST / "cowrie.json.2026-12-04", s.logs / "west.json.2026-12-04")
    shutil.copytree(WEST / "tty", s.logs / "tty-west")
    res = s.check("--stats")
    assert "sessions: every session built (a new TTY recording may be an earlier session's)" in res.err, res.err
    assert not res.session("ce455275380c", "cowrie-batch-e2e")["ttylog"][0]["found"], res.err


def test_an_open_session_linked_to_a_recording_that_left_the_inputs_is_written_again(cb_bin, tmp_path):
    """A session still open at the end of the last run and linked to a TTY recording changes when
    that recording leaves the inputs (its record says the file is not found now): the daily run
    builds every session rather than keep its record (an independent review found it kept)."""
    s = Sensor(cb_bin, tmp_path, one_outdir=True)
    data = b"".join(line for p in SOURCES[:2] for line in p.read_bytes().splitlines(keepends=True)
                    if not (b'"cowrie.session.closed"' in line and b'"ce455275380c"' in line))
    (s.logs / "cowrie.json").write_bytes(data)
    (s.logs / "tty").mkdir()
    recording = "1e00e153426a5c598d96bab7c6c8cd65e99863ff50b3ba877c683b73620d69a0"  # ce455275380c's
    shutil.copy(cbtest.REPO / "examples/logs/tty" / recording, s.logs / "tty")
    first = s.check("--stats")
    assert any(s["session"] == "ce455275380c" and not s.get("closed", True) for s in first.sessions), first.err
    shutil.rmtree(s.logs / "tty")
    shutil.copy(SOURCES[2], s.logs / "west.json.2026-12-04")
    res = s.check("--stats")
    assert "sessions: every session built (a TTY recording the last run read is gone or changed)" in res.err, res.err


def zstd_file_frames(data: bytes):
    """The (start, end) of each frame of a zstd file, read from the frames' headers (RFC 8878):
    zstd frames block by block, skippable frames by their size."""
    frames, at = [], 0
    while at < len(data):
        magic = int.from_bytes(data[at:at + 4], "little")
        if magic & 0xFFFFFFF0 == 0x184D2A50:
            end = at + 8 + int.from_bytes(data[at + 4:at + 8], "little")
        else:
            assert magic == 0xFD2FB528, hex(magic)
            fhd = data[at + 4]
            single = (fhd >> 5) & 1
            fcs = [single, 2, 4, 8][fhd >> 6]
            end = at + 5 + (0 if single else 1) + [0, 1, 2, 4][fhd & 3] + fcs
            while True:
                head = int.from_bytes(data[end:end + 3], "little")
                end += 3 + (1 if (head >> 1) & 3 == 1 else head >> 3)
                if head & 1:
                    break
            end += 4 if (fhd >> 2) & 1 else 0
        frames.append((at, end))
        at = end
    return frames


def checkpoint_without_basic_tables(path: Path, damage_analysis: bool = False, crc_too: bool = True):
    """Empties the basic tables' state inside a state's checkpoint (Checkpoint::io(), format 13:
    varints, length-prefixed strings and raw_records(), in four frames: the plan and the tables'
    states zstd-compressed, the analyses' states (each in zstd frames of its own, one per piece)
    in a skippable frame after a CRC-64 of them, the run's part), keeping the file well formed:
    the damage only its load sees. damage_analysis: flips a byte inside the first analysis's own
    frame instead, and (crc_too) writes the CRC of the part so damaged, so that only that frame's
    own checksum finds it; without crc_too, the CRC finds it when the file is read."""
    packed = path.read_bytes()
    (plan_at, _), (_, states_end), (skip, skip_end), _ = zstd_file_frames(packed)
    crc, analyses = packed[skip + 8:skip + 16], packed[skip + 16:skip_end]
    raw = subprocess.run(["zstd", "-d", "-c"], input=packed[plan_at:states_end], check=True,
                         capture_output=True).stdout

    def varint(data, i):
        v = shift = 0
        while True:
            c = data[i]
            i += 1
            v |= (c & 0x7F) << shift
            shift += 7
            if c < 0x80:
                return v, i

    def string(i):
        n, i = varint(raw, i)
        return i + n

    def raw_hashes(i):  # raw_records(): a count, the byte order, 8 bytes each
        n, i = varint(raw, i)
        return i + 1 + 8 * n

    fmt, i = varint(raw, 0)
    assert fmt == 13, fmt
    i = string(string(i))  # options, markers
    i = raw_hashes(raw_hashes(i))  # settled, unsettled
    _, i = varint(raw, i)  # recordings
    i = string(raw_hashes(i))  # provisional, settled_markers: the plan part ends here
    plan, states = raw[:i], raw[i:]  # basic, totals, recording_findings
    if damage_analysis:
        n, at = varint(analyses, 0)
        first, at = varint(analyses, at)
        assert n > 0 and analyses[at:at + 4] == b"\x28\xb5\x2f\xfd" and first > 16, "zstd frames"
        flip = bytearray(analyses)
        flip[at + first // 2] ^= 0x20
        analyses = bytes(flip)
        if crc_too:
            crc = crc64_ecma(analyses).to_bytes(8, "little")
    else:
        states = b"\0" + raw[string(i):]
    frames = b""
    for part in (plan, states):
        plain = path.with_name("checkpoint.plain")  # from a file: the frame then says its size, as the tool's do
        plain.write_bytes(part)
        frames += subprocess.run(["zstd", "-q", "--check", "-c", str(plain)], check=True, capture_output=True).stdout
        plain.unlink()
    skippable = packed[skip:skip + 4] + (len(crc) + len(analyses)).to_bytes(4, "little")
    path.write_bytes(frames + skippable + crc + analyses + packed[skip_end:])


def crc64_ecma(data: bytes) -> int:
    """CRC-64/XZ (ECMA-182 polynomial, reflected, inverted in and out): crc64() in util/crc64.hpp."""
    table = []
    for b in range(256):
        c = b
        for _ in range(8):
            c = (c >> 1) ^ (0xC96C5795D7870F42 if c & 1 else 0)
        table.append(c)
    crc = 0xFFFFFFFFFFFFFFFF
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFFFFFFFFFF


def test_a_tail_run_whose_checkpoint_will_not_load_counts_every_session(cb_bin, tmp_path):
    """A checkpoint whose states do not load (damage inside it) makes a tail run count the
    sessions before the tail too, not only the tail's (an independent review found the tables
    counting the tail alone)."""
    s = Sensor(cb_bin, tmp_path, one_outdir=True)
    shutil.copy(SOURCES[0], s.logs / "cowrie.json.2026-11-26")
    shutil.copy(SOURCES[1], s.logs / "cowrie.json")
    s.check("--stats")
    checkpoint_without_basic_tables(s.state / "checkpoint")
    shutil.copy(SOURCES[2], s.logs / "west.json.2026-12-04")
    res = s.check("--stats")
    assert "the checkpoint in the state is damaged" in res.err and KEPT.search(res.err), res.err


@pytest.mark.parametrize("crc_too", [True, False], ids=["found-by-its-frame", "found-by-the-crc"])
def test_a_checkpoint_with_one_analysis_state_damaged_counts_every_session(cb_bin, tmp_path, crc_too):
    """Each analysis's state is in zstd frames of its own inside the checkpoint's skippable
    analyses frame, after a CRC-64 of them: one damaged inside (its own checksum fails, or the
    CRC when the file is read) makes the run count every session again, with outputs equal to a
    full run's (Sensor.check)."""
    s = Sensor(cb_bin, tmp_path, one_outdir=True)
    shutil.copy(SOURCES[0], s.logs / "cowrie.json.2026-11-26")
    shutil.copy(SOURCES[1], s.logs / "cowrie.json")
    s.check("--stats")
    checkpoint_without_basic_tables(s.state / "checkpoint", damage_analysis=True, crc_too=crc_too)
    shutil.copy(SOURCES[2], s.logs / "west.json.2026-12-04")
    res = s.check("--stats")
    assert "the checkpoint in the state is damaged" in res.err and KEPT.search(res.err), res.err


LIKELY = re.compile(r"--state: ([\d,]+) sessions read from its likely ones, (\d+) of (\d+) sessions files? read")


def busy_day(day: str, n: int, prefix: str) -> bytes:
    """n sessions of one day (40 s apart) from a hundred addresses, most closed, every 50th left
    open (no close event), with a few command sets: more sessions over a few days than
    report.html shows (5,000), so that `likely` holds only some of them."""
    t0, out = seconds_to(day), []
    for i in range(n):
        evs = cbtest.session_events(f"{prefix}{i:06x}", t0 + 40.0 * i, sensor="sensor-b", ip=f"198.51.100.{i % 100 + 1}",
                                    commands=(("uname -a",), ("uname -a", "free -m"), ("id", "w"))[i % 3])
        if i % 50 == 0:
            evs = [e for e in evs if e["eventid"] != "cowrie.session.closed"]
        out += evs
    return cbtest.dumps(out)


def test_a_daily_run_reads_only_the_sessions_files_that_hold_its_sessions(cb_bin, tmp_path):
    """A tail run reads the sessions the state's `likely` holds whole (the last report's, the open
    ones) from it, and of the sessions files only those whose key list names one of the others it
    builds: a day after every other reads none, a day inside the history those of the later days.
    `likely` or a key list damaged, the run reads the files instead, and a file read without a
    key list gets one again. The outputs equal a full run's at every step."""
    s = Sensor(cb_bin, tmp_path, one_outdir=True)
    for k, day in enumerate(("2026-11-01", "2026-11-02", "2026-11-03")):
        (s.logs / f"cowrie.json.{day}").write_bytes(busy_day(day, 2100, f"d{k}"))
    first = s.check("--stats")
    assert first.summary["sessions"] == 6300 and not LIKELY.search(first.err), first.err

    def daily(name: str, day: str, prefix: str):
        (s.logs / name).write_bytes(busy_day(day, 300, prefix))
        res = s.check("--stats")
        m = LIKELY.search(res.err)
        assert m and KEPT.search(res.err), res.err
        return int(m.group(1).replace(",", "")), int(m.group(2)), int(m.group(3))

    likely, read, files = daily("cowrie.json.2026-11-04", "2026-11-04", "n4")
    assert 0 < likely < 6300 and (read, files) == (0, 1)  # a new day's sessions are in no file
    likely, read, files = daily("cowrie.json.2026-11-05", "2026-11-05", "n5")
    assert (read, files) == (0, 2)  # `likely` written from what the last run read
    # a late day inside the history: the later days' sessions that `likely` does not hold (the
    # report shows at most 5,000) are read from the files that hold them
    likely, read, files = daily("late.json.2026-11-01", "2026-11-01", "l1")
    assert (read, files) == (1, 3)
    state = s.state
    damaged = bytearray((state / "likely").read_bytes())
    damaged[len(damaged) // 2] ^= 0x40
    (state / "likely").write_bytes(bytes(damaged))
    (s.logs / "cowrie.json.2026-11-06").write_bytes(busy_day("2026-11-06", 300, "n6"))
    res = s.check("--stats")
    m = LIKELY.search(res.err)
    assert KEPT.search(res.err) and (not m or m.group(1) == "0"), res.err  # nothing from `likely`
    (state / "sessions.keys").write_bytes((state / "sessions.keys").read_bytes()[:-3])
    likely, read, files = daily("cowrie.json.2026-11-07", "2026-11-07", "n7")
    assert likely > 0 and (read, files) == (1, 5)  # `sessions`, whose key list is damaged
    likely, read, files = daily("cowrie.json.2026-11-08", "2026-11-08", "n8")
    assert (read, files) == (0, 6)  # the run that read it wrote its key list again


def test_key_lists_and_likely_of_another_file_or_run_are_not_used(cb_bin, tmp_path):
    """A key list is tied to its file's size and modification time, and `likely` to the number
    the manifest gives it: lists swapped between two files, a list gone, or a `likely` put back
    from an earlier run are not used (the files are read, and indexed again). The outputs equal
    a full run's at every step."""
    s = Sensor(cb_bin, tmp_path, one_outdir=True)
    for k, day in enumerate(("2026-11-01", "2026-11-02", "2026-11-03")):
        (s.logs / f"cowrie.json.{day}").write_bytes(busy_day(day, 2100, f"d{k}"))
    s.check("--stats")

    def daily(day: str, prefix: str):
        """(sessions read from `likely`, sessions files read, sessions files), None when every file was read."""
        (s.logs / f"cowrie.json.{day}").write_bytes(busy_day(day, 300, prefix))
        res = s.check("--stats")
        assert KEPT.search(res.err), res.err
        m = LIKELY.search(res.err)
        return (int(m.group(1).replace(",", "")), int(m.group(2)), int(m.group(3))) if m else None

    assert daily("2026-11-04", "n4")[1:] == (0, 1)
    earlier = {name: (s.state / name).read_bytes() for name in ("likely", "likely.keys")}
    assert daily("2026-11-05", "n5")[1:] == (0, 2)
    first, second = s.state / "sessions.keys", s.state / "sessions.1.keys"
    first_bytes, second_bytes = first.read_bytes(), second.read_bytes()
    first.write_bytes(second_bytes)
    second.write_bytes(first_bytes)
    assert daily("2026-11-06", "n6")[1:] == (2, 3)  # both lists refused: both files read
    assert daily("2026-11-07", "n7")[1:] == (0, 4)  # and indexed again
    (s.state / "sessions.2.keys").unlink()
    assert daily("2026-11-08", "n8")[1:] == (1, 5)
    for name, data in earlier.items():
        (s.state / name).write_bytes(data)
    got = daily("2026-11-09", "n9")
    assert got is None or got[0] == 0, got  # nothing read from an earlier run's `likely`
