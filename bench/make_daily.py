#!/usr/bin/env python3
"""Write one new daily Cowrie log that follows a benchmark corpus (the incremental-state row).

    make_daily.py CORPUS_DIR OUT_DIR [--size-kb 1024] [--seed 1]

A sensor that rotates its log daily adds one file a day; this makes that file. It picks the
corpus's daily log (`cowrie.json.YYYY-MM-DD`, at least --size-kb) with the latest date, lowest
replica first, and writes OUT_DIR/cowrie.json.<that folder's last date + 1 day> from its first
whole lines up to --size-kb KiB, so the new file sits in its own folder and the corpus is not
copied. In every line:
  * "session" becomes a fresh 12-hex id, blake2b(seed, new date, old id): the day's sessions
    are new ones, never a continuation of a session in the corpus;
  * the date of "timestamp" moves forward by a whole number of days to the new date (time of
    day kept, so the order of events and session durations do not change).
The sensor stays the corpus's (the same sensor, one day later). Rewriting is byte-level, lines
are not re-serialised; the output is deterministic. Prints one JSON record to stdout (source,
path, bytes, lines, sessions).
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import re
import sys

DAILY_NAME = re.compile(r"^cowrie\.json\.(\d{4}-\d{2}-\d{2})$")
SESSION_RE = re.compile(rb'("session"\s*:\s*")([^"\\]*)(")')
TIMESTAMP_RE = re.compile(rb'("timestamp"\s*:\s*")(\d{4}-\d{2}-\d{2})')


def daily_date(path: str) -> dt.date | None:
    m = DAILY_NAME.match(os.path.basename(path))
    return dt.date.fromisoformat(m.group(1)) if m else None


def pick_source(meta: dict, min_bytes: int) -> tuple[dict, dt.date]:
    """The daily log with the latest date (lowest replica on a tie) and the new file's date."""
    dailies = [(daily_date(f["path"]), f) for f in meta["file_list"]]
    dailies = [(d, f) for d, f in dailies if d is not None]
    big = [(d, f) for d, f in dailies if f["bytes"] >= min_bytes]
    if not big:
        sys.exit(f"make_daily: no cowrie.json.YYYY-MM-DD of at least {min_bytes} bytes in the corpus")
    date, src = max(big, key=lambda df: (df[0], -df[1]["replica"]))
    folder = os.path.dirname(src["path"])
    last = max(d for d, f in dailies if os.path.dirname(f["path"]) == folder)
    return src, last + dt.timedelta(days=1)


def rewrite(line: bytes, seed: int, new_date: dt.date, shift: dt.timedelta) -> bytes:
    def session(m: re.Match) -> bytes:
        key = f"{seed}\0daily\0{new_date}\0".encode() + m.group(2)
        return m.group(1) + hashlib.blake2b(key, digest_size=6).hexdigest().encode() + m.group(3)

    def timestamp(m: re.Match) -> bytes:
        day = dt.date.fromisoformat(m.group(2).decode()) + shift
        return m.group(1) + day.isoformat().encode()

    return TIMESTAMP_RE.sub(timestamp, SESSION_RE.sub(session, line))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", help="corpus folder (holds corpus.meta.json and data/)")
    ap.add_argument("out", help="folder for the new daily log (created)")
    ap.add_argument("--size-kb", type=int, default=1024, help="size of the new file in KiB [1024]")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    with open(os.path.join(args.corpus, "corpus.meta.json")) as f:
        meta = json.load(f)
    limit = args.size_kb * 1024
    src, new_date = pick_source(meta, limit)
    shift = new_date - daily_date(src["path"])
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, f"cowrie.json.{new_date}")
    size = lines = 0
    sessions = set()
    with open(os.path.join(args.corpus, src["path"]), "rb") as fin, open(path, "wb") as fout:
        for line in fin:
            new = rewrite(line, args.seed, new_date, shift)
            if size + len(new) > limit:
                break
            fout.write(new)
            size += len(new)
            lines += 1
            sessions.update(m.group(2) for m in SESSION_RE.finditer(new))
    print(json.dumps({"source": src["path"], "path": path, "date": str(new_date), "bytes": size,
                      "lines": lines, "sessions": len(sessions)}))


if __name__ == "__main__":
    main()
