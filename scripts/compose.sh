#!/usr/bin/env bash
# Make sure a Compose CLI is installed, for the engine tests of src/core/compose. Compose v2
# (`docker compose`) cannot be installed here; Debian's docker-compose (v1.29.2) can.
#
#   compose.sh install   install docker-compose (Debian, as root) when neither CLI answers
set -euo pipefail
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib/apt.sh
source "$SCRIPT_DIR/lib/apt.sh"

log() { printf 'compose: %s\n' "$*"; }
die() { printf 'compose: error: %s\n' "$*" >&2; exit 1; }

case "${1:-}" in
  install)
    if docker compose version >/dev/null 2>&1; then
      log "present: docker compose ($(docker compose version --short 2>/dev/null || echo v2))"
      exit 0
    fi
    if command -v docker-compose >/dev/null; then
      log "present: $(command -v docker-compose)"
      exit 0
    fi
    log "installing docker-compose"
    apt_install "a compose CLI" docker-compose || die "no compose CLI could be installed"
    command -v docker-compose >/dev/null || die "docker-compose installed but not on PATH"
    log "installed: $(command -v docker-compose)"
    ;;
  *)
    echo "usage: scripts/compose.sh install" >&2
    exit 2
    ;;
esac
