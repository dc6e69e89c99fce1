#!/usr/bin/env bash
# Runs every CloudSecReq test. Installs what is missing first (Debian packages as root).
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh test
dotnet build CloudSecReq.sln -c Release -nologo -v q
log=$(mktemp)
trap 'rm -f "$log"' EXIT
dotnet test CloudSecReq.sln -c Release --no-build -nologo -v q | tee -a "$log"
# The erasure kernels are chosen at run time from the CPU's features: run the codec's tests again
# with each hardware path switched off, so that every kernel (down to the scalar one) is exercised.
# .NET 10 reads DOTNET_EnableAVX512 (DOTNET_EnableAVX512F is ignored: Avx512F.IsSupported stays true);
# KernelSelectionTests fail if a knob does not switch its feature off.
for flag in DOTNET_EnableAVX512 DOTNET_EnableGFNI DOTNET_EnableHWIntrinsic; do
  echo "== erasure tests with $flag=0"
  env "$flag=0" dotnet test tests/CloudSecReq.Erasure.Tests -c Release --no-build -nologo -v q | tee -a "$log"
done
# One closing line over all runs (set -e has already stopped us on any failure).
awk '/Passed!|Failed!/ { for (i = 1; i <= NF; i++) { if ($i == "Passed:") p += $(i + 1); if ($i == "Failed:") f += $(i + 1) } }
     END { printf "%d passed, %d failed\n", p, f }' "$log"
