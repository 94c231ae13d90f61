#!/usr/bin/env bash
# Compiles the example workspace and the `pane init` starter, then validates every entity
# file on their catalog branches with Backstage's own validator (@backstage/catalog-model).
# Usage: check-example.sh [PANE_BINARY]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
pane=$(realpath "${1:-$root/bin/pane}")
if [ ! -d "$here/node_modules/@backstage/catalog-model" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=pane GIT_AUTHOR_EMAIL=pane@localhost GIT_COMMITTER_NAME=pane GIT_COMMITTER_EMAIL=pane@localhost

extract() { # repo dir
  mkdir -p "$2"
  git -C "$1" archive catalog | tar -x -C "$2"
  find "$2" -name '*.yaml' | wc -l | tr -d ' '
}

"$pane" --quiet compile --workspace "$root" --output-repo "$tmp/example.git" >/dev/null
n=$(extract "$tmp/example.git" "$tmp/example")
echo "example workspace: $n entity files"
node "$here/validate.mjs" "$tmp/example"

"$pane" init "$tmp/starter" >/dev/null
git -C "$tmp/starter" init -q
"$pane" --quiet compile --workspace "$tmp/starter" >/dev/null
n=$(extract "$tmp/starter" "$tmp/starter-out")
echo "pane init starter: $n entity files"
node "$here/validate.mjs" "$tmp/starter-out"

# Without relations, the files are what a Backstage location reads as-is: the strict
# policies (no foreign root fields) must pass too.
printf 'package pane\n\noutput: relations: false\n' > "$tmp/starter/local.cue"
"$pane" --quiet compile --workspace "$tmp/starter" --output-repo "$tmp/plain.git" >/dev/null
n=$(extract "$tmp/plain.git" "$tmp/plain")
echo "pane init starter, output.relations false: $n entity files, checked as a Backstage location"
node "$here/validate.mjs" --as-location "$tmp/plain"
