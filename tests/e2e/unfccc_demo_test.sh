#!/usr/bin/env bash
# Runs the demo of docs/unfccc.md exactly as written: scripts/dev-setup, scripts/unfccc-demo (the
# simulator as its own process over TLS), a6auth serving with the demo's settings (real outbox
# workers, real clock), then the page's ```sh blocks; checks what they print.
# Usage: unfccc_demo_test.sh PATH/TO/a6auth PATH/TO/a6-unfccc-sim
set -euo pipefail
a6auth=$(realpath "$1")
sim=$(realpath "$2")
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/a6-unfccc-demo-XXXXXX)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  (cd "$work" && scripts/unfccc-demo stop > /dev/null 2>&1) || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/build/service" "$work/build/integrations" "$work/scripts" "$work/tests"
ln -s "$a6auth" "$work/build/service/a6auth"
ln -s "$sim" "$work/build/integrations/a6-unfccc-sim"
ln -s "$src/tests/data" "$work/tests/data"
ln -s "$src/workflows" "$work/workflows"
ln -s "$src/templates" "$work/templates"
cp "$src/scripts/dev-setup" "$src/scripts/unfccc-demo" "$work/scripts/"
cd "$work"
scripts/dev-setup build/service/a6auth > setup.log

# The page's blocks, in order: the first starts the simulator (on any free port here).
awk '/^## Demo: one authorisation through the simulator/{on=1} /^## The peer simulator/{on=0}
     on && /^```sh$/{inblk=1; next} inblk && /^```$/{inblk=0; print "# --- end of block"; next} on && inblk' \
  "$src/docs/unfccc.md" > demo.sh
[ "$(grep -c -- '--- end of block' demo.sh)" -eq 4 ] || { echo "expected 4 sh blocks in the demo"; cat demo.sh; exit 1; }
first_block=$(awk '/--- end of block/{exit} {print}' demo.sh)
rest=$(awk 'f{print} /--- end of block/{f=1}' demo.sh)
SIM_PORT=0 bash -euo pipefail -c "$first_block" > start.txt
grep -q "the simulator listens on https://127.0.0.1:" start.txt || { echo "simulator did not start"; cat start.txt; exit 1; }

# a6auth with the demo's settings, as the page says (on a free port here).
(. var/unfccc-demo/env && A6AUTH_HTTP_PORT=0 exec build/service/a6auth serve --config var/a6auth.properties \
  --port-file port 2> server.log) &
server_pid=$!
for _ in $(seq 1 300); do [ -s port ] && break; sleep 0.1; done
[ -s port ] || { echo "server did not start"; cat server.log; exit 1; }
export A6="http://127.0.0.1:$(cat port)"

printf '%s\n' "$rest" > rest.sh
bash -euo pipefail rest.sh > out.txt 2> err.txt || { echo "demo failed"; cat out.txt err.txt; tail -20 server.log; exit 1; }
cat out.txt

fail() { echo "FAIL: $1"; echo "--- output"; cat out.txt; echo "--- server log (tail)"; tail -30 server.log; exit 1; }
# Version 1 delivered and accepted; the simulator received exactly it.
grep -q '"status":"delivered","outcome":"accepted","kind":"issued","version":1' out.txt || fail "version 1 not delivered"
grep -q '"kind":"issued","authorisation_id":"GHA-A6-' out.txt || fail "the simulator did not receive version 1"
# During the outage: pending with a 503; then both delivered, newest first.
grep -q '"status":"pending","attempts":[1-9][0-9]*,"last_http_status":503' out.txt || fail "no 503 recorded during the outage"
grep -q '{"status":"delivered","outcome":"accepted","version":2}' out.txt || fail "version 2 not delivered after the outage"
# The finding: accepted by a6auth (202) and shown on the authorisation.
grep -q '"status":202' out.txt || fail "the finding was not accepted"
grep -q '"version":2,"severity":"warning","code":"QTY"' out.txt || fail "the finding is not on the authorisation"
grep -q 'simulator stopped' out.txt || fail "the simulator was not stopped"
echo "unfccc demo: ok"
