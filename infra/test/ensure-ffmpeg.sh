#!/usr/bin/env bash
# The simulator's video tests and the demo test check videos with ffprobe and ffmpeg, an
# independent reader of what veoq saves. Installs Debian's ffmpeg with apt-get when it is missing
# and we may (root, or sudo without a password); otherwise says exactly what to run.
set -euo pipefail
command -v ffprobe >/dev/null 2>&1 && command -v ffmpeg >/dev/null 2>&1 && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "veoq tests: ffprobe/ffmpeg are missing and apt-get is not available; install ffmpeg" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if sudo -n true 2>/dev/null; then SUDO="sudo"; else
    echo "veoq tests: ffprobe/ffmpeg are missing; run: sudo apt-get update && sudo apt-get install -y ffmpeg" >&2
    exit 1
  fi
fi
echo "veoq tests: installing Debian's ffmpeg for the video checks" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends ffmpeg >/dev/null
