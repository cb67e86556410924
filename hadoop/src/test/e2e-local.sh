#!/usr/bin/env bash
# End-to-end check of hadoop/run.sh in local mode (MiniDFSCluster + LocalJobRunner) with the stand-in
# binary src/test/fake-cowrie-batch.sh:
#   1. the whole pipeline on real Cowrie logs + generated fixtures (gzip without .gz, bzip2, zstd,
#      plain file called .gz, hidden file), compared with a shell imitation of streaming
#      (map | LC_ALL=C sort | reduce) run on the same files;
#   2. a failing reducer: exit code 1, counters.json says so, the minicluster is gone.
# usage: hadoop/src/test/e2e-local.sh [INPUT...]   (default: ../shared/samples/wild beside the clone)
# Prints "N passed, N failed" and exits non-zero on any failure. Scratch data goes to a mktemp dir.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
hadoop_dir="$(cd "$here/../.." && pwd)"
fake="$here/fake-cowrie-batch.sh"
run="$hadoop_dir/run.sh"
T="$(mktemp -d /tmp/cowrie-batch-hadoop-e2e.XXXXXX)"
keep="${KEEP_E2E_TMP:-0}"
trap '[ "$keep" = 1 ] || rm -rf "$T"' EXIT
if [ $# -gt 0 ]; then inputs=("$@"); else inputs=("$(cd "$(dirname "$0")/../../.." && pwd)/../shared/samples/wild"); fi
passed=0 failed=0
ok()   { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

# ---- fixtures: slices of one real log, stored in the awkward ways sensors produce
src=""
for f in $(find "${inputs[@]}" -type f -name 'cowrie.json*' 2>/dev/null | LC_ALL=C sort); do
  if [ "$(head -c1 "$f" | tr -d '\0')" = "{" ] && [ "$(wc -l < "$f")" -ge 800 ]; then src="$f"; break; fi
done
fx="$T/fixtures"
mkdir -p "$fx/gz-noext" "$fx/bz2" "$fx/zst" "$fx/plain"
if [ -n "$src" ]; then
  sed -n '1,200p'   "$src" | gzip -c  > "$fx/gz-noext/cowrie.json.2026-01-01"
  sed -n '201,400p' "$src" | bzip2 -c > "$fx/bz2/cowrie.json.2026-01-02"
  if command -v zstd >/dev/null; then
    sed -n '401,600p' "$src" | zstd -q -c > "$fx/zst/cowrie.json.2026-01-03.zst"
  else
    echo "note: no zstd CLI, zstd fixture skipped"
  fi
  sed -n '601,700p' "$src" > "$fx/plain/cowrie.json.gz"            # plain text called .gz
  printf '{"session":"trailing","sensor":"nonl"}' > "$fx/plain/no-final-newline.json"
  sed -n '701,800p' "$src" > "$fx/plain/_ignored-by-hadoop.json"     # hidden: skipped
else
  echo "note: no plain cowrie.json of >= 800 lines in ${inputs[*]}: fixtures from generated events"
  for i in $(seq 1 800); do printf '{"eventid":"cowrie.session.connect","session":"s%d","sensor":"gen"}\n' $((i % 37)); done > "$T/gen.json"
  sed -n '1,200p' "$T/gen.json" | gzip -c > "$fx/gz-noext/cowrie.json.2026-01-01"
  sed -n '201,400p' "$T/gen.json" | bzip2 -c > "$fx/bz2/cowrie.json.2026-01-02"
  command -v zstd >/dev/null && sed -n '401,600p' "$T/gen.json" | zstd -q -c > "$fx/zst/cowrie.json.2026-01-03.zst"
  sed -n '601,700p' "$T/gen.json" > "$fx/plain/cowrie.json.gz"
  printf '{"session":"trailing","sensor":"nonl"}' > "$fx/plain/no-final-newline.json"
  sed -n '701,800p' "$T/gen.json" > "$fx/plain/_ignored-by-hadoop.json"
fi

# ---- golden output: streaming imitated in the shell, one file at a time
golden() {
  local f magic
  find "$@" -type f -print0 | LC_ALL=C sort -z | while IFS= read -r -d '' f; do
    case "/${f#"$1"}" in */.*|*/_*) continue ;; esac          # FileInputFormat's hidden-file filter
    magic="$(head -c4 "$f" | od -An -tx1 | tr -d ' \n')"
    case "$magic" in
      1f8b*)    gzip -dc "$f" ;;
      425a68*)  bzip2 -dc "$f" ;;
      28b52ffd) zstd -q -dc "$f" ;;
      *)        cat "$f" ;;
    esac | "$fake" mr map-sessions 2>/dev/null
  done
}
t0=$(date +%s.%N)
for i in "${inputs[@]}" "$fx"; do golden "$i"; done | LC_ALL=C sort -t$'\t' -k1,1 -s \
  | "$fake" mr reduce-sessions 2>/dev/null | LC_ALL=C sort > "$T/golden-sessions.txt"
"$fake" mr map-analyses < "$T/golden-sessions.txt" 2>/dev/null | LC_ALL=C sort \
  | "$fake" mr reduce-analyses 2>/dev/null > "$T/golden-analyses.txt"
echo "golden (shell imitation): $(wc -l < "$T/golden-sessions.txt") session lines, $(cat "$T/golden-analyses.txt" | tr '\t' ' ') in $(echo "$(date +%s.%N) - $t0" | bc) s"

# ---- 1. the real thing
args=(--binary "$fake" --workdir "$T/work" --reducers 2 --input "$fx")
for i in "${inputs[@]}"; do args+=(--input "$i"); done
t0=$(date +%s.%N)
set +e
"$run" "${args[@]}" 2> >(tee "$T/run1.err" >&2)
rc=$?
set -e
wall=$(echo "$(date +%s.%N) - $t0" | bc)
echo "run.sh wall time: ${wall}s (exit $rc)"
[ "$rc" = 0 ] && ok "pipeline exit 0" || fail "pipeline exit $rc"
grep -q "HDFS up at hdfs://" "$T/run1.err" && ok "MiniDFSCluster started (NameNode + DataNode)" || fail "no 'HDFS up' line"
grep -q "MiniDFSCluster stopped" "$T/run1.err" && ok "MiniDFSCluster stopped" || fail "no 'MiniDFSCluster stopped' line"
[ ! -e "$T/work/dfs" ] && ok "dfs/ removed after the run" || fail "dfs/ left behind"
n_sp=$(ls "$T/work/sessions"/part-* 2>/dev/null | wc -l)
n_ap=$(ls "$T/work/analyses"/part-* 2>/dev/null | wc -l)
[ "$n_sp" = 2 ] && [ "$n_ap" = 2 ] && ok "2 reducers -> 2 part files per job" || fail "part files: sessions $n_sp, analyses $n_ap"
if cat "$T/work/sessions"/part-* 2>/dev/null | LC_ALL=C sort | cmp -s - "$T/golden-sessions.txt"; then
  ok "sessions output == shell imitation ($(wc -l < "$T/golden-sessions.txt") lines)"
else
  fail "sessions output differs from shell imitation"
  cat "$T/work/sessions"/part-* | LC_ALL=C sort | diff - "$T/golden-sessions.txt" | head -5 || true
fi
if cat "$T/work/analyses"/part-* 2>/dev/null | LC_ALL=C sort | cmp -s - "$T/golden-analyses.txt"; then
  ok "analyses output == shell imitation ($(tr '\t' ' ' < "$T/golden-analyses.txt"))"
else
  fail "analyses output differs: $(cat "$T/work/analyses"/part-* | tr '\t\n' ' ') vs $(tr '\t\n' ' ' < "$T/golden-analyses.txt")"
fi
grep -q "skipping .*_ignored-by-hadoop.json" "$T/run1.err" && ok "hidden file skipped with a warning" || fail "hidden file not reported"
grep -q "cowrie.json.2026-01-01 (gzip) -> .*cowrie.json.2026-01-01.gz" "$T/run1.err" && ok "gzip without .gz renamed" || fail "gzip rename not reported"
grep -q "cowrie.json.2026-01-02 (bzip2) -> .*cowrie.json.2026-01-02.bz2" "$T/run1.err" && ok "bzip2 renamed .bz2" || fail "bzip2 rename not reported"
if [ -e "$fx/zst/cowrie.json.2026-01-03.zst" ]; then
  grep -q "cowrie.json.2026-01-03.zst (zstd) -> .*zst/cowrie.json.2026-01-03$" "$T/run1.err" && ok "zstd decompressed before upload" || fail "zstd not reported"
fi
grep -q "plain/cowrie.json.gz (plain) -> .*cowrie.json.gz.txt" "$T/run1.err" && ok "plain file called .gz renamed .txt" || fail "plain .gz not renamed"
python3 - "$T/work/counters.json" <<'PY' && ok "counters.json: all three jobs, combiner ran, reducers saw sorted keys" || fail "counters.json checks"
import json, sys
c = json.load(open(sys.argv[1]))
assert c["succeeded"] is True, c["succeeded"]
j = {x["name"]: x for x in c["jobs"]}
assert set(j) == {"sessions", "markers", "analyses"}, set(j)
s = j["sessions"]["counters"]
tc = s["org.apache.hadoop.mapreduce.TaskCounter"]
cb = s["cowrie-batch"]
assert tc["COMBINE_INPUT_RECORDS"] > 0 and cb["combine_records"] > 0, "combiner did not run"
assert cb["reduce_unsorted"] == 0, cb
assert cb["reduce_tasks"] == 2, cb
assert cb["map_events"] == tc["MAP_OUTPUT_RECORDS"], (cb, tc)
a = j["analyses"]["counters"]["org.apache.hadoop.mapreduce.TaskCounter"]
assert a["COMBINE_OUTPUT_RECORDS"] < a["COMBINE_INPUT_RECORDS"], a
print("counters: map_events=%d reduce_keys=%d combine_records=%d" % (cb["map_events"], cb["reduce_keys"], cb["combine_records"]))
PY

# ---- 2. a failing reducer on a small input (also dumps the task environment)
set +e
"$run" --binary "$fake" --workdir "$T/work-fail" --input "$fx" \
  --mr-arg "--env-dump=$T/env" --mr-arg "--fail=reduce-sessions" --cmdenv COWRIE_E2E=hello 2> "$T/run2.err"
rc=$?
set -e
[ "$rc" = 1 ] && ok "failing reducer -> exit 1" || { fail "failing reducer -> exit $rc"; tail -20 "$T/run2.err"; }
grep -q "ERROR: job 'sessions' .* failed" "$T/run2.err" && ok "clear failure message" || fail "no failure message"
grep -q "MiniDFSCluster stopped" "$T/run2.err" && [ ! -e "$T/work-fail/dfs" ] && ok "minicluster stopped after failure" \
  || fail "minicluster not stopped after failure"
python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); assert c["succeeded"] is False and c["jobs"][0]["succeeded"] is False and len(c["jobs"])==1' \
  "$T/work-fail/counters.json" && ok "counters.json records the failure" || fail "counters.json after failure"
envf="$(ls "$T"/env/map-sessions-*.env 2>/dev/null | head -1)"
if [ -n "$envf" ] && grep -q '^mapreduce_map_input_file=hdfs://' "$envf"; then
  ok "mapper sees mapreduce_map_input_file ($(grep '^mapreduce_map_input_file=' "$envf" | head -1 | cut -c1-120))"
  [ -n "${E2E_ENV_OUT:-}" ] && cp "$envf" "$E2E_ENV_OUT"
  grep -q '^COWRIE_E2E=hello$' "$envf" && ok "--cmdenv reaches the mr processes" || fail "--cmdenv missing"
else
  fail "mapreduce_map_input_file missing in the mapper environment"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
