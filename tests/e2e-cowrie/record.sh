#!/usr/bin/env bash
# Record a fresh set of real Cowrie logs on 127.0.0.1:
#   setup -> start a drop HTTP server and Cowrie -> drive.py -> stop both -> copy.
#
#   tests/e2e-cowrie/record.sh OUTDIR
#
# OUTDIR ends up with cowrie.json* (cowrie.json.YYYY-MM-DD too when the run
# crosses Cowrie's midnight), cowrie.log*, tty/, downloads/ and
# driver-facts.json. Earlier copies of exactly those names in OUTDIR are
# replaced; nothing else in OUTDIR is touched.
#
# Environment (optional; see also setup_cowrie.sh):
#   E2E_FAKETIME=0     do not run Cowrie under faketime (no midnight scenario)
#   E2E_FAKE_START     Cowrie's clock at launch, UTC (default: today 23:59:40;
#                      keep today's date: rotation compares with file mtimes)
#   E2E_STOCK_BLOCKLIST=1  keep Cowrie's own refusal to download from loopback
#   E2E_KEEP_HOME=1    do not wipe the previous run's logs in COWRIE_HOME first
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
mkdir -p "$1"
OUTDIR="$(cd "$1" && pwd)"

export COWRIE_VENV="${COWRIE_VENV:-$REPO/build/cowrie-venv}"
export COWRIE_HOME="${COWRIE_HOME:-$REPO/build/cowrie-home}"
export E2E_SSH_PORT="${E2E_SSH_PORT:-2222}"
export E2E_TELNET_PORT="${E2E_TELNET_PORT:-2223}"
PY="$COWRIE_VENV/bin/python"

log() { echo "[record] $(date -u +%H:%M:%S) $*" >&2; }

"$HERE/setup_cowrie.sh"
COWRIE_VERSION="$("$PY" -c 'from importlib.metadata import version; print(version("cowrie"))')"

port_busy() { # port
  "$PY" - "$1" <<'EOF'
import socket, sys
s = socket.socket()
try:
    s.connect(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
sys.exit(0)
EOF
}
for p in "$E2E_SSH_PORT" "$E2E_TELNET_PORT"; do
  if port_busy "$p"; then
    echo "record.sh: 127.0.0.1:$p is already in use (another Cowrie?); set E2E_SSH_PORT/E2E_TELNET_PORT" >&2
    exit 1
  fi
done

# --- clean state of the previous run (host keys and the sensor uuid stay) --
cd "$COWRIE_HOME"
if [ "${E2E_KEEP_HOME:-0}" != 1 ]; then
  rm -rf var/log/cowrie var/lib/cowrie/tty var/lib/cowrie/downloads var/run/*
  mkdir -p var/log/cowrie var/lib/cowrie/tty var/lib/cowrie/downloads var/run
fi

COWRIE_PID=""
HTTP_PID=""
WORK="$(mktemp -d)"
cleanup() {
  local rc=$?
  for pid in $COWRIE_PID $HTTP_PID; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT INT TERM

# --- drop server on loopback ---------------------------------------------
HTTP_PORT="$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
cp -r "$HERE/payloads/http" "$WORK/http"
"$PY" -m http.server "$HTTP_PORT" --bind 127.0.0.1 --directory "$WORK/http" \
  >"$WORK/http.log" 2>&1 &
HTTP_PID=$!
log "drop server http://127.0.0.1:$HTTP_PORT/ (pid $HTTP_PID)"

# --- Cowrie -------------------------------------------------------------------
launch=(env TZ=UTC PATH="$COWRIE_VENV/bin:$PATH")
# Cowrie refuses to run as root; as root, run it as uid 1000 in a user
# namespace (files it writes stay owned by root outside).
if [ "$(id -u)" = 0 ]; then
  launch+=(unshare --user --map-user=1000 --map-group=1000)
fi
FAKE_ARGS=()
# libfaketime is preloaded directly (not through the `faketime` wrapper, which
# forks and would leave Cowrie running when the wrapper is signalled).
LIBFAKETIME="$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -n1 || true)"
if [ "${E2E_FAKETIME:-1}" != 0 ] && [ -n "$LIBFAKETIME" ]; then
  FAKE_START="${E2E_FAKE_START:-$(date -u +%F) 23:59:40}"
  FAKE_EPOCH="$(TZ=UTC date -d "$FAKE_START" +%s)"
  REAL_EPOCH="$(date +%s.%N)"
  FAKE_OFFSET="$("$PY" -c "print(round($FAKE_EPOCH - $REAL_EPOCH, 3))")"
  # "@" = start the clock at this time and let it run
  launch+=(env LD_PRELOAD="$LIBFAKETIME" FAKETIME="@$(TZ=UTC date -d "$FAKE_START" '+%F %T')")
  FAKE_ARGS=(--fake-offset "$FAKE_OFFSET" --fake-start "$FAKE_START UTC")
  log "Cowrie clock starts at $FAKE_START UTC (faketime)"
fi
"${launch[@]}" "$PY" "$HERE/run_cowrie.py" -n --umask=0022 --pidfile= \
  --logger cowrie.python.logfile.logger >"$WORK/cowrie.stdout" 2>&1 &
COWRIE_PID=$!
# Wait for Cowrie's own "ready" lines rather than probing the ports: a probe
# would be logged as a session.
ready() {
  grep -q "Ready to accept SSH connections" var/log/cowrie/cowrie.log 2>/dev/null &&
    grep -q "Ready to accept Telnet connections" var/log/cowrie/cowrie.log 2>/dev/null
}
for _ in $(seq 150); do
  if ready; then break; fi
  if ! kill -0 "$COWRIE_PID" 2>/dev/null; then
    echo "record.sh: Cowrie exited at start:" >&2
    cat "$WORK/cowrie.stdout" var/log/cowrie/cowrie.log >&2 2>/dev/null || true
    exit 1
  fi
  sleep 0.2
done
ready || { echo "record.sh: Cowrie not ready after 30 s" >&2; exit 1; }
log "Cowrie $COWRIE_VERSION up (pid $COWRIE_PID) ssh 127.0.0.1:$E2E_SSH_PORT telnet 127.0.0.1:$E2E_TELNET_PORT"

# --- attack -------------------------------------------------------------------
drive_rc=0
"$PY" "$HERE/drive.py" --facts "$WORK/driver-facts.json" \
  --ssh-port "$E2E_SSH_PORT" --telnet-port "$E2E_TELNET_PORT" \
  --http-port "$HTTP_PORT" --http-dir "$WORK/http" \
  --cowrie-version "$COWRIE_VERSION" "${FAKE_ARGS[@]}" || drive_rc=$?

# let Cowrie write the last session.closed events, then stop it
sleep 1
kill -TERM "$COWRIE_PID"
for _ in $(seq 100); do kill -0 "$COWRIE_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$COWRIE_PID" 2>/dev/null && { log "Cowrie did not stop; killing"; kill -KILL "$COWRIE_PID"; }
wait "$COWRIE_PID" 2>/dev/null || true
COWRIE_PID=""

# --- collect ------------------------------------------------------------------
rm -rf "$OUTDIR"/cowrie.json* "$OUTDIR"/cowrie.log* "$OUTDIR/tty" "$OUTDIR/downloads" \
       "$OUTDIR/driver-facts.json"
cp -p var/log/cowrie/cowrie.json* var/log/cowrie/cowrie.log* "$OUTDIR"/
cp -rp var/lib/cowrie/tty var/lib/cowrie/downloads "$OUTDIR"/
cp "$WORK/driver-facts.json" "$OUTDIR"/ 2>/dev/null || log "no driver-facts.json"
chmod -R u+rwX,go+rX "$OUTDIR"/tty "$OUTDIR"/downloads  # SFTP uploads are saved 0600
# Give each JSON log the mtime of its last event, as on a real sensor (under
# faketime the real file mtimes are the real clock's, not Cowrie's).
"$PY" - "$OUTDIR" <<'EOF'
import json, os, sys
from datetime import datetime
from pathlib import Path
for f in Path(sys.argv[1]).glob("cowrie.json*"):
    last = None
    for line in f.read_text(errors="replace").splitlines():
        try:
            last = json.loads(line)["timestamp"]
        except Exception:
            pass
    if last:
        t = datetime.fromisoformat(last.replace("Z", "+00:00")).timestamp()
        os.utime(f, (t, t))
EOF
log "files in $OUTDIR:"
(cd "$OUTDIR" && ls -la cowrie.json* cowrie.log* driver-facts.json && echo "tty: $(ls tty | wc -l) files, downloads: $(ls downloads | wc -l) files") >&2
if [ "$drive_rc" != 0 ]; then
  log "driver reported failed scenarios (exit $drive_rc)"
  exit "$drive_rc"
fi
# the recording must show what the driver did
"$PY" "$HERE/check_facts.py" "$OUTDIR"
