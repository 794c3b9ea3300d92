#!/usr/bin/env bash
# Prints the path of the nats-server the project runs and tests with — the one
# home of that choice: Debian trixie's 2.10 build (the version compose and the
# manifests deploy; test/deploy.test.ts compares them), fetched and verified
# into .tools/ by debian-fetch.sh (no network when already there).
# NATS_SERVER_BIN, when set, wins (another build, e.g. to try 2.11).
#
#   bin=$(bash .ci/nats-server.sh) && "$bin" --version
#
# Used by .ci/run, the test support (global setup, own servers), `pnpm start`
# and `pnpm bench`. The machine's own nats-server (bookworm's 2.9) is never used.
set -euo pipefail
if [[ -n ${NATS_SERVER_BIN:-} ]]; then
  [[ -x $NATS_SERVER_BIN ]] || { echo "nats-server.sh: NATS_SERVER_BIN=$NATS_SERVER_BIN is not an executable" >&2; exit 1; }
  printf '%s\n' "$NATS_SERVER_BIN"
  exit 0
fi
root=$(bash "$(dirname "${BASH_SOURCE[0]}")/debian-fetch.sh" trixie nats-server)
bin=$root/usr/sbin/nats-server
[[ -x $bin ]] || { echo "nats-server.sh: no nats-server in $root" >&2; exit 1; }
printf '%s\n' "$bin"
