#!/usr/bin/env bash
# Install Brian2 2.11 (needs Python >= 3.13) for the peer benchmarks in a
# Debian 13 (trixie) chroot, leaving the host's Python and apt sources alone.
# Idempotent: running it again only checks.
#
#   bash benches/peers/setup-brian2-trixie.sh
#   benches/peers/brian2-trixie benches/peers/b4_brian2.py --sim-ms 500
#
# Steps (each skipped when already done):
#   1. apt-get install debootstrap on the host;
#   2. debootstrap --variant=minbase trixie into .tools/trixie (under the
#      repository root; BRIAN2_TRIXIE_ROOT overrides, TRIXIE_MIRROR the mirror);
#   3. inside the chroot: apt-get install python3 python3-venv g++ make
#      ca-certificates (trixie: Python 3.13, gcc 14);
#   4. inside the chroot: venv /opt/brian2-venv with the pins of
#      requirements-brian2-trixie.txt.
# Chroot commands run through the brian2-trixie wrapper, whose mounts (/proc,
# /dev, the repository) live only in a private mount namespace.  For the
# network steps the host's /etc/resolv.conf and CA bundle are copied into the
# chroot (the CA bundle only for the duration of pip).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
ROOT="${BRIAN2_TRIXIE_ROOT:-$REPO/.tools/trixie}"
export BRIAN2_TRIXIE_ROOT="$ROOT"
MIRROR="${TRIXIE_MIRROR:-http://deb.debian.org/debian}"
VENV=/opt/brian2-venv
REQ="$HERE/requirements-brian2-trixie.txt"
CHROOT_PACKAGES=(python3 python3-venv g++ make ca-certificates)
WRAP="$HERE/brian2-trixie"
T0=$SECONDS

log() { echo "setup-brian2-trixie: $*" >&2; }
in_chroot() { "$WRAP" --chroot-exec "$@"; }

if [ "$(id -u)" -ne 0 ]; then
    log "needs root (apt-get, debootstrap, chroot)"
    exit 1
fi

# 1. debootstrap on the host.
if ! command -v debootstrap >/dev/null 2>&1; then
    log "installing debootstrap (host)"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap
fi

# 2. The trixie base system.  debootstrap removes $ROOT/debootstrap when it
# has finished, so its presence marks an interrupted run.
if [ -d "$ROOT" ] && { [ -d "$ROOT/debootstrap" ] || [ ! -x "$ROOT/usr/bin/apt-get" ]; }; then
    log "removing incomplete chroot $ROOT"
    # Leftover mounts of an interrupted debootstrap (proc, sys, ...), deepest first.
    findmnt -rn -o TARGET | grep -F "$ROOT/" | sort -r | while read -r m; do
        umount -l "$m" || true
    done
    rm -rf --one-file-system "$ROOT"
fi
if [ ! -d "$ROOT" ]; then
    log "debootstrap --variant=minbase trixie $ROOT $MIRROR"
    mkdir -p "$(dirname "$ROOT")"
    debootstrap --variant=minbase trixie "$ROOT" "$MIRROR" >&2
fi
grep -q 'VERSION_CODENAME=trixie' "$ROOT/etc/os-release" || {
    log "$ROOT is not a trixie system"; exit 1; }

# 3. Debian packages inside the chroot.
missing=()
for p in "${CHROOT_PACKAGES[@]}"; do
    in_chroot dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
        || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    log "installing in the chroot: ${missing[*]}"
    cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
    in_chroot apt-get update >&2
    in_chroot env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends "${missing[@]}" >&2
    in_chroot apt-get clean
fi

# 4. The venv and the pinned packages.
if [ ! -x "$ROOT$VENV/bin/python" ]; then
    log "creating venv $VENV in the chroot"
    in_chroot python3 -m venv "$VENV"
fi
if in_chroot "$VENV/bin/python" "$HERE/pins_ok.py" "$REQ" >/dev/null 2>&1
then
    log "all pinned packages already installed in $VENV"
else
    log "installing pinned packages into $VENV"
    cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
    ca="$ROOT/tmp/brian2-setup-ca.crt"
    trap 'rm -f "$ca"' EXIT
    cp -L /etc/ssl/certs/ca-certificates.crt "$ca"
    # pip >= 24.2 verifies through truststore (OpenSSL's default paths, so
    # SSL_CERT_FILE) and ignores --cert there; give both.  A host
    # PIP_FIND_LINKS directory is not visible in the chroot.
    in_chroot env -u PIP_FIND_LINKS \
        SSL_CERT_FILE=/tmp/brian2-setup-ca.crt PIP_CERT=/tmp/brian2-setup-ca.crt \
        "$VENV/bin/python" -m pip install --disable-pip-version-check -q -r "$REQ" >&2
    rm -f "$ca"
fi

# Smoke check: versions, and that the compiler is there.
in_chroot "$VENV/bin/python" - <<'PY'
import shutil, sys
import brian2, numpy
assert shutil.which("g++") and shutil.which("make"), "g++/make missing"
print(f"setup-brian2-trixie: ok: brian2 {brian2.__version__}, numpy {numpy.__version__}, "
      f"python {sys.version.split()[0]}")
PY
log "done in $((SECONDS - T0)) s"
