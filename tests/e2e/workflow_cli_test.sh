#!/usr/bin/env bash
# The workflow authoring commands as an author uses them: `workflow check` on the shipped
# definitions, on the worked example of docs/workflows.md and on a broken file (every problem with
# file and line, exit 1); `workflow graph` matching the pictures in docs/workflows/ and rendering
# with Graphviz.
# Usage: workflow_cli_test.sh PATH/TO/a6auth
set -euo pipefail
a6auth=$(realpath "$1")
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/a6-wfcli-XXXXXX)
trap 'rm -rf "$work"' EXIT

"$a6auth" workflow check "$src"/workflows/definitions/*.xml > "$work/ok.txt"
[ "$(grep -c ': OK (' "$work/ok.txt")" -eq 4 ] || { cat "$work/ok.txt"; exit 1; }

# The worked example in the docs is a definition that loads.
awk '/^```xml$/{on=1; next} on && /^```$/{exit} on' "$src/docs/workflows.md" > "$work/example.xml"
"$a6auth" workflow check "$work/example.xml" | grep -q "OK (small-ministry version 1, 3 stages)"

# A broken copy: an unknown role on line 9 and a quorum above its possible actors on line 10.
cat > "$work/broken.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<workflow xmlns="urn:a6auth:workflow:1" name="broken" version="1">
  <title>Broken</title>
  <roles>
    <role id="officer">Officer</role>
  </roles>
  <review>
    <stage id="screening" role="officer">
      <decision event="accept" next="nowhere"/>
    </stage>
  </review>
  <approval>
    <stage id="approval" role="minister" quorum="3" of="2">
      <decision event="approve" outcome="approved"/>
    </stage>
  </approval>
</workflow>
XML
set +e
"$a6auth" workflow check "$work/broken.xml" > "$work/broken.txt"
code=$?
set -e
[ "$code" -eq 1 ] || { echo "expected exit 1, got $code"; cat "$work/broken.txt"; exit 1; }
grep -q "broken.xml:9: .*nowhere" "$work/broken.txt" || { echo "no line-9 problem"; cat "$work/broken.txt"; exit 1; }
grep -q "broken.xml:13: .*minister" "$work/broken.txt" || { echo "no unknown-role problem"; cat "$work/broken.txt"; exit 1; }
grep -q "broken.xml:13: .*quorum" "$work/broken.txt" || { echo "no quorum problem"; cat "$work/broken.txt"; exit 1; }

# The pictures in the docs are what `workflow graph` draws now, and Graphviz renders them.
for f in "$src"/workflows/definitions/*.xml; do
  name=$(basename "$f" .xml)
  "$a6auth" workflow graph "$f" > "$work/$name.dot"
  diff -u "$src/docs/workflows/$name.dot" "$work/$name.dot" ||
    { echo "docs/workflows/$name.dot is stale: regenerate it (docs/workflows.md says how)"; exit 1; }
  dot -Tsvg "$work/$name.dot" > "$work/$name.svg"
  grep -q "<svg" "$work/$name.svg"
done
echo "workflow commands: all checks passed"
