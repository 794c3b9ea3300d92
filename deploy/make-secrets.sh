#!/usr/bin/env bash
# Prints a fresh set of secrets as KEY=value lines (random, URL-safe):
#
#   bash deploy/make-secrets.sh > .env                                 # docker compose
#   bash deploy/make-secrets.sh > deploy/overlays/dev/secrets.env      # kubectl apply -k deploy/overlays/dev
#
# Both files are git-ignored. The database URLs point at the host `postgres`
# (compose service / dev Service); pass another host for an external server:
# `bash deploy/make-secrets.sh db.internal:5432`. docs/security.md lists who
# reads which key.
set -euo pipefail
host="${1:-postgres:5432}"
# a letter first, then hex: nats-server parses a $VAR's value as a config
# token, so a value starting with a digit (e.g. 8e3f…) is read as a number
# and the server refuses to start; URL-safe for the database URLs as well
rand() { printf 's'; od -An -N18 -tx1 /dev/urandom | tr -d ' \n'; }
declare -A pw
for k in POSTGRES_PASSWORD OPS_MIGRATOR_DB_PASSWORD OPS_LEDGER_DB_PASSWORD OPS_WORKER_DB_PASSWORD OPS_CLI_DB_PASSWORD \
         NATS_PASSWORD_LEDGER NATS_PASSWORD_WORKER NATS_PASSWORD_HOUSEKEEPING NATS_PASSWORD_OPSCTL NATS_PASSWORD_OPERATOR NATS_PASSWORD_CONSOLE CONSOLE_TOKEN GRAPH_CLIENT_SECRET; do
  pw[$k]="$(rand)"
  echo "$k=${pw[$k]}"
done
echo "MIGRATOR_DATABASE_URL=postgres://ops_migrator:${pw[OPS_MIGRATOR_DB_PASSWORD]}@${host}/ops"
echo "LEDGER_DATABASE_URL=postgres://ops_ledger:${pw[OPS_LEDGER_DB_PASSWORD]}@${host}/ops"
echo "WORKER_DATABASE_URL=postgres://ops_worker:${pw[OPS_WORKER_DB_PASSWORD]}@${host}/ops"
echo "CLI_DATABASE_URL=postgres://ops_cli:${pw[OPS_CLI_DB_PASSWORD]}@${host}/ops"
