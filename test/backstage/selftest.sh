#!/usr/bin/env bash
# selftest.sh checks validate.mjs against the shared examples in testdata/: every file
# in testdata/valid must pass Backstage's validators and every file in
# testdata/invalid must fail them. pkg/schema's Go tests read the same files and
# expect the same outcome from pane's schemas, so Go and Backstage are held to one
# corpus (a Go test cannot run node).
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -d node_modules/@backstage/catalog-model ]; then
	npm ci --no-audit --no-fund >&2
fi

fail=0

echo "== valid: every file must pass"
if ! node validate.mjs testdata/valid; then
	fail=1
fi

echo "== invalid: every file must fail"
n=0
for f in testdata/invalid/*.yaml; do
	n=$((n + 1))
	set +e
	out=$(node validate.mjs "$f" 2>&1)
	rc=$?
	set -e
	if [ "$rc" -ne 1 ]; then
		echo "UNEXPECTED exit $rc for $f (want 1):"
		echo "$out"
		fail=1
	fi
done
echo "$n invalid files checked"

echo "== relations: accepted in the processed shape, refused by a location read"
rendered=testdata/valid/component-rendered.yaml
set +e
out=$(node validate.mjs --as-location "$rendered" 2>&1)
rc=$?
set -e
if [ "$rc" -ne 1 ] || ! grep -q "Unknown field relations" <<<"$out"; then
	echo "UNEXPECTED: --as-location on $rendered gave exit $rc:"
	echo "$out"
	fail=1
else
	echo "ok: $out" | head -1
fi

echo "== vectors: testdata/vectors.json holds Backstage's verdicts"
if node vectors.mjs - | cmp -s - testdata/vectors.json; then
	echo "ok: testdata/vectors.json is current"
else
	echo "testdata/vectors.json differs from what vectors.mjs writes: run node vectors.mjs"
	fail=1
fi

if [ "$fail" -ne 0 ]; then
	echo "selftest: FAILED"
	exit 1
fi
echo "selftest: ok"
