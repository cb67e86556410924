#!/usr/bin/env python3
"""Golden outputs keyed by command line (as lnav's and Zeek's btest's tests are).

Each folder tests/golden/<case>/ holds `cmd`, one line of cowrie-batch arguments without -o
(for example `analyze examples/logs --threads 2`, paths relative to the repository), and the
outputs that line must write: `exit_code`, summary.json, hints.json, every tables/*.csv, and
sessions.jsonl when it is small. The runner runs the line from the repository root with
`-o <temp folder> --quiet` appended and compares the outputs byte for byte.

    tests/golden/golden.py BINARY [CASE...]            compare; print a unified diff of the
                                                       first differences; exit 1 on any
    tests/golden/golden.py BINARY --approve [CASE...]  overwrite the expected files with what
                                                       the binary writes now (`make approve`)

Approve only after reviewing the change (`git diff tests/golden/` shows it). A new table or a
table that is gone fails the comparison until approved, so new outputs get reviewed too.
Only absolute paths are normalised (the repository becomes <repo>, the output folder <out>);
every case uses relative paths, so normally nothing is.
"""

from __future__ import annotations

import difflib
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent
REPO = GOLDEN.parents[1]
ALWAYS = ["exit_code", "summary.json", "hints.json"]
SESSIONS = "sessions.jsonl"
SESSIONS_MAX_BYTES = 64 * 1024  # larger sessions.jsonl files are not kept as golden copies
DIFF_LINES = 40  # lines of unified diff printed for the first differing file


def cases() -> list[str]:
    return sorted(p.parent.name for p in GOLDEN.glob("*/cmd"))


def run_case(binary: Path, case: str, out: Path) -> dict[str, bytes]:
    """Runs the case's command line; returns {relative name: normalised bytes} of what it wrote."""
    args = shlex.split((GOLDEN / case / "cmd").read_text("utf-8"))
    p = subprocess.run([str(binary), *args, "-o", str(out), "--quiet"], cwd=REPO, capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=300, env={**os.environ, "LC_ALL": "C", "TZ": "UTC"})
    if p.returncode not in (0, 1):
        raise RuntimeError(f"{case}: cowrie-batch {' '.join(args)} exited {p.returncode}:\n"
                           f"{p.stderr.decode(errors='replace')[-2000:]}")
    files = {"exit_code": f"{p.returncode}\n".encode()}
    for name in ("summary.json", "hints.json", SESSIONS):
        files[name] = (out / name).read_bytes()
    for table in sorted((out / "tables").glob("*.csv")):
        files[f"tables/{table.name}"] = table.read_bytes()
    return {name: normalise(data, out) for name, data in files.items()}


def normalise(data: bytes, out: Path) -> bytes:
    """Absolute paths are the only thing that differs between machines and runs."""
    for path, label in ((out, b"<out>"), (REPO, b"<repo>")):
        data = data.replace(str(path).encode(), label)
    return data


def expected_files(case: str) -> dict[str, bytes]:
    d = GOLDEN / case
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file() and p.name != "cmd"}


def readable(name: str, data: bytes) -> list[str]:
    """Lines to diff: one-line JSON files are indented first so the diff points at a field."""
    text = data.decode("utf-8", "backslashreplace")
    if name.endswith(".json"):
        try:
            text = json.dumps(json.loads(text), indent=1, ensure_ascii=False) + "\n"
        except ValueError:
            pass
    return text.splitlines(keepends=True)


def compare(case: str, got: dict[str, bytes]) -> str:
    """An empty string when the outputs equal the golden copies, else a report of what differs."""
    want = expected_files(case)
    if SESSIONS not in want:
        got = {k: v for k, v in got.items() if k != SESSIONS}
    problems = [f"  {n}: written now, no golden copy (new output?)" for n in sorted(got.keys() - want.keys())]
    problems += [f"  {n}: golden copy, not written any more" for n in sorted(want.keys() - got.keys())]
    differing = [n for n in sorted(want.keys() & got.keys()) if want[n] != got[n]]
    problems += [f"  {n}: differs" for n in differing]
    if not problems:
        return ""
    report = [f"golden case {case} (`{(GOLDEN / case / 'cmd').read_text().strip()}`):", *problems]
    if differing:
        first = differing[0]
        diff = difflib.unified_diff(readable(first, want[first]), readable(first, got[first]),
                                    f"tests/golden/{case}/{first} (expected)", f"{first} (written now)", n=2)
        lines = list(diff)
        report += ["", *(line.rstrip("\n") for line in lines[:DIFF_LINES])]
        if len(lines) > DIFF_LINES:
            report.append(f"... {len(lines) - DIFF_LINES} more diff lines")
    report.append("If the change is intended: review it, then `make approve` (tests/golden/golden.py BINARY --approve).")
    return "\n".join(report)


def approve(case: str, got: dict[str, bytes]) -> None:
    d = GOLDEN / case
    for p in d.iterdir():
        if p.name != "cmd":
            shutil.rmtree(p) if p.is_dir() else p.unlink()
    if len(got[SESSIONS]) > SESSIONS_MAX_BYTES:
        del got[SESSIONS]
    for name, data in got.items():
        (d / name).parent.mkdir(parents=True, exist_ok=True)
        (d / name).write_bytes(data)


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[1].startswith("-"):
        print(__doc__, file=sys.stderr)
        return 2
    binary = Path(argv[1]).resolve()
    rest = argv[2:]
    do_approve = "--approve" in rest
    names = [a for a in rest if a != "--approve"] or cases()
    failed = 0
    for case in names:
        with tempfile.TemporaryDirectory(prefix="cb-golden-") as tmp:
            got = run_case(binary, case, Path(tmp) / "out")
        if do_approve:
            approve(case, got)
            print(f"approved {case}: {len(got)} files in tests/golden/{case}/")
            continue
        report = compare(case, got)
        print(report or f"ok {case}", file=sys.stderr if report else sys.stdout)
        failed += bool(report)
    if not do_approve:
        print(f"golden: {len(names) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
