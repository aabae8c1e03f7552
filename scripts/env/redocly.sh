#!/usr/bin/env bash
# Redocly's CLI (npm @redocly/cli 2.77.0, STACK.md) for the OpenAPI lint test. The npm install is cached under the
# repository's .tools/ (git-ignored). Exports TINYSYNC_TEST_REDOCLY (the redocly executable).

redocly_up() {
  local root tools
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  tools="$root/.tools/redocly"
  if [ ! -x "$tools/node_modules/.bin/redocly" ]; then
    command -v npm >/dev/null || { echo "test-env: npm is missing; install nodejs and npm" >&2; return 1; }
    echo "test-env: installing @redocly/cli@2.77.0 into $tools"
    mkdir -p "$tools"
    npm install --prefix "$tools" --no-audit --no-fund --loglevel=error @redocly/cli@2.77.0 >/dev/null \
      || { echo "test-env: FAILED to install @redocly/cli" >&2; return 1; }
  fi
  export TINYSYNC_TEST_REDOCLY="$tools/node_modules/.bin/redocly"
}

redocly_down() {
  : # nothing runs between tests
}
