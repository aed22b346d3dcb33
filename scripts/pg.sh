#!/usr/bin/env bash
# Start or stop a private PostgreSQL server for the tests and benchmarks.
#
#   scripts/pg.sh start   # prints nothing on success
#   scripts/pg.sh stop
#   scripts/pg.sh url
#
# It uses Debian's server binaries (package `postgresql`), a data directory
# under $TMPDIR (DATIVO_PG_DIR overrides) and port $DATIVO_PG_PORT (default 54329), so it never touches
# a system cluster. Running as root, the server runs as the `postgres` user.
set -euo pipefail
dir="${DATIVO_PG_DIR:-${TMPDIR:-/tmp}/dativo-pg-${DATIVO_PG_PORT:-54329}}"
port="${DATIVO_PG_PORT:-54329}"
url="postgresql://dativo@127.0.0.1:$port/dativo"

bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "PostgreSQL server binaries not found: install them with 'apt-get install postgresql'" >&2
  exit 1
fi

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_pg "$bindir/initdb" -D "$dir/data" -U dativo --auth=trust -E UTF8 >"$dir/initdb.log"
    fi
    if ! as_pg "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
      as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
        -o "-p $port -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60" start >/dev/null
    fi
    "$bindir/psql" "postgresql://dativo@127.0.0.1:$port/postgres" -qAtc \
      "SELECT 1 FROM pg_database WHERE datname='dativo'" | grep -q 1 ||
      "$bindir/createdb" -h 127.0.0.1 -p "$port" -U dativo dativo
    ;;
  stop)
    if [ -f "$dir/data/PG_VERSION" ]; then
      as_pg "$bindir/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
    fi
    ;;
  url)
    echo "$url"
    ;;
  *)
    echo "usage: $0 start|stop|url" >&2
    exit 2
    ;;
esac
