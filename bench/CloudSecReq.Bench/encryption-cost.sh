#!/usr/bin/env bash
# Encrypted (Release) vs. plaintext (-c BenchPlaintext: encryption compiled out) gateway, self-hosted,
# alternating A B A B ... in one session so that both builds see the same machine load.
# Usage: bench/CloudSecReq.Bench/encryption-cost.sh [ROUNDS] [extra bench options]
# Results: one log per run under ${OUT:-/tmp/csr-encryption-cost}; a summary (best of each) at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
shift || true
out=${OUT:-/tmp/csr-encryption-cost}
mkdir -p "$out"
dotnet build bench/CloudSecReq.Bench -c Release -nologo -v q
dotnet build bench/CloudSecReq.Bench -c BenchPlaintext -nologo -v q
for i in $(seq 1 "$rounds"); do
  for build in Release BenchPlaintext; do
    while pgrep -f "dotnet test" > /dev/null; do echo "waiting: a test suite is running"; sleep 20; done
    log="$out/$build-$i.txt"
    echo "# $(date -u +%FT%TZ) $build round $i, load $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$log"
    dotnet "bench/CloudSecReq.Bench/bin/$build/net10.0/CloudSecReq.Bench.dll" --self-host --no-checksum \
      --size 4KiB,64MiB --concurrency 8,2 --duration 15s "$@" >> "$log" 2>&1
    echo "# $(date -u +%FT%TZ) end, load $(cut -d' ' -f1-3 /proc/loadavg), tests running: $(pgrep -fc 'dotnet test' || true)" >> "$log"
    grep -E '^\| (PUT|GET) ' "$log" | sed "s/^/$build $i /"
  done
done
echo
echo "best of $rounds (ops/s for 4KiB, MB/s for 64MiB):"
for build in Release BenchPlaintext; do
  for row in "PUT | 4KiB" "GET | 4KiB" "PUT | 64MiB" "GET | 64MiB"; do
    col=$([[ $row == *4KiB ]] && echo 6 || echo 7)
    best=$(grep -h "^| $row " "$out"/$build-*.txt | awk -F'|' -v c="$col" '{ if ($c + 0 > b) b = $c + 0 } END { print b }')
    echo "$build $row: $best"
  done
done
