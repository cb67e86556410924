"""Resource bounds (issue #11, docs/ARCHITECTURE.md "Limits"): line length, nesting depth,
decompressed bytes per file (NUL and newline bombs), number of files, bytes per TTY recording.
Each limit is hit here: the run does not fail (exit 1 at most), the file (and line) is named on
stderr, the hit is counted in summary.json, the valid data around it is kept, and where memory is
the point, peak RSS is measured (os.wait4) and bounded."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import tempfile
import time
from functools import lru_cache
from pathlib import Path

import pytest

import cbtest
from cbtest import clean_log, dumps, session_events

BASE = clean_log(3)  # 3 sessions, 18 events, 6 commands
EXAMPLES = cbtest.REPO / "examples" / "logs"
GiB = 1 << 30
MiB = 1 << 20


@lru_cache(maxsize=None)
def is_sanitized(binary: Path) -> bool:
    """AddressSanitizer builds keep freed memory in quarantine and map shadow memory."""
    return b"__asan_init" in Path(binary).read_bytes()


def bomb_bytes(binary) -> int:
    """4 GiB; 1 GiB under AddressSanitizer, whose checks make the byte scans several times slower
    (the same code paths; CI runs every e2e test against that build too)."""
    return GiB if is_sanitized(binary) else 4 * GiB


def rss_bound_kb(binary, mb: int) -> int:
    return (mb + (600 if is_sanitized(binary) else 0)) * 1024


class Measured:
    def __init__(self, rc, stdout, stderr, maxrss_kb, seconds, out):
        self.rc, self.stdout, self.stderr, self.maxrss_kb, self.seconds, self.out = (
            rc, stdout, stderr, maxrss_kb, seconds, out)

    @property
    def summary(self) -> dict:
        return json.loads((self.out / "summary.json").read_text())

    def sessions(self) -> list:
        with open(self.out / "sessions.jsonl", "rb") as f:
            return [json.loads(line) for line in f if line.strip()]

    def explain(self) -> str:
        return f"rc={self.rc} rss={self.maxrss_kb} KB in {self.seconds:.1f} s\nstderr:\n{self.stderr[-3000:]!r}"


TIME = Path("/usr/bin/time")  # Debian package "time" (make deps)


def run_measured(binary, *args, out: Path | None = None, stdin_path: Path | None = None, timeout=120) -> Measured:
    """Runs the binary and returns its exit code, output, peak RSS and time. The peak comes from
    /usr/bin/time, whose child is the binary alone: a child forked from this Python process would
    count the pages it shared with pytest before exec (os.wait4's ru_maxrss does)."""
    with tempfile.TemporaryFile() as o, tempfile.TemporaryFile() as e, tempfile.NamedTemporaryFile() as m:
        stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
        prefix = [str(TIME), "-f", "%M", "-o", m.name] if TIME.exists() else []
        t0 = time.monotonic()
        try:
            p = subprocess.run([*prefix, str(binary), *map(str, args)], stdin=stdin, stdout=o, stderr=e,
                               env={**os.environ, "LC_ALL": "C", "TZ": "UTC"}, timeout=timeout)
        finally:
            if stdin_path:
                stdin.close()
        seconds = time.monotonic() - t0
        o.seek(0)
        e.seek(0)
        rss = int(Path(m.name).read_text().split()[-1]) if prefix else 0
        return Measured(p.returncode, o.read(), e.read(), rss, seconds, out)


def analyze(binary, inputs, out: Path, *extra, timeout=120) -> Measured:
    if isinstance(inputs, (str, Path)):
        inputs = [inputs]
    return run_measured(binary, "analyze", *inputs, "-o", out, "--quiet", *extra, out=out, timeout=timeout)


def gzip_run(byte: bytes, total: int, member: int = 64 * MiB) -> bytes:
    """`total` copies of `byte` as a gzip file, in members of `member` bytes (concatenated gzip
    members are one valid gzip stream): 4 GiB of zeros is 4 MB, made in half a second."""
    one = gzip.compress(byte * member, compresslevel=9, mtime=0)
    n, rest = divmod(total, member)
    return one * n + (gzip.compress(byte * rest, compresslevel=9, mtime=0) if rest else b"")


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def check_base_kept(res, extra_sessions=0):
    s = res.summary
    assert s["sessions"] == 3 + extra_sessions, res.explain()
    ids = {x["session"] for x in res.sessions()}
    assert {e["session"] for e in BASE} <= ids


# --------------------------------------------------------------------------------------------
# Line length


def test_line_over_the_flag_is_rejected_rest_kept(cb_bin, tmp_path):
    """--max-line-bytes: a line over it (short: in the buffer; long: skipped as it streams) is
    too_large, named with its line; a line exactly at the limit is kept."""
    limit = 4096
    lines = dumps(BASE).splitlines(keepends=True)

    def event_of_length(sid, n):
        e = session_events(sid, 5000, commands=())[0]
        text = json.dumps({**e, "pad": ""})
        e["pad"] = "x" * (n - len(text))
        line = json.dumps(e)
        assert len(line) == n
        return line.encode() + b"\n"

    at_limit = event_of_length("aaaaaaaaaaaa", limit)
    over = event_of_length("bbbbbbbbbbbb", limit + 1)
    huge = event_of_length("cccccccccccc", 12 * MiB)  # over the 4 MiB read chunk: streamed past
    f = write(tmp_path / "in" / "cowrie.json", b"".join(lines[:3] + [at_limit, over] + lines[3:9] + [huge] + lines[9:]))
    res = analyze(cb_bin, f, tmp_path / "out", "--max-line-bytes", str(limit))
    assert res.rc == 1, res.explain()
    inp = res.summary["inputs"]
    assert inp["rejected"] == {"too_large": 2}
    assert [s["where"] for s in inp["reject_samples"]] == [f"{f}:5", f"{f}:12"]
    assert inp["limits"]["max_line_bytes"] == limit
    assert inp["events"] == len(BASE) + 1
    check_base_kept(res, extra_sessions=1)  # aaaa… at the limit is a session of its own
    assert b"too_large 2 [over --max-line-bytes 4,096]" in res.stderr
    assert str(f).encode() in res.stderr and b"first at line 5" in res.stderr


def test_size_units_and_default(cb_bin, tmp_path):
    write(tmp_path / "in" / "cowrie.json", dumps(BASE))
    res = analyze(cb_bin, tmp_path / "in", tmp_path / "out", "--max-line-bytes", "1MiB", "--max-file-bytes", "2G")
    assert res.rc == 0, res.explain()
    assert "limits" not in res.summary["inputs"]  # only written when a limit was hit
    h = cbtest.run_cb(cb_bin, "analyze", "--help")
    assert b"--max-line-bytes" in h.stdout and b"67108864" in h.stdout  # 64 MiB
    bad = cbtest.run_cb(cb_bin, "analyze", tmp_path / "in", "-o", tmp_path / "o2", "--max-line-bytes", "0")
    assert bad.returncode == 2


def test_line_over_the_default_is_skipped_in_bounded_memory(cb_bin, tmp_path):
    """A 300 MB line (one valid event) under the default 64 MiB limit: rejected while it streams,
    so the run stays small (it took 3.4 GB and a minute when lines could be 1 GiB)."""
    big = b'{"eventid":"cowrie.command.input","session":"dddddddddddd","input":"' + b"A" * (300 * MiB) + b'"}\n'
    f = tmp_path / "in" / "cowrie.json"
    f.parent.mkdir(parents=True)
    with open(f, "wb") as w:
        w.write(dumps(BASE[:9]))
        w.write(big)
        w.write(dumps(BASE[9:]))
    res = analyze(cb_bin, f, tmp_path / "out")
    assert res.rc == 1, res.explain()
    assert res.summary["inputs"]["rejected"] == {"too_large": 1}
    assert res.summary["inputs"]["reject_samples"][0]["where"] == f"{f}:10"
    check_base_kept(res)
    assert res.maxrss_kb < rss_bound_kb(cb_bin, 200), res.explain()


# --------------------------------------------------------------------------------------------
# Nesting depth


def test_deep_nesting_costs_nothing_and_deep_garbage_is_too_deep(cb_bin, tmp_path):
    """Values the model does not read are skipped at any depth (200,000 here, issue #2); a line
    that does not parse and nests deeper than simdjson's 1024 levels is rejected as too_deep."""
    e = session_events("eeeeeeeeeeee", 7000, commands=())[0]
    deep_ok = (json.dumps(e)[:-1] + ', "kexAlgs": ' + "[" * 200_000 + "]" * 200_000 + "}\n").encode()
    deep_bad = b'{"eventid": "cowrie.session.connect", "x": ' + b"[" * 2000 + b"\n"
    lines = dumps(BASE).splitlines(keepends=True)
    f = write(tmp_path / "in" / "cowrie.json", b"".join(lines[:2] + [deep_ok, deep_bad] + lines[2:]))
    res = analyze(cb_bin, f, tmp_path / "out")
    assert res.rc == 1, res.explain()
    inp = res.summary["inputs"]
    assert inp["rejected"] == {"too_deep": 1}
    assert inp["reject_samples"][0]["where"] == f"{f}:4"
    assert inp["limits"]["max_nesting_depth"] == 1024
    assert b"too_deep 1 [nested deeper than 1,024]" in res.stderr
    check_base_kept(res, extra_sessions=1)
    assert res.summary["inputs"]["events"] == len(BASE) + 1


# --------------------------------------------------------------------------------------------
# Decompressed bytes per file: NUL and newline bombs, --max-file-bytes


def test_4gib_of_zeros_then_lines_in_a_4mb_gzip(cb_bin, tmp_path):
    """logrotate copytruncate, or a bomb: 4 GiB of NULs and then the log, in one 4 MB gzip. The
    NULs stream by (they were classified 'empty' after 64 MiB and the lines lost, or read as one
    1 GiB line); the lines after them are all kept, in bounded memory, with a note on stderr."""
    bomb = bomb_bytes(cb_bin)
    f = write(tmp_path / "in" / "cowrie.json.1.gz", gzip_run(b"\0", bomb) + gzip.compress(dumps(BASE)))
    assert f.stat().st_size < 5 * MiB
    res = analyze(cb_bin, tmp_path / "in", tmp_path / "out")
    assert res.rc == 0, res.explain()  # nothing was lost
    inp = res.summary["inputs"]
    assert inp["nul_bytes_skipped"] == bomb
    assert inp["decoded_bytes"] == bomb + len(dumps(BASE))
    assert inp["rejected"] == {}
    check_base_kept(res)
    assert f"cowrie.json.1.gz: skipped {bomb // GiB}.00 GB of NUL bytes".encode() in res.stderr
    assert res.maxrss_kb < rss_bound_kb(cb_bin, 100), res.explain()
    assert res.seconds < 60, res.explain()


def test_4gib_of_zeros_alone_is_named_and_skipped(cb_bin, tmp_path):
    bomb = bomb_bytes(cb_bin)
    write(tmp_path / "in" / "zeros.gz", gzip_run(b"\0", bomb))
    write(tmp_path / "in" / "cowrie.json", dumps(BASE))
    res = analyze(cb_bin, tmp_path / "in", tmp_path / "out")
    assert res.rc == 1, res.explain()
    skipped = res.summary["inputs"]["skipped_files"]
    assert skipped == [{"path": str(tmp_path / "in" / "zeros.gz"), "reason": f"{bomb} bytes, all NUL: no line to read"}]
    assert f"zeros.gz: {bomb} bytes, all NUL".encode() in res.stderr
    check_base_kept(res)
    assert res.maxrss_kb < rss_bound_kb(cb_bin, 100), res.explain()
    # With --max-file-bytes the look stops there.
    res = analyze(cb_bin, tmp_path / "in", tmp_path / "out2", "--max-file-bytes", "100M")
    assert res.rc == 1, res.explain()
    assert "the first 104857600 decompressed bytes are all NUL" in res.summary["inputs"]["skipped_files"][0]["reason"]
    assert res.seconds < 30, res.explain()


def test_small_nul_only_file_stays_empty(cb_bin, tmp_path):
    """Under 1 MiB of NULs is an empty file, as before (listed, not a problem)."""
    write(tmp_path / "in" / "hole.json", b"\0" * 1000)
    write(tmp_path / "in" / "cowrie.json", dumps(BASE))
    res = analyze(cb_bin, tmp_path / "in", tmp_path / "out")
    assert res.rc == 0, res.explain()
    assert res.summary["inputs"]["other_files"] == {"empty": [str(tmp_path / "in" / "hole.json")]}


def test_4gib_of_newlines_in_a_gzip_on_stdin(cb_bin, tmp_path):
    """4 Gi empty lines (stdin is always read as a log): counted in bulk, not one by one
    (2 min 20 s before), and the line numbers after them stay right."""
    bomb = bomb_bytes(cb_bin)
    bad = b'{"eventid": "cowrie.session.connect"\n'
    f = write(tmp_path / "nl.gz", gzip.compress(dumps(BASE[:5])) + gzip_run(b"\n", bomb) + gzip.compress(bad + dumps(BASE[5:])))
    res = run_measured(cb_bin, "analyze", "-", "-o", tmp_path / "out", "-q", out=tmp_path / "out", stdin_path=f)
    assert res.rc == 1, res.explain()
    inp = res.summary["inputs"]
    assert inp["blank_lines"] == bomb
    assert inp["reject_samples"][0]["where"] == f"-:{5 + bomb + 1}"
    check_base_kept(res)
    assert res.maxrss_kb < rss_bound_kb(cb_bin, 100), res.explain()
    assert res.seconds < 60, res.explain()


def test_max_file_bytes_cuts_a_file_and_keeps_what_came_before(cb_bin, tmp_path):
    """--max-file-bytes N: a gzip is read up to N decompressed bytes, the file is named in
    damaged_files with the reason, files_cut counts it; other files are read whole."""
    first, rest = dumps(BASE[:6]), dumps(BASE[6:])
    limit = len(first) + 10  # cuts the 7th line: it is not read (nor rejected)
    write(tmp_path / "in" / "a.json.gz", gzip.compress(first + rest))
    other, b_lines = clean_log(2, t0=10_000, prefix="z"), []
    while len(dumps(b_lines + other[len(b_lines):len(b_lines) + 1])) <= limit:
        b_lines.append(other[len(b_lines)])
    write(tmp_path / "in" / "b.json", dumps(b_lines))  # not over the limit: read whole
    res = analyze(cb_bin, tmp_path / "in", tmp_path / "out", "--max-file-bytes", str(limit))
    assert res.rc == 1, res.explain()
    inp = res.summary["inputs"]
    assert inp["files_cut"] == 1
    [d] = inp["damaged_files"]
    assert d["path"] == str(tmp_path / "in" / "a.json.gz")
    assert "--max-file-bytes" in d["error"] and d["events_kept"] == 6
    assert inp["limits"]["max_file_bytes"] == limit
    assert b"a.json.gz: stopped after" in res.stderr
    assert {e["session"] for e in BASE[:6]} <= {s["session"] for s in res.sessions()}
    assert inp["events"] == 6 + len(b_lines)


def test_max_file_bytes_on_a_big_plain_file_read_in_ranges(cb_bin, tmp_path):
    """Plain files over 64 MB are read as ranges in parallel; the limit clips the ranges."""
    evs = clean_log(3)
    line = dumps(evs[:1])
    f = tmp_path / "in" / "cowrie.json"
    f.parent.mkdir(parents=True)
    with open(f, "wb") as w:
        w.write(dumps(evs))
        w.write(b"\0" * (70 * MiB))  # a NUL run over the range boundaries
        w.write(line * 10)
    whole = analyze(cb_bin, f, tmp_path / "whole")
    assert whole.rc == 0, whole.explain()
    assert whole.summary["inputs"]["nul_bytes_skipped"] == 70 * MiB
    assert whole.summary["inputs"]["events"] == len(evs) + 10
    cut = analyze(cb_bin, f, tmp_path / "cut", "--max-file-bytes", "1M")
    assert cut.rc == 1, cut.explain()
    assert cut.summary["inputs"]["files_cut"] == 1
    assert cut.summary["inputs"]["events"] == len(evs)


def test_sparse_nul_hole_in_a_plain_file_is_read_once(cb_bin, tmp_path):
    """copytruncate leaves a sparse hole in a plain cowrie.json: 4 GiB of NULs on no disk space,
    then the log. The file is read in 128 ranges; each stops at its own end (they each read to
    the end of the hole before: 9.4 s for 2 GiB, growing with the square of the hole, and the
    lines after a hole over 64 MiB were lost to an 'empty' classification before that)."""
    bomb = bomb_bytes(cb_bin)
    f = tmp_path / "in" / "cowrie.json"
    f.parent.mkdir(parents=True)
    with open(f, "wb") as w:
        w.truncate(bomb)
        w.seek(bomb)
        w.write(dumps(BASE))
    res = analyze(cb_bin, f, tmp_path / "out", "-t", "2")
    assert res.rc == 0, res.explain()
    inp = res.summary["inputs"]
    assert inp["nul_bytes_skipped"] == bomb
    assert inp["events"] == len(BASE) and inp["lines"] == len(BASE)
    check_base_kept(res)
    assert res.maxrss_kb < rss_bound_kb(cb_bin, 100), res.explain()
    assert res.seconds < 30, res.explain()


def test_nul_runs_inside_ranges_match_the_stream(cb_bin, tmp_path):
    """The same bytes give the same counts and sessions read as parallel ranges (plain file)
    and as one stream (gzip): NUL runs and empty-line runs across range boundaries."""
    # 8 runs of 10 MiB: 3 ranges, their boundaries (1/3, 2/3) inside an empty-line run and a NUL run.
    parts, t = [], 0.0
    for k in range(8):
        parts.append(dumps(clean_log(2, t0=t, prefix=f"r{k}")))
        parts.append((b"\0" * (10 * MiB + k)) if k % 2 else (b"\n" * (10 * MiB + k)))
        t += 1000
    data = b"".join(parts) + b'{"eventid": cut'
    write(tmp_path / "plain" / "cowrie.json", data)
    write(tmp_path / "gz" / "cowrie.json.gz", gzip.compress(data, compresslevel=1))
    a = analyze(cb_bin, tmp_path / "plain", tmp_path / "a")
    b = analyze(cb_bin, tmp_path / "gz", tmp_path / "b")
    assert a.rc == b.rc == 1, a.explain() + b.explain()
    sa, sb = a.summary["inputs"], b.summary["inputs"]
    for k in ("lines", "blank_lines", "events", "nul_bytes_skipped", "decoded_bytes", "rejected"):
        assert sa[k] == sb[k], k
    assert [s["where"].rsplit(":", 1)[1] for s in sa["reject_samples"]] == \
        [s["where"].rsplit(":", 1)[1] for s in sb["reject_samples"]]
    assert (a.out / "sessions.jsonl").read_bytes() == (b.out / "sessions.jsonl").read_bytes()


# --------------------------------------------------------------------------------------------
# Number of files


def test_20000_files_in_a_folder(cb_bin, tmp_path):
    """No limit on the number of files: memory grows by about 1.3 KB per file (its name, its
    counts); one file is open per worker at a time. 20,000 files of one session each."""
    root = tmp_path / "in"
    n = 20_000
    template = dumps(session_events("SESSIONIDXXX", 0, commands=()))
    for i in range(n):
        d = root / f"{i // 1000:02d}"
        if i % 1000 == 0:
            d.mkdir(parents=True)
        with open(d / f"cowrie.json.{i:05d}", "wb") as w:
            w.write(template.replace(b"SESSIONIDXXX", b"%012x" % i))
    res = analyze(cb_bin, root, tmp_path / "out", timeout=300)
    assert res.rc == 0, res.explain()
    s = res.summary
    assert s["inputs"]["files"] == n
    assert s["sessions"] == n
    assert res.maxrss_kb < rss_bound_kb(cb_bin, 250), res.explain()


# --------------------------------------------------------------------------------------------
# Bytes per TTY recording


def test_recordings_over_the_limit_are_cut_named_and_still_linked(cb_bin, tmp_path):
    shutil.copytree(EXAMPLES, tmp_path / "logs")
    limit = 3000
    sizes = {p.name: p.stat().st_size for p in (tmp_path / "logs" / "tty").iterdir()}
    over = sorted(n for n, s in sizes.items() if s > limit + 24)
    assert over and len(over) < len(sizes)
    full = analyze(cb_bin, tmp_path / "logs", tmp_path / "full")
    assert full.rc == 0, full.explain()
    res = analyze(cb_bin, tmp_path / "logs", tmp_path / "out", "--max-recording-bytes", str(limit))
    assert res.rc == 1, res.explain()
    inp = res.summary["inputs"]
    cut = inp["recordings_cut"]
    assert sorted(Path(c["path"]).name for c in cut) == over
    assert all(limit <= c["bytes_read"] <= limit + 24 for c in cut), cut
    assert inp["limits"]["max_recording_bytes"] == limit
    for name in over:
        assert f"{name}: TTY recording read up to".encode() in res.stderr
    # Still linked (by their names), and the sessions are the same.
    found = lambda r: sorted(t["shasum"] for s in r.sessions() for t in s["ttylog"] if t["found"])
    assert found(res) == found(full)
    assert (res.out / "sessions.jsonl").read_bytes() == (full.out / "sessions.jsonl").read_bytes()
    # last_output only from recordings read to their end.
    rows = lambda r: list(open(r.out / "tables" / "last_output.csv", encoding="utf-8"))
    assert len(rows(res)) <= len(rows(full))


def test_replay_stops_at_the_recording_limit(cb_bin, tmp_path):
    rec = max((EXAMPLES / "tty").iterdir(), key=lambda p: p.stat().st_size)
    full = cbtest.run_cb(cb_bin, "replay", rec, "--no-delay")
    assert full.returncode == 0, full.stderr
    cut = cbtest.run_cb(cb_bin, "replay", rec, "--no-delay", "--max-recording-bytes", "2000")
    assert cut.returncode == 1, cut.stderr
    assert b"--max-recording-bytes" in cut.stderr
    assert 0 < len(cut.stdout) < len(full.stdout)
    assert full.stdout.startswith(cut.stdout.rstrip(b"\n")[:200])


# --------------------------------------------------------------------------------------------
# The Hadoop mapper reads with the same limits


def test_mapper_streams_with_the_same_limits(cb_bin, tmp_path):
    """`mr map-sessions` streams its stdin (it used to read it whole): 1 GiB of NULs before the
    lines and a line over --max-line-bytes, in bounded memory, counted."""
    f = tmp_path / "split"
    with open(f, "wb") as w:
        chunk = b"\0" * (64 * MiB)
        for _ in range(16):
            w.write(chunk)
        w.write(dumps(BASE[:4]))
        w.write(b'{"eventid":"cowrie.command.input","input":"' + b"A" * 10_000 + b'"}\n')
        w.write(dumps(BASE[4:]))
    res = run_measured(cb_bin, "mr", "map-sessions", "--max-line-bytes", "4096", stdin_path=f)
    f.unlink()
    assert res.rc == 0, res.explain()
    counters = dict(l.split(",")[1:] for l in res.stderr.decode().splitlines() if l.startswith("reporter:counter:"))
    assert counters["rejected_lines"] == "1"
    assert counters["events"] == str(len(BASE))
    keys = [l.split(b"\t")[0] for l in res.stdout.splitlines()]
    assert len([k for k in keys if k != b"#ingest"]) == 3
    assert res.maxrss_kb < rss_bound_kb(cb_bin, 100), res.explain()
