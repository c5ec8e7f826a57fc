#!/usr/bin/env bash
# A second Docker Engine that the fault tests may break: crash it, stop it, fill its disk.
#
#   fault-engine.sh start    start it (idempotent) and load the busybox test image into it;
#                            prints "fault-engine: started ..." only when this call started it
#   fault-engine.sh stop     stop the engine that `start` started (and nothing else), remove its state
#   fault-engine.sh env      print DOCKER_HOST=unix://... for the running engine
#   fault-engine.sh kill     SIGKILL its dockerd (a crash); containers, data and namespace stay
#   fault-engine.sh term     SIGTERM its dockerd and wait until it has exited (a graceful stop)
#   fault-engine.sh revive   start dockerd again on the same data root after `kill` or `term`
#
# The engine runs in its own persistent network namespace (bound to a file, so a revived dockerd
# finds the same one; its bridge and iptables rules never touch the host's), with its own exec
# root, pidfile, socket, containerd and cgroup parent. Its data root is a small tmpfs (default
# 160 MiB), so a test can fill it. Live restore is off: a crash of dockerd takes the containers
# down with it, and those with a restart policy come back when it is revived.
#
# Environment:
#   BERTH_STATE_DIR        parent of the state dir (default: <repo>/.berth-state, git-ignored)
#   BERTH_BUSYBOX_IMAGE    image copied from the main engine (default: berth-busybox:latest)
#   BERTH_FAULT_DATA_SIZE  size of the tmpfs data root (default: 160m)
#   BERTH_ENGINE_TLS_DIR   a folder with ca.pem, server.pem and server-key.pem: dockerd also
#                          listens on tcp://127.0.0.1:2376 in its namespace with --tlsverify
#                          (`env` then names the namespace, for a relay into it)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib/process.sh
source "$SCRIPT_DIR/lib/process.sh"
# shellcheck source-path=SCRIPTDIR source=lib/second-engine.sh
source "$SCRIPT_DIR/lib/second-engine.sh"
REPO="$(cd "$SCRIPT_DIR/.." && pwd)"
STATE_DIR="${BERTH_STATE_DIR:-$REPO/.berth-state}/fault-engine"
# "PID STARTTIME" of the dockerd we started last; the start time guards against PID reuse.
STATE_FILE="$STATE_DIR/dockerd.pid"
SOCK_FILE="$STATE_DIR/socket"
LOG_FILE="$STATE_DIR/dockerd.log"
DATA_ROOT="$STATE_DIR/data"
LOCK_FILE="$STATE_DIR/.lock"
DATA_SIZE="${BERTH_FAULT_DATA_SIZE:-160m}"
TLS_DIR="${BERTH_ENGINE_TLS_DIR:-}"
# Unix socket paths are limited to 108 bytes, and containerd puts its sockets under the exec
# root: keep those short, in /run, keyed by the state dir so two checkouts do not collide.
KEY="$(printf '%s' "$STATE_DIR" | md5sum | cut -c1-8)"
RUN_DIR="/run/berth-fault-engine-$KEY"
NETNS="$RUN_DIR/netns"
# Every container of this engine lives in this cgroup subtree, which tells them apart from the
# main engine's even when their shim is gone.
CGROUP_PARENT="/berth-fault-engine-$KEY"
EXEC_ROOT="$RUN_DIR/exec"
PIDFILE="$RUN_DIR/dockerd.pid"
CONTAINERD_PIDFILE="$EXEC_ROOT/containerd/containerd.pid"
SOCK="$RUN_DIR/docker.sock"
IMAGE="${BERTH_BUSYBOX_IMAGE:-berth-busybox:latest}"

START_TIMEOUT=90 # seconds for the engine to answer (usually ~2 s; a revive restores containers first)
STOP_TIMEOUT=20  # seconds between SIGTERM and SIGKILL
PROBE_TIMEOUT=10 # seconds for one `docker info`

log() { printf 'fault-engine: %s\n' "$*"; }
die() {
  printf 'fault-engine: error: %s\n' "$*" >&2
  exit 1
}

usage() {
  echo 'usage: scripts/fault-engine.sh start|stop|env|kill|term|revive' >&2
  exit 2
}

# The namespace bound to $NETNS ("net:[N]"), or nothing.
our_netns() {
  is_mountpoint "$NETNS" || return 0
  local inode
  inode="$(stat -L -c %i "$NETNS" 2>/dev/null)" || return 0
  if [[ "net:[$inode]" != "$(netns_of $$)" ]]; then printf 'net:[%s]\n' "$inode"; fi
}

# Reads the state file into OUR_PID and OUR_START; returns 1 when there is none.
read_state() {
  OUR_PID="" OUR_START=""
  [[ -f "$STATE_FILE" ]] || return 1
  read -r OUR_PID OUR_START <"$STATE_FILE" || true
  [[ "$OUR_PID" =~ ^[0-9]+$ ]] || return 1
}

# True while PID is still the dockerd we started: same name, start time and network namespace.
is_that_dockerd() {
  pid_alive "$1" || return 1
  [[ "$(proc_name "$1")" == dockerd ]] || return 1
  [[ "$(proc_starttime "$1")" == "$2" ]] || return 1
  local ns
  ns="$(our_netns)"
  [[ -n "$ns" && "$(netns_of "$1")" == "$ns" ]]
}

our_dockerd_alive() {
  read_state || return 1
  is_that_dockerd "$OUR_PID" "$OUR_START"
}

# The namespace and the tmpfs data root, made once per engine (a revive reuses them).
prepare() {
  mkdir -p "$STATE_DIR" "$DATA_ROOT" "$RUN_DIR"
  if ! is_mountpoint "$NETNS"; then
    : >"$NETNS"
    # a fresh network namespace with only a loopback device, kept alive by the bind mount
    unshare --net="$NETNS" ip link set lo up || die "could not create a network namespace at $NETNS"
  fi
  if ! is_mountpoint "$DATA_ROOT"; then
    mount -t tmpfs -o "size=$DATA_SIZE,mode=0710" berth-fault-data "$DATA_ROOT" || die "could not mount a tmpfs on $DATA_ROOT"
  fi
}

# The containerd that dockerd started (it dies with dockerd), if it is still alive.
our_containerd() {
  local pid
  [[ -f "$CONTAINERD_PIDFILE" ]] || return 0
  pid="$(tr -dc '0-9' <"$CONTAINERD_PIDFILE")" || return 0
  if pid_alive "$pid" && [[ "$(proc_name "$pid")" == containerd ]]; then printf '%s\n' "$pid"; fi
}

launch_dockerd() {
  # dockerd takes a containerd.pid naming any process (even a zombie not yet reaped) for a running
  # containerd and waits for its socket: remove it once that containerd is gone.
  [[ -e "$CONTAINERD_PIDFILE" && -z "$(our_containerd)" ]] && rm -f "$CONTAINERD_PIDFILE"
  [[ -e "$PIDFILE" ]] && ! pid_alive "$(tr -dc '0-9' <"$PIDFILE")" && rm -f "$PIDFILE"
  [[ -e "$PIDFILE" ]] && die "$PIDFILE names a live process that this script did not record; look at it first"
  rm -f "$SOCK"
  printf 'unix://%s\n' "$SOCK" >"$SOCK_FILE"
  local tls=()
  if [[ -n "$TLS_DIR" ]]; then
    for f in ca.pem server.pem server-key.pem; do [[ -f "$TLS_DIR/$f" ]] || die "BERTH_ENGINE_TLS_DIR has no $f"; done
    tls=(-H tcp://127.0.0.1:2376 --tlsverify --tlscacert "$TLS_DIR/ca.pem" --tlscert "$TLS_DIR/server.pem" --tlskey "$TLS_DIR/server-key.pem")
  fi
  # setsid: the daemon outlives this shell and our process group's signals never reach it.
  # nsenter execs dockerd in our namespace. 9>&-: it must not inherit our lock. The containerd
  # namespaces keep this daemon apart from the main one even if both ever share a containerd.
  setsid nsenter --net="$NETNS" \
    dockerd --data-root "$DATA_ROOT" --exec-root "$EXEC_ROOT" --pidfile "$PIDFILE" -H "unix://$SOCK" \
    --containerd-namespace berth-fault --containerd-plugins-namespace berth-fault-plugins \
    --shutdown-timeout 3 --cgroup-parent "$CGROUP_PARENT" "${tls[@]}" </dev/null >>"$LOG_FILE" 2>&1 9>&- &
  local launched=$! deadline=$((SECONDS + START_TIMEOUT)) pid=""
  while ! engine_answers; do
    if ! pid_alive "$launched"; then
      tail -n 30 "$LOG_FILE" >&2 || true
      die "dockerd exited during startup (log: $LOG_FILE)"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 30 "$LOG_FILE" >&2 || true
      die "dockerd (pid $launched) did not answer within ${START_TIMEOUT}s (log: $LOG_FILE); stop it with: $0 stop"
    fi
    sleep 0.1
  done
  # nsenter execs into dockerd, so $! is dockerd; its pidfile says so too.
  pid="$(tr -dc '0-9' <"$PIDFILE" 2>/dev/null || true)"
  [[ -n "$pid" && "$(proc_name "$pid")" == dockerd ]] || pid="$launched"
  [[ "$(netns_of "$pid")" == "$(our_netns)" ]] || die "dockerd pid $pid is not in $NETNS; stop it with: $0 stop"
  printf '%s %s\n' "$pid" "$(proc_starttime "$pid")" >"$STATE_FILE"
}

check_tools() {
  [[ "$(id -u)" -eq 0 ]] || die "starting a second dockerd needs root"
  command -v dockerd >/dev/null 2>&1 || die "dockerd is not installed (scripts/engine.sh ensure installs it)"
  if ! command -v unshare >/dev/null 2>&1 || ! command -v nsenter >/dev/null 2>&1; then die "unshare and nsenter (util-linux) are needed"; fi
}

cmd_start() {
  take_lock
  if our_dockerd_alive && engine_answers; then
    log "already running: dockerd pid $OUR_PID at unix://$SOCK"
  else
    if our_dockerd_alive; then
      die "dockerd pid $OUR_PID (started by this script) is running but does not answer; run '$0 stop' and retry (log: $LOG_FILE)"
    fi
    check_tools
    if [[ -f "$STATE_FILE" || -d "$RUN_DIR" || -d "$DATA_ROOT" ]]; then
      log "cleaning up after an earlier fault engine"
      stop_all
    fi
    prepare
    : >"$LOG_FILE"
    launch_dockerd
    log "started dockerd pid $(cut -d' ' -f1 "$STATE_FILE") in $(our_netns) at unix://$SOCK (data root: tmpfs $DATA_SIZE)"
  fi
  load_image
}

cmd_revive() {
  take_lock
  if our_dockerd_alive && engine_answers; then
    log "already running: dockerd pid $OUR_PID at unix://$SOCK"
    return 0
  fi
  our_dockerd_alive && die "dockerd pid $OUR_PID is running but does not answer"
  if ! is_mountpoint "$NETNS" || ! is_mountpoint "$DATA_ROOT"; then die "no fault engine to revive (start it with: $0 start)"; fi
  check_tools
  launch_dockerd
  log "revived: dockerd pid $(cut -d' ' -f1 "$STATE_FILE") at unix://$SOCK"
}

# Send a signal to the dockerd we started (and to nothing else).
signal_dockerd() {
  local sig=$1
  our_dockerd_alive || die "the fault engine's dockerd is not running"
  log "SIG$sig to dockerd pid $OUR_PID"
  kill "-$sig" "$OUR_PID"
}

# Wait until the dockerd we started, and the containerd it started, have exited. Its pid and start
# time are enough to know it: while it exits, its namespace may already be unreadable, and a
# revive must not find it still there (its pidfile would name a live process).
wait_dockerd_gone() {
  local deadline=$((SECONDS + STOP_TIMEOUT))
  while same_process "$OUR_PID" "$OUR_START" || [[ -n "$(our_containerd)" ]]; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

cmd_kill() {
  take_lock
  signal_dockerd KILL
  wait_dockerd_gone || die "dockerd pid $OUR_PID survived SIGKILL"
}

cmd_term() {
  take_lock
  signal_dockerd TERM
  wait_dockerd_gone || die "dockerd pid $OUR_PID did not exit within ${STOP_TIMEOUT}s of SIGTERM"
}

stop_dockerd() {
  local pid=$OUR_PID
  log "stopping dockerd pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_dockerd_gone; then
    log "dockerd pid $pid ignored SIGTERM for ${STOP_TIMEOUT}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 1
  fi
  if is_that_dockerd "$pid" "$OUR_START"; then die "dockerd pid $pid survived SIGKILL"; fi
}

remove_state() {
  local left
  left="$(mounts_under "$DATA_ROOT" "$RUN_DIR")"
  if [[ -n "$left" ]]; then
    while read -r mp; do
      umount "$mp" 2>/dev/null || umount -l "$mp" 2>/dev/null || true
    done <<<"$left"
    left="$(mounts_under "$DATA_ROOT" "$RUN_DIR")"
    [[ -z "$left" ]] || die "still mounted, state kept: $left"
  fi
  # --one-file-system: never descend into anything mounted below, should one appear.
  rm -rf --one-file-system "$DATA_ROOT" "$RUN_DIR"
  rm -f "$STATE_FILE" "$SOCK_FILE" "$LOG_FILE"
}

# Stop our dockerd and everything left in its namespace and cgroups, unmount, remove the state.
stop_all() {
  read_state || true
  local ns
  ns="$(our_netns)"
  if our_dockerd_alive; then
    stop_dockerd
  elif [[ -n "$OUR_PID" ]]; then
    log "dockerd pid $OUR_PID that this script started is no longer running"
  else
    log "no fault engine was started by this script"
  fi
  reap_containers
  # The bind mount keeps the namespace (and its inode number) ours until it is unmounted below,
  # so no unrelated namespace can take its number while we look for what is left in it.
  [[ -n "$ns" ]] && reap_netns "$ns"
  remove_cgroups
  remove_state
  log "stopped; state removed"
}

cmd_stop() {
  take_lock
  stop_all
}

cmd_env() {
  if our_dockerd_alive && engine_answers; then
    printf 'DOCKER_HOST=unix://%s\n' "$SOCK"
    printf 'BERTH_ENGINE_NETNS=%s\n' "$NETNS"
  else
    die "the fault engine is not running (start it with: $0 start)"
  fi
}

command -v docker >/dev/null 2>&1 || die "the docker CLI is not on PATH"

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  env) cmd_env ;;
  kill) cmd_kill ;;
  term) cmd_term ;;
  revive) cmd_revive ;;
  *) usage ;;
esac
