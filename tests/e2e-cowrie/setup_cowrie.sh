#!/usr/bin/env bash
# Install a real Cowrie honeypot (pinned, from PyPI) into a venv and prepare its
# working directory, listening on 127.0.0.1 only. Idempotent: a second run only
# rewrites the config.
#
# Environment (all optional):
#   COWRIE_VENV      venv path                  (default: <repo>/build/cowrie-venv)
#   COWRIE_HOME      Cowrie working directory   (default: <repo>/build/cowrie-home)
#   COWRIE_PYTHON    interpreter for the venv, Python >= 3.11 (default: python3)
#   E2E_SSH_PORT     SSH port on 127.0.0.1      (default: 2222)
#   E2E_TELNET_PORT  telnet port on 127.0.0.1   (default: 2223)
#   E2E_SENSOR_NAME  [honeypot] sensor_name     (default: cowrie-batch-e2e)
#
# Do not set COWRIE_<SECTION>_<KEY> variables unless you mean it: Cowrie reads
# every one of them as a config override.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"

COWRIE_VERSION=3.1.4
PARAMIKO_VERSION=5.1.0

COWRIE_VENV="${COWRIE_VENV:-$REPO/build/cowrie-venv}"
COWRIE_HOME="${COWRIE_HOME:-$REPO/build/cowrie-home}"
COWRIE_PYTHON="${COWRIE_PYTHON:-python3}"
E2E_SSH_PORT="${E2E_SSH_PORT:-2222}"
E2E_TELNET_PORT="${E2E_TELNET_PORT:-2223}"
E2E_SENSOR_NAME="${E2E_SENSOR_NAME:-cowrie-batch-e2e}"

log() { echo "[setup_cowrie] $*" >&2; }

# --- Debian packages -------------------------------------------------------
APT_PKGS=(sshpass faketime openssh-client)
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# --- venv with pinned cowrie + paramiko -------------------------------------
if ! "$COWRIE_PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "setup_cowrie: $COWRIE_PYTHON is older than 3.11 (Cowrie $COWRIE_VERSION needs >= 3.11); set COWRIE_PYTHON" >&2
  exit 1
fi
have_version() { # package version
  [ -x "$COWRIE_VENV/bin/python" ] &&
    "$COWRIE_VENV/bin/python" - "$1" "$2" <<'EOF' 2>/dev/null
import sys
from importlib.metadata import version
sys.exit(0 if version(sys.argv[1]) == sys.argv[2] else 1)
EOF
}
if have_version cowrie "$COWRIE_VERSION" && have_version paramiko "$PARAMIKO_VERSION" \
   && [ -x "$COWRIE_VENV/bin/twistd" ]; then
  log "venv ok: $COWRIE_VENV (cowrie $COWRIE_VERSION, paramiko $PARAMIKO_VERSION)"
else
  log "creating venv $COWRIE_VENV"
  "$COWRIE_PYTHON" -m venv "$COWRIE_VENV"
  "$COWRIE_VENV/bin/python" -m pip install -q --disable-pip-version-check \
    -c "$HERE/requirements.txt" "cowrie==$COWRIE_VERSION" "paramiko==$PARAMIKO_VERSION"
fi

# --- working directory -------------------------------------------------------
mkdir -p "$COWRIE_HOME/etc" "$COWRIE_HOME/var/log/cowrie" "$COWRIE_HOME/var/run" \
         "$COWRIE_HOME/var/lib/cowrie/tty" "$COWRIE_HOME/var/lib/cowrie/downloads"

# Every [output_*] section the bundled defaults know, so each can be switched off
# explicitly (they are off by default in 3.1.x; this keeps it so if that changes).
OUTPUTS=$("$COWRIE_VENV/bin/python" - <<'EOF'
from cowrie.core.resources import read_data_bytes
import re
text = read_data_bytes("etc", "cowrie.cfg.dist").decode()
print(" ".join(s for s in re.findall(r"^\[(output_[a-z0-9_]+)\]", text, re.M)))
EOF
)

cfg="$COWRIE_HOME/etc/cowrie.cfg"
{
  cat <<EOF
# Written by tests/e2e-cowrie/setup_cowrie.sh; rewritten on every run.
# Overlays the cowrie.cfg.dist bundled in the cowrie $COWRIE_VERSION wheel.
# Paths are relative to this working directory ($COWRIE_HOME), which
# Cowrie must be started from.
[honeypot]
# the default host name, kept so logs look like a default sensor
hostname = svr04
sensor_name = $E2E_SENSOR_NAME
log_path = var/log/cowrie
state_path = var/lib/cowrie
download_path = \${honeypot:state_path}/downloads
ttylog = true
ttylog_path = \${honeypot:state_path}/tty
logtype = rotating
timezone = UTC
backend = shell
# outbound (wget/curl) connections leave from loopback too
out_addr = 127.0.0.1

[ssh]
enabled = true
listen_endpoints = tcp:$E2E_SSH_PORT:interface=127.0.0.1
forwarding = true
forward_redirect = false
forward_tunnel = false

[telnet]
enabled = true
listen_endpoints = tcp:$E2E_TELNET_PORT:interface=127.0.0.1

[output_jsonlog]
enabled = true
logfile = \${honeypot:log_path}/cowrie.json
epoch_timestamp = false
EOF
  for s in $OUTPUTS; do
    [ "$s" = output_jsonlog ] && continue
    printf '\n[%s]\nenabled = false\n' "$s"
  done
} > "$cfg.tmp"
mv "$cfg.tmp" "$cfg"
log "config: $cfg (ssh 127.0.0.1:$E2E_SSH_PORT, telnet 127.0.0.1:$E2E_TELNET_PORT)"
