#!/usr/bin/env bash
# The whole test suite, with its set-up: installs what the tests drive and is missing, then
# runs `cargo test` with INCOGNITO_REQUIRE_ALL_TESTS=1, so that a test that would skip for
# lack of a tool fails instead. CI (.ci/run) runs exactly this.
#
#   - to build at all: xmlsec and libxml2 (scripts/build-deps.sh)
#   - headless Chromium and its driver (Debian's chromium, chromium-driver): tests/api/browser.rs
#   - Node.js and the Cognito client libraries (`npm ci` in tests/js): tests/api/cognito_js.rs
#   - boto3 and the AWS CLI (pip): tests/api/cognito_boto3.rs
#   - PostgreSQL's server programs (Debian's postgresql): tests/api/pg.rs starts a throwaway
#     cluster from them for tests/api/postgres.rs and db_migrate.rs
#
# Without arguments: `cargo test` (SQLite), then the integration suite on PostgreSQL.
# Arguments go to `cargo test` (e.g. `./scripts/test.sh --test api browser`).
# `./scripts/test.sh --check` only says what is missing, installs nothing and runs nothing.
# An existing CARGO_TARGET_DIR is used as it is.
set -euo pipefail
cd "$(dirname "$0")/.."

check_only=false
if [[ "${1:-}" == "--check" ]]; then
  check_only=true
  shift
fi

have() { command -v "$1" >/dev/null 2>&1; }

# apt-get as root, or through sudo when there is one.
apt_install() {
  local run=()
  if [[ "$(id -u)" != 0 ]]; then
    if ! have sudo; then
      echo "test.sh: need root or sudo to install $*; install them and run again" >&2
      exit 1
    fi
    run=(sudo)
  fi
  "${run[@]}" apt-get update -qq
  "${run[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

need_chromium() { ! have chromedriver || [[ ! -x /usr/bin/chromium ]]; }
need_node() { ! have node || ! have npm; }
# node_modules is missing, or older than the lock file (npm records what it installed in
# node_modules/.package-lock.json).
need_npm_ci() {
  [[ ! -f tests/js/node_modules/.package-lock.json ]] ||
    [[ tests/js/package-lock.json -nt tests/js/node_modules/.package-lock.json ]]
}
need_python_tools() { ! python3 -c 'import boto3' 2>/dev/null || ! have aws; }
# Debian keeps initdb and pg_ctl in /usr/lib/postgresql/<major>/bin, off PATH.
need_postgres() {
  ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && ! { have initdb && have pg_ctl; }
}

if $check_only; then
  missing=0
  ./scripts/build-deps.sh --check || missing=1
  need_chromium && { echo "missing: chromium and chromium-driver"; missing=1; }
  need_node && { echo "missing: node and npm"; missing=1; }
  need_npm_ci && { echo "missing or stale: tests/js/node_modules"; missing=1; }
  need_python_tools && { echo "missing: boto3 or the aws command"; missing=1; }
  need_postgres && { echo "missing: postgresql (initdb, pg_ctl)"; missing=1; }
  [[ $missing == 0 ]] && echo "everything the tests need is installed"
  exit "$missing"
fi

# Building needs xmlsec and libxml2 (SAML).
./scripts/build-deps.sh
if need_chromium; then
  echo "test.sh: installing chromium and chromium-driver"
  apt_install chromium chromium-driver
fi
if need_node; then
  echo "test.sh: installing nodejs and npm"
  apt_install nodejs npm
fi
if need_npm_ci; then
  echo "test.sh: npm ci in tests/js"
  (cd tests/js && npm ci --no-audit --no-fund --loglevel=error)
fi
if need_python_tools; then
  echo "test.sh: installing boto3 and awscli"
  if ! python3 -m pip install --quiet boto3 awscli; then
    # Debian's own Python refuses pip (PEP 668): take Debian's packages instead.
    echo "test.sh: pip could not install them; trying Debian's python3-boto3 and awscli"
    apt_install python3-boto3 awscli
  fi
fi

if need_postgres; then
  echo "test.sh: installing postgresql"
  apt_install postgresql
fi

export INCOGNITO_REQUIRE_ALL_TESTS=1
cargo test "$@"
# Then the integration suite again with every server and CLI run on PostgreSQL (a database
# per test on the throwaway cluster; tests/api/helpers.rs `on_postgres`): one pass per backend.
# With arguments, only what was asked (set INCOGNITO_TEST_BACKEND=postgres yourself for that).
if [[ $# == 0 ]]; then
  echo "test.sh: the integration suite again on PostgreSQL"
  INCOGNITO_TEST_BACKEND=postgres cargo test --test api
fi
