#!/usr/bin/env bash
# A second Docker Engine for GPU tests on machines without a GPU.
#
#   gpu-engine.sh start   start it (idempotent) and load the busybox test image into it
#   gpu-engine.sh stop    stop the dockerd that `start` started (and nothing else), remove its state
#   gpu-engine.sh env     print DOCKER_HOST=unix://... for the running GPU engine
#
# The engine runs in its own network namespace (its bridge and iptables rules never touch the
# host's), with its own data root, exec root, pidfile, socket and containerd. A fake
# `nvidia-container-runtime-hook` on its PATH makes Engine 20.10 register the "nvidia" device
# driver, so `--gpus` / HostConfig.DeviceRequests are accepted; the hook writes /berth-gpu-marker
# into each GPU container's root filesystem (its argv and the NVIDIA_* variables the engine put
# into the container's environment), which proves end to end that the request reached the engine.
# `--add-runtime nvidia=runc` makes an "nvidia" runtime appear in the engine's info.
#
# Environment:
#   BERTH_STATE_DIR       parent of the state dir (default: <repo>/.berth-state, git-ignored)
#   BERTH_BUSYBOX_IMAGE   image copied from the main engine (default: berth-busybox:latest)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib/process.sh
source "$SCRIPT_DIR/lib/process.sh"
# shellcheck source-path=SCRIPTDIR source=lib/second-engine.sh
source "$SCRIPT_DIR/lib/second-engine.sh"
REPO="$(cd "$SCRIPT_DIR/.." && pwd)"
STATE_DIR="${BERTH_STATE_DIR:-$REPO/.berth-state}/gpu-engine"
# "PID STARTTIME NETNS" of the dockerd we started; the start time guards against PID reuse.
STATE_FILE="$STATE_DIR/dockerd.pid"
SOCK_FILE="$STATE_DIR/socket"
LOG_FILE="$STATE_DIR/dockerd.log"
HOOK_LOG="$STATE_DIR/hook.log"
HOOK_DIR="$STATE_DIR/bin"
DATA_ROOT="$STATE_DIR/data"
LOCK_FILE="$STATE_DIR/.lock"
# Unix socket paths are limited to 108 bytes, and containerd puts its sockets under the exec
# root: keep those short, in /run, keyed by the state dir so two checkouts do not collide.
KEY="$(printf '%s' "$STATE_DIR" | md5sum | cut -c1-8)"
RUN_DIR="/run/berth-gpu-engine-$KEY"
# Every container of this engine lives in this cgroup subtree, which tells them apart from the
# main engine's even when their shim is gone.
CGROUP_PARENT="/berth-gpu-engine-$KEY"
EXEC_ROOT="$RUN_DIR/exec"
PIDFILE="$RUN_DIR/dockerd.pid"
SOCK="$RUN_DIR/docker.sock"
IMAGE="${BERTH_BUSYBOX_IMAGE:-berth-busybox:latest}"
MARKER=/berth-gpu-marker

START_TIMEOUT=60 # seconds for the engine to answer (usually ~2 s)
STOP_TIMEOUT=20  # seconds between SIGTERM and SIGKILL
PROBE_TIMEOUT=10 # seconds for one `docker info`

log() { printf 'gpu-engine: %s\n' "$*"; }
die() {
  printf 'gpu-engine: error: %s\n' "$*" >&2
  exit 1
}

usage() {
  echo 'usage: scripts/gpu-engine.sh start|stop|env' >&2
  exit 2
}

# Reads the state file into OUR_PID, OUR_START and OUR_NETNS; returns 1 when there is none.
read_state() {
  OUR_PID="" OUR_START="" OUR_NETNS=""
  [[ -f "$STATE_FILE" ]] || return 1
  read -r OUR_PID OUR_START OUR_NETNS <"$STATE_FILE" || true
  [[ "$OUR_PID" =~ ^[0-9]+$ ]] || return 1
}

# True while PID is still the dockerd we started: same name, start time and network namespace.
is_that_dockerd() {
  pid_alive "$1" || return 1
  [[ "$(proc_name "$1")" == dockerd ]] || return 1
  [[ "$(proc_starttime "$1")" == "$2" ]] || return 1
  [[ -z "$3" || "$(netns_of "$1")" == "$3" ]]
}

our_dockerd_alive() {
  read_state || return 1
  is_that_dockerd "$OUR_PID" "$OUR_START" "$OUR_NETNS"
}

write_hook() {
  mkdir -p "$HOOK_DIR"
  local hook="$HOOK_DIR/nvidia-container-runtime-hook"
  cat >"$hook" <<EOF
#!/bin/sh
# Fake NVIDIA prestart hook for Berth's GPU tests: no driver, no devices. runc passes the OCI
# state (with the bundle path) on stdin; write a marker into the container's root filesystem.
set -eu
state=\$(cat)
bundle=\$(printf '%s' "\$state" | sed -n 's/.*"bundle"[[:space:]]*:[[:space:]]*"\\([^"]*\\)".*/\\1/p')
config="\$bundle/config.json"
root=\$(sed -n 's/.*"root"[[:space:]]*:[[:space:]]*{[[:space:]]*"path"[[:space:]]*:[[:space:]]*"\\([^"]*\\)".*/\\1/p' "\$config")
case \$root in /*) ;; *) root="\$bundle/\$root" ;; esac
env_of() {
  grep -o "\\"\$1=[^\\"]*\\"" "\$config" | head -n 1 | sed "s/^\\"\$1=//; s/\\"\\\$//" || true
}
{
  printf 'hook=%s\n' "\$*"
  printf 'NVIDIA_VISIBLE_DEVICES=%s\n' "\$(env_of NVIDIA_VISIBLE_DEVICES)"
  printf 'NVIDIA_DRIVER_CAPABILITIES=%s\n' "\$(env_of NVIDIA_DRIVER_CAPABILITIES)"
} >"\$root$MARKER"
printf '%s %s bundle=%s\n' "\$(date -u +%FT%TZ)" "\$*" "\$bundle" >>"$HOOK_LOG"
EOF
  chmod 755 "$hook"
}

start_engine() {
  [[ "$(id -u)" -eq 0 ]] || die "starting a second dockerd needs root"
  command -v dockerd >/dev/null 2>&1 || die "dockerd is not installed (scripts/engine.sh ensure installs it)"
  command -v unshare >/dev/null 2>&1 || die "unshare (util-linux) is not installed"
  local runc
  runc="$(command -v runc)" || die "runc is not on PATH"
  [[ -e "$PIDFILE" ]] && ! pid_alive "$(tr -dc '0-9' <"$PIDFILE")" && rm -f "$PIDFILE"
  [[ -e "$PIDFILE" ]] && die "$PIDFILE names a live process that this script did not record; look at it first"
  rm -f "$SOCK"
  mkdir -p "$STATE_DIR" "$DATA_ROOT" "$RUN_DIR"
  write_hook
  printf 'unix://%s\n' "$SOCK" >"$SOCK_FILE"

  # unshare --net: a fresh network namespace with only a loopback device; dockerd's bridge,
  # veths and iptables rules live there and die with it. setsid: the daemon outlives this shell
  # and our process group's signals never reach it. 9>&-: it must not inherit our lock.
  # The containerd namespaces keep this daemon apart from the main one even if both ever share
  # a system containerd.
  # shellcheck disable=SC2016  # $PATH is expanded by the inner sh, in the new namespace
  setsid unshare --net sh -c 'ip link set lo up && exec env PATH="$0:$PATH" "$@"' "$HOOK_DIR" \
    dockerd --data-root "$DATA_ROOT" --exec-root "$EXEC_ROOT" --pidfile "$PIDFILE" -H "unix://$SOCK" \
    --containerd-namespace berth-gpu --containerd-plugins-namespace berth-gpu-plugins \
    --add-runtime "nvidia=$runc" --shutdown-timeout 3 \
    --cgroup-parent "$CGROUP_PARENT" </dev/null >"$LOG_FILE" 2>&1 9>&- &
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
    sleep 0.3
  done
  # unshare and sh exec into dockerd, so $! is dockerd; its pidfile says so too.
  pid="$(tr -dc '0-9' <"$PIDFILE" 2>/dev/null || true)"
  [[ -n "$pid" && "$(proc_name "$pid")" == dockerd ]] || pid="$launched"
  local ns
  ns="$(netns_of "$pid")"
  [[ "$ns" != "$(netns_of $$)" ]] || die "dockerd pid $pid runs in the host's network namespace; stop it with: $0 stop"
  printf '%s %s %s\n' "$pid" "$(proc_starttime "$pid")" "$ns" >"$STATE_FILE"
  log "started dockerd pid $pid in network namespace $ns at unix://$SOCK"
}

cmd_start() {
  take_lock
  if our_dockerd_alive && engine_answers; then
    log "already running: dockerd pid $OUR_PID at unix://$SOCK"
  else
    if our_dockerd_alive; then
      die "dockerd pid $OUR_PID (started by this script) is running but does not answer; run '$0 stop' and retry (log: $LOG_FILE)"
    fi
    if [[ -f "$STATE_FILE" || -d "$RUN_DIR" || -d "$DATA_ROOT" ]]; then
      log "cleaning up after an earlier GPU engine"
      stop_all
    fi
    start_engine
  fi
  load_image
}

remove_state() {
  local left
  left="$(mounts_under "$DATA_ROOT" "$RUN_DIR")"
  if [[ -n "$left" ]]; then
    log "unmounting what the engine left mounted: $(printf '%s ' "$left")"
    while read -r mp; do
      umount "$mp" 2>/dev/null || umount -l "$mp" 2>/dev/null || true
    done <<<"$left"
    left="$(mounts_under "$DATA_ROOT" "$RUN_DIR")"
    [[ -z "$left" ]] || die "still mounted, state kept: $left"
  fi
  # --one-file-system: never descend into anything mounted below, should one appear.
  rm -rf --one-file-system "$DATA_ROOT" "$RUN_DIR" "$HOOK_DIR"
  rm -f "$STATE_FILE" "$SOCK_FILE" "$HOOK_LOG" "$LOG_FILE"
}

# A live process that is certainly this engine's: the dockerd we recorded, else (when that
# dockerd died) a containerd or shim serving our exec root. Prints nothing when there is none.
anchor_pid() {
  if our_dockerd_alive; then
    printf '%s\n' "$OUR_PID"
    return 0
  fi
  local dir pid cmd
  for dir in /proc/[0-9]*; do
    pid=${dir#/proc/}
    [[ "$(proc_name "$pid")" == containerd* ]] || continue
    cmd="$(tr '\0' ' ' <"$dir/cmdline" 2>/dev/null)" || continue
    if [[ "$cmd" == *" $EXEC_ROOT/containerd/"* ]] && pid_alive "$pid"; then
      printf '%s\n' "$pid"
      return 0
    fi
  done
}

stop_dockerd() {
  local pid=$OUR_PID deadline=$((SECONDS + STOP_TIMEOUT))
  log "stopping dockerd pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  while is_that_dockerd "$pid" "$OUR_START" "$OUR_NETNS"; do
    if ((SECONDS >= deadline)); then
      log "dockerd pid $pid ignored SIGTERM for ${STOP_TIMEOUT}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 1
      break
    fi
    sleep 0.3
  done
  if is_that_dockerd "$pid" "$OUR_START" "$OUR_NETNS"; then die "dockerd pid $pid survived SIGKILL"; fi
}

# Stop our dockerd and everything left in its namespace, unmount, remove the state.
stop_all() {
  read_state || true
  local anchor ns=""
  anchor="$(anchor_pid)"
  if [[ -n "$anchor" ]]; then
    # An open handle keeps the namespace (and its inode number) ours until we are done, so no
    # unrelated namespace can take its number while we look for what is left in it.
    exec 8<"/proc/$anchor/ns/net"
    ns="$(readlink "/proc/$$/fd/8")"
  fi
  if our_dockerd_alive; then
    stop_dockerd
  elif [[ -n "$OUR_PID" ]]; then
    log "dockerd pid $OUR_PID that this script started is no longer running"
  else
    log "no GPU engine was started by this script"
  fi
  reap_containers
  if [[ -n "$ns" ]]; then
    reap_netns "$ns"
    exec 8<&-
  fi
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
  else
    die "the GPU engine is not running (start it with: $0 start)"
  fi
}

command -v docker >/dev/null 2>&1 || die "the docker CLI is not on PATH"

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  env) cmd_env ;;
  *) usage ;;
esac
