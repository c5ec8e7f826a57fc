# shellcheck shell=bash
# Helpers shared by the scripts that run a second Docker Engine in a network namespace of its own
# (gpu-engine.sh, fault-engine.sh). Sourced, not run. The caller defines log and die, and sets
# STATE_DIR, LOCK_FILE, SOCK, CGROUP_PARENT, IMAGE and PROBE_TIMEOUT.

take_lock() {
  mkdir -p "$STATE_DIR"
  exec 9>"$LOCK_FILE"
  flock -w 120 9 || die "another $(basename "$0") holds $LOCK_FILE"
}

# The docker CLI on this engine's socket.
engine_docker() {
  timeout "$PROBE_TIMEOUT" docker -H "unix://$SOCK" "$@"
}

engine_answers() {
  [[ -S "$SOCK" ]] && engine_docker info --format '{{.ServerVersion}}' >/dev/null 2>&1
}

netns_of() {
  readlink "/proc/$1/ns/net" 2>/dev/null
}

is_mountpoint() {
  local mp
  while read -r _ _ _ _ mp _; do
    [[ "$(printf '%b' "$mp")" == "$1" ]] && return 0
  done </proc/self/mountinfo
  return 1
}

# Mount points at or below one of the given dirs, deepest first.
mounts_under() {
  local dir mp
  for dir in "$@"; do
    while read -r _ _ _ _ mp _; do
      mp="$(printf '%b' "$mp")" # mountinfo escapes spaces as \040
      if [[ "$mp" == "$dir" || "$mp" == "$dir"/* ]]; then printf '%s\n' "$mp"; fi
    done </proc/self/mountinfo
  done | sort -ru
}

# Every live process in the given network namespace (containerd, shims, containers). Nothing else
# can be in it: the namespace exists only for this engine.
netns_members() {
  local ns=$1 dir pid
  [[ -n "$ns" && "$ns" != "$(netns_of $$)" ]] || return 0
  for dir in /proc/[0-9]*; do
    pid=${dir#/proc/}
    if [[ "$(netns_of "$pid")" == "$ns" ]] && pid_alive "$pid"; then printf '%s\n' "$pid"; fi
  done
}

# Stop the processes left in the given network namespace (containers, shims, containerd).
reap_netns() {
  local ns=$1 pids deadline=$((SECONDS + 10))
  pids="$(netns_members "$ns")"
  [[ -z "$pids" ]] && return 0
  log "stopping what is left in $ns: $(printf '%s ' "$pids")"
  # shellcheck disable=SC2086  # one PID per word
  kill -TERM $pids 2>/dev/null || true
  while [[ -n "$(netns_members "$ns")" ]]; do
    if ((SECONDS >= deadline)); then
      # shellcheck disable=SC2046  # one PID per word
      kill -KILL $(netns_members "$ns") 2>/dev/null || true
      sleep 1
      break
    fi
    sleep 0.3
  done
  if [[ -n "$(netns_members "$ns")" ]]; then die "processes in $ns survived SIGKILL"; fi
}

# Processes in this engine's containers' cgroups.
cgroup_members() {
  local dir pid
  for dir in /proc/[0-9]*; do
    pid=${dir#/proc/}
    if grep -q ":$CGROUP_PARENT/" "$dir/cgroup" 2>/dev/null && pid_alive "$pid"; then printf '%s\n' "$pid"; fi
  done
}

# Kill what is left of this engine's containers (killing a PID namespace's init ends all of it).
reap_containers() {
  local pids deadline=$((SECONDS + 10))
  pids="$(cgroup_members)"
  [[ -z "$pids" ]] && return 0
  log "killing container processes left behind: $(printf '%s ' "$pids")"
  # shellcheck disable=SC2086  # one PID per word
  kill -KILL $pids 2>/dev/null || true
  while [[ -n "$(cgroup_members)" ]]; do
    ((SECONDS < deadline)) || die "container processes survived SIGKILL: $(cgroup_members | tr '\n' ' ')"
    sleep 0.3
  done
}

# The (empty) cgroup dirs of this engine's containers, deepest first.
remove_cgroups() {
  local dir
  for dir in /sys/fs/cgroup/"${CGROUP_PARENT#/}" /sys/fs/cgroup/*/"${CGROUP_PARENT#/}"; do
    [[ -d "$dir" ]] || continue
    find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null || log "could not remove cgroup $dir"
  done
}

# Copy the test image from the main engine, once.
load_image() {
  if engine_docker image inspect "$IMAGE" >/dev/null 2>&1; then
    return 0
  fi
  docker image inspect "$IMAGE" >/dev/null 2>&1 || die "the main engine has no $IMAGE image (run scripts/base-images.sh)"
  log "loading $IMAGE from the main engine"
  docker save "$IMAGE" | timeout 120 docker -H "unix://$SOCK" load >/dev/null
}
