#!/usr/bin/env bash
# The dashboard's browser test drives Debian's chromium through playwright-core (no browser
# download). Installs it with apt-get when it is missing and we may (root, or sudo without a
# password); otherwise says exactly what to run.
set -euo pipefail
CHROMIUM=/usr/bin/chromium
[ -x "$CHROMIUM" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "veoq tests: $CHROMIUM is missing and apt-get is not available; install Chromium so that $CHROMIUM exists" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if sudo -n true 2>/dev/null; then SUDO="sudo"; else
    echo "veoq tests: $CHROMIUM is missing; run: sudo apt-get update && sudo apt-get install -y chromium" >&2
    exit 1
  fi
fi
echo "veoq tests: installing Debian's chromium for the dashboard's browser test" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
