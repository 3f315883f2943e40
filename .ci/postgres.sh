#!/usr/bin/env bash
# A throwaway PostgreSQL server for the KPI ledger tests, on a loopback port.
#   bash .ci/postgres.sh        installs PostgreSQL (Debian) if missing, starts it, creates the
#                               database, and prints its SQLAlchemy URL on stdout (logs: stderr)
#   bash .ci/postgres.sh stop   stops it
set -euo pipefail
PORT="${SIMS_PG_PORT:-54329}"
DIR="${SIMS_PG_DIR:-/tmp/sims-postgres}"
DB=sims_test
URL="postgresql+psycopg://sims@127.0.0.1:${PORT}/${DB}"

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

# PostgreSQL will not run as root: as root, run it as the package's `postgres` user.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ "${1:-start}" = stop ]; then
  BIN="$(find_bin)"
  if [ -n "$BIN" ] && [ -f "$DIR/data/postmaster.pid" ]; then
    as_owner "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >&2 || true
  fi
  exit 0
fi

if [ -z "$(find_bin)" ] || [ ! -x "$(find_bin)/initdb" ]; then
  echo "postgres.sh: installing PostgreSQL (Debian packages)" >&2
  apt-get update >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql >&2
fi
BIN="$(find_bin)"

if as_owner "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" 2>/dev/null; then
  as_owner "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >&2 || true
fi
rm -rf "$DIR"
mkdir -p "$DIR"
if [ "$(id -u)" = 0 ]; then chown postgres: "$DIR"; fi
as_owner "$BIN/initdb" -D "$DIR/data" -U sims --auth=trust -E UTF8 --no-instructions >&2
as_owner "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
  -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off" start >&2
as_owner "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U sims "$DB" >&2
echo "postgres.sh: PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT" >&2
echo "$URL"
