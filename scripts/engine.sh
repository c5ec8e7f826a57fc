#!/usr/bin/env bash
# Make sure a Docker Engine answers for Berth's development and tests.
#
#   engine.sh ensure   use the engine that answers, or install/start a local dockerd
#   engine.sh stop     stop the dockerd that `ensure` started (and nothing else)
#   engine.sh status   report whether an engine answers
#
# Environment:
#   DOCKER_HOST        honoured through the docker CLI, like every other tool
#   BERTH_STATE_DIR    where the PID we started and dockerd's log live
#                      (default: <repo>/.berth-state, git-ignored)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib/process.sh
source "$SCRIPT_DIR/lib/process.sh"
REPO="$(cd "$SCRIPT_DIR/.." && pwd)"
STATE_DIR="${BERTH_STATE_DIR:-$REPO/.berth-state}"
# "PID STARTTIME" of the dockerd we started; the start time guards against PID reuse.
STATE_FILE="$STATE_DIR/dockerd.pid"
LOG_FILE="$STATE_DIR/dockerd.log"
LOCK_FILE="$STATE_DIR/engine.lock"

# dockerd's defaults; we start it with them so every client finds it without configuration.
DOCKERD_PIDFILE=/var/run/docker.pid
DEFAULT_SOCK=unix:///var/run/docker.sock
# The containerd that dockerd supervises keeps its PID here.
MANAGED_CONTAINERD_PIDFILE=/var/run/docker/containerd/containerd.pid
# dockerd uses a system containerd instead when this socket exists.
SYSTEM_CONTAINERD_SOCK=/run/containerd/containerd.sock

PROBE_TIMEOUT=10   # seconds for one `docker info`; an unreachable remote host must not hang us
START_TIMEOUT=60   # seconds for a fresh dockerd to answer (usually ~2 s)
STOP_TIMEOUT=20    # seconds between SIGTERM and SIGKILL (dockerd stops its containers first)

log() { printf 'engine: %s\n' "$*"; }
die() { printf 'engine: error: %s\n' "$*" >&2; exit 1; }

usage() {
  cat >&2 <<'EOF'
usage: scripts/engine.sh ensure|stop|status
EOF
  exit 2
}

# Serialise ensure/stop: parallel test runs must not both start a dockerd.
take_lock() {
  mkdir -p "$STATE_DIR"
  exec 9>"$LOCK_FILE"
  flock -w 120 9 || die "another engine.sh holds $LOCK_FILE"
}

# The host the docker CLI talks to: DOCKER_HOST wins, then the current context.
docker_host() {
  if [[ -n "${DOCKER_HOST:-}" ]]; then
    printf '%s\n' "$DOCKER_HOST"
    return
  fi
  local host
  host="$(docker context inspect --format '{{.Endpoints.docker.Host}}' 2>/dev/null || true)"
  printf '%s\n' "${host:-$DEFAULT_SOCK}"
}

engine_answers() {
  timeout "$PROBE_TIMEOUT" docker info --format '{{.ServerVersion}}' >/dev/null 2>&1
}

# Sets ENGINE_VERSION and ENGINE_API from the server (the client is newer than Debian's
# engine, so its own API version says nothing about the engine's).
engine_versions() {
  local out
  out="$(timeout "$PROBE_TIMEOUT" docker version --format '{{.Server.Version}} {{.Server.APIVersion}}' 2>/dev/null)" \
    || die "the engine at $(docker_host) stopped answering"
  read -r ENGINE_VERSION ENGINE_API <<<"$out"
}

# Reads the state file into OUR_PID/OUR_START; returns 1 when there is none.
read_state() {
  OUR_PID=""
  OUR_START=""
  [[ -f "$STATE_FILE" ]] || return 1
  read -r OUR_PID OUR_START <"$STATE_FILE" || true
  [[ "$OUR_PID" =~ ^[0-9]+$ ]] || return 1
}

# True while PID is still the dockerd that started at START (empty START: skip that check).
is_that_dockerd() {
  pid_alive "$1" || return 1
  [[ "$(proc_name "$1")" == dockerd ]] || return 1
  [[ -z "$2" || "$(proc_starttime "$1")" == "$2" ]]
}

# True while the process recorded in the state file is still that same dockerd.
our_dockerd_alive() {
  read_state || return 1
  is_that_dockerd "$OUR_PID" "$OUR_START"
}

# A killed dockerd leaves its pidfile behind, and a new one refuses to start while that file
# names a live process. Remove the file only when nobody is behind it.
clear_stale_dockerd_pidfile() {
  [[ -f "$DOCKERD_PIDFILE" ]] || return 0
  local pid
  pid="$(tr -dc '0-9' <"$DOCKERD_PIDFILE")"
  if [[ -n "$pid" ]] && pid_alive "$pid"; then
    if [[ "$(proc_name "$pid")" == dockerd ]]; then
      # Starting another daemon here would mean a second dockerd in the host's network
      # namespace fighting over docker0 and iptables; leave that to a human.
      die "dockerd pid $pid (from $DOCKERD_PIDFILE) is running but $(docker_host) does not answer; look at it before starting another one"
    fi
    # The number was recycled by an unrelated process: the file is stale all the same.
    log "removing stale $DOCKERD_PIDFILE (pid $pid is now $(proc_name "$pid"), not dockerd)"
  else
    log "removing stale $DOCKERD_PIDFILE (pid ${pid:-?} is not running)"
  fi
  rm -f "$DOCKERD_PIDFILE"
}

# dockerd reuses "its" containerd when the pidfile names a live process; a recycled PID would
# make it wait for a containerd that is not there. A surviving real containerd is fine to reuse.
clear_stale_containerd_state() {
  if [[ -f "$MANAGED_CONTAINERD_PIDFILE" ]]; then
    local pid
    pid="$(tr -dc '0-9' <"$MANAGED_CONTAINERD_PIDFILE")"
    if [[ -z "$pid" ]] || ! pid_alive "$pid"; then
      log "removing stale $MANAGED_CONTAINERD_PIDFILE (pid ${pid:-?} is not running)"
      rm -f "$MANAGED_CONTAINERD_PIDFILE"
    elif [[ "$(proc_name "$pid")" != containerd ]]; then
      log "removing stale $MANAGED_CONTAINERD_PIDFILE (pid $pid is $(proc_name "$pid"), not containerd)"
      rm -f "$MANAGED_CONTAINERD_PIDFILE"
    fi
  fi
  # dockerd prefers a system containerd whenever its socket file exists; a socket left behind
  # by a dead containerd makes dockerd hang on connect. Only remove it if nothing listens.
  if [[ -S "$SYSTEM_CONTAINERD_SOCK" ]] && command -v ss >/dev/null 2>&1; then
    if ! ss -xlH 2>/dev/null | grep -qF "$SYSTEM_CONTAINERD_SOCK"; then
      log "removing stale $SYSTEM_CONTAINERD_SOCK (no process listens on it)"
      rm -f "$SYSTEM_CONTAINERD_SOCK"
    fi
  fi
}

install_engine() {
  command -v dockerd >/dev/null 2>&1 && return 0
  command -v apt-get >/dev/null 2>&1 || die "dockerd is missing and apt-get is not available; install Docker Engine yourself"
  log "installing docker.io (Docker Engine) with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Recommends (apparmor, needrestart, git, ...) are not needed to run the daemon.
  # The docker.io client lands in /usr/bin; a newer client earlier on PATH keeps working
  # because client and engine negotiate the API version.
  apt-get install -y -qq --no-install-recommends docker.io >/dev/null
  command -v dockerd >/dev/null 2>&1 || die "docker.io installed but dockerd is still not on PATH"
}

start_engine() {
  local host
  host="$(docker_host)"
  if [[ "$(uname -s)" != Linux ]]; then
    die "no Docker engine answers at $host; start Docker Desktop (or your engine) and retry"
  fi
  local sock=${host#unix://}
  if [[ "$(id -u)" -ne 0 && -S "$sock" && ! -w "$sock" ]]; then
    die "an engine socket exists at $sock but your user may not use it; add yourself to its group (usually: sudo usermod -aG docker \"\$USER\", then log in again) or rerun with sudo"
  fi
  if [[ "$(id -u)" -ne 0 ]]; then
    die "no Docker engine answers at $host and starting one needs root. Start it yourself (e.g. 'sudo systemctl start docker' or Docker Desktop), make sure your user may use the socket (docker group), or rerun: sudo $0 ensure"
  fi

  install_engine
  clear_stale_dockerd_pidfile
  clear_stale_containerd_state

  mkdir -p "$STATE_DIR"
  # setsid: the daemon gets its own session, so it outlives this shell and the terminal or CI
  # step that ran it, and signals sent to our process group never reach it. 9>&-: it must not
  # inherit our lock, or every later ensure/stop would wait for the daemon to exit.
  setsid dockerd </dev/null >"$LOG_FILE" 2>&1 9>&- &
  local launched=$! deadline=$((SECONDS + START_TIMEOUT)) pid=""
  while ! engine_answers; do
    if ! pid_alive "$launched"; then
      tail -n 30 "$LOG_FILE" >&2 || true
      die "dockerd exited during startup (log: $LOG_FILE)"
    fi
    if (( SECONDS >= deadline )); then
      tail -n 30 "$LOG_FILE" >&2 || true
      die "dockerd (pid $launched) did not answer within ${START_TIMEOUT}s (log: $LOG_FILE); it is still running, stop it with: kill $launched"
    fi
    sleep 0.5
  done

  # dockerd writes its own PID; prefer it over $! in case setsid had to fork.
  pid="$(tr -dc '0-9' <"$DOCKERD_PIDFILE" 2>/dev/null || true)"
  [[ -n "$pid" && "$(proc_name "$pid")" == dockerd ]] || pid="$launched"
  printf '%s %s\n' "$pid" "$(proc_starttime "$pid")" >"$STATE_FILE"

  engine_versions
  log "started Docker $ENGINE_VERSION (API $ENGINE_API) pid $pid"
}

cmd_ensure() {
  take_lock
  if engine_answers; then
    local note=""
    engine_versions
    if our_dockerd_alive; then
      note=" (started earlier by this script, pid $OUR_PID)"
    elif [[ -f "$STATE_FILE" ]]; then
      # Whatever we once started is gone; the engine that answers is someone else's.
      rm -f "$STATE_FILE"
    fi
    log "using existing Docker $ENGINE_VERSION (API $ENGINE_API) at $(docker_host)$note"
    return 0
  fi
  local host
  host="$(docker_host)"
  # We can only start an engine where the CLI will look for it: the local default socket.
  if [[ "$host" != "$DEFAULT_SOCK" && "$host" != "unix:///run/docker.sock" ]]; then
    die "no Docker engine answers at $host; start that engine, or unset DOCKER_HOST to let this script start a local one"
  fi
  # Nothing answers at the local socket, so a dockerd we started earlier is dead or wedged.
  if our_dockerd_alive; then
    die "dockerd pid $OUR_PID (started by this script) is running but does not answer; run '$0 stop' and retry (log: $LOG_FILE)"
  fi
  rm -f "$STATE_FILE"
  start_engine
}

cmd_stop() {
  take_lock
  if ! read_state; then
    log "no dockerd was started by this script (no $STATE_FILE); nothing to stop"
    rm -f "$STATE_FILE"
    return 0
  fi
  if ! our_dockerd_alive; then
    log "dockerd pid $OUR_PID that this script started is no longer running; nothing to stop"
    rm -f "$STATE_FILE"
    return 0
  fi

  local pid=$OUR_PID start=$OUR_START deadline=$((SECONDS + STOP_TIMEOUT))
  log "stopping dockerd pid $pid"
  # SIGTERM lets dockerd stop its containers and its containerd and remove its pidfile.
  kill -TERM "$pid" 2>/dev/null || true
  while is_that_dockerd "$pid" "$start"; do
    if (( SECONDS >= deadline )); then
      log "dockerd pid $pid ignored SIGTERM for ${STOP_TIMEOUT}s; sending SIGKILL"
      # Its pidfile stays behind; the next `ensure` removes it once it is stale.
      kill -KILL "$pid" 2>/dev/null || true
      sleep 1
      break
    fi
    sleep 0.5
  done
  is_that_dockerd "$pid" "$start" && die "dockerd pid $pid survived SIGKILL"
  rm -f "$STATE_FILE"
  log "stopped dockerd pid $pid"
}

cmd_status() {
  local host
  host="$(docker_host)"
  if engine_answers; then
    local note=""
    engine_versions
    if our_dockerd_alive; then
      note=" (started by this script, pid $OUR_PID)"
    fi
    log "Docker $ENGINE_VERSION (API $ENGINE_API) answers at $host$note"
  else
    log "no Docker engine answers at $host"
    return 1
  fi
}

if ! command -v docker >/dev/null 2>&1; then
  # docker.io brings the CLI along with the engine; only `ensure` may install it.
  if [[ "${1:-}" == ensure && "$(id -u)" -eq 0 && "$(uname -s)" == Linux ]]; then
    install_engine
  fi
  command -v docker >/dev/null 2>&1 || die "the docker CLI is not on PATH; install the Docker client first"
fi

case "${1:-}" in
  ensure) cmd_ensure ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) usage ;;
esac
