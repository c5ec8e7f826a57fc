#!/usr/bin/env bash
# Podman for the engine tests: Debian's Podman 4.3 serving its Docker-compatible API with
# `podman system service` on a unix socket only (no TCP), with its own storage, run state,
# containers.conf and CNI network configs under .berth-state/podman, so nothing of the machine's
# own Podman set-up (/var/lib/containers, /run/containers, /etc/cni) is used or changed.
#
#   podman.sh install   install podman (Debian, as root) when it is missing
#   podman.sh start     install when missing, start the service (idempotent: one per checkout),
#                       load the test images from the Docker engine when Podman lacks them, and
#                       write .berth-state/podman.env (PODMAN_SOCKET, PODMAN_HOST, PODMAN_ROOT,
#                       PODMAN_RUNROOT, CONTAINERS_CONF); prints "podman: started ..." only when
#                       this call started the service
#   podman.sh images    load the test images into the running service's storage when missing
#   podman.sh stop      stop the service that `start` started (by its PID), remove its
#                       containers, end the conmon monitors of its storage's exec sessions (by
#                       PID), and remove its state (storage included)
#   podman.sh env       print podman.env
#
# Images: nothing can be pulled here, so the test images are copied from the Docker engine at
# the default socket (`docker save IMG | podman load`), each only when Podman does not have it.
# Without a Docker engine the service still starts; the images are then loaded by a later
# `podman.sh images` (or `start`).
#
# Environment: BERTH_STATE_DIR, parent of the state dir (default: <repo>/.berth-state, git-ignored);
# BERTH_BUSYBOX_IMAGE, BERTH_PYTHON_IMAGE (as in test/engine/harness.ts).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib/process.sh
source "$SCRIPT_DIR/lib/process.sh"
# shellcheck source-path=SCRIPTDIR source=lib/apt.sh
source "$SCRIPT_DIR/lib/apt.sh"
REPO="$(cd "$SCRIPT_DIR/.." && pwd)"
STATE_PARENT="${BERTH_STATE_DIR:-$REPO/.berth-state}"
STATE_DIR="$STATE_PARENT/podman"
ENV_FILE="$STATE_PARENT/podman.env"
# "PID STARTTIME" of the service we started; the start time guards against PID reuse
STATE_FILE="$STATE_DIR/service.pid"
LOG_FILE="$STATE_DIR/service.log"
SOCKET="$STATE_DIR/podman.sock"
ROOT_DIR="$STATE_DIR/root"
RUNROOT_DIR="$STATE_DIR/runroot"
CONF="$STATE_DIR/containers.conf"
LOCK_FILE="$STATE_PARENT/.podman.lock"
BIN=/usr/bin/podman
START_TIMEOUT=30
IMAGES=("${BERTH_BUSYBOX_IMAGE:-berth-busybox:latest}" "${BERTH_PYTHON_IMAGE:-berth-python-numpy:latest}")
DOCKER_SOCKET=/var/run/docker.sock

log() { printf 'podman: %s\n' "$*"; }
die() {
  printf 'podman: error: %s\n' "$*" >&2
  exit 1
}

install_packages() {
  if [[ -x "$BIN" ]]; then return 0; fi
  log "installing podman"
  # no recommends: the rootful service needs conmon, runc and the CNI plugins (dependencies) only
  apt_install "$BIN" podman || die "podman could not be installed"
  [[ -x "$BIN" ]] || die "podman installed but $BIN is missing"
}

# podman with this checkout's storage and configuration
pm() {
  CONTAINERS_CONF="$CONF" "$BIN" --root "$ROOT_DIR" --runroot "$RUNROOT_DIR" "$@"
}

read_state() {
  OUR_PID="" OUR_START=""
  [[ -f "$STATE_FILE" ]] || return 1
  read -r OUR_PID OUR_START <"$STATE_FILE" || true
  [[ "$OUR_PID" =~ ^[0-9]+$ ]] || return 1
}

our_service_alive() {
  read_state || return 1
  same_process "$OUR_PID" "$OUR_START" && [[ "$(proc_name "$OUR_PID")" == podman* ]]
}

answers_ping() {
  [[ "$(curl -s --max-time 2 --unix-socket "$1" http://podman/_ping || true)" == OK ]]
}

write_conf() {
  mkdir -p "$STATE_DIR/net.d" "$STATE_DIR/tmp"
  # default_ulimits: without them every container fails to start on these machines ("error
  # setting rlimit type 7: operation not permitted"). cgroupfs: there is no systemd. The CNI
  # configs live here, not in /etc/cni/net.d; events go to a file (no journald).
  cat >"$CONF" <<CONF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[network]
network_backend = "cni"
network_config_dir = "$STATE_DIR/net.d"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$STATE_DIR/events.log"
tmp_dir = "$STATE_DIR/tmp"
CONF
}

docker_answers() {
  [[ "$(curl -s --max-time 2 --unix-socket "$DOCKER_SOCKET" http://docker/_ping || true)" == OK ]]
}

# Copy the test images from the Docker engine into Podman's storage, each only when missing.
load_images() {
  local img missing=()
  for img in "${IMAGES[@]}"; do
    # podman load names an image saved as "NAME:TAG" docker.io/library/NAME:TAG, which is also
    # what the Docker-compatible API resolves the short name to
    pm image exists "$img" 2>/dev/null || missing+=("$img")
  done
  ((${#missing[@]} == 0)) && return 0
  if ! docker_answers; then
    log "no Docker engine at $DOCKER_SOCKET to copy ${missing[*]} from: run 'scripts/podman.sh images' once it is up"
    return 0
  fi
  for img in "${missing[@]}"; do
    if ! docker image inspect "$img" >/dev/null 2>&1; then
      log "the Docker engine has no $img (bash scripts/base-images.sh builds it): not loaded"
      continue
    fi
    log "loading $img from the Docker engine"
    docker save "$img" | pm load -q >/dev/null || die "could not load $img into podman"
  done
}

start() {
  install_packages
  mkdir -p "$STATE_PARENT"
  exec 9>"$LOCK_FILE"
  flock 9
  if our_service_alive && answers_ping "$SOCKET" && [[ -f "$ENV_FILE" ]]; then
    log "running: $SOCKET (pid $OUR_PID)"
    load_images
    return 0
  fi
  if our_service_alive; then kill "$OUR_PID" 2>/dev/null || true; fi
  # storage of an earlier service is kept (its images stay loaded); its run state is not
  rm -rf "$RUNROOT_DIR" "$STATE_DIR/tmp" "$SOCKET" "$ENV_FILE" "$STATE_FILE"
  mkdir -p "$STATE_DIR" "$ROOT_DIR" "$RUNROOT_DIR"
  chmod 700 "$STATE_DIR"
  write_conf
  # setsid: the service outlives this shell and our process group's signals never reach it;
  # --time=0: it never exits on its own
  CONTAINERS_CONF="$CONF" setsid "$BIN" --root "$ROOT_DIR" --runroot "$RUNROOT_DIR" \
    system service --time=0 "unix://$SOCKET" </dev/null >>"$LOG_FILE" 2>&1 9>&- &
  local pid=$! deadline=$((SECONDS + START_TIMEOUT))
  until answers_ping "$SOCKET"; do
    if ! pid_alive "$pid"; then
      tail -n 20 "$LOG_FILE" >&2 || true
      die "podman system service exited during startup (log: $LOG_FILE)"
    fi
    if ((SECONDS >= deadline)); then
      kill "$pid" 2>/dev/null || true
      die "podman system service (pid $pid) did not answer on $SOCKET within ${START_TIMEOUT}s (log: $LOG_FILE)"
    fi
    sleep 0.1
  done
  printf '%s %s\n' "$pid" "$(proc_starttime "$pid")" >"$STATE_FILE"
  printf 'PODMAN_SOCKET=%s\nPODMAN_HOST=unix://%s\nPODMAN_ROOT=%s\nPODMAN_RUNROOT=%s\nCONTAINERS_CONF=%s\n' \
    "$SOCKET" "$SOCKET" "$ROOT_DIR" "$RUNROOT_DIR" "$CONF" >"$ENV_FILE"
  log "started unix://$SOCKET (pid $pid)"
  load_images
}

images() {
  [[ -x "$BIN" ]] || die "podman is not installed: run scripts/podman.sh start"
  mkdir -p "$STATE_PARENT"
  exec 9>"$LOCK_FILE"
  flock 9
  [[ -f "$CONF" ]] || die "not started: run scripts/podman.sh start"
  load_images
}

stop() {
  mkdir -p "$STATE_PARENT"
  exec 9>"$LOCK_FILE"
  flock 9
  if our_service_alive; then
    kill "$OUR_PID" 2>/dev/null || true
    local deadline=$((SECONDS + 15))
    while pid_alive "$OUR_PID" && ((SECONDS < deadline)); do sleep 0.1; done
    pid_alive "$OUR_PID" && kill -9 "$OUR_PID" 2>/dev/null
    log "stopped (pid $OUR_PID)"
  else
    log "not running"
  fi
  if [[ -x "$BIN" && -f "$CONF" ]]; then
    # containers left behind in this private storage (their conmon outlives the service)
    pm rm --all --force --time 0 >/dev/null 2>&1 || true
  fi
  # the conmon monitors of finished exec sessions wait out Podman's exit delay (5 min) before
  # cleaning up: end those of this storage (their bundle is under it), by PID
  local dir pid
  for dir in /proc/[0-9]*; do
    pid=${dir#/proc/}
    [[ "$(proc_name "$pid")" == conmon ]] || continue
    if tr '\0' '\n' <"$dir/cmdline" 2>/dev/null | grep -qF "$ROOT_DIR/overlay-containers/"; then
      kill "$pid" 2>/dev/null || true
    fi
  done
  # the default network's bridge, once no container is on it (CNI leaves it behind; it comes back
  # with the next container of any Podman that uses it)
  if ip link show cni-podman0 >/dev/null 2>&1 && [[ -z "$(ip -o link show master cni-podman0 2>/dev/null)" ]]; then
    ip link delete cni-podman0 2>/dev/null || true
  fi
  # then whatever is still mounted under the state folder (ours only), before the folder goes
  local mnt
  while read -r mnt; do umount -l "$mnt" 2>/dev/null || true; done < <(awk -v d="$STATE_DIR/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r)
  rm -rf "$STATE_DIR" "$ENV_FILE"
}

case "${1:-}" in
  install) install_packages ;;
  start) start ;;
  images) images ;;
  stop) stop ;;
  env)
    [[ -f "$ENV_FILE" ]] || die "not started: run scripts/podman.sh start"
    cat "$ENV_FILE"
    ;;
  *)
    echo 'usage: scripts/podman.sh install|start|images|stop|env' >&2
    exit 2
    ;;
esac
