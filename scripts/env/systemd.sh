#!/usr/bin/env bash
# systemd-analyze (Debian package systemd) for the test that verifies the units under deploy/. Only the analyzer is
# used: nothing is started or installed as a service. Exports TINYSYNC_TEST_SYSTEMD_ANALYZE.

systemd_up() {
  if ! command -v systemd-analyze >/dev/null; then
    echo "test-env: installing Debian's systemd (for systemd-analyze)"
    if ! apt-get install -y systemd >/dev/null 2>&1; then
      apt-get update >/dev/null && apt-get install -y systemd >/dev/null
    fi
  fi
  command -v systemd-analyze >/dev/null || { echo "test-env: systemd-analyze is not available" >&2; return 1; }
  export TINYSYNC_TEST_SYSTEMD_ANALYZE="$(command -v systemd-analyze)"
}

systemd_down() {
  :
}
