#!/usr/bin/env bash
# The part of make test-yarn that runs next to the cluster (see test-yarn.sh), with HADOOP_CONF_DIR
# set by hadoop/minicluster.sh:  on-cluster.sh BINARY SCRATCH   (inputs in SCRATCH/in).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
bin="$1" T="$2"
tool() { "$repo/hadoop/minicluster.sh" tool "$@"; }
step() { echo "test-yarn: $*" >&2; }
export LC_ALL=C TZ=UTC
export CB_HADOOP_LAUNCHER="$repo/hadoop/run.sh"  # this tree's launcher, whichever build the binary is

# What listens, and where: everything on 127.0.0.1 but the NodeManager's shuffle handler.
if command -v ss >/dev/null; then
  ss -ltnH | awk '{print $4}' > "$T/listening.txt"
  step "$(grep -c '^127\.0\.0\.1:' "$T/listening.txt") sockets listen on 127.0.0.1; elsewhere:" \
       "$(grep -v '^127\.0\.0\.1:' "$T/listening.txt" | tr '\n' ' ')"
fi

step "cowrie-batch analyze (the reference)"
"$bin" analyze "$T/in" -o "$T/local" --quiet

step "cowrie-batch hadoop --conf $HADOOP_CONF_DIR (3 YARN jobs)"
t0=$SECONDS
"$bin" hadoop --conf "$HADOOP_CONF_DIR" "$T/in" -o "$T/yarn" --reducers 2 --workdir "$T/work" --keep-work --quiet
step "the jobs took $((SECONDS - t0))s"

step "Hadoop's own tools with the conf folder: yarn application -list, hdfs dfs -ls"
tool application -list -appStates FINISHED 2>/dev/null | tee "$T/apps.txt" | grep -E 'application_' >&2 || true
tool fs -ls -R /cowrie-batch 2>/dev/null | grep -E 'input/.*(cowrie\.json|cowrie-batch-inputs/[0-9]+(\.[a-z0-9]+)?$)' > "$T/hdfs-inputs.txt" || true
sed 's/^/  /' "$T/hdfs-inputs.txt" >&2

python3 "$here/compare_outdirs.py" "$T/local" "$T/yarn" "$T/work/counters.json" "$T/apps.txt" "$T/hdfs-inputs.txt"
