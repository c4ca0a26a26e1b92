#!/usr/bin/env bash
# Usage: ensure-apt-tool.sh TOOL PACKAGE WHY
# Some tests drive Debian programs (chromium for the dashboard's browser test, ffprobe/ffmpeg for
# the video checks). Installs PACKAGE with apt-get when TOOL (a path or a command) is missing and
# we may (root, or sudo without a password); otherwise says exactly what to run.
set -euo pipefail
TOOL="$1" PACKAGE="$2" WHY="$3"
if [ -x "$TOOL" ] || command -v "$TOOL" >/dev/null 2>&1; then exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "veoq tests: $TOOL is missing and apt-get is not available; install $PACKAGE ($WHY)" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if sudo -n true 2>/dev/null; then SUDO="sudo"; else
    echo "veoq tests: $TOOL is missing; run: sudo apt-get update && sudo apt-get install -y $PACKAGE" >&2
    exit 1
  fi
fi
echo "veoq tests: installing Debian's $PACKAGE for $WHY" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$PACKAGE" >/dev/null
