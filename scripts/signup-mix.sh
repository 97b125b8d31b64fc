#!/usr/bin/env bash
# Refreshes under sign-up load: runs loadgen's `refresh` scenario (ES256 pool key, 32
# clients) while 4 shell loops sign users up through the Cognito API (SignUp: Argon2id and
# the SRP verifier for each). Shows whether password hashing holds up the token endpoint.
#
#   cargo build --release && scripts/signup-mix.sh [--server-bin PATH]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
log="$dir/loadgen.log"
trap 'rm -rf "$dir"' EXIT
cargo run -q --release --example loadgen -- --data-dir "$dir/data" --alg ES256 \
  --scenarios refresh --duration 10 --warmup 3 --starts 1 --floor-secs 1 "$@" >"$log" 2>&1 &
loadgen=$!
for _ in $(seq 1 300); do grep -q "server pid" "$log" 2>/dev/null && break; sleep 0.2; done
sleep 1
port=$(grep -o "127.0.0.1:[0-9]*" "$log" | head -1 | cut -d: -f2)
client=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['code_client_id'])" \
  "$dir/data/loadgen-setup.json")

sign_ups() { # worker number; prints how many sign-ups succeeded in 12 s
  local end=$((SECONDS + 12)) i=0 ok=0
  while [ $SECONDS -lt $end ]; do
    i=$((i + 1))
    code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/" \
      -H 'X-Amz-Target: AWSCognitoIdentityProviderService.SignUp' \
      -H 'Content-Type: application/x-amz-json-1.1' \
      --data "{\"ClientId\":\"$client\",\"Username\":\"s$1-$i@signup.test\",\"Password\":\"Correct-horse-42-battery\",\"UserAttributes\":[]}")
    [ "$code" = 200 ] && ok=$((ok + 1))
  done
  echo "$ok"
}
for w in 1 2 3 4; do sign_ups "$w" >"$dir/w$w" & done
wait "$loadgen" || { cat "$log"; exit 1; }
wait
total=$(cat "$dir"/w? | paste -sd+ | bc)
grep -E "^scenario|^refresh +32" "$log"
echo "sign-ups during the run: $total in 12 s ($((total / 12))/s)"
