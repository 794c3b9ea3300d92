#!/usr/bin/env bash
# The build steps of deploy/docker/Dockerfile, as a script so that the image
# and deploy/docker/test/image-recipe.test.ts run exactly the same steps:
#
#   deploy/docker/build-service.sh <service> <out-dir>
#
# <service>: ledger-service | assignment-worker | housekeeping | fake-graph | opsctl | console
# <out-dir>: must not exist or be empty; receives the service's package
#            (package.json, src/; the console also public/, its pages) with a
#            production-only node_modules/.
#            The image copies exactly this directory to /app.
#
# Run it from a copy of the repository (the Docker build context), not from a
# developer's checkout: `pnpm install` below re-links the workspace.
set -euo pipefail

usage() {
  echo "usage: $0 <ledger-service|assignment-worker|housekeeping|fake-graph|opsctl|console> <out-dir>" >&2
  exit 2
}
[ "$#" -eq 2 ] || usage
service=$1
out=$2
case "$service" in
  ledger-service | assignment-worker | housekeeping | fake-graph | opsctl | console) ;;
  *) usage ;;
esac
case "$out" in
  /*) ;;
  *) out="$PWD/$out" ;;
esac

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

# 1. the whole workspace from the committed lockfile; fails if the lockfile
#    does not match the package.json files. --prefer-offline: the Dockerfile
#    fills the store with `pnpm fetch` first, and a CI machine has it from its
#    own `pnpm install`, so nothing is downloaded again.
pnpm install --frozen-lockfile --prefer-offline --reporter=append-only

# 2. the service alone, with its production dependencies only (no
#    devDependencies: no vitest, typescript, fast-check, @types/*); the @ops/*
#    libraries are copied into its node_modules (hence @ops/runtime/register,
#    see libs/runtime/register.mjs).
#
#    --legacy: pnpm 10's default deploy requires inject-workspace-packages=true.
#    Setting that for the workspace would make every developer install copy
#    the libraries into node_modules instead of symlinking them (an edit in
#    libs/*/src would not reach the services until the next install) and
#    rewrite the lockfile; setting it for this command only works, but writes
#    the build machine's absolute paths (file:///build/libs/...) into the
#    deployed package.json. The legacy implementation installs from the same
#    shared lockfile (the same package versions as the default deploy) and
#    keeps the package.json as written. --prefer-offline, not --offline:
#    the packages come from the store that step 1 filled, but the legacy
#    deploy resolves through registry metadata, which a frozen-lockfile
#    install never caches (a fresh machine failed with
#    ERR_PNPM_NO_OFFLINE_META under --offline).
pnpm deploy --legacy --prefer-offline --filter "@ops/$service" --prod --reporter=append-only "$out"

# 3. tests are not shipped: test/ and *.test.ts of the service and of the
#    @ops/* libraries copied into it (third-party packages are left alone)
shopt -s nullglob
for pkg in "$out" "$out"/node_modules/.pnpm/@ops+*/node_modules/@ops/*; do
  rm -rf "$pkg/test"
  find "$pkg" -path "$pkg/node_modules" -prune -o -name '*.test.ts' -type f -exec rm -f {} +
done

# 4. the console serves services/console/public/ from beside its src/
#    (src/static.ts: new URL('../public/', import.meta.url)). pnpm deploy
#    copies the whole package today (no "files" list); should a package.json
#    ever narrow that, the image would start without its pages — so check.
if [ -d "services/$service/public" ] && ! diff -r "services/$service/public" "$out/public" >/dev/null; then
  echo "build-service: $out/public is missing or differs from services/$service/public" >&2
  exit 1
fi

echo "build-service: @ops/$service -> $out"
