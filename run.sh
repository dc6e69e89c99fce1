#!/usr/bin/env bash
# Sets up and runs the CloudSecReq gateway in the foreground with embedded defaults:
# data under ./data, HTTPS on 127.0.0.1:9443, a first tenant created on first start.
#   ./run.sh [--data DIR] [--listen ADDR:PORT] [--http] [--domain D] ...   (any 'csr serve' option)
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh run
dotnet build gateway/CloudSecReq.Gateway -c Release -nologo -v q -clp:ErrorsOnly
exec dotnet gateway/CloudSecReq.Gateway/bin/Release/net10.0/csr.dll serve "$@"
