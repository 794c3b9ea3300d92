#!/bin/sh
# Creates the database roles with their passwords, once, as the PostgreSQL
# administrator. Mounted into /docker-entrypoint-initdb.d/ by docker-compose
# and by the dev overlay's PostgreSQL; for an external PostgreSQL a DBA runs
# it once (docs/security.md):
#
#   PGHOST=… PGUSER=<admin> POSTGRES_DB=ops OPS_MIGRATOR_DB_PASSWORD=… … sh deploy/postgres/init-roles.sh
#
# ops_migrator owns the database and may create roles (not a superuser): the
# seed job runs the migrations as it. Migration 002-roles then grants each
# service role exactly its tables; it creates a role only when it is missing,
# so the passwords set here stay. Re-running this script updates passwords.
set -eu
: "${POSTGRES_DB:?POSTGRES_DB (the ledger database, e.g. ops) is required}"
for v in OPS_MIGRATOR_DB_PASSWORD OPS_LEDGER_DB_PASSWORD OPS_WORKER_DB_PASSWORD OPS_CLI_DB_PASSWORD; do
  eval "val=\${$v:-}"
  [ -n "$val" ] || { echo "init-roles: $v is required" >&2; exit 1; }
done

psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname "$POSTGRES_DB" \
  -v db="$POSTGRES_DB" \
  -v migrator_pw="$OPS_MIGRATOR_DB_PASSWORD" \
  -v ledger_pw="$OPS_LEDGER_DB_PASSWORD" \
  -v worker_pw="$OPS_WORKER_DB_PASSWORD" \
  -v cli_pw="$OPS_CLI_DB_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE %I', r) FROM unnest(ARRAY['ops_migrator','ops_ledger','ops_worker','ops_cli']) AS r
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) \gexec
ALTER ROLE ops_migrator LOGIN NOSUPERUSER NOCREATEDB CREATEROLE PASSWORD :'migrator_pw';
ALTER ROLE ops_ledger LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'ledger_pw';
ALTER ROLE ops_worker LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'worker_pw';
ALTER ROLE ops_cli LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'cli_pw';
-- ops_housekeeping (created by migration 002) gets no password: housekeeping
-- talks to the ledger over NATS only and never authenticates to PostgreSQL
ALTER DATABASE :"db" OWNER TO ops_migrator;
ALTER SCHEMA public OWNER TO ops_migrator;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SQL
echo "init-roles: roles ready in database $POSTGRES_DB"
