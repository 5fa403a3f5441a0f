#!/usr/bin/env bash
# Installs, with apt, the system packages Pendra's build and tests need and
# that this machine lacks. Checks what is present first, so a second run is
# instant and a machine that has everything is never touched.
set -euo pipefail

missing=()
need_cmd() { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }
need_cmd cmake cmake
need_cmd ninja ninja-build
need_cmd pkg-config pkg-config
need_cmd curl curl
need_cmd python3 python3
# OpenBLAS headers and library, only for the BLAS=1 build (any one location will do).
have_any() { for pattern in "$@"; do compgen -G "$pattern" >/dev/null && return 0; done; return 1; }
if [ "${BLAS:-0}" = 1 ]; then
  have_any '/usr/include/*/openblas*/cblas.h' '/usr/include/openblas/cblas.h' '/usr/include/*/cblas.h' \
    || missing+=(libopenblas-dev)
fi
# The web page's browser test only (make test-webui): headless chromium and a font.
if [ "${1:-}" = --browser ]; then
  command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || missing+=(chromium)
  [ -d /usr/share/fonts/truetype/dejavu ] || missing+=(fonts-dejavu-core)
fi
# The test venv: python3 -m venv needs ensurepip (Debian's python3-venv).
if command -v python3 >/dev/null 2>&1; then
  python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
else
  missing+=(python3-venv python3-pip)
fi

[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "deps: need root or sudo to apt-get install ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
