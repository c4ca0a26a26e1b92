#!/usr/bin/env bash
# The metrics tests pipe /metrics through `promtool check metrics`. promtool ships in Debian's
# prometheus package; installing that package would also install (and on systemd hosts start) a
# Prometheus server, so only promtool is taken out of the .deb, into /usr/local/bin. Needs root
# or sudo without a password; otherwise says exactly what to run.
set -euo pipefail
for existing in /usr/local/bin/promtool /usr/bin/promtool; do
  [ -x "$existing" ] && exit 0
done
if ! command -v apt-get >/dev/null 2>&1; then
  echo "veoq tests: promtool is missing and apt-get is not available; put promtool (from Prometheus) at /usr/local/bin/promtool" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if sudo -n true 2>/dev/null; then SUDO="sudo"; else
    echo "veoq tests: promtool is missing; run: sudo bash infra/test/ensure-promtool.sh" >&2
    exit 1
  fi
fi
echo "veoq tests: taking promtool from Debian's prometheus package for the metrics lint test" >&2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
$SUDO apt-get update -qq
(cd "$work" && apt-get download -qq prometheus && dpkg-deb -x prometheus_*.deb extracted)
$SUDO install -m 0755 "$work/extracted/usr/bin/promtool" /usr/local/bin/promtool
