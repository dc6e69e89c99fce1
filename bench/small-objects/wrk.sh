#!/usr/bin/env bash
# Small-object PUT and GET against a gateway in its own process, driven by wrk (a C load generator:
# its per-request cost is a fraction of an SDK's, so the gateway's own capacity shows) with presigned
# SigV4 URLs, over HTTPS on loopback. Starts `csr serve` on a fresh temporary data directory (six
# volumes in three racks, SSE-S3), runs a PUT phase on fresh keys and a GET phase on objects written
# before it, prints wrk's figures (with COUNT=1 also the gateway's fsyncs and context switches per
# request, counted with perf; with REFERENCE=1 also the rate of requests refused for a wrong
# signature, the floor under any request), and stops the gateway.
#   bench/small-objects/wrk.sh [SIZE_BYTES] [CONNECTIONS] [SECONDS] [CSR_DLL]
# Needs wrk and python3-boto3 (apt-get install wrk python3-boto3); CSR_DLL defaults to this checkout's build.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
size=${1:-4096}
conns=${2:-8}
seconds=${3:-15}
dll=${4:-$root/gateway/CloudSecReq.Gateway/bin/Release/net10.0/csr.dll}
command -v wrk > /dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
[ -f "$dll" ] || dotnet build "$root/gateway/CloudSecReq.Gateway" -c Release -nologo -v q -clp:ErrorsOnly
data=$(mktemp -d /tmp/csr-small-XXXXXX)
port=$((20000 + RANDOM % 20000))
${CSR_ENV:-} dotnet "$dll" serve --data "$data" --listen "127.0.0.1:$port" > "$data.log" 2>&1 &
pid=$!
trap 'kill $pid 2> /dev/null; wait $pid 2> /dev/null; rm -rf "$data" "$data.log"' EXIT
for _ in $(seq 120); do [ -f "$data/tenant-default.env" ] && break; sleep 0.5; done
. "$data/tenant-default.env"
cd "$here"
python3 presign.py "$data/tenant-default.env" put 20000 bench-put mb > "$data/put.txt"
python3 presign.py "$data/tenant-default.env" put 1000 bench-get mb > "$data/fill.txt"
python3 presign.py "$data/tenant-default.env" get 1000 bench-get > "$data/get.txt"
run() { # METHOD PATHS SECONDS [--latency]
  PATHS="$2" METHOD="$1" BODYSIZE="$size" wrk -t2 -c"$conns" -d"$3"s -s cycle.lua ${4:-} "$AWS_ENDPOINT_URL"
}
count() { # what to count while $1 runs: prints "<fsyncs> <context switches>" of the gateway, or nothing
  # Attaching perf to every thread of the gateway stalls it briefly: the latency percentiles of a run
  # with COUNT=1 are not to be trusted, only its throughput and the counts.
  [ "${COUNT:-0}" = 1 ] || { sleep "$1"; return; }
  perf stat -x, -e 'syscalls:sys_enter_fdatasync,syscalls:sys_enter_fsync,context-switches' -p $pid -- sleep "$1" 2>&1 \
    | awk -F, '/fdatasync|sys_enter_fsync/ { s += $1 } /context-switches/ { c = $1 } END { if (c != "") print s, c }' || true
}
# Every GET key written (the PUT phase uses other keys: 8 s of PUTs cover the 1,000 keys even at
# 300/s, the stride being coprime to their number), and a warm-up of both paths.
PATHS="$data/fill.txt" METHOD=PUT BODYSIZE="$size" wrk -t1 -c4 -d8s -s cycle.lua "$AWS_ENDPOINT_URL" > /dev/null
run GET "$data/get.txt" 3 > /dev/null
echo "# $(date -u +%FT%TZ) size $size B, $conns connections, ${seconds}s per phase, load $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
for phase in PUT GET; do
  paths=$([ $phase = PUT ] && echo "$data/put.txt" || echo "$data/get.txt")
  run $phase "$paths" "$seconds" --latency > "$data.$phase" &
  wrk_pid=$!
  sleep 2
  counted=$(count $((seconds - 4)))
  wait $wrk_pid
  rps=$(awk '/Requests\/sec/ { print $2 }' "$data.$phase")
  echo "$phase $size B x$conns: $rps req/s, latency $(awk '/^ +(50|90|99)%/ { printf "p%s %s ", substr($1, 1, length($1) - 1), $2 }' "$data.$phase")$(grep -E 'Non-2xx|Socket errors' "$data.$phase" | tr -s ' ' || true)"
  if [ -n "$counted" ]; then
    awk -v c="$counted" -v r="$rps" -v t=$((seconds - 4)) 'BEGIN { split(c, a, " "); printf "  per request: %.2f fsyncs, %.1f context switches (gateway)\n", a[1] / (r * t), a[2] / (r * t) }'
  fi
  rm -f "$data.$phase"
done
if [ "${REFERENCE:-0}" = 1 ]; then
  # The floor under any request on this machine: the same GETs with a wrong signature, refused with
  # 403 SignatureDoesNotMatch after TLS, HTTP, routing, the access key lookup and the SigV4 check.
  sed 's/X-Amz-Signature=./X-Amz-Signature=0/' "$data/get.txt" > "$data/bad.txt"
  echo "reference, 403 for a wrong signature x$conns: $(run GET "$data/bad.txt" "$seconds" | awk '/Requests\/sec/ { print $2 }') req/s"
fi
