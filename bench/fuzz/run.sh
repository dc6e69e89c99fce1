#!/usr/bin/env bash
# The wire fuzz test (issue 11) run longer than in the suite, with a chosen seed.
#
#   bench/fuzz/run.sh [SEED] [SECONDS] [MAX_REQUESTS]
#
# SEED defaults to a random one (printed); SECONDS to 300; MAX_REQUESTS to 1000000. A failure names
# the seed and the request number: run the same seed again to reproduce it. The gateway is the test
# fixture's (HTTPS on 127.0.0.1, its own data directory); see docs/security.md, "Found by trying to
# break it (issue 11)".
set -euo pipefail
cd "$(dirname "$0")/../.."
seed="${1:-$RANDOM$RANDOM}"
seconds="${2:-300}"
requests="${3:-1000000}"
echo "fuzz seed $seed, up to $seconds s and $requests requests"
dotnet build tests/CloudSecReq.Gateway.Tests -c Release -nologo -v q
CSR_FUZZ_SEED="$seed" CSR_FUZZ_SECONDS="$seconds" CSR_FUZZ_REQUESTS="$requests" \
  dotnet test tests/CloudSecReq.Gateway.Tests -c Release --no-build \
  --filter "FullyQualifiedName~WireFuzzTests" --logger "console;verbosity=normal" \
  | grep -E "Fuzz seed|Passed|Failed|Error Message|^\s+[A-Z]" || true
