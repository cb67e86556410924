#!/usr/bin/env bash
# make test-yarn: `cowrie-batch hadoop --conf DIR` on a real YARN + HDFS cluster (hadoop/minicluster.sh:
# Apache Hadoop's MiniHadoopClusterManager in its own JVM, every job in YARN containers of their own)
# must write the same OUTDIR as `cowrie-batch analyze` on the same logs.
#
#   tests/yarn/test-yarn.sh [BINARY]      (default: build/cowrie-batch)
#
# Inputs, made here from examples/logs: sensor "cowrie-batch-e2e" as is (plain, with its TTY
# recordings and text logs); sensor "yarn-gz" with both JSON logs gzipped and named .gz; sensor
# "yarn-rotated" with cowrie.json plain and the rotated file gzipped under its plain name (the
# staged name must end in .gz, since Hadoop picks the codec by name: inputs are staged by position,
# cowrie-batch-inputs/N or N.gz). The cluster, analyze, the hadoop
# client and the checks (tests/yarn/on-cluster.sh) all run inside hadoop/minicluster.sh's private
# network namespace. Exits non-zero on any failure; CB_KEEP_TMP=1 keeps the scratch folder.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="$(readlink -f "${1:-$repo/build/cowrie-batch}")"
[ -x "$bin" ] || { echo "test-yarn: no binary at $bin (make build)" >&2; exit 2; }
T="$(mktemp -d /tmp/cb-test-yarn.XXXXXX)"
trap '[ "${CB_KEEP_TMP:-0}" = 1 ] && echo "test-yarn: kept $T" >&2 || rm -rf "$T"' EXIT
t0=$SECONDS

# one sensor's JSON logs under another sensor name
renamed() { sed 's/"sensor":"cowrie-batch-e2e"/"sensor":"'"$1"'"/g' "$repo/examples/logs/$2"; }
mkdir -p "$T/in/yarn-gz" "$T/in/yarn-rotated"
cp -r "$repo/examples/logs" "$T/in/e2e"
renamed yarn-gz cowrie.json | gzip -c > "$T/in/yarn-gz/cowrie.json.gz"
renamed yarn-gz cowrie.json.2026-11-26 | gzip -c > "$T/in/yarn-gz/cowrie.json.2026-11-26.gz"
renamed yarn-rotated cowrie.json > "$T/in/yarn-rotated/cowrie.json"
renamed yarn-rotated cowrie.json.2026-11-26 | gzip -c > "$T/in/yarn-rotated/cowrie.json.2026-11-26"

"$repo/hadoop/minicluster.sh" run --dir "$T/minicluster" -- "$repo/tests/yarn/on-cluster.sh" "$bin" "$T"
echo "test-yarn: passed in $((SECONDS - t0))s"
