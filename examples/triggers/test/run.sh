#!/bin/sh
# Runs the trigger shim tests: serve.mjs (node --test) and serve.py (unittest).
# Needs only node (20+) and python3 (3.11+); exits non-zero if either suite fails.
cd "$(dirname "$0")" || exit 1
status=0
echo "== serve.mjs (node --test)"
node --test shims.test.mjs || status=1
echo "== serve.py (python3 -m unittest)"
python3 -m unittest discover -s . -p 'test_*.py' -v || status=1
if [ "$status" -ne 0 ]; then echo "shim tests FAILED"; else echo "shim tests passed"; fi
exit "$status"
