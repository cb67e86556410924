"""Helpers for the cowrie-batch end-to-end tests: running the binary, reading its outputs,
building synthetic Cowrie events, and an independent reference reader for Cowrie JSON logs.

Only the standard library is used. The reference reader is deliberately simple and shares
no code or logic with the C++ implementation: decompress gzip by magic, drop leading NUL
bytes, json.loads every non-blank line, group by (sensor, session).
"""

from __future__ import annotations

import csv
import filecmp
import gzip
import json
import re
import os
import sqlite3
import subprocess
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO.parent / "shared" / "samples"
SAMPLES_MISSING = (
    f"sample logs not found at {SAMPLES} (expected <repo>/../shared/samples); "
    "clone the shared/ folder beside the repository to run this test"
)

RUN_TIMEOUT = 180  # seconds for one cowrie-batch run; a hang fails the test instead of blocking CI


def tools_python() -> str:
    """The Python of the e2e tools venv (tools-requirements.txt; run_all.sh makes it)."""
    return os.environ.get("CB_TOOLS_PYTHON") or str(REPO / "build/e2e-tools-venv/bin/python")


# --------------------------------------------------------------------------------------------
# Running the binary


@dataclass
class Result:
    """One finished `cowrie-batch analyze` run and lazy access to what it wrote."""

    args: list
    rc: int
    stdout: bytes
    stderr: bytes
    out: Path | None = None
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def err(self) -> str:
        return self.stderr.decode("utf-8", "replace")

    @property
    def summary(self) -> dict:
        if "summary" not in self._cache:
            self._cache["summary"] = json.loads((self.out / "summary.json").read_text("utf-8"))
        return self._cache["summary"]

    @property
    def sessions(self) -> list:
        if "sessions" not in self._cache:
            self._cache["sessions"] = [json.loads(line) for line in sessions_jsonl(self.out).splitlines() if line.strip()]
        return self._cache["sessions"]

    def session(self, session_id: str, sensor: str | None = None) -> dict:
        found = [s for s in self.sessions if s["session"] == session_id and (sensor is None or s["sensor"] == sensor)]
        assert len(found) == 1, f"expected exactly one session {session_id!r} in sessions.jsonl, found {len(found)}"
        return found[0]

    def db(self) -> sqlite3.Connection:
        con = sqlite3.connect(f"file:{self.out / 'cowrie.sqlite'}?mode=ro", uri=True)
        con.text_factory = bytes  # exact bytes: the hostile-string tests compare them
        return con

    def query(self, sql: str, params=()) -> list:
        con = sqlite3.connect(f"file:{self.out / 'cowrie.sqlite'}?mode=ro", uri=True)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    def csv_rows(self, table: str) -> list:
        with open(self.out / "tables" / f"{table}.csv", newline="", encoding="utf-8") as f:
            return list(csv.reader(f))

    def explain(self) -> str:
        return f"cowrie-batch {' '.join(map(str, self.args))} -> rc={self.rc}\nstderr:\n{self.err[-3000:]}"


def sessions_jsonl(out: Path) -> bytes:
    """sessions.jsonl of OUTDIR, or its day files (--sessions day) joined in day order: the same bytes."""
    if (out / "sessions.jsonl").exists():
        return (out / "sessions.jsonl").read_bytes()
    return b"".join(p.read_bytes() for p in sorted((out / "sessions").glob("day=*/sessions.jsonl")))


def file_tree(root: Path) -> dict:
    """Relative path -> path of every file under root."""
    return {p.relative_to(root): p for p in sorted(root.rglob("*")) if p.is_file()}


def assert_same_tree(a: Path, b: Path):
    """The two folders hold the same files with the same bytes."""
    ta, tb = file_tree(a), file_tree(b)
    assert ta.keys() == tb.keys()
    different = [str(k) for k in ta if not filecmp.cmp(ta[k], tb[k], shallow=False)]
    assert not different, f"files differ between {a} and {b}: {different}"


def assert_same_outputs(full: Path, updated: Path):
    """An OUTDIR updated by an incremental run holds what the full run wrote: the same files with
    the same bytes, except cowrie.sqlite, updated in place, which holds the same schema and rows
    (the same dump) and passes SQLite's integrity check."""
    ta, tb = file_tree(full), file_tree(updated)
    assert ta.keys() == tb.keys()
    db = Path("cowrie.sqlite")
    different = [str(k) for k in ta if k != db and not filecmp.cmp(ta[k], tb[k], shallow=False)]
    assert not different, f"files differ between {full} and {updated}: {different}"
    if db in ta:
        assert sqlite_dump(ta[db]) == sqlite_dump(tb[db]), f"{updated / db} holds other rows than {full / db}"
        con = sqlite3.connect(f"file:{tb[db]}?mode=ro", uri=True)
        try:
            assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        finally:
            con.close()


def run_cb(binary, *args, stdin: bytes | None = None, cwd=None, timeout=RUN_TIMEOUT) -> subprocess.CompletedProcess:
    """Runs the binary with raw arguments (for --help, bad flags...)."""
    return subprocess.run(
        [str(binary), *map(str, args)],
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        cwd=cwd,
        timeout=timeout,
        env={**os.environ, "LC_ALL": "C", "TZ": "UTC"},
    )


def analyze(binary, inputs, out: Path, *extra, stdin: bytes | None = None, cwd=None, quiet=True) -> Result:
    """Runs `cowrie-batch analyze INPUT... -o OUT [extra]` and returns a Result."""
    if isinstance(inputs, (str, Path)):
        inputs = [inputs]
    args = ["analyze", *map(str, inputs), "-o", str(out), *map(str, extra)]
    if quiet:
        args.append("--quiet")
    p = run_cb(binary, *args, stdin=stdin, cwd=cwd)
    assert p.returncode >= 0, f"cowrie-batch was killed by signal {-p.returncode}: {args}\n{p.stderr[-3000:]!r}"
    out_path = Path(cwd, out) if cwd and not Path(out).is_absolute() else Path(out)
    return Result(args, p.returncode, p.stdout, p.stderr, out_path)


# --------------------------------------------------------------------------------------------
# Synthetic events


def ts(seconds: float, base=datetime(2024, 3, 1, tzinfo=timezone.utc)) -> str:
    """Cowrie 2.x-style timestamp, `seconds` after a fixed base."""
    t = base.timestamp() + seconds
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def session_events(sid: str, t0: float, *, sensor="sensor-a", ip="203.0.113.7", user="root", password="123456",
                   success=True, commands=("uname -a",), duration: float | str | None = None) -> list:
    """A plausible SSH session: connect, version, login, commands, close."""
    evs = []
    t = t0

    def add(eventid, **kw):
        nonlocal t
        e = {"eventid": eventid, "session": sid, "sensor": sensor, "src_ip": ip, "timestamp": ts(t)}
        e.update(kw)
        evs.append(e)
        t += 1.0

    add("cowrie.session.connect", src_port=40000, dst_ip="10.0.0.5", dst_port=2222, protocol="ssh")
    add("cowrie.client.version", version="SSH-2.0-Go")
    add("cowrie.login.success" if success else "cowrie.login.failed", username=user, password=password)
    for c in commands:
        add("cowrie.command.input", input=c)
    dur = round(t - t0, 1) if duration is None else duration
    add("cowrie.session.closed", duration=dur)
    return evs


def dumps(events) -> bytes:
    """Compact JSON lines, as Cowrie 2.x writes them."""
    return b"".join(json.dumps(e, separators=(",", ":")).encode() + b"\n" for e in events)


def clean_log(n_sessions=3, t0=0.0, prefix="a") -> list:
    """A small valid log: n sessions of 6 events each, ids `<prefix>0000000000<i>`."""
    evs = []
    for i in range(n_sessions):
        sid = f"{prefix}{i:011x}"[:12]
        evs += session_events(sid, t0 + 100 * i, commands=("uname -a", "cat /proc/cpuinfo"))
    return evs


# --------------------------------------------------------------------------------------------
# Independent reference reader


def decompress(data: bytes) -> bytes:
    if data[:2] == b"\x1f\x8b":
        return gzip.decompress(data)
    return data


def complete_lines_of_truncated_gzip(data: bytes) -> tuple[int, bytes]:
    """For a cut gzip file: the number of complete lines that can be decoded, and the partial tail."""
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = d.decompress(data)
    return out.count(b"\n"), out[out.rfind(b"\n") + 1:]


def parse_time(s: str) -> datetime:
    s = s.replace("Z", "+00:00")
    return datetime.fromisoformat(s)


def is_event_log(data: bytes) -> bool:
    """First non-blank line (after leading NULs) is a JSON object with an eventid."""
    for line in data.lstrip(b"\0").split(b"\n", 50)[:50]:
        if line.strip():
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            return isinstance(obj, dict) and "eventid" in obj
    return False


URL_WITH_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def is_file_write(e: dict) -> bool:
    """A cowrie.session.file_download that is a redirect or stdin capture, not a URL fetch: no url,
    or a url without a scheme beside a destfile."""
    url = e.get("url")
    return not url or ("destfile" in e and not URL_WITH_SCHEME.match(url))


@dataclass
class RefSession:
    events: int = 0
    login_events: int = 0
    login_ok: int = 0
    key_offers: Counter = field(default_factory=Counter)  # (username, fingerprint) of client.fingerprint
    key_verdicts: Counter = field(default_factory=Counter)  # the same of login.* events with a fingerprint
    commands: list = field(default_factory=list)
    downloads: int = 0
    downloads_failed: int = 0
    file_writes: int = 0
    closed: bool = False
    first: datetime | None = None

    @property
    def logins(self) -> int:
        """Login attempts: login events, plus key offers that no login event of the same key answered."""
        unanswered = sum(max(0, n - self.key_verdicts[k]) for k, n in self.key_offers.items())
        return self.login_events + unanswered


@dataclass
class Reference:
    files: int = 0
    lines: int = 0
    events: int = 0
    bad_lines: int = 0
    nul_bytes: int = 0
    src_ips: set = field(default_factory=set)
    eventids: Counter = field(default_factory=Counter)
    sessions: dict = field(default_factory=lambda: defaultdict(RefSession))

    def add_file(self, path: Path) -> bool:
        data = decompress(path.read_bytes())
        if not is_event_log(data):
            return False
        self.files += 1
        stripped = data.lstrip(b"\0")
        self.nul_bytes += len(data) - len(stripped)
        for raw in stripped.split(b"\n"):
            raw = raw.strip(b"\r\t ")
            if not raw:
                continue
            self.lines += 1
            try:
                e = json.loads(raw)
            except ValueError:
                e = None
            if not isinstance(e, dict) or not isinstance(e.get("eventid"), str) or "timestamp" not in e:
                self.bad_lines += 1
                continue
            self.add_event(e)
        return True

    def add_event(self, e: dict):
        self.events += 1
        eid = e["eventid"]
        self.eventids[eid] += 1
        if not e.get("session"):
            return
        s = self.sessions[(e.get("sensor", ""), e["session"])]
        if e.get("src_ip"):
            self.src_ips.add(e["src_ip"])
        s.events += 1
        t = parse_time(e["timestamp"])
        s.first = t if s.first is None else min(s.first, t)
        if eid in ("cowrie.login.success", "cowrie.login.failed"):
            s.login_events += 1
            s.login_ok += eid == "cowrie.login.success"
            if e.get("fingerprint"):
                s.key_verdicts[(e.get("username"), e["fingerprint"])] += 1
        elif eid == "cowrie.client.fingerprint":
            s.key_offers[(e.get("username"), e.get("fingerprint"))] += 1
        elif eid == "cowrie.command.input":
            s.commands.append((t, e["input"]))
        elif eid == "cowrie.session.file_download" and is_file_write(e):
            s.file_writes += 1
        elif eid == "cowrie.session.file_download":
            s.downloads += 1
        elif eid == "cowrie.session.file_download.failed":
            s.downloads_failed += 1
        elif eid == "cowrie.session.closed":
            s.closed = True

    def add_tree(self, root: Path):
        for dirpath, _dirs, files in os.walk(root):
            for name in sorted(files):
                self.add_file(Path(dirpath, name))
        return self

    def totals(self) -> dict:
        ss = self.sessions.values()
        return {
            "events": self.events,
            "sessions": len(self.sessions),
            "sessions_closed": sum(s.closed for s in ss),
            "sensors": len({k[0] for k in self.sessions}),
            "src_ips": len(self.src_ips),
            "login_attempts": sum(s.logins for s in ss),
            "login_successes": sum(s.login_ok for s in ss),
            "commands": sum(len(s.commands) for s in ss),
            "downloads": sum(s.downloads for s in ss),
            "downloads_failed": sum(s.downloads_failed for s in ss),
            "file_writes": sum(s.file_writes for s in ss),
            "uploads": self.eventids["cowrie.session.file_upload"],
            "tcpip_requests": self.eventids["cowrie.direct-tcpip.request"],
        }


def summary_totals(s: dict) -> dict:
    """The same headline numbers, read from cowrie-batch's summary.json."""
    return {
        "events": s["inputs"]["events"],
        "sessions": s["sessions"],
        "sessions_closed": s["sessions_closed"],
        "sensors": s["sensors"],
        "src_ips": s["src_ips"],
        "login_attempts": s["logins"]["attempts"],
        "login_successes": s["logins"]["success"],
        "commands": s["commands"],
        "downloads": s["downloads"],
        "downloads_failed": s["downloads_failed"],
        "file_writes": s["file_writes"],
        "uploads": s["uploads"],
        "tcpip_requests": s["tcpip_requests"],
    }


def sqlite_dump(db: Path) -> str:
    """`sqlite3 DB .dump` when the CLI is installed, else Python's iterdump (same purpose)."""
    try:
        p = subprocess.run(["sqlite3", str(db), ".dump"], capture_output=True, timeout=120, check=True)
        return p.stdout.decode("utf-8", "surrogateescape")
    except FileNotFoundError:
        con = sqlite3.connect(str(db))
        try:
            return "\n".join(con.iterdump())
        finally:
            con.close()


def sample_folders() -> list:
    """Every source folder under samples/wild and samples/generated (empty when samples are absent)."""
    out = []
    for group in ("wild", "generated"):
        base = SAMPLES / group
        if base.is_dir():
            out += sorted(p for p in base.iterdir() if p.is_dir())
    return out
