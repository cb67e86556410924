#!/usr/bin/env python3
"""Writes tests/data/quirks/: damaged and odd variants of one real recorded log.

    tests/data/make_quirks.py [OUTDIR]     (default: tests/data/quirks beside this file)
    tests/data/make_quirks.py --check      (exit 1 when the shipped files differ from what
                                            this script writes; run by the e2e tests)

The source is the real Cowrie log tests/data/multi-sensor/honeypot-west (recorded by
tests/e2e-cowrie/record.sh). Each variant gets its own sensor name (quirk-<name>) and session
ids, so the variants never merge with each other or with the source. The output is the same
bytes on every run (fixed seed, gzip without name or time), so it can be shipped and used by
the golden outputs in tests/golden/.
"""

from __future__ import annotations

import bz2
import gzip
import json
import random
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "multi-sensor" / "honeypot-west"
DEFAULT_OUT = HERE / "quirks"


def source_events() -> list[dict]:
    lines = []
    for name in ("cowrie.json.2026-12-04", "cowrie.json"):
        lines += (SOURCE / name).read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def relabel(events: list[dict], quirk: str) -> list[dict]:
    """The events as if from sensor quirk-<quirk>, with session ids of their own."""
    out = []
    for e in events:
        e = dict(e, sensor=f"quirk-{quirk}")
        if e.get("session"):
            e["session"] = quirk[:4] + e["session"][4:]
        out.append(e)
    return out


def lines_of(events: list[dict]) -> list[bytes]:
    return [json.dumps(e, separators=(", ", ": ")).encode() for e in events]


def joined(lines: list[bytes], end: bytes = b"\n") -> bytes:
    return b"".join(line + end for line in lines)


def nul_prefix(events):
    """A log that starts with NUL bytes, as after a crash on a file system that pre-allocates."""
    return {"nul-prefix/cowrie.json": b"\0" * 3000 + joined(lines_of(events))}


def truncated_tail(events):
    """The last line cut in the middle, with no newline: the sensor stopped mid-write."""
    lines = lines_of(events)
    return {"truncated-tail/cowrie.json": joined(lines[:-1]) + lines[-1][: len(lines[-1]) // 2]}


def crlf(events):
    """CRLF line endings and blank lines (a log copied through a Windows tool)."""
    lines = lines_of(events)
    return {"crlf/cowrie.json": joined(lines[:20], b"\r\n") + b"\r\n\r\n" + joined(lines[20:], b"\r\n")}


def garbage_lines(events):
    """Lines that are not events between real ones (text, a JSON array, an object without
    eventid, a line cut inside a string), fields of the wrong type in real events, and a
    command whose text is not valid UTF-8 (repaired, kept)."""
    lines = lines_of(events)
    odd = [b"Traceback (most recent call last):", b"[1, 2, 3]", b'{"timestamp": "2026-12-04T23:59:59Z"}',
           b'{"eventid": "cowrie.command.input", "input": "\\x41"']
    first_cmd = next(line for line in lines if b'"cowrie.command.input"' in line)
    lines.insert(lines.index(first_cmd) + 1, first_cmd.replace(b'"input": "', b'"input": "echo \xff\xfe\xc3 '))
    rng = random.Random(11)
    for bad in odd:
        lines.insert(rng.randrange(len(lines)), bad)
    typed = []
    for line in lines:
        if line.startswith(b"{") and b'"cowrie.session.connect"' in line:
            e = json.loads(line)
            e["src_port"], e["dst_port"] = "not-a-port", [22]
            line = json.dumps(e).encode()
        typed.append(line)
    return {"garbage-lines/cowrie.json": joined(typed)}


def shuffled(events):
    """The events of one file in random order (timestamps decide, not line order)."""
    lines = lines_of(events)
    random.Random(5).shuffle(lines)
    return {"shuffled/cowrie.json": joined(lines)}


def cut_gzip(events):
    """A gzip-rotated file cut short (copied while being written): the part that inflates is read."""
    data = gzip.compress(joined(lines_of(events)), compresslevel=9, mtime=0)
    return {"cut-gzip/cowrie.json.2026-12-04.gz": data[: len(data) * 2 // 3]}


def bzip2(events):
    """A rotated file compressed with bzip2 and a name that does not say so."""
    return {"bzip2/cowrie.json.1": bz2.compress(joined(lines_of(events)), 9)}


QUIRKS = [nul_prefix, truncated_tail, crlf, garbage_lines, shuffled, cut_gzip, bzip2]


def quirk_files() -> dict[str, bytes]:
    events = source_events()
    files = {}
    for make in QUIRKS:
        files.update(make(relabel(events, make.__name__.replace("_", "-"))))
    return files


def write(out: Path) -> None:
    for rel, data in quirk_files().items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def check(out: Path) -> int:
    """Differences between the shipped folder and a fresh run, one line each."""
    with tempfile.TemporaryDirectory() as tmp:
        write(Path(tmp))
        fresh = {p.relative_to(tmp) for p in Path(tmp).rglob("*") if p.is_file()}
        shipped = {p.relative_to(out) for p in out.rglob("*") if p.is_file() and p.name != "README.md"}
        bad = sorted(str(p) for p in fresh ^ shipped)
        bad += sorted(str(p) for p in fresh & shipped if (Path(tmp) / p).read_bytes() != (out / p).read_bytes())
    for p in bad:
        print(f"make_quirks: {out / p} differs from what make_quirks.py writes", file=sys.stderr)
    return 1 if bad else 0


def main(argv: list[str]) -> int:
    if argv[1:2] == ["--check"]:
        return check(DEFAULT_OUT)
    write(Path(argv[1]) if len(argv) > 1 else DEFAULT_OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
