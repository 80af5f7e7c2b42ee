#!/usr/bin/env bash
# Runs the portal's browser tests: installs playwright-core (exact version, from the committed
# package-lock.json) into the BUILD folder, prepares a server as scripts/dev-setup does in a
# scratch folder, serves on a free port, and drives Debian's chromium through the scenarios.
# Usage: run-portal-tests.sh PATH/TO/a6auth BUILD_DIR
set -euo pipefail
a6auth=$(realpath "$1")
build=$(realpath "$2")
src=$(cd "$(dirname "$0")/../.." && pwd)
here="$src/tests/web"
web="$build/web-tests"
shots="$build/tests/web-screenshots"
mkdir -p "$web" "$shots"

# npm ci only when the lock file changed since the last install (or nothing is installed).
if ! cmp -s "$here/package-lock.json" "$web/.installed-lock.json" || [ ! -d "$web/node_modules/playwright-core" ]; then
  cp "$here/package.json" "$here/package-lock.json" "$web/"
  (cd "$web" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$here/package-lock.json" "$web/.installed-lock.json"
fi
cp "$here"/*.mjs "$web/"

work=$(mktemp -d /tmp/a6-portal-XXXXXX)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/build/service" "$work/scripts"
ln -s "$a6auth" "$work/build/service/a6auth"
ln -s "$src/workflows" "$work/workflows"
ln -s "$src/templates" "$work/templates"
cp "$src/scripts/dev-setup" "$work/scripts/dev-setup"
(cd "$work" && scripts/dev-setup build/service/a6auth > setup.log)

A6AUTH_HTTP_PORT=0 "$a6auth" serve --config "$work/var/a6auth.properties" --port-file "$work/port" 2> "$work/server.log" &
server_pid=$!
for _ in $(seq 1 300); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { echo "server did not start"; cat "$work/server.log"; exit 1; }

export A6_URL="http://127.0.0.1:$(cat "$work/port")"
export A6_PASSWORD_FILE="$work/var/secrets/demo-password"
export A6_SAMPLE_PDF="$src/tests/data/sample-pdd.pdf"
export A6_SCREENSHOTS="$shots"
export A6_DOWNLOADS="$work/downloads"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
cd "$web"
if ! node --test --test-reporter=spec portal.test.mjs; then
  echo "--- server log (last 40 lines) ---"
  tail -n 40 "$work/server.log"
  exit 1
fi
echo "screenshots: $shots"
