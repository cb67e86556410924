#!/usr/bin/env bash
# jq baseline for cowrie-batch: "last command of every session".
#
#   bench/jq_lastcmd.sh [-j JOBS] [-p] [-o OUT.tsv] INPUT...
#
# INPUT: files or directories (walked recursively).  *.gz files go through
# `gzip -cd`, others through `cat`.  Every line is parsed by jq with
# `-R 'fromjson?'` so truncated / invalid lines are skipped instead of aborting
# the run (plain `jq -c` stops at the first bad line).
#
# Pipeline, per batch of files (JOBS batches run in parallel, like --threads):
#   (cat|gzip -cd) FILES | jq -rR 'fromjson? | select(.eventid=="cowrie.command.input")
#                                  | [.sensor,.session,.timestamp,.input] | @tsv'
# then one awk keeps, per (sensor, session), the input with the greatest timestamp.
#
#   -j JOBS   parallel jq processes (default 2)
#   -p        pre-filter lines with `grep -F cowrie.command.input` before jq
#             (what a practical analyst would type; jq then parses ~1% of lines)
#   -o FILE   also write sorted "sensor<TAB>session<TAB>timestamp" rows
#
# Prints one JSON object: {"tool":"jq",...,"rows":N,"seconds":S}
set -euo pipefail
export LC_ALL=C

jobs=2
prefilter=0
out=""
usage() { echo "usage: $0 [-j JOBS] [-p] [-o OUT.tsv] INPUT..." >&2; exit 2; }
while getopts "j:po:h" o; do
  case "$o" in
    j) jobs="$OPTARG" ;;
    p) prefilter=1 ;;
    o) out="$OPTARG" ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || usage
command -v jq >/dev/null || { echo "jq_lastcmd: jq not installed (apt-get install jq)" >&2; exit 2; }
for i in "$@"; do
  [ -e "$i" ] || { echo "jq_lastcmd: no such input: $i" >&2; exit 2; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/jq_lastcmd.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

t0=$(date +%s.%N)
# NUL-separated, sorted file list (paths may contain spaces).
find "$@" -type f -print0 | sort -z > "$tmp/files"
nfiles=$(tr -cd '\0' < "$tmp/files" | wc -c)
[ "$nfiles" -gt 0 ] || { echo "jq_lastcmd: no input files" >&2; exit 2; }
batch=$(( (nfiles + jobs * 8 - 1) / (jobs * 8) ))   # ~8 batches per job for balance
[ "$batch" -ge 1 ] || batch=1

# shellcheck disable=SC2089  # a jq program, not a command line
JQ_PROG='fromjson? | select(type == "object" and .eventid == "cowrie.command.input")
         | [.sensor, .session, .timestamp, .input] | @tsv'
# shellcheck disable=SC2090
export JQ_PROG prefilter tmp
# shellcheck disable=SC2016
xargs -0 -P "$jobs" -n "$batch" sh -c '
  set -e
  part=$(mktemp "$tmp/part.XXXXXX")
  for f; do
    case "$f" in
      *.gz) gzip -cd -- "$f" ;;
      *) cat -- "$f" ;;
    esac
  done | if [ "$prefilter" = 1 ]; then grep -aF "cowrie.command.input" || true; else cat; fi \
       | jq -rR "$JQ_PROG" > "$part"
' sh < "$tmp/files"

find "$tmp" -name 'part.*' -type f -print0 | xargs -0 cat | awk -F '\t' '
  { k = $1 FS $2
    if (!(k in ts) || $3 >= ts[k]) { ts[k] = $3; cmd[k] = $4 } }
  END { for (k in ts) print k FS ts[k] FS cmd[k] }' > "$tmp/result.tsv"
rows=$(wc -l < "$tmp/result.tsv")
t1=$(date +%s.%N)
if [ -n "$out" ]; then
  cut -f1-3 "$tmp/result.tsv" | sort > "$out"
fi
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
printf '{"tool":"jq","jq_version":"%s","jobs":%s,"prefilter":%s,"files":%s,"rows":%s,"seconds":%s}\n' \
  "$(jq --version)" "$jobs" "$( [ "$prefilter" = 1 ] && echo true || echo false)" "$nfiles" "$rows" "$secs"
