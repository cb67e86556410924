#!/usr/bin/env bash
# The checks of test_real_cowrie.py on the recordings the repository ships (no Cowrie needed):
# examples/logs and each sensor folder of tests/data/multi-sensor, each against its own
# driver-facts.json. `make test` runs this, so a lone clone checks real recordings too.
#   usage: tests/e2e-cowrie/check_shipped.sh BINARY [pytest args...]
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 BINARY [pytest args...]" >&2; exit 2; }
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shift
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
rc=0
for logs in examples/logs tests/data/multi-sensor/*/; do
  echo "check_shipped: ${logs%/}" >&2
  CB_BIN="$bin" CB_COWRIE_LOGS="$repo/${logs%/}" PYTHONDONTWRITEBYTECODE=1 TZ=UTC LC_ALL=C \
    python3 -m pytest -q -p no:cacheprovider -ra tests/e2e-cowrie/test_real_cowrie.py "$@" || rc=1
done
exit "$rc"
