#!/usr/bin/env bash
# Runs the shell examples of README.md exactly as written, against a server prepared by
# scripts/dev-setup in a scratch copy of the layout README assumes (build/, var/, tests/data/).
# Usage: readme_test.sh PATH/TO/a6auth
set -euo pipefail
a6auth=$(realpath "$1")
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/a6-readme-XXXXXX)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/build/service" "$work/scripts" "$work/tests"
ln -s "$a6auth" "$work/build/service/a6auth"
ln -s "$src/tests/data" "$work/tests/data"
ln -s "$src/workflows" "$work/workflows"
ln -s "$src/templates" "$work/templates"
cp "$src/scripts/dev-setup" "$work/scripts/dev-setup"
cd "$work"
scripts/dev-setup build/service/a6auth > setup.log
scripts/dev-setup build/service/a6auth >> setup.log  # a second run changes nothing
grep -q "DEVELOPMENT" var/keys/dev-signing.crt 2>/dev/null || openssl x509 -in var/keys/dev-signing.crt -noout -subject | grep -q "DEVELOPMENT"
[ "$(build/service/a6auth user list --config var/a6auth.properties | wc -l)" -eq 10 ] || { echo "expected 10 demo users"; exit 1; }

# The demo config listens on 8080; the test takes any free port instead.
A6AUTH_HTTP_PORT=0 build/service/a6auth serve --config var/a6auth.properties --port-file port 2> server.log &
server_pid=$!
for _ in $(seq 1 300); do [ -s port ] && break; sleep 0.1; done
[ -s port ] || { echo "server did not start"; cat server.log; exit 1; }
export A6="http://127.0.0.1:$(cat port)"

# The ```sh blocks of the "Try it" section, in order.
awk '/^## Try it/{on=1} /^## Commands/{on=0} on && /^```sh$/{inblk=1; next} inblk && /^```$/{inblk=0; next} on && inblk' \
  "$src/README.md" > examples.sh
[ "$(grep -c curl examples.sh)" -ge 9 ] || { echo "README examples not found"; exit 1; }
bash -euo pipefail examples.sh > out.txt 2> err.txt || { echo "README examples failed"; cat out.txt err.txt; exit 1; }

fail=0
expect() { grep -q -- "$1" out.txt || { echo "README output lacks: $1"; fail=1; }; }
expect '"state": "draft"'
expect '"ready": true'
expect '"region": "Savannah"'
expect '"version": 2'
expect '"name": "PDD.pdf"'
expect "\"sha256\": \"$(sha256sum "$src/tests/data/sample-pdd.pdf" | cut -d' ' -f1)\""
expect '"type": "attachment_added"'
expect '"path": "authorisation.cooperative_approach_id"'
expect '{"state":"in_review","stage":"screening","available_events":\["withdraw"\]}'
expect '"stage":"ministerial_approval"'
expect '{"state":"authorised","stage":null,"available_events":\["open_amendment","revoke"\]}'
expect '{"state":"amendment_in_review","stage":"amendment_screening"}'
expect '"current_version": 2'
expect '"authorisation.authorized_quantity"'
expect '"result": "valid"'
expect '"authorisation_status": "superseded by version 2"'
expect 'valid: an unaltered letter on record'
expect 'Signature Validation: Signature is Valid.'
expect '"path": "authorisation.first_transfer_definition"'
if [ $fail -ne 0 ]; then cat out.txt; exit 1; fi
build/service/a6auth audit verify --config var/a6auth.properties | grep -q "audit: OK"
echo "README examples: all outputs as expected"
