#!/usr/bin/env bash
# Fetches simdjson's Debian source package (Debian ships no static libsimdjson) into DIR,
# using a private apt source list: the system's apt configuration is not touched.
# Usage: tools/fetch-static-deps.sh DIR   -> DIR/simdjson-<version>/
set -euo pipefail
dir=$(mkdir -p "$1" && cd "$1" && pwd)
if ls -d "$dir"/simdjson-*/singleheader >/dev/null 2>&1; then
  echo "static deps: simdjson source present in $dir"; exit 0
fi
apt_dir="$dir/apt"
mkdir -p "$apt_dir/lists/partial"
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
echo "deb-src http://deb.debian.org/debian $codename main" > "$apt_dir/sources.list"
opts=(-o "Dir::Etc::sourcelist=$apt_dir/sources.list" -o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$apt_dir/lists"
      -o APT::Get::List-Cleanup=0)
apt-get "${opts[@]}" update -qq
(cd "$dir" && apt-get "${opts[@]}" source --download-only -qq simdjson)
tarball=$(ls "$dir"/simdjson_*.orig.tar.gz | head -n 1)
tar -xzf "$tarball" -C "$dir"
ls -d "$dir"/simdjson-*/singleheader
