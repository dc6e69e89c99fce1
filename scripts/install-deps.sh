#!/usr/bin/env bash
# Installs the Debian packages CloudSecReq needs, if they are missing.
#   scripts/install-deps.sh run    what ./run.sh needs (openssl, softhsm2)
#   scripts/install-deps.sh test   also the real S3/KMS clients the tests drive
# As root it installs with apt-get; otherwise it prints the apt-get line to run and fails.
set -euo pipefail
profile=${1:-run}
want=(openssl softhsm2 opensc)
if [ "$profile" = test ]; then
  want+=(awscli python3-boto3 python3-prometheus-client rclone s3cmd nodejs npm e2fsprogs)
fi
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# The machine may already carry a newer aws cli / node outside Debian: accept those.
if [ "$profile" = test ]; then
  keep=()
  for p in "${missing[@]}"; do
    case "$p" in
      awscli) command -v aws >/dev/null || keep+=("$p") ;;
      nodejs) command -v node >/dev/null || keep+=("$p") ;;
      npm) command -v npm >/dev/null || keep+=("$p") ;;
      *) keep+=("$p") ;;
    esac
  done
  missing=("${keep[@]+"${keep[@]}"}")
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "CloudSecReq needs these Debian packages: ${missing[*]}" >&2
    echo "Install them with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "Installing Debian packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The MinIO JavaScript SDK the gateway tests drive, from its committed lock file (node_modules is
# git-ignored). The tests run the same npm ci themselves when it is missing.
if [ "$profile" = test ]; then
  minio_dir="$(cd "$(dirname "$0")/.." && pwd)/tests/CloudSecReq.Gateway.Tests/Clients/minio"
  if [ ! -f "$minio_dir/node_modules/minio/package.json" ]; then
    echo "Installing the MinIO JavaScript SDK into $minio_dir" >&2
    (cd "$minio_dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
