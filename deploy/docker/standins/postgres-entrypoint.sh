#!/bin/sh
# The parts of the official postgres image's entrypoint that docker-compose.yml
# relies on, for the local stand-in (postgres.Dockerfile):
# - POSTGRES_USER (default postgres), POSTGRES_PASSWORD (required),
#   POSTGRES_DB (default: the user's name);
# - on an EMPTY data directory only: initdb, the database, then every
#   /docker-entrypoint-initdb.d/*.sh (run if executable, else sourced) and
#   *.sql, against a server reachable only on a private socket — so the
#   compose health check (pg_isready on the default socket) does not pass
#   before the init scripts are done; a data directory with PG_VERSION is
#   used as it is and the scripts never run again;
# - then postgres in the foreground (PID 1 through exec) on all addresses,
#   password (scram-sha-256) authentication for TCP clients.
set -eu

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown -R postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

user=${POSTGRES_USER:-postgres}
db=${POSTGRES_DB:-$user}
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required on the first start}"
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  initdb --username="$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 -D "$PGDATA" >/dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  init_socket=$(mktemp -d)
  pg_ctl -D "$PGDATA" -w -o "-c listen_addresses='' -c unix_socket_directories=$init_socket" start >/dev/null
  export PGHOST="$init_socket" PGUSER="$user"
  if [ "$db" != postgres ]; then
    psql -v ON_ERROR_STOP=1 --no-psqlrc --dbname postgres -c "CREATE DATABASE \"$db\"" >/dev/null
  fi
  for f in /docker-entrypoint-initdb.d/*; do
    case $f in
      *.sh)
        echo "docker-entrypoint: running $f"
        if [ -x "$f" ]; then "$f"; else . "$f"; fi
        ;;
      *.sql)
        echo "docker-entrypoint: running $f"
        psql -v ON_ERROR_STOP=1 --no-psqlrc --dbname "$db" -f "$f"
        ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  unset PGHOST PGUSER
  rmdir "$init_socket"
  echo "docker-entrypoint: initialised $PGDATA (database $db)"
fi

[ "${1:-}" = postgres ] && shift
exec postgres -c listen_addresses='*' "$@"
