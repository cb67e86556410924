#!/usr/bin/env bash
# cowrie-batch benchmark driver (called by `make bench`).
#
# Builds (or reuses) a replicated corpus of the real sample logs, then measures in one
# run: `cowrie-batch analyze` (plain + gzip corpus), DuckDB read_json + "last command
# of every session", the same question with jq, and the bare simdjson per-line parse
# (the floor); then bounded memory (--memory-limit on the corpus and on a 4x larger one)
# and incremental state (--state plus one new daily file). Wall time and peak RSS come
# from GNU time (`/usr/bin/time -v`). Prints a markdown table and writes it to
# $CB_BENCH_RESULTS.
#
# Environment (defaults in brackets):
#   CB_BENCH_MB          corpus size in MiB, uncompressed [1024]
#   CB_BENCH_BIG_MB      second, larger corpus for cowrie-batch RSS growth; 0 = skip [2*MB]
#   CB_BENCH_SEED        corpus seed [1]
#   CB_BENCH_THREADS     threads for cowrie-batch, DuckDB, jq, floor [2]
#   CB_BENCH_JQ_FRACTION run jq on 1/N of the replicas and extrapolate linearly [1 = all]
#   CB_BENCH_REPEAT      repetitions per measurement, best wall time kept [1]
#   CB_BENCH_MEMORY_REPEAT  repetitions of cowrie-batch's rows: analyze and the bounded-memory
#                        and incremental-state rows, whose ratios are the targets [3]
#   CB_BENCH_SRC         source logs [<repo>/../shared/samples/wild]
#   CB_BENCH_CORPUS_DIR  corpus cache [build/bench-corpus]
#   CB_BENCH_BIN         cowrie-batch binary [build/cowrie-batch]
#   CB_BENCH_RESULTS     markdown output [build/bench-results.md] (+ .jsonl with raw records)
#   CB_BENCH_ENFORCE     1 = exit 1 when a target is missed [0]
#   CB_BENCH_HADOOP_MB   corpus for the Hadoop engine (in-process HDFS + local runner); 0 = skip [64]
#   CB_BENCH_LIMIT       --memory-limit of the spilling run on the corpus [256M]
#   CB_BENCH_HUGE_MB     corpus for the bounded-memory run at CB_BENCH_HUGE_LIMIT; 0 = skip [4*MB]
#   CB_BENCH_HUGE_LIMIT  --memory-limit of that run [512M]
#   CB_BENCH_DAILY_KB    size of the new daily file of the incremental-state row, KiB [1024]
#   CB_BENCH_SERVE_CLIENTS  concurrent clients of the serve rows (issue 14) [20], each making
#   CB_BENCH_SERVE_REQUESTS searches by address, then as many by command word [100]
#   CB_BENCH_ONLY        comma-separated sections to run: analyze,memory,hadoop,duckdb,jq,floor,serve
#                        [all]; memory also runs the in-memory analyze row it compares with
#   CB_BUILD_DIR         build directory [<repo>/build]
set -euo pipefail
shopt -s inherit_errexit
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BUILD=${CB_BUILD_DIR:-$ROOT/build}
MB=${CB_BENCH_MB:-1024}
BIG_MB=${CB_BENCH_BIG_MB:-$((MB * 2))}
SEED=${CB_BENCH_SEED:-1}
THREADS=${CB_BENCH_THREADS:-2}
JQ_FRACTION=${CB_BENCH_JQ_FRACTION:-1}
REPEAT=${CB_BENCH_REPEAT:-1}
MEM_REPEAT=${CB_BENCH_MEMORY_REPEAT:-3}
SRC=${CB_BENCH_SRC:-$ROOT/../shared/samples/wild}
CORPUS_DIR=${CB_BENCH_CORPUS_DIR:-$BUILD/bench-corpus}
CB_BIN=${CB_BENCH_BIN:-$BUILD/cowrie-batch}
RESULTS=${CB_BENCH_RESULTS:-$BUILD/bench-results.md}
ENFORCE=${CB_BENCH_ENFORCE:-0}
HUGE_MB=${CB_BENCH_HUGE_MB:-$((MB * 4))}
LIMIT=${CB_BENCH_LIMIT:-256M}
HUGE_LIMIT=${CB_BENCH_HUGE_LIMIT:-512M}
DAILY_KB=${CB_BENCH_DAILY_KB:-1024}
ONLY=${CB_BENCH_ONLY:-}
TARGET_RATIO=0.67
TARGET_RSS_MIB=1024
# issue 13: peak RSS of the spilling runs; what spilling may cost (the larger run's wall may be
# at most HUGE/MB times the in-memory run's, plus 15 %: 4.6 for 4 GiB against 1 GiB); the
# incremental run's share of a full run
TARGET_LIMIT_RSS_MIB=400
TARGET_HUGE_RSS_MIB=700
TARGET_SPILL_COST=1.15
TARGET_INCREMENTAL=0.15
# issue 14: serve on the corpus's OUTDIR
TARGET_SERVE_ADDRESS_P95_MS=100
TARGET_SERVE_WORD_P95_MS=200
TARGET_SERVE_RSS_MIB=500
SERVE_CLIENTS=${CB_BENCH_SERVE_CLIENTS:-20}
SERVE_REQUESTS=${CB_BENCH_SERVE_REQUESTS:-100}
SERVE_JSON=""

say() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] error: %s\n' "$*" >&2; exit 1; }

# ------------------------------------------------------------------ prerequisites
for v in MB BIG_MB SEED THREADS JQ_FRACTION REPEAT MEM_REPEAT HUGE_MB DAILY_KB; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a non-negative integer (got '${!v}')"
done
[ "$MB" -gt 0 ] && [ "$THREADS" -gt 0 ] && [ "$JQ_FRACTION" -gt 0 ] && [ "$REPEAT" -gt 0 ] && [ "$MEM_REPEAT" -gt 0 ] \
  || die "CB_BENCH_MB, CB_BENCH_THREADS, CB_BENCH_JQ_FRACTION, CB_BENCH_REPEAT, CB_BENCH_MEMORY_REPEAT must be > 0"
[ -d "$SRC" ] || die "sample logs not found: $SRC (set CB_BENCH_SRC)"
SECTIONS="analyze memory hadoop duckdb jq floor serve"
for s in ${ONLY//,/ }; do
  [[ " $SECTIONS " == *" $s "* ]] || die "CB_BENCH_ONLY: unknown section '$s' (known: ${SECTIONS// /, })"
done
want() { [ -z "$ONLY" ] || [[ ",${ONLY// /}," == *",$1,"* ]]; }
for t in python3 node npm jq gzip cmake awk; do
  command -v "$t" >/dev/null || die "'$t' not found"
done
[ -x /usr/bin/time ] && /usr/bin/time -v true 2>/dev/null \
  || die "GNU time missing: apt-get install time"

mkdir -p "$BUILD" "$CORPUS_DIR" "$(dirname "$RESULTS")"
TMP=$(mktemp -d "$BUILD/bench-tmp.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
RAW="${RESULTS%.md}.jsonl"
: > "$RAW"

# DuckDB node package
if want duckdb && [ ! -d "$HERE/node_modules/@duckdb/node-api" ]; then
  say "installing @duckdb/node-api (npm ci in bench/)"
  (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error) >&2
fi

# simdjson floor: reuse the top-level target if the build has CB_BUILD_BENCH=ON,
# else a standalone build of bench/CMakeLists.txt.
FLOOR=""
if ! want floor; then
  :
elif [ -f "$BUILD/CMakeCache.txt" ] && grep -q '^CB_BUILD_BENCH:BOOL=ON' "$BUILD/CMakeCache.txt"; then
  say "building simdjson_floor in $BUILD (CB_BUILD_BENCH=ON)"
  cmake --build "$BUILD" --target simdjson_floor >&2
  FLOOR="$BUILD/bench/simdjson_floor"
else
  say "building simdjson_floor standalone in $BUILD/bench-floor"
  cmake -S "$HERE" -B "$BUILD/bench-floor" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD/bench-floor" >&2
  FLOOR="$BUILD/bench-floor/simdjson_floor"
fi
if want floor && [ ! -x "$FLOOR" ]; then die "simdjson_floor was not built"; fi

# ------------------------------------------------------------------ corpora
corpus() {  # corpus MB KIND(plain|gz) -> prints the directory
  local dir="$CORPUS_DIR/mb$1-seed$SEED/$2" extra=()
  [ "$2" = gz ] && extra=(--gzip)
  python3 "$HERE/make_corpus.py" "$SRC" "$dir" --size-mb "$1" --seed "$SEED" \
    --jobs "$(nproc)" "${extra[@]}" >&2 || return 1
  printf '%s' "$dir"
}
free_mib() { df -Pm "$1" | awk 'NR == 2 { print $4 }'; }
# huge_corpus_skip -> prints why the HUGE_MB corpus and its run do not fit on disk (nothing when they do):
# the corpus unless it is cached (~1.05 x its size), the run's outputs (~0.6 x) and spill files
# (~0.35 x) in $BUILD, and 1 GiB to spare
huge_corpus_skip() {
  local cached=0 need_corpus need_run
  [ -f "$CORPUS_DIR/mb$HUGE_MB-seed$SEED/plain/corpus.meta.json" ] && cached=1
  need_corpus=$(( cached ? 0 : HUGE_MB * 105 / 100 ))
  need_run=$(( HUGE_MB + 1024 ))
  mkdir -p "$CORPUS_DIR"
  if [ "$(stat -c %d "$CORPUS_DIR")" = "$(stat -c %d "$BUILD")" ]; then
    need_run=$(( need_run + need_corpus )); need_corpus=0
  fi
  if [ "$(free_mib "$CORPUS_DIR")" -lt "$need_corpus" ] || [ "$(free_mib "$BUILD")" -lt "$need_run" ]; then
    printf 'not enough disk: need ~%s MiB free (corpus %s, outputs and spill files %s), have %s MiB in %s' \
      "$((need_corpus + need_run))" "$( ((cached)) && echo cached || echo "$((HUGE_MB * 105 / 100))")" \
      "$((HUGE_MB + 1024))" "$(free_mib "$BUILD")" "$BUILD"
  fi
}

say "corpus: ${MB} MiB (seed $SEED) from $SRC"
PLAIN=$(corpus "$MB" plain)
GZ="" BIG="" HUGE="" HUGE_SKIP=""
if want analyze || want duckdb || want jq || want floor; then GZ=$(corpus "$MB" gz); fi
if want analyze && [ "$BIG_MB" -gt 0 ]; then BIG=$(corpus "$BIG_MB" plain); fi
if want memory; then
  if [ "$HUGE_MB" -eq 0 ]; then HUGE_SKIP="CB_BENCH_HUGE_MB=0"
  else
    HUGE_SKIP=$(huge_corpus_skip)
    if [ -z "$HUGE_SKIP" ]; then HUGE=$(corpus "$HUGE_MB" plain); fi
  fi
fi

meta() { jq -r "$2" "$1/corpus.meta.json"; }
BYTES=$(meta "$PLAIN" .bytes)
EXPECTED_ROWS=$(meta "$PLAIN" .sessions_with_commands)
GZ_DISK=""; [ -n "$GZ" ] && GZ_DISK=$(meta "$GZ" .disk_bytes)

warm() { find "$1/data" -type f -print0 | xargs -0 cat > /dev/null; }
say "warming the page cache"
for d in "$PLAIN" ${GZ:+"$GZ"} ${BIG:+"$BIG"}; do warm "$d"; done
sync  # a freshly built corpus is not written back while the tools run

# ------------------------------------------------------------------ measuring
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
# Kernel seconds to write 1 GiB into a new file, then again right after removing it: where the
# host takes back freed memory (a VM's free page reporting), the first costs several times the
# second, and every run that writes more than it just freed pays the difference
# (bench/README.md, "Memory the host gives back").
page_fill_probe() {
  local f="$TMP/page-probe" first again
  first=$( { /usr/bin/time -f %S dd if=/dev/zero of="$f" bs=1M count=1024 status=none; } 2>&1 | tail -n 1)
  rm -f "$f"
  again=$( { /usr/bin/time -f %S dd if=/dev/zero of="$f" bs=1M count=1024 status=none; } 2>&1 | tail -n 1)
  rm -f "$f"
  printf 'first %s s, again right after removing it %s s' "$first" "$again"
}
PAGE_FILL=""
want memory && PAGE_FILL=$(page_fill_probe)
declare -A WALL CPU TSEC RSS ROWS NOTE INBYTES INPUT STATUS DESC LOAD
ORDER=()

# measure NAME DESCRIPTION INPUT_LABEL UNCOMPRESSED_BYTES -- CMD...
measure() {
  local name=$1 desc=$2 label=$3 bytes=$4; shift 5
  local best="" cpu="" tsec="" rss=0 i rc c ts
  ORDER+=("$name"); DESC[$name]=$desc; INPUT[$name]=$label; INBYTES[$name]=$bytes
  LOAD[$name]=$(cut -d' ' -f1 /proc/loadavg)  # 1-minute load average as the first run starts
  for ((i = 1; i <= REPEAT; i++)); do
    [ -n "${PRE_RUN:-}" ] && eval "$PRE_RUN"
    sync  # the previous run's outputs (~600 MB for analyze) are not written back during this one
    say "run $name ($i/$REPEAT): $*"
    local t0 t1 w r
    t0=$(date +%s.%N)
    rc=0
    /usr/bin/time -v -o "$TMP/$name.time" "$@" > "$TMP/$name.out" 2> "$TMP/$name.err" || rc=$?
    t1=$(date +%s.%N)
    if [[ " ${OK_RC:-0} " != *" $rc "* ]]; then
      say "$name failed (exit $rc); last lines of stderr:"; tail -n 5 "$TMP/$name.err" >&2 || true
      STATUS[$name]="failed (exit $rc)"; return 0
    fi
    [ "$rc" -ne 0 ] && NOTE[$name]="exit $rc"
    w=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    r=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$TMP/$name.time")
    c=$(awk -F': ' '/User time \(seconds\)/ { u = $2 } /System time \(seconds\)/ { s = $2 }
                    END { printf "%.2f", u + s }' "$TMP/$name.time")
    if [ -z "$best" ] || awk -v a="$w" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$w; fi
    if [ -z "$cpu" ] || awk -v a="$c" -v b="$cpu" 'BEGIN { exit !(a < b) }'; then cpu=$c; fi
    # the tool's own timing (DuckDB: the query alone, without node start-up)
    ts=$(tail -n 1 "$TMP/$name.out" | jq -r 'if type == "object" then .seconds // empty else empty end' 2>/dev/null || true)
    if [ -n "$ts" ] && { [ -z "$tsec" ] || awk -v a="$ts" -v b="$tsec" 'BEGIN { exit !(a < b) }'; }; then tsec=$ts; fi
    [ "$r" -gt "$rss" ] && rss=$r
  done
  STATUS[$name]=ok; WALL[$name]=$best; CPU[$name]=$cpu; RSS[$name]=$rss
  TSEC[$name]=$(awk -v t="${tsec:-}" 'BEGIN { if (t != "") printf "%.3f", t }')
  local rec
  rec=$(tail -n 1 "$TMP/$name.out")
  if [[ $rec == \{* ]] && jq -e 'type == "object"' >/dev/null 2>&1 <<<"$rec"; then
    ROWS[$name]=$(jq -r '.rows // empty' <<<"$rec")
  else
    rec='null'
  fi
  jq -cn --arg name "$name" --arg desc "$desc" --argjson wall "$best" --argjson cpu "$cpu" --argjson rss_kb "$rss" \
    --argjson bytes "$bytes" --argjson tool "$rec" --argjson load1 "${LOAD[$name]}" --arg cmd "$*" \
    '{name:$name, desc:$desc, cmd:$cmd, wall_s:$wall, cpu_s:$cpu, peak_rss_kb:$rss_kb, input_bytes:$bytes, load1_at_start:$load1, tool:$tool}' >> "$RAW"
}
skip() {  # skip NAME DESCRIPTION REASON
  ORDER+=("$1"); DESC[$1]=$2; STATUS[$1]="skipped: $3"; INPUT[$1]=""; INBYTES[$1]=0
  say "skip $1: $3"
}
ok() { [ "${STATUS[$1]:-}" = ok ]; }

# cowrie-batch
output_note() {  # output_note OUTDIR -> the output files and their sizes
  (cd "$1" 2>/dev/null \
    && { find . -maxdepth 1 -type f -printf '%f %s\n' | sort | awk '{ printf "%s (%.0f MiB), ", $1, $2 / 1048576 }'
         printf 'tables/: %s csv' "$(find tables -name '*.csv' 2>/dev/null | wc -l)"; })
}
add_note() { NOTE[$1]="${NOTE[$1]:+${NOTE[$1]}; }$2"; }
if [ -x "$CB_BIN" ]; then
  kinds=()
  if want analyze; then kinds=(plain gz); elif want memory; then kinds=(plain); fi
  for kind in "${kinds[@]}"; do
    dir=$PLAIN; [ "$kind" = gz ] && dir=$GZ
    out="$TMP/cb-out-$kind"
    # exit 1 = outputs written but some input skipped (cli/exit_codes.hpp): still a run
    REPEAT=$MEM_REPEAT OK_RC="0 1" PRE_RUN="rm -rf '$out'" measure "cb_$kind" "cowrie-batch analyze (all outputs), --threads $THREADS" \
      "$kind ${MB} MiB" "$BYTES" -- "$CB_BIN" analyze "$dir/data" -o "$out" --threads "$THREADS" --quiet
    if [ "${STATUS[cb_$kind]}" = ok ]; then add_note "cb_$kind" "outputs: $(output_note "$out")"; fi
    # the bounded-memory rows compare their outputs with this run's
    want memory && [ "$kind" = plain ] || rm -rf "$out"
  done
  if [ -n "$BIG" ]; then
    out="$TMP/cb-out-big"
    OK_RC="0 1" PRE_RUN="rm -rf '$out'" measure cb_big "cowrie-batch analyze, RSS growth" "plain ${BIG_MB} MiB" \
      "$(meta "$BIG" .bytes)" -- "$CB_BIN" analyze "$BIG/data" -o "$out" --threads "$THREADS" --quiet
    rm -rf "$out"
  fi
else
  for k in cb_plain cb_gz; do skip "$k" "cowrie-batch analyze" "$CB_BIN not found (build it first)"; done
  [ -n "$BIG" ] && skip cb_big "cowrie-batch analyze, RSS growth" "$CB_BIN not found"
fi

# Bounded memory and incremental state (issue 13). The spilling runs print their spill counts
# (--stats) and are compared byte for byte with the in-memory run of the same input path
# (summary.json names the inputs as given).
same_outputs() {  # same_outputs DIR_A DIR_B -> "identical" or "DIFFER: <what>"
  local d
  if d=$(diff -rq "$1" "$2" 2>&1); then echo identical
  else echo "DIFFER: $(sed -e "s|$1/\?||g; s|$2/\?||g" <<<"$d" | head -n 5 | paste -sd ';')"; fi
}
same_rows() {  # same_rows DB_A DB_B: the same schema and rows (SQLite's dump), and B passes integrity_check
  python3 - "$1" "$2" <<'PY'
import sqlite3, sys
a, b = (sqlite3.connect(f"file:{p}?mode=ro", uri=True) for p in sys.argv[1:3])
ok = list(a.iterdump()) == list(b.iterdump()) and b.execute("PRAGMA integrity_check").fetchone() == ("ok",)
sys.exit(0 if ok else 1)
PY
}
same_updated_outputs() {  # like same_outputs, but cowrie.sqlite (updated in place) compared by its rows
  local d
  d=$(same_outputs "$1" "$2")
  [ "$d" = "DIFFER: Files cowrie.sqlite and cowrie.sqlite differ" ] || { echo "$d"; return; }
  if same_rows "$1/cowrie.sqlite" "$2/cowrie.sqlite"; then echo "identical"
  else echo "DIFFER: cowrie.sqlite holds other rows"; fi
}
spill_note() {  # spill_note NAME -> the run's "memory limit ...; spilled: ..." line from --stats
  local line
  line=$(sed -n 's/^# \(memory limit .*\)/\1/p' "$TMP/$1.err" | head -n 1)
  # a run that did not spill says nothing about spilling (small corpora stay under the limit)
  [[ $line == *"spilled: 0 key runs"* ]] && line+=" (DID NOT SPILL: the sessions fit under the limit)"
  printf '%s' "${line:-no --stats memory line}"
}
has_state_option() { "$CB_BIN" analyze --help 2>/dev/null | grep -qE -- '(^|[[:space:]])--state([[:space:],=]|$)'; }
LIMIT_SAME="" STATE_SAME="" HUGE_SAME="" DAILY_BYTES=0
mem_limited() {  # mem_limited NAME DESC CORPUS SIZE_MB LIMIT: analyze CORPUS at --memory-limit LIMIT
  local name=$1 desc=$2 corpus=$3 size=$4 limit=$5 out="$TMP/cb-out-$1" spill="$TMP/spill-$1"
  mkdir -p "$spill"
  REPEAT=$MEM_REPEAT OK_RC="0 1" PRE_RUN="rm -rf '$out'" measure "$name" "$desc" "plain $size MiB" "$(meta "$corpus" .bytes)" \
    -- "$CB_BIN" analyze "$corpus/data" -o "$out" --threads "$THREADS" --quiet --memory-limit "$limit" \
    --tmp-dir "$spill" --stats
  ok "$name" || return 0
  add_note "$name" "$(spill_note "$name"); load ${LOAD[$name]} at start"
  if [ -n "$(ls -A "$spill")" ]; then add_note "$name" "SPILL FILES LEFT in --tmp-dir"; fi
}
incremental_rows() {  # --state on the corpus, then one new daily file: incremental vs full run
  local state="$TMP/state" state0="$TMP/state.first" daily="$TMP/new-day" o1="$TMP/cb-out-state1"
  local o2="$TMP/cb-out-incremental" o3="$TMP/cb-out-full" rec inbytes common
  rec=$(python3 "$HERE/make_daily.py" "$PLAIN" "$daily" --size-kb "$DAILY_KB" --seed "$SEED")
  DAILY_BYTES=$(jq -r .bytes <<<"$rec")
  say "new daily file: $(jq -r '"\(.path): \(.bytes) bytes, \(.lines) lines, \(.sessions) sessions (from \(.source))"' <<<"$rec")"
  inbytes=$((BYTES + DAILY_BYTES)) common=(--threads "$THREADS" --quiet)
  REPEAT=$MEM_REPEAT OK_RC="0 1" PRE_RUN="rm -rf '$o1' '$state'" measure cb_state_first "analyze --state (first run: corpus read, state written)" \
    "plain ${MB} MiB" "$BYTES" -- "$CB_BIN" analyze "$PLAIN/data" -o "$o1" "${common[@]}" --state "$state"
  ok cb_state_first || return 0
  rm -rf "$state0"; cp -a "$state" "$state0"
  add_note cb_state_first "state: $(du -sm "$state0" | cut -f1) MiB; load ${LOAD[cb_state_first]} at start"
  # every repetition starts from the state and the OUTDIR the first run left, as a daily run does:
  # the OUTDIR hard-linked, so its files keep the inodes and mtimes that the state knows the kept
  # days by (a copy would make it read every day), but for cowrie.sqlite: a run updates that one
  # in place only when no other link shares it, as none does in an OUTDIR that a run left, so it
  # gets an inode of its own (cp -a keeps the modification time that the state knows it by)
  local own_sqlite="rm '$o2/cowrie.sqlite'; cp -a '$o1/cowrie.sqlite' '$o2/'"
  REPEAT=$MEM_REPEAT OK_RC="0 1" PRE_RUN="rm -rf '$o2' '$state'; cp -a '$state0' '$state'; cp -al '$o1' '$o2'; $own_sqlite; sync" measure cb_incremental \
    "analyze --state: corpus + one new daily file ($(jq -r .date <<<"$rec"))" "plain ${MB} MiB + $((DAILY_BYTES / 1024)) KiB" \
    "$inbytes" -- "$CB_BIN" analyze "$PLAIN/data" "$daily" -o "$o2" "${common[@]}" --state "$state"
  REPEAT=$MEM_REPEAT OK_RC="0 1" PRE_RUN="rm -rf '$o3'" measure cb_full_daily "analyze without state, same inputs (full run)" \
    "plain ${MB} MiB + $((DAILY_BYTES / 1024)) KiB" "$inbytes" -- "$CB_BIN" analyze "$PLAIN/data" "$daily" -o "$o3" "${common[@]}" \
    --sessions day
  if ok cb_incremental && ok cb_full_daily; then
    STATE_SAME=$(same_updated_outputs "$o3" "$o2")
    add_note cb_incremental "outputs $STATE_SAME to the full run; load ${LOAD[cb_incremental]} at start"
    add_note cb_full_daily "load ${LOAD[cb_full_daily]} at start"
  fi
  # a late file: a day inside the history (make_daily.py --after sensor), after which every
  # session of the other sensors changes its place in start order (info)
  local late="$TMP/late-day" o5="$TMP/cb-out-late" late_rec
  late_rec=$(python3 "$HERE/make_daily.py" "$PLAIN" "$late" --size-kb "$DAILY_KB" --seed "$SEED" --after sensor)
  REPEAT=$MEM_REPEAT OK_RC="0 1" PRE_RUN="rm -rf '$o5' '$state'; cp -a '$state0' '$state'; cp -al '$o1' '$o5'; ${own_sqlite//$o2/$o5}; sync" measure cb_late \
    "analyze --state: corpus + one late daily file inside the history ($(jq -r .date <<<"$late_rec"))" \
    "plain ${MB} MiB + $((DAILY_BYTES / 1024)) KiB" "$inbytes" -- "$CB_BIN" analyze "$PLAIN/data" "$late" -o "$o5" \
    "${common[@]}" --state "$state" --stats
  REPEAT=$MEM_REPEAT OK_RC="0 1" PRE_RUN="rm -rf '$o3'" measure cb_full_late "analyze without state, same inputs as the late file's run" \
    "plain ${MB} MiB + $((DAILY_BYTES / 1024)) KiB" "$inbytes" -- "$CB_BIN" analyze "$PLAIN/data" "$late" -o "$o3" \
    "${common[@]}" --sessions day
  if ok cb_late && ok cb_full_late; then
    add_note cb_late "outputs $(same_updated_outputs "$o3" "$o5") to the full run; $(grep -o '[0-9,]* sessions built from there on' "$TMP/cb_late.err" || echo 'NOT A TAIL RUN')"
  fi
  rm -rf "$o5" "$late"
  # the same daily run when the state does not fit the memory limit (a year's scale): the
  # sessions are merged on disk, the checkpoint's skipped as they stream by
  local o4="$TMP/cb-out-incremental-limit" spill="$TMP/spill-incremental"
  mkdir -p "$spill"
  REPEAT=$MEM_REPEAT OK_RC="0 1" PRE_RUN="rm -rf '$o4' '$state'; cp -a '$state0' '$state'; cp -al '$o1' '$o4'; ${own_sqlite//$o2/$o4}; sync" measure cb_incremental_limit \
    "analyze --state --memory-limit $LIMIT: the same daily run, spilled" "plain ${MB} MiB + $((DAILY_BYTES / 1024)) KiB" \
    "$inbytes" -- "$CB_BIN" analyze "$PLAIN/data" "$daily" -o "$o4" "${common[@]}" --state "$state" \
    --memory-limit "$LIMIT" --tmp-dir "$spill" --stats
  REPEAT=$MEM_REPEAT OK_RC="0 1" PRE_RUN="rm -rf '$o3'" measure cb_full_daily_limit "analyze --memory-limit $LIMIT without state, same inputs" \
    "plain ${MB} MiB + $((DAILY_BYTES / 1024)) KiB" "$inbytes" -- "$CB_BIN" analyze "$PLAIN/data" "$daily" -o "$o3" \
    "${common[@]}" --sessions day --memory-limit "$LIMIT" --tmp-dir "$spill"
  if ok cb_incremental_limit && ok cb_full_daily_limit; then
    add_note cb_incremental_limit "$(spill_note cb_incremental_limit); outputs $(same_updated_outputs "$o3" "$o4") to the full run; $(grep -o '[0-9,]* closed sessions taken from the state' "$TMP/cb_incremental_limit.err" || echo 'NO SESSIONS TAKEN FROM THE CHECKPOINT')"
  fi
  rm -rf "$o1" "$o2" "$o3" "$o4" "$state" "$state0" "$daily" "$spill"
}
if want memory; then
  if [ ! -x "$CB_BIN" ] || ! ok cb_plain; then
    skip cb_limit "analyze --memory-limit $LIMIT" "needs the in-memory analyze row (cb_plain)"
  else
    mem_limited cb_limit "cowrie-batch analyze --memory-limit $LIMIT (spills to --tmp-dir)" "$PLAIN" "$MB" "$LIMIT"
    if ok cb_limit; then
      LIMIT_SAME=$(same_outputs "$TMP/cb-out-plain" "$TMP/cb-out-cb_limit")
      add_note cb_limit "outputs $LIMIT_SAME to the in-memory run"
    fi
    rm -rf "$TMP/cb-out-cb_limit"
  fi
  rm -rf "$TMP/cb-out-plain"
  huge_desc="cowrie-batch analyze --memory-limit $HUGE_LIMIT, ${HUGE_MB} MiB corpus"
  if [ -z "$HUGE" ]; then skip cb_huge "$huge_desc" "$HUGE_SKIP"
  elif [ ! -x "$CB_BIN" ]; then skip cb_huge "$huge_desc" "$CB_BIN not found"
  else
    say "warming the page cache ($HUGE_MB MiB corpus)"; warm "$HUGE"
    mem_limited cb_huge "$huge_desc" "$HUGE" "$HUGE_MB" "$HUGE_LIMIT"
    ok cb_huge && add_note cb_huge "outputs: $(output_note "$TMP/cb-out-cb_huge")"
    # the host's cost for new memory moves this row most: measured right after it (before it, the
    # probe's freed gigabyte would be what the run reuses)
    ok cb_huge && add_note cb_huge "host page fill right after it: $(page_fill_probe)"
    # the same corpus in memory: what spilling itself costs, apart from how the run scales
    REPEAT=$MEM_REPEAT OK_RC="0 1" PRE_RUN="rm -rf '$TMP/cb-out-cb_huge_mem'" measure cb_huge_mem \
      "cowrie-batch analyze in memory (no limit), ${HUGE_MB} MiB corpus" "plain $HUGE_MB MiB" "$(meta "$HUGE" .bytes)" \
      -- "$CB_BIN" analyze "$HUGE/data" -o "$TMP/cb-out-cb_huge_mem" --threads "$THREADS" --quiet
    if ok cb_huge && ok cb_huge_mem; then
      HUGE_SAME=$(same_outputs "$TMP/cb-out-cb_huge_mem" "$TMP/cb-out-cb_huge")
      add_note cb_huge "outputs $HUGE_SAME to the in-memory run"
    fi
    rm -rf "$TMP/cb-out-cb_huge" "$TMP/cb-out-cb_huge_mem"
  fi
  if [ ! -x "$CB_BIN" ]; then
    skip cb_incremental "analyze --state, one new daily file" "$CB_BIN not found"
  elif ! has_state_option; then
    skip cb_incremental "analyze --state, one new daily file" \
      "$CB_BIN analyze --help does not list --state (incremental state not implemented yet)"
  else
    incremental_rows
  fi
fi

# Hadoop engine: the same binary as mapper/combiner/reducer on a real (in-process) Hadoop,
# against analyze on the same corpus; and one mapper's throughput on a pipe.
HADOOP_MB=${CB_BENCH_HADOOP_MB:-64}
if want hadoop; then
  if [ -x "$CB_BIN" ] && [ "$HADOOP_MB" -gt 0 ] && command -v java >/dev/null && command -v mvn >/dev/null; then
    HC=$(corpus "$HADOOP_MB" plain)
    HB=$(meta "$HC" .bytes)
    out="$TMP/cb-hadoop-local"
    OK_RC="0 1" PRE_RUN="rm -rf '$out'" measure cb_hadoop_analyze "cowrie-batch analyze (same corpus as Hadoop)" \
      "plain ${HADOOP_MB} MiB" "$HB" -- "$CB_BIN" analyze "$HC/data" -o "$out" --threads "$THREADS" --quiet
    out2="$TMP/cb-hadoop-out"
    OK_RC="0 1" PRE_RUN="rm -rf '$out2'" measure cb_hadoop "cowrie-batch hadoop (in-process HDFS + local runner, 2 reducers)" \
      "plain ${HADOOP_MB} MiB" "$HB" -- "$CB_BIN" hadoop "$HC/data" -o "$out2" --reducers 2 --quiet
    if [ "${STATUS[cb_hadoop]}" = ok ] && [ "${STATUS[cb_hadoop_analyze]}" = ok ]; then
      if cmp -s "$out/sessions.jsonl" "$out2/sessions.jsonl" && diff -rq "$out/tables" "$out2/tables" >/dev/null; then
        NOTE[cb_hadoop]="outputs identical to analyze"
      else
        NOTE[cb_hadoop]="OUTPUTS DIFFER from analyze"
      fi
    fi
    measure cb_mapper "one mapper: cat | cowrie-batch mr map-sessions (1 process)" "plain ${HADOOP_MB} MiB" "$HB" \
      -- bash -c "find '$HC/data' -type f -print0 | xargs -0 cat | '$CB_BIN' mr map-sessions > /dev/null 2>&1"
    rm -rf "$out" "$out2"
  else
    skip cb_hadoop "cowrie-batch hadoop" "needs the binary, java and mvn, and CB_BENCH_HADOOP_MB > 0"
  fi
fi

# DuckDB
if want duckdb; then
  DUCK=(node "$HERE/duckdb_lastcmd.mjs" --threads "$THREADS")
  measure duck_plain "DuckDB read_json (explicit columns) + last cmd/session" "plain ${MB} MiB" "$BYTES" \
    -- "${DUCK[@]}" --mode columns "$PLAIN/data"
  measure duck_gz "DuckDB read_json (explicit columns) + last cmd/session" "gz ${MB} MiB" "$BYTES" \
    -- "${DUCK[@]}" --mode columns "$GZ/data"
  measure duck_plain_sniff "DuckDB read_json (schema sniffed from a sample) + last cmd/session" "plain ${MB} MiB" "$BYTES" \
    -- "${DUCK[@]}" --mode sniff "$PLAIN/data"
  measure duck_gz_sniff "DuckDB read_json (schema sniffed from a sample) + last cmd/session" "gz ${MB} MiB" "$BYTES" \
    -- "${DUCK[@]}" --mode sniff "$GZ/data"
  measure duck_plain_auto "DuckDB read_json_auto union_by_name + last cmd/session" "plain ${MB} MiB" "$BYTES" \
    -- "${DUCK[@]}" --mode auto "$PLAIN/data"
  measure duck_gz_auto "DuckDB read_json_auto union_by_name + last cmd/session" "gz ${MB} MiB" "$BYTES" \
    -- "${DUCK[@]}" --mode auto "$GZ/data"
fi

# jq (optionally on a slice of the replicas, extrapolated by bytes)
JQ_NOTE=""
if want jq; then
  jq_slice() {  # jq_slice CORPUS -> NUL-separated replica dirs of the slice on stdout
    jq -j --argjson f "$JQ_FRACTION" \
      '[.file_list[] | select(.replica % $f == 0) | .path | split("/")[0:2] | join("/")] | unique | .[] + "\u0000"' \
      "$1/corpus.meta.json"
  }
  jq_slice_bytes() {
    jq --argjson f "$JQ_FRACTION" '[.file_list[] | select(.replica % $f == 0) | .bytes] | add' "$1/corpus.meta.json"
  }
  for kind in plain gz; do
    dir=$PLAIN; [ "$kind" = gz ] && dir=$GZ
    if [ "$JQ_FRACTION" -gt 1 ]; then
      mapfile -d '' slice < <(jq_slice "$dir")
      slice=("${slice[@]/#/$dir/}")
      sbytes=$(jq_slice_bytes "$dir")
    else
      slice=("$dir/data"); sbytes=$BYTES
    fi
    measure "jq_$kind" "jq -R 'fromjson?' | awk (every line parsed), $THREADS jobs" "$kind ${MB} MiB" "$sbytes" \
      -- "$HERE/jq_lastcmd.sh" -j "$THREADS" "${slice[@]}"
    if [ "$JQ_FRACTION" -gt 1 ] && [ "${STATUS[jq_$kind]}" = ok ]; then
      # extrapolate linearly to the whole corpus
      WALL[jq_$kind]=$(awk -v w="${WALL[jq_$kind]}" -v a="$BYTES" -v b="$sbytes" 'BEGIN { printf "%.3f", w * a / b }')
      NOTE[jq_$kind]="measured on 1/$JQ_FRACTION of the replicas ($(awk -v b="$sbytes" 'BEGIN{printf "%.0f", b/1048576}') MiB), time extrapolated by bytes; rows are for the slice"
      CPU[jq_$kind]=$(awk -v w="${CPU[jq_$kind]}" -v a="$BYTES" -v b="$sbytes" 'BEGIN { printf "%.2f", w * a / b }')
      INBYTES[jq_$kind]=$BYTES
      JQ_NOTE=" (jq extrapolated from a 1/$JQ_FRACTION slice)"
    fi
  done
  measure jq_prefilter_plain "grep -F cowrie.command.input | jq | awk, $THREADS jobs" "plain ${MB} MiB" "$BYTES" \
    -- "$HERE/jq_lastcmd.sh" -p -j "$THREADS" "$PLAIN/data"
fi

# simdjson floor
if want floor; then
  measure floor_plain_1 "simdjson On-Demand per-line parse (floor), 1 thread" "plain ${MB} MiB" "$BYTES" \
    -- "$FLOOR" --json --threads 1 "$PLAIN/data"
  measure floor_plain "simdjson On-Demand per-line parse (floor), $THREADS threads" "plain ${MB} MiB" "$BYTES" \
    -- "$FLOOR" --json --threads "$THREADS" "$PLAIN/data"
  measure floor_gz_1 "zlib inflate + simdjson parse (floor), 1 thread" "gz ${MB} MiB" "$BYTES" \
    -- "$FLOOR" --json --threads 1 "$GZ/data"
  measure floor_gz "zlib inflate + simdjson parse (floor), $THREADS threads" "gz ${MB} MiB" "$BYTES" \
    -- "$FLOOR" --json --threads "$THREADS" "$GZ/data"
  for k in floor_plain_1 floor_plain floor_gz_1 floor_gz; do
    [ "${STATUS[$k]}" = ok ] || continue
    rec=$(tail -n 1 "$TMP/$k.out")
    NOTE[$k]=$(jq -r '"kernel \(.implementation); thread-s: read \(.read_seconds), inflate \(.inflate_seconds), parse \(.parse_seconds); lines \(.lines), errors \(.errors)"' <<<"$rec")
  done
fi

if want serve; then  # issue 14: the OUTDIR of the corpus, served to concurrent clients
  say "serve: analyze the ${MB} MiB corpus, then $SERVE_CLIENTS clients x $SERVE_REQUESTS searches"
  "$CB_BIN" analyze "$PLAIN/data" -o "$TMP/cb-out-serve" --quiet --threads "$THREADS" || [ $? = 1 ]
  SERVE_JSON=$(python3 "$HERE/serve_bench.py" "$CB_BIN" "$TMP/cb-out-serve" --clients "$SERVE_CLIENTS" \
    --requests "$SERVE_REQUESTS" --seed "$SEED") || SERVE_JSON=""
  [ -n "$SERVE_JSON" ] && jq -c '{name: "serve"} + .' <<<"$SERVE_JSON" >> "$RAW"
  rm -rf "$TMP/cb-out-serve"
fi

# ------------------------------------------------------------------ report
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
ratio() { awk -v a="${WALL[$1]}" -v b="${WALL[$2]}" 'BEGIN { printf "%.3f", a / b }'; }
cpu_ratio() { awk -v a="${CPU[$1]}" -v b="${CPU[$2]}" 'BEGIN { printf "%.3f", a / b }'; }
verdict() { awk -v x="$1" -v t="$2" 'BEGIN { print (x <= t) ? "PASS" : "FAIL" }'; }
lt() { awk -v x="$1" -v t="$2" 'BEGIN { print (x < t) ? "PASS" : "FAIL" }'; }
MISSED=0

# target_row TEXT MEASURED VERDICT: one line of a targets table; a FAIL marks the run as missed
target_row() {
  [ "$3" = FAIL ] && MISSED=1
  echo "| $1 | $2 | $3 |"
}
rss_target() {  # rss_target NAME TEXT TARGET_MIB
  if ok "$1"; then
    target_row "$2 < $3 MiB" "$(awk -v k="${RSS[$1]}" 'BEGIN { printf "%.0f", k / 1024 }') MiB" "$(lt "${RSS[$1]}" "$(($3 * 1024))")"
  else
    target_row "$2 < $3 MiB" n/a "not measured (${STATUS[$1]:-not run})"
  fi
}
same_target() {  # same_target NAME TEXT RESULT_OF_same_outputs
  if ok "$1" && [ -n "$3" ]; then
    target_row "$2" "$3" "$([ "$3" = identical ] && echo PASS || echo FAIL)"
  else
    target_row "$2" n/a "not measured (${STATUS[$1]:-not run})"
  fi
}
huge_rows() {  # the larger corpus at its memory limit: RSS, and wall against the in-memory run
  local target r
  target=$(awk -v h="$HUGE_MB" -v m="$MB" -v c="$TARGET_SPILL_COST" 'BEGIN { printf "%.2f", c * h / m }')
  rss_target cb_huge "${HUGE_MB} MiB at --memory-limit $HUGE_LIMIT: peak RSS" "$TARGET_HUGE_RSS_MIB"
  if ok cb_huge && ok cb_plain; then
    r=$(ratio cb_huge cb_plain)
    target_row "${HUGE_MB} MiB at --memory-limit $HUGE_LIMIT wall / ${MB} MiB in-memory wall ≤ $target" "$r" "$(verdict "$r" "$target")"
    echo "| cost of spilling: the wall ratio / $(awk -v h="$HUGE_MB" -v m="$MB" 'BEGIN { printf "%g", h / m }') − 1, target ≤ $(awk -v c="$TARGET_SPILL_COST" 'BEGIN { printf "%.0f", (c - 1) * 100 }') % (info) | $(awk -v r="$r" -v h="$HUGE_MB" -v m="$MB" 'BEGIN { printf "%+.1f %%", (r * m / h - 1) * 100 }') | – |"
    echo "| wall ratio above in CPU seconds (info; steadier than wall on a busy machine) | $(cpu_ratio cb_huge cb_plain) | – |"
    if ok cb_huge_mem; then
      echo "| spilling measured directly: ${HUGE_MB} MiB at $HUGE_LIMIT wall / the same in memory (info) | $(ratio cb_huge cb_huge_mem) | – |"
      echo "| how the in-memory run scales: ${HUGE_MB} MiB / ${MB} MiB in-memory wall (info) | $(ratio cb_huge_mem cb_plain) | – |"
      same_target cb_huge "${HUGE_MB} MiB at $HUGE_LIMIT: same bytes as in memory" "$HUGE_SAME"
    fi
  else
    target_row "${HUGE_MB} MiB at --memory-limit $HUGE_LIMIT wall / ${MB} MiB in-memory wall ≤ $target" n/a "not measured (${STATUS[cb_huge]:-not run})"
  fi
}
incremental_targets() {  # state + one new daily file against a full run
  local r
  if ok cb_incremental && ok cb_full_daily; then
    r=$(ratio cb_incremental cb_full_daily)
    target_row "state of ${MB} MiB + one new daily file ($((DAILY_BYTES / 1024)) KiB): incremental wall / full wall ≤ $TARGET_INCREMENTAL" "$r" "$(verdict "$r" "$TARGET_INCREMENTAL")"
    echo "| the same in CPU seconds (info) | $(cpu_ratio cb_incremental cb_full_daily) | – |"
    if ok cb_incremental_limit && ok cb_full_daily_limit; then
      echo "| (info) the same at --memory-limit $LIMIT, the state merged on disk: incremental wall / full wall | $(ratio cb_incremental_limit cb_full_daily_limit) | – |"
    fi
    if ok cb_late && ok cb_full_late; then
      echo "| (info) a late file inside the history instead (every later session changes its place): incremental wall / full wall | $(ratio cb_late cb_full_late) | – |"
    fi
  else
    target_row "state + one new daily file: incremental wall / full wall ≤ $TARGET_INCREMENTAL" n/a "not measured (${STATUS[cb_incremental]:-not run})"
  fi
  same_target cb_incremental "incremental run: outputs the same bytes as the full run" "$STATE_SAME"
  if ok cb_state_first && ok cb_plain; then
    echo "| first run with --state / in-memory run without (info) | $(ratio cb_state_first cb_plain) | – |"
  fi
}
serve_targets() {  # issue 14: serve under concurrent searches
  want serve || return 0
  echo
  echo "## serve: ${SERVE_CLIENTS} concurrent clients x ${SERVE_REQUESTS} searches on the ${MB} MiB corpus's OUTDIR"
  echo
  echo "| Target | Measured | Verdict |"
  echo "|---|---:|---|"
  if [ -z "$SERVE_JSON" ] || [ "$(jq -r '.error // empty' <<<"$SERVE_JSON")" != "" ]; then
    echo "| serve | n/a | not measured ($(jq -r '.error // "serve_bench.py failed"' <<<"${SERVE_JSON:-{\}}")) |"
    MISSED=1
    return 0
  fi
  local kind p95 errors target v
  for kind in address word; do
    p95=$(jq -r ".$kind.p95_ms" <<<"$SERVE_JSON"); errors=$(jq -r ".$kind.errors" <<<"$SERVE_JSON")
    target=$TARGET_SERVE_ADDRESS_P95_MS; [ "$kind" = word ] && target=$TARGET_SERVE_WORD_P95_MS
    v=$(lt "$p95" "$target"); [ "$errors" = 0 ] || v=FAIL; [ "$v" = PASS ] || MISSED=1
    echo "| search by $kind: p95 < $target ms, no errors | $p95 ms ($(jq -r ".$kind | \"p50 \(.p50_ms), p99 \(.p99_ms), max \(.max_ms) ms, \(.requests) requests\"" <<<"$SERVE_JSON"), $errors errors) | $v |"
  done
  local rss; rss=$(jq -r .peak_rss_mib <<<"$SERVE_JSON"); v=$(lt "$rss" "$TARGET_SERVE_RSS_MIB"); [ "$v" = PASS ] || MISSED=1
  echo "| serve peak RSS < $TARGET_SERVE_RSS_MIB MiB | $rss MiB | $v |"
  echo "| start-up, search index included (info) | $(jq -r '"\(.startup_s) s (index \(.index_s) s)"' <<<"$SERVE_JSON") | – |"
}

memory_targets() {  # issue 13: bounded memory and incremental state
  want memory || return 0
  echo
  echo "## Bounded memory and incremental state (${THREADS} threads)"
  echo
  echo "| Target | Measured | Verdict |"
  echo "|---|---:|---|"
  rss_target cb_limit "${MB} MiB at --memory-limit $LIMIT: peak RSS" "$TARGET_LIMIT_RSS_MIB"
  same_target cb_limit "${MB} MiB at --memory-limit $LIMIT: outputs the same bytes as the in-memory run" "$LIMIT_SAME"
  if ok cb_limit && ok cb_plain; then
    echo "| ${MB} MiB: wall at --memory-limit $LIMIT / in-memory wall (info) | $(ratio cb_limit cb_plain) | – |"
  fi
  if [ "$HUGE_MB" -eq 0 ]; then
    echo "| larger corpus at --memory-limit $HUGE_LIMIT: peak RSS < $TARGET_HUGE_RSS_MIB MiB, wall against the in-memory run | n/a | skipped (CB_BENCH_HUGE_MB=0) |"
  else
    huge_rows
  fi
  incremental_targets
}

{
  echo "# cowrie-batch benchmark"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ); machine: $(nproc) cores ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM; load average before/after: $LOAD_BEFORE / $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- corpus: $(mib "$BYTES") MiB uncompressed, $(meta "$PLAIN" .files) files, $(meta "$PLAIN" .replicas) replicas of \`$(meta "$PLAIN" .params.src)\`, $(meta "$PLAIN" .lines) lines, $(meta "$PLAIN" .sessions) sessions, $EXPECTED_ROWS with commands;${GZ_DISK:+ gzip -6 copy: $(mib "$GZ_DISK") MiB on disk;} seed $SEED"
  [ -n "$BIG" ] && echo "- large corpus (RSS growth): $(mib "$(meta "$BIG" .bytes)") MiB, $(meta "$BIG" .files) files"
  [ -n "$HUGE" ] && echo "- bounded-memory corpus: $(mib "$(meta "$HUGE" .bytes)") MiB, $(meta "$HUGE" .files) files, $(meta "$HUGE" .sessions) sessions"
  [ -n "$PAGE_FILL" ] && echo "- host page fill, 1 GiB written into a new file (kernel CPU): $PAGE_FILL (bench/README.md, \"Memory the host gives back\")"
  echo "- cowrie-batch: \`$CB_BIN\` ($("$CB_BIN" --version 2>/dev/null || echo 'not built')), source tree $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown) (main at $(git -C "$ROOT" merge-base HEAD main 2>/dev/null | cut -c1-7 || echo unknown))"
  tools=""
  want duckdb && tools+="DuckDB $(jq -r '.tool.duckdb_version // empty' "$RAW" | head -n 1) (@duckdb/node-api), node $(node --version), "
  want jq && tools+="$(jq --version), "
  want floor && tools+="simdjson $(jq -r 'select(.name|startswith("floor")) | .tool.simdjson + " (" + .tool.implementation + " kernel)"' "$RAW" | head -n 1), "
  echo "- ${tools:+tools: $tools}threads: $THREADS; best of $REPEAT run(s), cowrie-batch's analyze, bounded-memory and incremental rows best of $MEM_REPEAT; page cache warm"
  echo "- Wall s = whole process (GNU time). Tool s = the tool's own timer: for DuckDB the query alone (read_json + aggregation, no node start-up), for jq the pipeline, for the floor its parse loop."
  echo "- MiB/s = uncompressed corpus MiB / wall seconds (also for .gz input). CPU s = user + system time of the process tree (less sensitive to a busy machine than wall). Peak RSS = largest single process (GNU time)."
  echo
  echo "| Run | Input | Wall s | Tool s | CPU s | MiB/s | Peak RSS MiB | Rows | Notes |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---|"
  cell() { local s=${1//|/\\|}; printf '%s' "${s//$'\n'/ }"; }  # escape | for markdown
  for n in "${ORDER[@]}"; do
    DESC[$n]=$(cell "${DESC[$n]}"); NOTE[$n]=$(cell "${NOTE[$n]:-}"); STATUS[$n]=$(cell "${STATUS[$n]}")
    if [ "${STATUS[$n]}" = ok ]; then
      printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "${DESC[$n]}" "${INPUT[$n]}" "${WALL[$n]}" "${TSEC[$n]:-}" "${CPU[$n]}" \
        "$(awk -v b="${INBYTES[$n]}" -v w="${WALL[$n]}" 'BEGIN { printf "%.0f", b / 1048576 / w }')" \
        "$(awk -v k="${RSS[$n]}" 'BEGIN { printf "%.0f", k / 1024 }')" "${ROWS[$n]:-}" "${NOTE[$n]:-}"
    else
      printf '| %s | %s | – | – | – | – | – | – | %s |\n' "${DESC[$n]}" "${INPUT[$n]}" "${STATUS[$n]}"
    fi
  done
  echo
  echo "Expected rows for the last-command query: $EXPECTED_ROWS (from corpus.meta.json)$JQ_NOTE."
  for n in duck_plain duck_gz duck_plain_sniff duck_gz_sniff duck_plain_auto duck_gz_auto jq_plain jq_gz jq_prefilter_plain; do
    if ok "$n" && [ -n "${ROWS[$n]:-}" ] && [ "${ROWS[$n]}" != "$EXPECTED_ROWS" ] && [ -z "${NOTE[$n]:-}" ]; then
      echo "WARNING: $n returned ${ROWS[$n]} rows, expected $EXPECTED_ROWS."
    fi
  done
  echo
  echo "## Targets (${THREADS} threads)"
  echo
  echo "| Target | Measured | Verdict |"
  echo "|---|---:|---|"
  for kind in plain gz; do
    want duckdb || break
    if ok "cb_$kind" && ok "duck_$kind"; then
      # strict: DuckDB's query time alone (the issue's "DuckDB's time for its single query")
      q=${TSEC[duck_$kind]:-${WALL[duck_$kind]}}
      r=$(awk -v a="${WALL[cb_$kind]}" -v b="$q" 'BEGIN { printf "%.3f", a / b }'); v=$(verdict "$r" "$TARGET_RATIO")
      [ "$v" = PASS ] || MISSED=1
      echo "| $kind: analyze wall / DuckDB query time ≤ $TARGET_RATIO | $r | $v |"
      ra=""; ok "duck_${kind}_auto" && ra="; vs read_json_auto process wall: $(ratio "cb_$kind" "duck_${kind}_auto")"
      for m in sniff auto; do
        if ok "duck_${kind}_$m"; then
          qm=${TSEC[duck_${kind}_$m]:-${WALL[duck_${kind}_$m]}}
          label="read_json, schema sniffed"; [ "$m" = auto ] && label="read_json_auto union_by_name"
          echo "| $kind: analyze wall / DuckDB query time, $label (info) | $(awk -v a="${WALL[cb_$kind]}" -v b="$qm" 'BEGIN { printf "%.3f", a / b }') | – |"
        fi
      done
      echo "| $kind: analyze wall / DuckDB process wall (info) | $(ratio "cb_$kind" "duck_$kind")$ra | – |"
      echo "| $kind: analyze CPU / DuckDB CPU (info) | $(awk -v a="${CPU[cb_$kind]}" -v b="${CPU[duck_$kind]}" 'BEGIN { printf "%.3f", a / b }') | – |"
    else
      echo "| $kind: analyze wall / DuckDB query time ≤ $TARGET_RATIO | n/a | not measured |"
    fi
  done
  if ok cb_plain; then
    m=$(awk -v k="${RSS[cb_plain]}" 'BEGIN { printf "%.0f", k / 1024 }')
    v=$(verdict "$m" "$((TARGET_RSS_MIB - 1))"); [ "$v" = PASS ] || MISSED=1
    echo "| peak RSS, ${MB} MiB plain < $TARGET_RSS_MIB MiB | $m MiB | $v |"
    if ok cb_gz; then echo "| peak RSS, ${MB} MiB gz (info) | $(awk -v k="${RSS[cb_gz]}" 'BEGIN { printf "%.0f", k / 1024 }') MiB | – |"; fi
    if ok cb_big; then
      echo "| peak RSS growth ${MB} → ${BIG_MB} MiB (info) | $(awk -v a="${RSS[cb_plain]}" -v b="${RSS[cb_big]}" 'BEGIN { printf "%.0f → %.0f MiB (×%.2f)", a/1024, b/1024, b/a }') | – |"
    fi
  else
    echo "| peak RSS < $TARGET_RSS_MIB MiB | n/a | not measured |"
  fi
  for kind in plain gz; do
    if ok "cb_$kind" && ok "floor_$kind"; then
      echo "| $kind: analyze throughput / simdjson floor ($THREADS threads) (info) | $(awk -v a="${WALL[floor_$kind]}" -v b="${WALL[cb_$kind]}" 'BEGIN { printf "%.1f%%", 100 * a / b }') | – |"
    fi
  done
  if ok cb_hadoop && ok cb_hadoop_analyze; then
    echo "| Hadoop engine wall / analyze wall, ${HADOOP_MB} MiB (info) | $(ratio cb_hadoop cb_hadoop_analyze) | – |"
  fi
  if ok duck_plain && ok floor_plain; then
    echo "| plain: DuckDB throughput / simdjson floor (info) | $(awk -v a="${WALL[floor_plain]}" -v b="${WALL[duck_plain]}" 'BEGIN { printf "%.1f%%", 100 * a / b }') | – |"
  fi
  memory_targets
  serve_targets
} > "$TMP/report.md"

cp "$TMP/report.md" "$RESULTS"
cat "$TMP/report.md"
say "results written to $RESULTS (raw records: $RAW)"
if [ "$ENFORCE" = 1 ] && [ "$MISSED" = 1 ]; then
  die "a target was missed (CB_BENCH_ENFORCE=1)"
fi
