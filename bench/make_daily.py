#!/usr/bin/env python3
"""Write one new daily Cowrie log that follows a benchmark corpus (the incremental-state row).

    make_daily.py CORPUS_DIR OUT_DIR [--size-kb 1024] [--seed 1] [--after corpus|sensor]

A sensor that rotates its log daily adds one file a day; this makes that file. It picks the
corpus's daily log (`cowrie.json.YYYY-MM-DD`, at least --size-kb) with the latest date, lowest
replica first, and writes OUT_DIR/cowrie.json.<new date> from its first whole lines up to
--size-kb KiB, so the new file sits in its own folder and the corpus is not copied. The new date
(--after):
  * `corpus` (the default): the day after the corpus's last event. A daily cron run adds
    yesterday's file of every sensor, which comes after all that the state holds;
  * `sensor`: the day after that sensor's last daily log. In the benchmark corpus other sensors
    have later days, so this file lands inside the history (a late file, a backfill): every
    session after it changes its place in start order.
In every line:
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


def last_event_day(corpus: str, meta: dict) -> dt.date:
    """The date of the corpus's last event. Replicas repeat the lowest one's timestamps (only
    the sensor names differ), so its files are enough."""
    def replicas(f: dict) -> list:  # one file may stand for several replicas
        return f["replica"] if isinstance(f["replica"], list) else [f["replica"]]

    lowest = min(min(replicas(f)) for f in meta["file_list"])
    last = b""
    for f in meta["file_list"]:
        if lowest in replicas(f):
            with open(os.path.join(corpus, f["path"]), "rb") as fin:
                for m in TIMESTAMP_RE.finditer(fin.read()):
                    last = max(last, m.group(2))
    return dt.date.fromisoformat(last.decode())


def pick_source(meta: dict, min_bytes: int) -> tuple[dict, dt.date]:
    """The daily log with the latest date (lowest replica on a tie) and the day after its
    sensor's last daily log."""
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
    ap.add_argument("--after", choices=("corpus", "sensor"), default="corpus",
                    help="date the file the day after the corpus's last event, or after its sensor's last daily log")
    args = ap.parse_args()

    with open(os.path.join(args.corpus, "corpus.meta.json")) as f:
        meta = json.load(f)
    limit = args.size_kb * 1024
    src, new_date = pick_source(meta, limit)
    if args.after == "corpus":
        new_date = last_event_day(args.corpus, meta) + dt.timedelta(days=1)
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
