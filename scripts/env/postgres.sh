#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for the tests (STACK.md recipe): initdb into $TEST_ENV_DIR/postgres, fsync off,
# loopback only, a free port, trust auth. Exports TINYSYNC_TEST_PG (Npgsql connection string to database "tinysync";
# tests create their own databases beside it) and TINYSYNC_TEST_PG_CTL (how tests restart the server under load).

postgres_up() {
  local pgbin=/usr/lib/postgresql/15/bin
  if [ ! -x "$pgbin/initdb" ]; then
    echo "test-env: installing postgresql (no $pgbin)"
    apt-get install -y postgresql >/dev/null || { echo "test-env: FAILED to install postgresql" >&2; return 1; }
  fi
  PG_TEST_DIR="$TEST_ENV_DIR/postgres"
  PG_TEST_BIN="$pgbin"
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  chmod o+x "$TEST_ENV_DIR" # mktemp makes it 0700 root: the postgres user must traverse it
  install -d -o postgres -g postgres -m 700 "$PG_TEST_DIR" "$PG_TEST_DIR/data" "$PG_TEST_DIR/run"
  PG_TEST_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  runuser -u postgres -- "$pgbin/initdb" -D "$PG_TEST_DIR/data" -U postgres --auth=trust -E UTF8 --no-locale --no-sync >"$PG_TEST_DIR/initdb.log" 2>&1 \
    || { echo "test-env: initdb FAILED:" >&2; cat "$PG_TEST_DIR/initdb.log" >&2; return 1; }
  # the options live in postgresql.conf so a restart (pg_ctl restart, in the fault tests) keeps them
  cat >>"$PG_TEST_DIR/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_TEST_PORT
unix_socket_directories = '$PG_TEST_DIR/run'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 300
CONF
  chown postgres:postgres "$PG_TEST_DIR/data/postgresql.conf"
  runuser -u postgres -- "$pgbin/pg_ctl" -D "$PG_TEST_DIR/data" -l "$PG_TEST_DIR/server.log" -w -t 30 start >/dev/null \
    || { echo "test-env: PostgreSQL FAILED to start:" >&2; cat "$PG_TEST_DIR/server.log" >&2; return 1; }
  "$pgbin/psql" -h 127.0.0.1 -p "$PG_TEST_PORT" -U postgres -qc 'CREATE DATABASE tinysync' \
    || { echo "test-env: could not create database tinysync" >&2; return 1; }
  export TINYSYNC_TEST_PG="Host=127.0.0.1;Port=$PG_TEST_PORT;Username=postgres;Database=tinysync"
  export TINYSYNC_TEST_PG_CTL="runuser -u postgres -- $pgbin/pg_ctl -D $PG_TEST_DIR/data -w -t 30"
  echo "test-env: PostgreSQL on 127.0.0.1:$PG_TEST_PORT"
}

postgres_down() {
  [ -n "${PG_TEST_DIR:-}" ] && [ -d "$PG_TEST_DIR/data" ] || return 0
  runuser -u postgres -- "$PG_TEST_BIN/pg_ctl" -D "$PG_TEST_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
}
