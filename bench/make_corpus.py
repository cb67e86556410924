#!/usr/bin/env python3
"""Build a large, deterministic Cowrie NDJSON benchmark corpus by replicating real logs.

    make_corpus.py SRC_DIR OUT_DIR --size-mb 1024 [--seed 1] [--gzip] [--jobs 2]

Every file under SRC_DIR whose *content* is a Cowrie JSON event log is loaded (gzip
detected by magic bytes, leading NUL bytes dropped, only lines that look like JSON
objects kept -- including truncated/invalid ones, they are part of real data).
Files like MANIFEST.json (a JSON array) or binary tty recordings are skipped.

The loaded logs are then written again and again ("replicas") until the output
holds at least --size-mb MiB of uncompressed NDJSON.  In every replica:
  * each "session" value becomes a new 12-hex id, derived from
    hash(seed, replica, original sensor, original session), unique over the corpus;
  * each "sensor" value gets a "-rNNN" suffix (unless --no-sensor-suffix), so every
    replica looks like another set of honeypot sensors.
Rewriting is byte-level (regex on the raw line), lines are not re-serialised.

Layout (default --layout files), like a multi-sensor deployment with rotated logs:
    OUT_DIR/data/replica-000/<source relative path>[.gz]
    OUT_DIR/data/replica-001/...
    OUT_DIR/corpus.meta.json      (parameters, counts, expected query answer, file list)
--layout shards writes OUT_DIR/data/shard-NNNN.json[.gz] of about --shard-mb MiB each.

If OUT_DIR/corpus.meta.json exists with the same parameters the corpus is reused
(exit 0 without writing); --force rebuilds.  Output is byte-identical for the same
source, parameters and seed (gzip members are written with mtime=0).
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import multiprocessing as mp
import os
import re
import shutil
import sys
import time
import zlib

GENERATOR_VERSION = 1
SESSION_RE = re.compile(rb'"session"\s*:\s*"([^"\\]*)"')
SENSOR_RE = re.compile(rb'"sensor"\s*:\s*"([^"\\]*)"')
CMD_INPUT_RE = re.compile(rb'"eventid"\s*:\s*"cowrie\.command\.input"')
SNIFF_BYTES = 1 << 20

# Globals shared with forked workers (set before the pool is created).
G_SOURCES: list = []
G_SESSION_MAPS: list = []  # per replica: {(sensor, session): new_id}
G_ARGS = None


def log(msg: str) -> None:
    print(f"[make_corpus] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- loading
def read_maybe_gzip(path: str) -> tuple[bytes, bool, str]:
    """Return (bytes, was_gzip, note). Truncated gzip yields what could be inflated."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] != b"\x1f\x8b":
        return raw, False, ""
    out = []
    data = raw
    note = ""
    while data:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            out.append(d.decompress(data))
            out.append(d.flush())
        except zlib.error as e:
            note = f"gzip error after {sum(map(len, out))} bytes: {e}"
            break
        if not d.eof:
            note = "truncated gzip stream"
            break
        data = d.unused_data
        if data[:2] != b"\x1f\x8b":  # trailing garbage after the last member
            break
    return b"".join(out), True, note


def looks_like_event_log(data: bytes) -> bool:
    head = data[:SNIFF_BYTES]
    for line in head.split(b"\n"):
        s = line.lstrip(b"\x00 \t\r")
        if s.startswith(b"{") and b'"eventid"' in s:
            return True
    return False


class Source:
    """One source event-log file, pre-split into literal parts and rewrite slots."""

    __slots__ = ("rel", "gz", "lits", "slots", "out_len_base", "sensor_slots",
                 "lines", "bytes_in", "cmd_keys", "keys", "nul_prefix",
                 "dropped_lines", "invalid_json_lines", "note", "ends_newline")

    def __init__(self, rel: str, gz: bool):
        self.rel = rel
        self.gz = gz


def load_source(root: str, rel: str, raw_mode: bool) -> Source | None:
    path = os.path.join(root, rel)
    data, was_gz, note = read_maybe_gzip(path)
    nul_prefix = len(data) - len(data.lstrip(b"\x00"))
    if not raw_mode:
        data = data[nul_prefix:]
    if not looks_like_event_log(data):
        return None
    src = Source(rel, was_gz)
    src.note = note
    src.nul_prefix = nul_prefix
    src.bytes_in = len(data)
    lines = data.split(b"\n")
    src.ends_newline = data.endswith(b"\n")
    if src.ends_newline:
        lines.pop()  # empty string after the final newline
    kept = []
    dropped = 0
    for ln in lines:
        probe = ln.lstrip(b"\x00 \t\r") if raw_mode else ln.lstrip(b" \t\r")
        if probe.startswith(b"{"):
            kept.append(ln)
        elif raw_mode and ln:
            kept.append(ln)  # --raw keeps everything non-empty as is
        else:
            dropped += 1
    src.dropped_lines = dropped
    src.lines = len(kept)

    # Build literal parts and slots: slot = (kind, key) with kind 0=session, 1=sensor.
    lits: list[bytes] = []
    slots: list[tuple[int, tuple[bytes, bytes] | bytes]] = []
    keys = set()
    cmd_keys = set()
    invalid = 0
    cur: list[bytes] = []
    last_sensor = b""
    for idx, ln in enumerate(kept):
        term = b"\n" if (idx < len(kept) - 1 or src.ends_newline) else b""
        ms = SESSION_RE.search(ln)
        mn = SENSOR_RE.search(ln)
        sensor = mn.group(1) if mn else last_sensor
        if mn:
            last_sensor = sensor
        # ground truth for the "last command per session" query (valid JSON only)
        try:
            obj = json.loads(ln.strip(b" \t\r"))  # a NUL-prefixed line (--raw) is invalid
            ok = isinstance(obj, dict)
        except ValueError:
            ok = False
            obj = None
        if not ok:
            invalid += 1
        cuts = []
        if ms:
            key = (sensor, ms.group(1))
            keys.add(key)
            cuts.append((ms.start(1), ms.end(1), 0, key))
            if ok and obj.get("eventid") == "cowrie.command.input":
                cmd_keys.add((obj.get("sensor", ""), obj.get("session", "")))
        if mn:
            cuts.append((mn.start(1), mn.end(1), 1, mn.group(1)))
        cuts.sort()
        pos = 0
        for a, b, kind, key in cuts:
            cur.append(ln[pos:a])
            lits.append(b"".join(cur))
            cur = []
            slots.append((kind, key))
            pos = b
        cur.append(ln[pos:])
        cur.append(term)
    lits.append(b"".join(cur))
    src.lits = lits
    src.slots = slots
    src.keys = keys
    src.cmd_keys = cmd_keys
    src.invalid_json_lines = invalid
    src.sensor_slots = sum(1 for k, _ in slots if k == 1)
    # output length without sensor suffixes; sessions are always 12 hex chars
    src.out_len_base = sum(map(len, lits)) + sum(
        12 if k == 0 else len(v) for k, v in slots)
    return src


def walk_files(root: str) -> list[str]:
    out = []
    for dp, dns, fns in os.walk(root):
        dns.sort()
        for fn in sorted(fns):
            p = os.path.join(dp, fn)
            if os.path.isfile(p):
                out.append(os.path.relpath(p, root))
    return sorted(out)


# --------------------------------------------------------------------------- replicas
def suffix_for(replica: int) -> bytes:
    return b"-r%03d" % replica


def make_session_map(seed: int, replica: int, keys: list, used: set) -> dict:
    m = {}
    for sensor, sess in keys:
        salt = 0
        while True:
            h = hashlib.blake2b(b"%d|%d|%s|%s|%d" % (seed, replica, sensor, sess, salt),
                                digest_size=6).hexdigest().encode()
            if h not in used:
                break
            salt += 1
        used.add(h)
        m[(sensor, sess)] = h
    return m


def render(src: Source, replica: int, sensor_suffix: bool) -> bytes:
    smap = G_SESSION_MAPS[replica]
    suf = suffix_for(replica) if sensor_suffix else b""
    out = []
    lits = src.lits
    for i, (kind, key) in enumerate(src.slots):
        out.append(lits[i])
        out.append(smap[key] if kind == 0 else key + suf)
    out.append(lits[-1])
    return b"".join(out)


def write_task(task):
    """task = (out_rel_path, [(replica, source_index), ...]); runs in a worker."""
    out_rel, pieces = task
    a = G_ARGS
    chunks = []
    for replica, si in pieces:
        b = render(G_SOURCES[si], replica, a.sensor_suffix)
        if len(pieces) > 1 and b and not b.endswith(b"\n"):
            b += b"\n"  # shards: never glue a cut line to the next file's first line
        chunks.append(b)
    data = b"".join(chunks)
    lines = data.count(b"\n") + (0 if not data or data.endswith(b"\n") else 1)
    payload = gzip.compress(data, compresslevel=a.level, mtime=0) if a.gzip else data
    path = os.path.join(a.out, out_rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(payload)
    return out_rel, len(data), len(payload), lines


# --------------------------------------------------------------------------- main
def source_fingerprint(root: str) -> str:
    """Hash of (path, size, content) of every file: a changed source invalidates the cache.
    Not the modification times: a samples folder provisioned again with the same bytes would
    rebuild the corpus, and every state a run made from it would then find each log changed."""
    h = hashlib.blake2b(digest_size=8)
    for rel in walk_files(root):
        path = os.path.join(root, rel)
        content = hashlib.blake2b(digest_size=16)
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                content.update(block)
        h.update(b"%s|%d|%s\n" % (rel.encode(), os.path.getsize(path), content.hexdigest().encode()))
    return h.hexdigest()


def params_of(a) -> dict:
    return {
        "generator_version": GENERATOR_VERSION,
        "src": os.path.abspath(a.src),
        "src_fingerprint": source_fingerprint(a.src),
        "size_mb": a.size_mb,
        "seed": a.seed,
        "gzip": a.gzip,
        "level": a.level if a.gzip else None,
        "layout": a.layout,
        "shard_mb": a.shard_mb if a.layout == "shards" else None,
        "sensor_suffix": a.sensor_suffix,
        "raw": a.raw,
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("src", help="source directory with real Cowrie logs (read-only)")
    ap.add_argument("out", help="output corpus directory")
    ap.add_argument("--size-mb", type=float, default=1024,
                    help="target uncompressed size in MiB (default 1024)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--gzip", action="store_true", help="write .gz files")
    ap.add_argument("--level", type=int, default=6, help="gzip level (default 6)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2,
                    help="worker processes (default: all cores)")
    ap.add_argument("--layout", choices=["files", "shards"], default="files")
    ap.add_argument("--shard-mb", type=float, default=64)
    ap.add_argument("--no-sensor-suffix", dest="sensor_suffix", action="store_false")
    ap.add_argument("--raw", action="store_true",
                    help="keep leading NULs and non-JSON lines (quirk testing)")
    ap.add_argument("--force", action="store_true", help="rebuild even if cached")
    a = ap.parse_args(argv)
    a.size_mb = float(a.size_mb)

    if not os.path.isdir(a.src):
        log(f"error: source directory not found: {a.src}")
        return 2
    meta_path = os.path.join(a.out, "corpus.meta.json")
    want = params_of(a)
    if not a.force and os.path.exists(meta_path):
        try:
            with open(meta_path) as f:
                have = json.load(f).get("params")
        except (OSError, ValueError):
            have = None
        if have == want:
            log(f"reusing cached corpus {a.out}")
            return 0
        log(f"parameters changed, rebuilding {a.out}")

    t0 = time.monotonic()
    global G_SOURCES, G_SESSION_MAPS, G_ARGS
    sources, skipped = [], []
    for rel in walk_files(a.src):
        s = load_source(a.src, rel, a.raw)
        if s is None:
            skipped.append(rel)
        else:
            sources.append(s)
    if not sources:
        log(f"error: no Cowrie JSON event logs found under {a.src}")
        return 2
    log(f"loaded {len(sources)} event-log files ({sum(s.bytes_in for s in sources)/2**20:.1f} MiB,"
        f" {sum(s.lines for s in sources)} lines), skipped {len(skipped)}: {skipped}"
        f" in {time.monotonic()-t0:.1f}s")

    # Decide which (replica, source) pieces are written, in deterministic order.
    target = int(a.size_mb * 2**20)
    pieces, total, replica = [], 0, 0
    while total < target:
        if replica > 99999:
            log("error: too many replicas")
            return 2
        for si, s in enumerate(sources):
            if total >= target:
                break
            sz = s.out_len_base + (len(suffix_for(replica)) * s.sensor_slots
                                   if a.sensor_suffix else 0)
            if sz == 0:
                continue
            pieces.append((replica, si, sz))
            total += sz
        replica += 1
    n_replicas = replica
    width = max(3, len(str(n_replicas - 1)))

    # Session maps (deterministic, globally unique ids).
    all_keys = sorted(set().union(*(s.keys for s in sources)))
    used: set = set()
    G_SESSION_MAPS = [make_session_map(a.seed, r, all_keys, used) for r in range(n_replicas)]
    G_SOURCES = sources
    a.out = os.path.abspath(a.out)
    G_ARGS = a

    # Tasks
    ext = ".gz" if a.gzip else ""
    tasks = []
    if a.layout == "files":
        for r, si, _ in pieces:
            rel = sources[si].rel
            if rel.endswith(".gz"):  # names follow the content: plain files lose ".gz"
                rel = rel[:-3]
            tasks.append((os.path.join("data", f"replica-{r:0{width}d}", rel + ext), [(r, si)]))
    else:
        shard_target = int(a.shard_mb * 2**20)
        cur, cur_sz = [], 0
        for r, si, sz in pieces:
            cur.append((r, si))
            cur_sz += sz
            if cur_sz >= shard_target:
                tasks.append((os.path.join("data", f"shard-{len(tasks):04d}.json{ext}"), cur))
                cur, cur_sz = [], 0
        if cur:
            tasks.append((os.path.join("data", f"shard-{len(tasks):04d}.json{ext}"), cur))

    if os.path.exists(meta_path):
        os.remove(meta_path)
    if os.path.isdir(os.path.join(a.out, "data")):
        shutil.rmtree(os.path.join(a.out, "data"))
    os.makedirs(a.out, exist_ok=True)

    log(f"writing {len(tasks)} files, {n_replicas} replicas, {total/2**20:.1f} MiB"
        f"{' gzip -' + str(a.level) if a.gzip else ''} with {a.jobs} jobs -> {a.out}")
    t1 = time.monotonic()
    # Big tasks first for load balance; results re-ordered afterwards.
    order = sorted(range(len(tasks)), key=lambda i: -sum(
        sources[si].out_len_base for _, si in tasks[i][1]))
    results = {}
    if a.jobs > 1:
        ctx = mp.get_context("fork")
        with ctx.Pool(a.jobs) as pool:
            for res in pool.imap_unordered(write_task, [tasks[i] for i in order], chunksize=4):
                results[res[0]] = res
    else:
        for i in order:
            res = write_task(tasks[i])
            results[res[0]] = res
    t_write = time.monotonic() - t1

    # Counts and ground truth for the benchmark query.
    files_meta = []
    tot_raw = tot_disk = tot_lines = 0
    for out_rel, tp in tasks:
        _, nraw, ndisk, nlines = results[out_rel]
        reps = sorted({r for r, _ in tp})
        files_meta.append({"path": out_rel, "replica": reps[0] if len(reps) == 1 else reps,
                           "bytes": nraw, "disk_bytes": ndisk, "lines": nlines})
        tot_raw += nraw
        tot_disk += ndisk
        tot_lines += nlines
    assert tot_raw == total, (tot_raw, total)
    cmd_sessions = set()
    sessions = set()
    events_invalid = 0
    for r, si, _ in pieces:
        s = sources[si]
        sessions.update((r, k) for k in s.keys)
        cmd_sessions.update((r, k) for k in s.cmd_keys)
        events_invalid += s.invalid_json_lines
    meta = {
        "params": want,
        "source": {
            "files": len(sources),
            "skipped": skipped,
            "bytes": sum(s.bytes_in for s in sources),
            "lines": sum(s.lines for s in sources),
            "dropped_non_json_lines": sum(s.dropped_lines for s in sources),
            "invalid_json_lines": sum(s.invalid_json_lines for s in sources),
            "nul_prefixed": {s.rel: s.nul_prefix for s in sources if s.nul_prefix},
            "gzip_notes": {s.rel: s.note for s in sources if s.note},
            "sessions": len(all_keys),
        },
        "replicas": n_replicas,
        "files": len(tasks),
        "bytes": tot_raw,
        "disk_bytes": tot_disk,
        "lines": tot_lines,
        "invalid_json_lines": events_invalid,
        "sessions": len(sessions),
        "sessions_with_commands": len(cmd_sessions),
        "note": "sessions_with_commands = expected row count of the 'last command of every "
                "session' query (sessions keyed by (sensor, session); valid JSON lines only)",
        "seconds": round(time.monotonic() - t0, 2),
        "file_list": files_meta,
    }
    tmp = meta_path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    os.replace(tmp, meta_path)
    log(f"done: {len(tasks)} files, {tot_raw/2**20:.1f} MiB raw, {tot_disk/2**20:.1f} MiB on disk,"
        f" {tot_lines} lines, {len(sessions)} sessions, {len(cmd_sessions)} with commands;"
        f" write {t_write:.1f}s, total {time.monotonic()-t0:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
