#!/usr/bin/env bash
# Stand-in for `cowrie-batch mr <subcommand> [mr-args...]` until the C++ binary has the mr subcommands.
# It follows the Hadoop Streaming protocol the real one must follow (see hadoop/README.md):
#   stdin  = text lines (mapper: raw log lines; combiner/reducer: "key<TAB>value" lines sorted by key)
#   stdout = "key<TAB>value" lines; key = text before the first TAB
#   stderr = "reporter:counter:cowrie-batch,<name>,<n>" / "reporter:status:<msg>" lines + free text
#   exit   = 0 after reading stdin to EOF
#
#   map-sessions      JSON event -> "<sensor>\x1f<session>\t<the line>"; other lines are counted, dropped
#   combine-sessions  identity (counts records)
#   reduce-sessions   identity; checks that keys arrive sorted (counter 'reduce_unsorted' must stay 0)
#   map-markers       "markers\t1" per line; combine-markers sums; reduce-markers sums and adds
#                     "marker-set\tbWFya2Vy" (base64 of "marker"), which job 2 gets as CB_MARKERS
#   map-analyses      "count\t1" per line
#   combine-analyses  sums values per key
#   reduce-analyses   sums values per key
#
# Test-only mr-args: --fail=<subcommand> (drain stdin, then exit 3), --env-dump=DIR (write env to DIR).
set -euo pipefail
[ "${1:-}" = mr ] || { echo "usage: $0 mr <subcommand> [args]" >&2; exit 2; }
sub="${2:-}"; shift 2
for a in "$@"; do
  case "$a" in
    --fail="$sub") cat >/dev/null; echo "fake-cowrie-batch: failing in $sub as asked" >&2; exit 3 ;;
    --env-dump=*) d="${a#--env-dump=}"; mkdir -p "$d"; env | LC_ALL=C sort > "$d/$sub-$$.env"
                  { printf 'cwd=%s\n' "$PWD"; printf 'argv=%s\n' "$0" "$@"; } > "$d/$sub-$$.argv" ;;
  esac
done
export SUB="$sub"
# /usr/bin/python3 first: a pyenv shim costs ~0.2 s per task start, and Hadoop starts one process per
# map task, per combiner run (one per spill and partition) and per reduce task.
py=python3; [ -x /usr/bin/python3 ] && py=/usr/bin/python3
exec "$py" -c '
import os, sys, json
sub = os.environ["SUB"]
out = sys.stdout.buffer
err = sys.stderr
def counter(name, n):
    err.write("reporter:counter:cowrie-batch,%s,%d\n" % (name, n))
inp = sys.stdin.buffer
if sub == "map-sessions":
    err.write("reporter:status:map-sessions reading %s\n" % os.environ.get("mapreduce_map_input_file", "?"))
    events = bad = 0
    for raw in inp:
        line = raw.rstrip(b"\n")
        try:
            ev = json.loads(line)
        except ValueError:
            bad += 1
            continue
        if not isinstance(ev, dict) or "session" not in ev:
            bad += 1
            continue
        key = "%s\x1f%s" % (ev.get("sensor", "-"), ev["session"])
        out.write(key.encode("utf-8", "replace") + b"\t" + line + b"\n")
        events += 1
    counter("map_events", events)
    counter("map_bad_lines", bad)
    counter("map_tasks", 1)
elif sub in ("combine-sessions", "reduce-sessions"):
    n = keys = unsorted = 0
    prev = None
    for raw in inp:
        k = raw.split(b"\t", 1)[0]
        if k != prev:
            if prev is not None and k < prev:
                unsorted += 1
            keys += 1
            prev = k
        out.write(raw)
        n += 1
    name = sub.split("-")[0]
    counter(name + "_records", n)
    counter(name + "_keys", keys)
    if sub == "reduce-sessions":
        counter("reduce_unsorted", unsorted)
        counter("reduce_tasks", 1)
elif sub == "map-markers":
    n = sum(1 for _ in inp)
    out.write(b"markers\t%d\n" % n)
elif sub in ("combine-markers", "reduce-markers"):
    total = sum(int(raw.rstrip(b"\n").partition(b"\t")[2] or 0) for raw in inp)
    out.write(b"markers\t%d\n" % total)
    if sub == "reduce-markers":
        out.write(b"marker-set\tbWFya2Vy\n")
elif sub == "map-analyses":
    n = 0
    for raw in inp:
        out.write(b"count\t1\n")
        n += 1
    counter("analyses_map_records", n)
elif sub in ("combine-analyses", "reduce-analyses"):
    sums = {}
    order = []
    for raw in inp:
        k, _, v = raw.rstrip(b"\n").partition(b"\t")
        if k not in sums:
            sums[k] = 0
            order.append(k)
        sums[k] += int(v)
    for k in order:
        out.write(k + b"\t" + str(sums[k]).encode() + b"\n")
    counter(sub.split("-")[0] + "_analyses_records", len(order))
else:
    err.write("fake-cowrie-batch: unknown subcommand %r\n" % sub)
    sys.exit(2)
out.flush()
'
