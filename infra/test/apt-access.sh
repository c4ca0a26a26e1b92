# Sourced by the ensure-*.sh scripts: sets SUDO to "" (root) or "sudo" (passwordless sudo) so
# they may apt-get, or prints what to run by hand and exits.
#   apt_access "<what is missing>" "<command that fixes it by hand>"
apt_access() {
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "veoq tests: $1 is missing and apt-get is not available; $2" >&2
    exit 1
  fi
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if sudo -n true 2>/dev/null; then SUDO="sudo"; else
      echo "veoq tests: $1 is missing; run: $2" >&2
      exit 1
    fi
  fi
}
