#!/usr/bin/env bash
# An S3-compatible test server (s3rver 3.7.1, STACK.md) on a free loopback port with its data under $TEST_ENV_DIR.
# The npm install is cached under the repository's .tools/ (git-ignored). Exports TINYSYNC_TEST_S3_ENDPOINT and
# TINYSYNC_TEST_S3_DIR (where objects live on disk: the corruption tests overwrite one there).

s3_up() {
  local root tools
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  tools="$root/.tools/s3rver"
  if [ ! -x "$tools/node_modules/.bin/s3rver" ]; then
    command -v npm >/dev/null || { echo "test-env: npm is missing; install nodejs and npm" >&2; return 1; }
    echo "test-env: installing s3rver@3.7.1 into $tools"
    mkdir -p "$tools"
    npm install --prefix "$tools" --no-audit --no-fund --loglevel=error s3rver@3.7.1 >/dev/null \
      || { echo "test-env: FAILED to install s3rver" >&2; return 1; }
  fi
  S3_TEST_DIR="$TEST_ENV_DIR/s3"
  mkdir -p "$S3_TEST_DIR"
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$tools/node_modules/.bin/s3rver" -d "$S3_TEST_DIR" -a 127.0.0.1 -p "$port" --silent >"$TEST_ENV_DIR/s3rver.log" 2>&1 &
  S3_TEST_PID=$!
  local i
  for i in $(seq 1 100); do
    if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
      export TINYSYNC_TEST_S3_ENDPOINT="http://127.0.0.1:$port"
      export TINYSYNC_TEST_S3_DIR="$S3_TEST_DIR"
      echo "test-env: s3rver on 127.0.0.1:$port"
      return 0
    fi
    kill -0 "$S3_TEST_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "test-env: s3rver FAILED to start:" >&2
  cat "$TEST_ENV_DIR/s3rver.log" >&2
  return 1
}

s3_down() {
  [ -n "${S3_TEST_PID:-}" ] || return 0
  kill "$S3_TEST_PID" 2>/dev/null || true
  wait "$S3_TEST_PID" 2>/dev/null || true
}
