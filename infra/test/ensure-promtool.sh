#!/usr/bin/env bash
# The metrics tests pipe /metrics through `promtool check metrics`. promtool ships in Debian's
# prometheus package; installing that package would also install (and on systemd hosts start) a
# Prometheus server, so only promtool is taken out of the .deb, into /usr/local/bin. Needs root
# or sudo without a password; otherwise says exactly what to run.
set -euo pipefail
for existing in /usr/local/bin/promtool /usr/bin/promtool; do
  [ -x "$existing" ] && exit 0
done
source "$(dirname "$0")/apt-access.sh"
apt_access "promtool" "sudo bash infra/test/ensure-promtool.sh"
echo "veoq tests: taking promtool from Debian's prometheus package for the metrics lint test" >&2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
$SUDO apt-get update -qq
(cd "$work" && apt-get download -qq prometheus && dpkg-deb -x prometheus_*.deb extracted)
$SUDO install -m 0755 "$work/extracted/usr/bin/promtool" /usr/local/bin/promtool
