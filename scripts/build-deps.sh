#!/usr/bin/env bash
# What building Incognito needs beyond Rust: xmlsec and libxml2 (SAML, through the samael
# crate; bindgen needs libclang) — Debian's libxmlsec1-dev, libxml2-dev, libclang-dev and
# pkg-config. Installs them with apt-get (as root, or through sudo) when pkg-config cannot
# find xmlsec1; does nothing when they are there. `--check` only says what is missing.
set -euo pipefail

packages=(libxmlsec1-dev libxml2-dev libclang-dev pkg-config)

missing() {
  ! command -v pkg-config >/dev/null 2>&1 ||
    ! pkg-config --exists xmlsec1 libxml-2.0 ||
    ! compgen -G "/usr/lib/llvm-*/lib/libclang*.so*" >/dev/null
}

if ! missing; then
  exit 0
fi
if [[ "${1:-}" == "--check" ]]; then
  echo "missing: ${packages[*]}"
  exit 1
fi
run=()
if [[ "$(id -u)" != 0 ]]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "build-deps.sh: need root or sudo to install ${packages[*]}; install them and run again" >&2
    exit 1
  fi
  run=(sudo)
fi
"${run[@]}" apt-get update -qq
"${run[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
