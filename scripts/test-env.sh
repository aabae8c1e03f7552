#!/usr/bin/env bash
# Services the test suite needs, installed and started from the registries reachable here, stopped afterwards.
# Sourced by test.sh. Each scripts/env/NAME.sh defines NAME_up and NAME_down; NAME_up exports the variables the
# tests read (e.g. TINYSYNC_TEST_PG). A service that cannot start fails the run: no test is silently skipped.

TEST_ENV_DIR="${TEST_ENV_DIR:-$(mktemp -d -t tinysync-test-env-XXXXXX)}"
export TEST_ENV_DIR
_test_env_started=()

for _f in "$(dirname "${BASH_SOURCE[0]}")"/env/*.sh; do
  [ -e "$_f" ] || continue
  # shellcheck source=/dev/null
  source "$_f"
done

test_env_up() {
  local f name
  for f in "$(dirname "${BASH_SOURCE[0]}")"/env/*.sh; do
    [ -e "$f" ] || continue
    name=$(basename "$f" .sh)
    echo "test-env: starting $name"
    "${name}_up"
    _test_env_started+=("$name")
  done
}

test_env_down() {
  local i
  for (( i=${#_test_env_started[@]}-1; i>=0; i-- )); do
    "${_test_env_started[$i]}_down" || true
  done
  rm -rf "$TEST_ENV_DIR"
}
