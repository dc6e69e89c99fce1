#!/usr/bin/env bash
# Same-session comparison: runs ISA-L, klauspost/reedsolomon and the C# codec (each measured the
# same way: best of 5 batches of 0.2 s after 0.3 s warm-up, single-threaded, GB/s of k x shard
# data bytes) for ROUNDS rounds, interleaved so that all three see the same machine load, and
# prints the best value per cell as a Markdown table with the ratios C# / reference.
#   bench/erasure-reference/compare.sh [ROUNDS] [C# kernel, default: the best one]
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
kernel=${2:-}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
dotnet build bench/CloudSecReq.Erasure.Bench -c Release -nologo -v q >/dev/null
for r in $(seq "$rounds"); do
  bench/erasure-reference/run.sh 2>/dev/null | tail -n +2 >>"$out/all.csv"
  ERASURE_KERNELS=$kernel dotnet bench/CloudSecReq.Erasure.Bench/bin/Release/net10.0/CloudSecReq.Erasure.Bench.dll quick csv \
    | tail -n +2 >>"$out/all.csv"
done
python3 - "$out/all.csv" <<'PY'
import csv, sys, collections
best = collections.defaultdict(lambda: [0.0, 0.0])
for lib, shape, kib, enc, rec in csv.reader(open(sys.argv[1])):
    cell = best[(lib, shape, int(kib))]
    cell[0] = max(cell[0], float(enc)); cell[1] = max(cell[1], float(rec))
libs = sorted({k[0] for k in best})
mine = [l for l in libs if l.startswith("csharp")]
cells = sorted({(k[1], k[2]) for k in best}, key=lambda c: (int(c[0].split("+")[0]), c[1]))
for op, i in (("encode", 0), ("reconstruct (m data shards lost)", 1)):
    print(f"\n{op}, GB/s of data (k x shard), best of rounds:\n")
    head = ["shape", "shard"] + libs + [f"{m} / {ref}" for m in mine for ref in ("isa-l", "klauspost")]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for shape, kib in cells:
        row = [shape, f"{kib} KiB"] + [f"{best[(l, shape, kib)][i]:.1f}" for l in libs]
        for m in mine:
            for ref in ("isa-l", "klauspost"):
                row.append(f"{best[(m, shape, kib)][i] / best[(ref, shape, kib)][i]:.2f}")
        print("| " + " | ".join(row) + " |")
PY
