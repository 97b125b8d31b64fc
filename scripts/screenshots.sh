#!/usr/bin/env bash
# Regenerates the README's screenshots of the hosted pages with headless Chromium.
# Usage: scripts/screenshots.sh   (needs Debian's chromium; builds the server in release mode)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
data=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
./target/release/incognito serve --data-dir "$data" --listen "127.0.0.1:$port" >"$data/out.txt" 2>/dev/null &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
pool=$(grep -o 'local_[A-Za-z0-9]*' "$data/out.txt" | head -1)
shoot() {
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$data/profile" --hide-scrollbars --window-size=480,"$3" \
    --screenshot="docs/screenshots/$2.png" "http://127.0.0.1:$port/$pool/$1" 2>/dev/null
}
shoot login login 640
shoot signup signup 900
echo "wrote docs/screenshots/login.png and docs/screenshots/signup.png"
