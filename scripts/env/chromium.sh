# Headless Chromium for the Playwright page tests (tests/PlatformService.Tests). Debian's package, never a
# `playwright install` download. Sourced by scripts/test-env.sh; defines chromium_up and chromium_down.

chromium_up() {
  if [ ! -x /usr/bin/chromium ]; then
    echo "test-env: installing Debian's chromium"
    if ! apt-get install -y chromium >/dev/null 2>&1; then
      apt-get update >/dev/null && apt-get install -y chromium >/dev/null
    fi
  fi
  [ -x /usr/bin/chromium ] || { echo "test-env: chromium is not available at /usr/bin/chromium" >&2; return 1; }
  export TINYSYNC_TEST_CHROMIUM=/usr/bin/chromium
}

chromium_down() {
  : # nothing runs between tests: each test launches and closes its own browser
}
