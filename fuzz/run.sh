#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each, JOBS at a time (make fuzz).
#
#   fuzz/run.sh FUZZ_BUILD SECONDS JOBS SEED_BINARY TARGET...
#
# Each target starts from the seeds (fuzz/make_seeds.py) plus the corpus that earlier runs kept
# in FUZZ_BUILD/corpus/<target>/. An input that crashes a target, trips a sanitizer or breaks one
# of its invariants is copied to tests/fuzz-regressions/<target>/, which the unit tests replay;
# the run then fails, naming it. Logs: FUZZ_BUILD/fuzz-<target>.log.
set -uo pipefail
build=$1 seconds=$2 jobs=$3 seed_binary=$4
shift 4
root=$(cd "$(dirname "$0")/.." && pwd)
seeds=$build/seeds
rm -rf "$seeds"
python3 "$root/fuzz/make_seeds.py" "$seed_binary" "$seeds" || exit 2

# Per target: the longest input worth mutating (bigger inputs only slow the slow targets).
max_len() {
    case $1 in
        pipeline | decoders) echo 8192 ;;
        streaming | ttylog) echo 16384 ;;
        *) echo 4096 ;;
    esac
}

# libFuzzer's entropic schedule costs more than it gains on the targets with tens of thousands of
# features (measured: pipeline 88 -> 268 runs/s without it).
schedule() {
    case $1 in
        pipeline | decoders | streaming) echo -entropic=0 ;;
        *) echo -entropic=1 ;;
    esac
}

run_target() {
    local t=$1 corpus=$build/corpus/$1 artifacts=$build/artifacts/$1
    mkdir -p "$corpus" "$artifacts"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -max_len="$(max_len "$t")" -timeout=25 "$(schedule "$t")" \
        -rss_limit_mb=2560 -print_final_stats=1 -artifact_prefix="$artifacts/" \
        "$corpus" "$seeds/$t" >"$build/fuzz-$t.log" 2>&1
    local rc=$?
    local stats
    stats=$(grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$build/fuzz-$t.log" | tr '\n' ' ')
    echo "fuzz $t: exit $rc, $(grep -c . <(ls "$corpus")) inputs in corpus; $stats"
    return $rc
}

failed=0
running=0
for t in "$@"; do
    run_target "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait -n || failed=1
        running=$((running - 1))
    fi
done
while [ "$running" -gt 0 ]; do
    wait -n || failed=1
    running=$((running - 1))
done

# Keep what was found, named by content, for the unit tests to replay.
for t in "$@"; do
    for f in "$build/artifacts/$t"/*; do
        [ -f "$f" ] || continue
        dest=$root/tests/fuzz-regressions/$t
        mkdir -p "$dest"
        name=$(basename "$f" | cut -d- -f1)-$(sha1sum "$f" | cut -c1-16)
        cp "$f" "$dest/$name"
        echo "fuzz $t: FOUND $(basename "$f") -> tests/fuzz-regressions/$t/$name (see $build/fuzz-$t.log)"
        failed=1
        rm -f "$f"
    done
done
exit $failed
