#!/usr/bin/env bash
# End-to-end tests of the cowrie-batch binary.
#   usage: tests/e2e/run_all.sh BINARY [extra pytest args...]
# Sample-based tests read <repo>/../shared/samples and are skipped when it is absent.
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $0 BINARY [pytest args...]" >&2
  exit 2
fi
bin=$1
shift
if [ ! -x "$bin" ]; then
  echo "$0: not an executable file: $bin" >&2
  exit 2
fi
bin_abs=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

if ! python3 -m pytest --version >/dev/null 2>&1; then
  echo "pytest not found; installing it with pip" >&2
  python3 -m pip install --user --quiet pytest 2>/dev/null ||
    python3 -m pip install --user --quiet --break-system-packages pytest
fi

# Test-only tools from PyPI (tools-requirements.txt) in a venv of their own, made once.
tools_venv=${CB_TOOLS_VENV:-$repo/build/e2e-tools-venv}
if ! cmp -s "$repo/tests/e2e/tools-requirements.txt" "$tools_venv/requirements.txt" 2>/dev/null; then
  echo "installing the e2e tools (tests/e2e/tools-requirements.txt) into $tools_venv" >&2
  rm -rf "$tools_venv"
  python3 -m venv "$tools_venv"
  PIP_DEFAULT_TIMEOUT=${PIP_DEFAULT_TIMEOUT:-15} "$tools_venv/bin/pip" install --quiet \
    -r "$repo/tests/e2e/tools-requirements.txt"
  cp "$repo/tests/e2e/tools-requirements.txt" "$tools_venv/requirements.txt"
fi

cd "$repo"
export CB_TOOLS_PYTHON="$tools_venv/bin/python"
export CB_BIN="$bin_abs" PYTHONDONTWRITEBYTECODE=1 TZ=UTC LC_ALL=C
exec python3 -m pytest -q tests/e2e "$@"
