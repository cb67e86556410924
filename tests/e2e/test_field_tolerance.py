"""No field can cost a line, no line a run (issue #11, field-level tolerance).

Generated, not hand-listed: for every field in FIELDS and every kind of damage in DAMAGE, a file
built from real events (the project's examples/logs always, the shared samples when present) in
which one line in three carries that field damaged. One run per (source, kind of damage) reads the
files of every field together. Each run must exit 0 or 1 and keep every event whose eventid,
session and timestamp are intact, every session, and count the damage in summary.json
`inputs.field_errors` exactly. A new field is covered by adding its name to FIELDS.
"""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from pathlib import Path

import pytest

import cbtest

# Every field the event model reads, with how it is read (core/src/parse/event_parser.cpp):
#   key      eventid, timestamp: unusable ones may reject the line; session: unusable is sessionless
#   id       text identifiers: over 4 KiB is not an identifier (too_long)
#   text     attacker text: kept at any length
#   int, seconds, bool   numbers (or numeric text), booleans
#   ignored  a key the model does not read: nothing may happen to the event
# "+" marks the text fields where a number is safely taken as its text (coerced).
FIELDS = {
    "eventid": "key", "timestamp": "key", "session": "key+",
    "sensor": "id+", "protocol": "id", "src_ip": "id", "dst_ip": "id", "orig_ip": "id", "hassh": "id",
    "shasum": "id", "version": "id", "arch": "id", "fingerprint": "id", "type": "id",
    "username": "text+", "password": "text+", "input": "text+", "url": "text", "outfile": "text",
    "destfile": "text", "filename": "text", "ttylog": "text",
    "src_port": "int", "dst_port": "int", "orig_port": "int", "size": "int", "width": "int", "height": "int",
    "duration_ms": "int", "duration": "seconds", "duplicate": "bool", "late": "bool",
    "message": "ignored", "uuid": "ignored",
}

BIG_NUMBER = "@@cb-big-number@@"  # written as the bare number 1e400, which no double holds
HUGE = "A" * (1 << 20) + "!"        # 1 MiB + 1 byte

DAMAGE = OrderedDict([
    ("missing", None), ("null", None), ("empty", ""), ("number", 12345), ("bool", True),
    ("object", {"k": "v"}), ("array", ["a", 1]), ("huge", HUGE), ("big_number", BIG_NUMBER),
    ("nul", "a\u0000b"), ("bidi", "a\u202eb\u2066c"), ("lone_surrogate", "a\udcffb"),
])


def expected_reasons(field: str, kind: str) -> set:
    """The field_errors kinds one damaged line adds for `field` (each exactly once)."""
    cls = FIELDS[field]
    coerce = cls.endswith("+")
    cls = cls.rstrip("+")
    if cls == "ignored" or kind == "missing":
        return set()
    if kind == "null":
        return {"null"}
    if kind in ("object", "array"):
        return {"wrong_type"}
    textual = cls in ("key", "id", "text")
    if textual:
        return {
            "empty": set(), "nul": set(), "bidi": set(),
            "number": {"coerced"} if coerce else {"wrong_type"},
            "big_number": {"coerced"} if coerce else {"wrong_type"},
            "bool": {"wrong_type"},
            "huge": {"too_long"} if cls in ("id", "key") else set(),
            "lone_surrogate": {"lone_surrogate"},
        }[kind]
    # Numbers (numeric text is read, so its escapes are decoded) and booleans (text is not).
    return {
        "number": set(),
        "bool": set() if cls == "bool" else {"wrong_type"},
        "big_number": {"out_of_range"},
        "lone_surrogate": {"wrong_type"} if cls == "bool" else {"lone_surrogate", "wrong_type"},
    }.get(kind, {"wrong_type"})


# ---------------------------------------------------------------------------------------------
# Real events


def sources() -> list:
    """The project's recordings (make test); the samples only with --wild (make test-wild), so
    make test checks the same on a lone clone as beside ../shared."""
    out = [cbtest.REPO / "examples" / "logs", cbtest.REPO / "tests" / "data" / "multi-sensor"]
    if cbtest.SAMPLES.is_dir():
        out.append(pytest.param(cbtest.SAMPLES, marks=pytest.mark.wild))
    return out


def real_sessions(source: Path) -> "OrderedDict[tuple, list]":
    """Every event of every JSON log under source, grouped by (sensor, session), in file order."""
    groups: OrderedDict = OrderedDict()
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        data = cbtest.decompress(path.read_bytes())
        if not cbtest.is_event_log(data):
            continue
        for line in data.split(b"\n"):
            try:
                e = json.loads(line)
                json.dumps(e).encode("utf-8")  # no lone surrogates in the base
                str(e).encode("utf-8")
            except (ValueError, UnicodeError):
                continue
            if isinstance(e, dict) and isinstance(e.get("session"), str) and isinstance(e.get("eventid"), str):
                groups.setdefault((e.get("sensor"), e["session"]), []).append(e)
    return groups


def base_for(field: str, groups) -> list:
    """Two real sessions that carry `field` (any two if none does), each cut to its first eight
    events plus up to two events that carry the field, in their order."""
    chosen = [evs for evs in groups.values() if any(field in e for e in evs)][:2] or list(groups.values())[:2]
    out = []
    for evs in chosen:
        with_field = [i for i, e in enumerate(evs) if field in e][:2]
        keep = sorted(set(range(min(8, len(evs)))) | set(with_field))
        out += [dict(evs[i]) for i in keep]
    return out


def damaged_file(field: str, kind: str, base: list) -> tuple[bytes, list]:
    """The base events, sessions renamed `<session>-<field>` (one file's sessions are its own), one
    line in three with `field` damaged. Returns the file and, per line, whether it is damaged."""
    lines, damaged = [], []
    for i, e in enumerate(base):
        e = dict(e)
        e["session"] = f"{e['session']}-{field}"
        hit = i % 3 == 0
        if hit:
            if kind == "missing":
                e.pop(field, None)
            else:
                e[field] = DAMAGE[kind]
        text = json.dumps(e)  # ensure_ascii: NUL, bidi and lone surrogates as \\u escapes
        text = text.replace(json.dumps(BIG_NUMBER), "1e400")
        lines.append(text)
        damaged.append(hit)
    return ("\n".join(lines) + "\n").encode("ascii"), damaged


# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=sources(), ids=lambda p: Path(p).name)
def source_groups(request):
    return request.param, real_sessions(request.param)


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_every_field_every_damage(cb_bin, tmp_path, source_groups, kind):
    source, groups = source_groups
    assert groups, f"no events read from {source}"
    inp = tmp_path / "in"
    inp.mkdir()
    plan = {}
    for field in FIELDS:
        base = base_for(field, groups)
        data, damaged = damaged_file(field, kind, base)
        (inp / f"{field}.json").write_bytes(data)
        plan[field] = (base, damaged)

    res = cbtest.analyze(cb_bin, inp, tmp_path / "out", "--threads", "2")
    assert res.rc in (0, 1), res.explain()
    s = res.summary["inputs"]
    errors = s["field_errors"]
    total_lines = sum(len(b) for b, _ in plan.values())
    assert s["lines"] == total_lines
    assert s["events"] + s["rejected_total"] == total_lines

    seen_ids = {x["session"] for x in res.sessions}
    events_by_id: dict = {}
    for x in res.sessions:
        events_by_id[x["session"]] = events_by_id.get(x["session"], 0) + x["events"]

    must_keep = 0
    problems = []
    for field, (base, damaged) in plan.items():
        n_damaged = sum(damaged)
        key_field = field in ("eventid", "timestamp", "session")
        intact = [not (d and key_field) for d in damaged]
        must_keep += sum(intact)
        # Every session with an intact line is kept, whatever the damage.
        want = {f"{e['session']}-{field}" for e, ok in zip(base, intact) if ok}
        if not want <= seen_ids:
            problems.append(f"{field}: sessions lost: {sorted(want - seen_ids)[:3]}")
        if not key_field:
            # Every line of this file landed in its sessions.
            got = sum(n for sid, n in events_by_id.items() if sid.endswith(f"-{field}"))
            if got != len(base):
                problems.append(f"{field}: {got} of {len(base)} events in sessions")
        if field in ("eventid", "timestamp"):
            continue  # a damaged one may reject the line; counted under `rejected`
        want_errors = {r: n_damaged for r in expected_reasons(field, kind)}
        got_errors = errors.get(field, {})
        if got_errors != want_errors:
            problems.append(f"{field}: field_errors {got_errors}, expected {want_errors}")
    assert s["events"] >= must_keep
    assert not problems, "\n".join(problems)
    # Nothing the test did not damage is reported as damaged.
    assert set(errors) <= set(FIELDS) - {"message", "uuid"}, errors
