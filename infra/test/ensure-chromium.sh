#!/usr/bin/env bash
# The dashboard's browser test drives Debian's chromium through playwright-core (no browser
# download). Installs it with apt-get when it is missing and we may (root, or sudo without a
# password); otherwise says exactly what to run.
set -euo pipefail
CHROMIUM=/usr/bin/chromium
[ -x "$CHROMIUM" ] && exit 0
source "$(dirname "$0")/apt-access.sh"
apt_access "$CHROMIUM" "sudo apt-get update && sudo apt-get install -y chromium"
echo "veoq tests: installing Debian's chromium for the dashboard's browser test" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
