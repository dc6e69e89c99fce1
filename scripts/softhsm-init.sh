#!/usr/bin/env bash
# Creates (idempotently) the development SoftHSM2 token CloudSecReq's KMS uses:
#   DATA/hsm/softhsm2.conf   SoftHSM configuration (tokens in DATA/hsm/tokens)
#   DATA/hsm/user-pin        user PIN, 0600 (a development default; production uses a real HSM and its own PIN file)
#   DATA/hsm/so-pin          security officer PIN, 0600
# Usage: scripts/softhsm-init.sh DATA_DIR [TOKEN_LABEL]   (label defaults to "cloudsecreq")
# The gateway does the same by itself on first start (KmsOptions.ForDataDirectory): this script is for operators
# who want to create or inspect the token by hand. Afterwards:
#   SOFTHSM2_CONF=DATA/hsm/softhsm2.conf pkcs11-tool --module /usr/lib/softhsm/libsofthsm2.so -L
set -euo pipefail
if [ $# -lt 1 ]; then
  echo "usage: $0 DATA_DIR [TOKEN_LABEL]" >&2
  exit 2
fi
data=$(realpath -m "$1")
label=${2:-cloudsecreq}
hsm="$data/hsm"
command -v softhsm2-util >/dev/null || { echo "softhsm2-util missing: run scripts/install-deps.sh run" >&2; exit 1; }

umask 077
mkdir -p "$hsm/tokens"
chmod 700 "$hsm" "$hsm/tokens"
if [ ! -f "$hsm/softhsm2.conf" ]; then
  cat > "$hsm/softhsm2.conf" <<CONF
# CloudSecReq development token
directories.tokendir = $hsm/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
CONF
fi
newpin() { tr -dc 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789' < /dev/urandom | head -c 24 || true; }
for f in user-pin so-pin; do
  if [ ! -f "$hsm/$f" ]; then
    (umask 077; newpin > "$hsm/$f"; echo >> "$hsm/$f")
  fi
  chmod 600 "$hsm/$f"
done
export SOFTHSM2_CONF="$hsm/softhsm2.conf"
if softhsm2-util --show-slots 2>/dev/null | grep -Eq "^[[:space:]]*Label:[[:space:]]+$label[[:space:]]*\$"; then
  echo "token '$label' already exists in $hsm/tokens"
  exit 0
fi
# softhsm2-util only takes PINs as arguments; they are visible to this machine's process list for the moment the
# command runs. The gateway's own initialiser (C_InitToken through PKCS#11) avoids even that.
softhsm2-util --init-token --free --label "$label" \
  --so-pin "$(head -n1 "$hsm/so-pin")" --pin "$(head -n1 "$hsm/user-pin")" >/dev/null
echo "created token '$label' in $hsm/tokens"
