#!/usr/bin/env bash
# The simulator's video tests and the CLI's demo-manifest test read videos with ffprobe and
# ffmpeg, an independent check of what veoq saves: installs Debian's ffmpeg when it is missing.
exec bash "$(dirname "$0")/ensure-apt-tool.sh" ffprobe ffmpeg "the video checks"
