#!/usr/bin/env bash
# The dashboard's browser test drives Debian's chromium through playwright-core (no browser
# download): installs it when /usr/bin/chromium is missing (see ensure-apt-tool.sh).
exec bash "$(dirname "$0")/ensure-apt-tool.sh" /usr/bin/chromium chromium "the dashboard's browser test"
