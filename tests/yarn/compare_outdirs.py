#!/usr/bin/env python3
"""make test-yarn's verdict: the YARN run wrote the same OUTDIR as `cowrie-batch analyze`, and
really ran on the cluster.

usage: compare_outdirs.py LOCAL_OUT YARN_OUT COUNTERS_JSON APPS_TXT HDFS_INPUTS_TXT

Same checks as tests/e2e/test_hadoop.py (sessions.jsonl as a set of lines, every tables/*.csv and
hints.json byte for byte, the counts in summary.json), plus: three sensors; the three jobs ran as
YARN applications (not the local runner) and Hadoop's own `yarn application -list` saw them
succeed through the conf folder; the gzipped rotated file reached HDFS with a .gz name.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SUMMARY_KEYS = ("sessions", "sessions_closed", "sensors", "src_ips", "first_event", "last_event", "logins",
                "commands", "failed_commands", "downloads", "uploads", "tcpip_requests", "end_kinds", "channels",
                "eventids")
INPUT_KEYS = ("files", "bytes", "lines", "events", "rejected_total", "field_errors", "type_errors",
              "sessionless_events")
SENSORS = {"cowrie-batch-e2e", "yarn-gz", "yarn-rotated"}

failures: list[str] = []


def check(ok: bool, what: str) -> None:
    print(f"test-yarn: {'ok  ' if ok else 'FAIL'} {what}", file=sys.stderr)
    if not ok:
        failures.append(what)


def compare_sessions(local: Path, yarn: Path) -> None:
    a = (local / "sessions.jsonl").read_bytes().splitlines()
    b = (yarn / "sessions.jsonl").read_bytes().splitlines()
    check(set(a) == set(b) and len(a) == len(b), f"sessions.jsonl: the same {len(a)} sessions (yarn: {len(b)})")
    sensors = {json.loads(l)["sensor"] for l in b}
    check(sensors == SENSORS, f"sessions of the sensors {sorted(SENSORS)} (yarn: {sorted(sensors)})")


def compare_tables(local: Path, yarn: Path) -> None:
    names = sorted(p.name for p in (local / "tables").glob("*.csv"))
    check(len(names) >= 15 and names == sorted(p.name for p in (yarn / "tables").glob("*.csv")),
          f"the same {len(names)} tables")
    differ = [n for n in names if (local / "tables" / n).read_bytes() != (yarn / "tables" / n).read_bytes()]
    check(not differ, f"every table byte-identical (differ: {differ})")
    check((local / "hints.json").read_bytes() == (yarn / "hints.json").read_bytes(), "hints.json byte-identical")


def compare_summary(local: Path, yarn: Path) -> None:
    a = json.loads((local / "summary.json").read_text())
    b = json.loads((yarn / "summary.json").read_text())
    differ = [k for k in SUMMARY_KEYS if a[k] != b[k]] + [f"inputs.{k}" for k in INPUT_KEYS
                                                         if a["inputs"][k] != b["inputs"][k]]
    check(not differ, f"summary.json: {len(SUMMARY_KEYS) + len(INPUT_KEYS)} counts equal (differ: {differ})")


def check_it_was_yarn(counters: Path, apps: Path, hdfs_inputs: Path) -> None:
    c = json.loads(counters.read_text())
    jobs = [(j["name"], j["job_id"], j["succeeded"]) for j in c["jobs"]]
    check(c["succeeded"] and str(c["cluster"]).startswith("conf:") and [j[0] for j in jobs] == [
        "sessions", "markers", "analyses"] and all(ok and not jid.startswith("job_local") for _, jid, ok in jobs),
          f"counters.json: 3 jobs succeeded on the cluster {[j[1] for j in jobs]}")
    rows = [l for l in apps.read_text().splitlines() if l.startswith("application_")]
    done = [r for r in rows if "FINISHED" in r and "SUCCEEDED" in r and "cowrie-batch" in r]
    check(len(rows) == 3 and len(done) == 3, f"yarn application -list: 3 cowrie-batch applications SUCCEEDED ({len(done)})")
    names = [l.split()[-1] for l in hdfs_inputs.read_text().splitlines() if l.strip()]
    gz = [n for n in names if n.endswith(".gz")]
    check(len(names) == 6 and len(gz) == 3,
          f"hdfs dfs -ls: the 6 JSON logs in HDFS (staged by position), the 3 gzipped ones named .gz: {len(names)}, {len(gz)}")


def main() -> int:
    local, yarn, counters, apps, hdfs_inputs = map(Path, sys.argv[1:6])
    compare_sessions(local, yarn)
    compare_tables(local, yarn)
    compare_summary(local, yarn)
    check_it_was_yarn(counters, apps, hdfs_inputs)
    if failures:
        print(f"test-yarn: {len(failures)} check(s) failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
