#!/usr/bin/env bash
# Installs what a fresh machine lacks to build hebb, into the project folder (idempotent).
#
# The statically linked HDF5 library (crate `hdf5-metno` with features `static` + `zlib`) is
# compiled by CMake >= 3.26; Debian 12 ships 3.25. We install CMake from PyPI into
# `.tools/venv`, and `.cargo/config.toml` points the `CMAKE` variable at it, so plain
# `cargo build` / `cargo test` work afterwards.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.tools/venv"
if [ -x "$venv/bin/cmake" ] && "$venv/bin/cmake" --version >/dev/null 2>&1; then
  exit 0
fi
echo "bootstrap: installing CMake >= 3.26 into $venv" >&2
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "cmake>=3.26,<5"
"$venv/bin/cmake" --version | head -n 1 >&2
