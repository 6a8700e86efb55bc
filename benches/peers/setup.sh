#!/usr/bin/env bash
# Install the peer simulators (NEST 3.10.0, Brian2 2.9.0) used by the
# scripts in benches/peers/.  Idempotent: running it again only checks.
#
#   bash benches/peers/setup.sh
#
# Creates the virtual environment .tools/peers-venv (under the repository root) (the .tools
# folder is git-ignored).  Override with PEERS_VENV=/some/path.
#
# System packages: the nest-simulator wheel is a manylinux wheel that bundles
# its own GSL, libltdl, OpenMP and BLAS libraries, so NEST needs no apt
# package.  Brian2's cpp_standalone device compiles C++ with g++ and make;
# these are installed from Debian if missing:
#     apt-get install -y --no-install-recommends g++ make python3-venv
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
VENV="${PEERS_VENV:-$REPO/.tools/peers-venv}"
PYTHON="${PYTHON:-python3}"
APT_PACKAGES=(g++ make python3-venv)

need_apt=()
command -v g++  >/dev/null 2>&1 || need_apt+=(g++)
command -v make >/dev/null 2>&1 || need_apt+=(make)
"$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1 || need_apt+=(python3-venv)
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "setup: installing Debian packages: ${need_apt[*]}" >&2
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup: need root for apt-get (packages: ${APT_PACKAGES[*]})" >&2
        exit 1
    fi
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need_apt[@]}"
fi

"$PYTHON" - <<'PY'
import sys
if sys.version_info[:2] != (3, 11):
    print(f"setup: warning: pins were chosen for Python 3.11, this is "
          f"{sys.version.split()[0]}", file=sys.stderr)
PY

if [ ! -x "$VENV/bin/python" ]; then
    echo "setup: creating venv $VENV" >&2
    mkdir -p "$(dirname "$VENV")"
    "$PYTHON" -m venv "$VENV"
fi

# Skip pip entirely when every pin is already satisfied.
if "$VENV/bin/python" "$HERE/pins_ok.py" "$HERE/requirements.txt" >/dev/null 2>&1
then
    echo "setup: all pinned packages already installed in $VENV" >&2
else
    echo "setup: installing pinned packages into $VENV" >&2
    "$VENV/bin/python" -m pip install --disable-pip-version-check -q \
        -r "$HERE/requirements.txt"
fi

# Smoke check: both simulators import and report the expected versions.
"$VENV/bin/python" - <<'PY' 2>/dev/null
import os, sys
fd = os.dup(1); os.dup2(2, 1)          # NEST prints a banner on stdout
try:
    import nest
    nest_version = nest.__version__
    import brian2
finally:
    sys.stdout.flush(); os.dup2(fd, 1); os.close(fd)
print(f"setup: ok: nest-simulator {nest_version}, brian2 {brian2.__version__}, "
      f"python {sys.version.split()[0]}")
PY
