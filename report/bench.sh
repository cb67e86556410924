#!/usr/bin/env bash
# report.html on a big corpus (called by `make bench` after bench/run.sh): its size, the time
# cowrie-batch spends writing it, and the time headless Chromium takes to open and draw it.
# Target: under 20 MB, open in a few seconds.
#
# Environment: CB_REPORT_BENCH_INPUT (default: the bench corpus of bench/run.sh,
# $CB_BENCH_CORPUS_DIR/mb$CB_BENCH_MB-seed$CB_BENCH_SEED/plain/data), CB_BENCH_BIN, CB_BUILD_DIR,
# CB_BENCH_THREADS (2). Writes $BUILD/report-bench.md.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BUILD=${CB_BUILD_DIR:-$ROOT/build}
MB=${CB_BENCH_MB:-1024}
SEED=${CB_BENCH_SEED:-1}
THREADS=${CB_BENCH_THREADS:-2}
CORPUS_DIR=${CB_BENCH_CORPUS_DIR:-$BUILD/bench-corpus}
INPUT=${CB_REPORT_BENCH_INPUT:-$CORPUS_DIR/mb$MB-seed$SEED/plain/data}
BIN=${CB_BENCH_BIN:-$BUILD/cowrie-batch}
RESULTS=$BUILD/report-bench.md
TARGET_MB=20
say() { printf '[report-bench] %s\n' "$*" >&2; }

if [ ! -d "$INPUT" ]; then
  say "skipped: no corpus at $INPUT (bench/run.sh builds it; or set CB_REPORT_BENCH_INPUT)"
  exit 0
fi
[ -x "$BIN" ] || { say "error: $BIN not found (build first)"; exit 1; }
OUT=$(mktemp -d "$BUILD/report-bench.XXXXXX")
trap 'rm -rf "$OUT"' EXIT

say "analyze $INPUT ($THREADS threads)"
"$BIN" analyze "$INPUT" -o "$OUT/out" --threads "$THREADS" --quiet --stats 2> "$OUT/stats.txt" || [ $? -eq 1 ]
write_s=$(awk '/report\.html/ { print $(NF-1); exit }' "$OUT/stats.txt")
report="$OUT/out/report.html"
bytes=$(stat -c %s "$report")
sessions=$(grep -c '' "$OUT/out/sessions.jsonl")
open_json=$(cd "$HERE" && node test/open.mjs "$report" 3)
say "$open_json"
node - "$open_json" "$bytes" "$sessions" "${write_s:-?}" "$INPUT" "$TARGET_MB" > "$RESULTS" <<'JS'
const [j, bytes, sessions, writeS, input, target] = process.argv.slice(2);
const o = JSON.parse(j);
const mb = (Number(bytes) / 1048576).toFixed(1);
const ok = Number(bytes) < Number(target) * 1048576;
const lines = [
  '| report.html | value | target |', '|---|---|---|',
  `| input | ${input} (${Number(sessions).toLocaleString('en-US')} sessions) | |`,
  `| size | ${mb} MiB (${Number(bytes).toLocaleString('en-US')} bytes) | < ${target} MB: ${ok ? 'met' : 'MISSED'} |`,
  `| time to write (cowrie-batch, one thread, beside SQLite) | ${writeS} s | |`,
  o.skipped ? `| open in headless Chromium | skipped: ${o.skipped} | |`
    : `| open and draw in headless Chromium (median of ${o.load_ms.length}) | ${o.median_ms} ms (runs: ${o.load_ms.join(', ')} ms) | a few seconds |`,
  o.skipped ? '' : `| sessions in the explorer, charts, JS heap | ${o.sessions}, ${o.charts}, ${o.heapMB ?? '?'} MB | |`,
  o.errors && o.errors.length ? `| console errors | ${o.errors.length}: ${o.errors[0]} | 0 |` : '',
].filter(Boolean);
console.log(lines.join('\n'));
JS
cat "$RESULTS"
