#!/usr/bin/env bash
# Builds and runs the ISA-L and klauspost/reedsolomon reference harnesses (single-threaded,
# same shapes and GB/s definition as bench/CloudSecReq.Erasure.Bench). Installs their Debian
# packages first when run as root. Output: CSV on stdout.
#   bench/erasure-reference/run.sh
set -euo pipefail
cd "$(dirname "$0")"
want=(gcc libisal-dev golang-go golang-github-klauspost-reedsolomon-dev)
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Install first: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
gcc -O2 -o "$out/isal_bench" isal_bench.c -lisal
# GOPATH mode, offline: Debian installs the sources under /usr/share/gocode.
GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= GOCACHE="$out/gocache" \
  go build -o "$out/klauspost_bench" ./klauspost
echo "# ISA-L $(dpkg-query -W -f='${Version}' libisal-dev), klauspost/reedsolomon $(dpkg-query -W -f='${Version}' golang-github-klauspost-reedsolomon-dev)" >&2
"$out/isal_bench"
"$out/klauspost_bench" | tail -n +2
