#!/usr/bin/env bash
# Make sure OpenSSH's server is installed, for the engine tests of ssh:// engines. The tests start
# their own sshd on 127.0.0.1 with their own host key and config (test/engine/sshd.ts); nothing
# here starts or configures the system's ssh service.
#
#   sshd.sh install   install openssh-server (Debian, as root) when /usr/sbin/sshd is missing
set -euo pipefail

SSHD=/usr/sbin/sshd

log() { printf 'sshd: %s\n' "$*"; }
die() { printf 'sshd: error: %s\n' "$*" >&2; exit 1; }

case "${1:-}" in
  install)
    if [[ -x "$SSHD" ]]; then
      log "present: $SSHD"
      exit 0
    fi
    [[ "$(id -u)" == 0 ]] || die "$SSHD is missing and installing it needs root: apt-get install openssh-server"
    command -v apt-get >/dev/null || die "$SSHD is missing and there is no apt-get to install openssh-server"
    log "installing openssh-server"
    # the service is not started: invoke-rc.d follows the machine's policy, and the tests start their own
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openssh-server >/dev/null; then
      apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openssh-server >/dev/null
    fi
    [[ -x "$SSHD" ]] || die "openssh-server installed but $SSHD is missing"
    log "installed: $SSHD"
    ;;
  *)
    echo "usage: scripts/sshd.sh install" >&2
    exit 2
    ;;
esac
