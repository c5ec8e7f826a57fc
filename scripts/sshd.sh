#!/usr/bin/env bash
# Make sure OpenSSH's server is installed, for the engine tests of ssh:// engines. The tests start
# their own sshd on 127.0.0.1 with their own host key and config (test/engine/sshd.ts); nothing
# here starts or configures the system's ssh service.
#
#   sshd.sh install   install openssh-server (Debian, as root) when /usr/sbin/sshd is missing
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib/apt.sh
source "$SCRIPT_DIR/lib/apt.sh"

SSHD=/usr/sbin/sshd

log() { printf 'sshd: %s\n' "$*"; }
die() { printf 'sshd: error: %s\n' "$*" >&2; exit 1; }

case "${1:-}" in
  install)
    if [[ -x "$SSHD" ]]; then
      log "present: $SSHD"
      exit 0
    fi
    log "installing openssh-server"
    # the system's ssh service is not started: the tests start their own
    apt_install "$SSHD" openssh-server || die "openssh-server could not be installed"
    [[ -x "$SSHD" ]] || die "openssh-server installed but $SSHD is missing"
    log "installed: $SSHD"
    ;;
  *)
    echo "usage: scripts/sshd.sh install" >&2
    exit 2
    ;;
esac
