#!/usr/bin/env bash
# A container registry for the engine tests: Debian's docker-registry (distribution 2.8) on
# 127.0.0.1 with htpasswd (bcrypt) basic auth, filesystem storage and deleting enabled.
#
#   registry.sh start   install docker-registry and apache2-utils when missing (Debian, as root),
#                       start the registry (idempotent: one per checkout) and write
#                       .berth-state/registry.env (REGISTRY_ADDR, REGISTRY_USER, REGISTRY_PASSWORD,
#                       REGISTRY_BIN); prints "registry: started ..." only when this call started it
#   registry.sh stop    stop the registry that `start` started (and nothing else), remove its state
#   registry.sh env     print registry.env
#   registry.sh install only install the packages (tests that start registries of their own need them)
#
# Environment: BERTH_STATE_DIR, parent of the state dir (default: <repo>/.berth-state, git-ignored).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib/process.sh
source "$SCRIPT_DIR/lib/process.sh"
# shellcheck source-path=SCRIPTDIR source=lib/apt.sh
source "$SCRIPT_DIR/lib/apt.sh"
REPO="$(cd "$SCRIPT_DIR/.." && pwd)"
STATE_PARENT="${BERTH_STATE_DIR:-$REPO/.berth-state}"
STATE_DIR="$STATE_PARENT/registry"
ENV_FILE="$STATE_PARENT/registry.env"
# "PID STARTTIME" of the registry we started; the start time guards against PID reuse
STATE_FILE="$STATE_DIR/registry.pid"
LOG_FILE="$STATE_DIR/registry.log"
CONFIG="$STATE_DIR/config.yml"
HTPASSWD_FILE="$STATE_DIR/htpasswd"
DATA="$STATE_DIR/data"
LOCK_FILE="$STATE_PARENT/.registry.lock"
BIN=/usr/bin/docker-registry
USER_NAME=berth-test
START_TIMEOUT=30

log() { printf 'registry: %s\n' "$*"; }
die() {
  printf 'registry: error: %s\n' "$*" >&2
  exit 1
}

install_packages() {
  local missing=()
  [[ -x "$BIN" ]] || missing+=(docker-registry)
  command -v htpasswd >/dev/null || missing+=(apache2-utils)
  ((${#missing[@]} == 0)) && return 0
  log "installing ${missing[*]}"
  # the package's own registry service is not started: we start our own
  apt_install "${missing[*]}" "${missing[@]}" || die "${missing[*]} could not be installed"
  [[ -x "$BIN" ]] || die "docker-registry installed but $BIN is missing"
  command -v htpasswd >/dev/null || die "apache2-utils installed but htpasswd is missing"
}

read_state() {
  OUR_PID="" OUR_START=""
  [[ -f "$STATE_FILE" ]] || return 1
  read -r OUR_PID OUR_START <"$STATE_FILE" || true
  [[ "$OUR_PID" =~ ^[0-9]+$ ]] || return 1
}

our_registry_alive() {
  read_state || return 1
  same_process "$OUR_PID" "$OUR_START" && [[ "$(proc_name "$OUR_PID")" == docker-registr* ]]
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# 401 from /v2/ without credentials: the registry is up and asks for them
answers_401() {
  [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$1/v2/" || true)" == 401 ]]
}

start() {
  install_packages
  mkdir -p "$STATE_PARENT"
  exec 9>"$LOCK_FILE"
  flock 9
  if our_registry_alive && [[ -f "$ENV_FILE" ]]; then
    # shellcheck disable=SC1090
    source "$ENV_FILE"
    if answers_401 "$REGISTRY_ADDR"; then
      log "running: $REGISTRY_ADDR (pid $OUR_PID)"
      return 0
    fi
  fi
  if our_registry_alive; then kill "$OUR_PID" 2>/dev/null || true; fi
  rm -rf "$STATE_DIR" "$ENV_FILE"
  mkdir -p "$STATE_DIR" "$DATA"
  chmod 700 "$STATE_DIR"
  local password port addr
  password="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
  htpasswd -Bbc "$HTPASSWD_FILE" "$USER_NAME" "$password" 2>/dev/null
  port="$(free_port)"
  addr="127.0.0.1:$port"
  cat >"$CONFIG" <<YAML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $DATA
  delete:
    enabled: true
http:
  addr: $addr
  secret: $(head -c 18 /dev/urandom | base64 | tr -d '/+=')
auth:
  htpasswd:
    realm: berth-test-registry
    path: $HTPASSWD_FILE
YAML
  # setsid: the registry outlives this shell and our process group's signals never reach it
  setsid "$BIN" serve "$CONFIG" </dev/null >>"$LOG_FILE" 2>&1 9>&- &
  local pid=$! deadline=$((SECONDS + START_TIMEOUT))
  until answers_401 "$addr"; do
    if ! pid_alive "$pid"; then
      tail -n 20 "$LOG_FILE" >&2 || true
      die "docker-registry exited during startup (log: $LOG_FILE)"
    fi
    if ((SECONDS >= deadline)); then
      kill "$pid" 2>/dev/null || true
      die "docker-registry (pid $pid) did not answer on $addr within ${START_TIMEOUT}s (log: $LOG_FILE)"
    fi
    sleep 0.1
  done
  printf '%s %s\n' "$pid" "$(proc_starttime "$pid")" >"$STATE_FILE"
  umask 077
  printf 'REGISTRY_ADDR=%s\nREGISTRY_USER=%s\nREGISTRY_PASSWORD=%s\nREGISTRY_BIN=%s\n' "$addr" "$USER_NAME" "$password" "$BIN" >"$ENV_FILE"
  log "started $addr (pid $pid)"
}

stop() {
  mkdir -p "$STATE_PARENT"
  exec 9>"$LOCK_FILE"
  flock 9
  if our_registry_alive; then
    kill "$OUR_PID" 2>/dev/null || true
    local deadline=$((SECONDS + 10))
    while pid_alive "$OUR_PID" && ((SECONDS < deadline)); do sleep 0.1; done
    pid_alive "$OUR_PID" && kill -9 "$OUR_PID" 2>/dev/null
    log "stopped (pid $OUR_PID)"
  else
    log "not running"
  fi
  rm -rf "$STATE_DIR" "$ENV_FILE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  install) install_packages ;;
  env)
    [[ -f "$ENV_FILE" ]] || die "not started: run scripts/registry.sh start"
    cat "$ENV_FILE"
    ;;
  *)
    echo 'usage: scripts/registry.sh start|stop|env|install' >&2
    exit 2
    ;;
esac
