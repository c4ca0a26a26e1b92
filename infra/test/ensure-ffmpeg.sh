#!/usr/bin/env bash
# The simulator's video tests and the CLI's demo-manifest test read videos with ffprobe and
# ffmpeg, an independent check of what veoq saves. Installs Debian's ffmpeg with apt-get when it
# is missing and we may (root, or sudo without a password); otherwise says exactly what to run.
set -euo pipefail
command -v ffprobe >/dev/null 2>&1 && command -v ffmpeg >/dev/null 2>&1 && exit 0
source "$(dirname "$0")/apt-access.sh"
apt_access "ffprobe/ffmpeg" "sudo apt-get update && sudo apt-get install -y ffmpeg"
echo "veoq tests: installing Debian's ffmpeg for the video checks" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends ffmpeg >/dev/null
