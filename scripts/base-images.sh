#!/usr/bin/env bash
# Build the local base images Berth's tests and samples run on. No container registry is
# reachable from the development and CI machines, so nothing can be pulled: the images are
# made from Debian packages instead. Each image is built only when its tag is missing, so a
# warm machine returns in well under a second.
#
#   berth-busybox:latest       ~2 MB: sh, httpd, sleep, seq, ... from busybox-static
#   berth-python-numpy:latest  ~170 MB: Debian bookworm minbase + python3 + python3-numpy
#   berth-python-ipython:latest  the same + python3-ipython (notebooks run through IPython's shell)
#   berth-redis:latest         the python base + Debian's redis-server (scripts/images/redis)
#   berth-prometheus:latest    the python base + Debian's prometheus and promtool (scripts/images/prometheus)
#   berth-python-debugpy:latest  the python base + Debian's python3-debugpy, for Debug in Container
#                              (scripts/images/debugpy)
#
# Environment:
#   BERTH_BUSYBOX_IMAGE   tag of the busybox image       (default berth-busybox:latest)
#   BERTH_PYTHON_IMAGE    tag of the python+numpy image  (default berth-python-numpy:latest)
#   BERTH_IPYTHON_IMAGE   tag of the python+numpy+IPython image (default berth-python-ipython:latest)
#   BERTH_REDIS_IMAGE     tag of the Redis image         (default berth-redis:latest)
#   BERTH_PROMETHEUS_IMAGE  tag of the Prometheus image  (default berth-prometheus:latest)
#   BERTH_DEBUGPY_IMAGE   tag of the python+numpy+debugpy image (default berth-python-debugpy:latest)
#   BERTH_DEBIAN_MIRROR   Debian mirror for debootstrap  (default: the one apt uses here; none: an error)
#   BERTH_STATE_DIR       where the lock file lives      (default <repo>/.berth-state)
#
# Needs an engine that answers (scripts/engine.sh ensure); building needs root on Debian.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$SCRIPT_DIR/.." && pwd)"
STATE_DIR="${BERTH_STATE_DIR:-$REPO/.berth-state}"

BUSYBOX_IMAGE="${BERTH_BUSYBOX_IMAGE:-berth-busybox:latest}"
PYTHON_IMAGE="${BERTH_PYTHON_IMAGE:-berth-python-numpy:latest}"
IPYTHON_IMAGE="${BERTH_IPYTHON_IMAGE:-berth-python-ipython:latest}"
REDIS_IMAGE="${BERTH_REDIS_IMAGE:-berth-redis:latest}"
PROMETHEUS_IMAGE="${BERTH_PROMETHEUS_IMAGE:-berth-prometheus:latest}"
DEBUGPY_IMAGE="${BERTH_DEBUGPY_IMAGE:-berth-python-debugpy:latest}"
SUITE=bookworm
# Lets tests and cleanup tell our base images apart from anything else on the engine.
BASE_LABEL='LABEL org.berth.base=1'
# docker import writes no config at all; give the images the PATH every image normally has.
PATH_ENV='ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

log() { printf 'base-images: %s\n' "$*"; }
die() { printf 'base-images: error: %s\n' "$*" >&2; exit 1; }

image_present() {
  docker image inspect "$1" >/dev/null 2>&1
}

# Installs the given Debian packages; one apt-get update covers all of them.
APT_UPDATED=0
apt_install() {
  [[ "$(id -u)" -eq 0 ]] || die "need the Debian package(s) $* and root to install them (rerun with sudo, or install them yourself)"
  command -v apt-get >/dev/null 2>&1 || die "need the Debian package(s) $*, but apt-get is not available"
  export DEBIAN_FRONTEND=noninteractive
  if [[ "$APT_UPDATED" -eq 0 ]]; then
    apt-get update -qq
    APT_UPDATED=1
  fi
  log "installing $*"
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# Temp dirs to remove on exit, whatever happens.
CLEANUP_DIRS=()
cleanup() {
  local dir mnt
  for dir in "${CLEANUP_DIRS[@]}"; do
    [[ -d "$dir" ]] || continue
    # debootstrap bind-mounts /proc, /sys and device nodes into the target; if it died half
    # way they may still be there. Unmount deepest first, so rm never walks into the host's.
    while read -r mnt; do
      umount -l "$mnt" 2>/dev/null || true
    done < <(awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r)
    rm -rf --one-file-system "$dir"
  done
}
trap cleanup EXIT

# Seconds since the given start, for the one-line report.
elapsed_since() {
  printf '%s\n' "$(( $(date +%s) - $1 ))"
}

build_busybox() {
  local tag=$BUSYBOX_IMAGE
  if image_present "$tag"; then
    log "$tag already present"
    return
  fi
  local start busybox
  start="$(date +%s)"

  busybox="$(command -v busybox || true)"
  [[ -n "$busybox" ]] || busybox=/bin/busybox
  if [[ ! -x "$busybox" ]]; then
    apt_install busybox-static
    busybox=/bin/busybox
  fi
  # The image has no libc: only a static busybox runs in it. Debian's plain `busybox` package
  # is dynamic and conflicts with busybox-static, so do not swap it out behind the user's back.
  if ldd "$busybox" >/dev/null 2>&1; then
    die "$busybox is dynamically linked; install Debian's busybox-static (it replaces busybox) and rerun"
  fi

  # A rootfs assembled on the host and imported as one layer: no build container to run, and
  # relative symlinks (busybox --install would point them at the host path of the binary).
  local root
  root="$(mktemp -d "${TMPDIR:-/tmp}/berth-busybox.XXXXXX")"
  CLEANUP_DIRS+=("$root")
  mkdir -p "$root/bin" "$root/etc" "$root/root" "$root/tmp" "$root/var/www"
  chmod 1777 "$root/tmp"
  cp "$busybox" "$root/bin/busybox"
  local applet
  while read -r applet; do
    [[ "$applet" == busybox || -z "$applet" ]] || ln -s busybox "$root/bin/$applet"
  done < <("$busybox" --list)
  # Enough of /etc for user lookups (docker exec -u, httpd -u, id, ls -l).
  printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >"$root/etc/passwd"
  printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' >"$root/etc/group"

  tar -C "$root" --numeric-owner --owner=0 --group=0 -c . \
    | docker import -c "$BASE_LABEL" -c "$PATH_ENV" -c 'CMD ["sh"]' - "$tag" >/dev/null
  log "built $tag in $(elapsed_since "$start") s"
}

# The http(s) URI of the first enabled apt source for the Debian suite, deb822 files first
# (Debian 12's default), then one-line sources.list entries.
configured_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f "$f" ]] || continue
    awk -v suite="$SUITE" '
      function flush() {
        if (!off && (" " types " ") ~ / deb / && (" " suites " ") ~ (" " suite " ")) {
          n = split(uris, u, " ")
          for (i = 1; i <= n; i++) if (u[i] ~ /^https?:\/\//) { print u[i]; found = 1; exit }
        }
        types = ""; uris = ""; suites = ""; off = 0
      }
      /^[[:space:]]*#/ { next }
      /^[[:space:]]*$/ { flush(); next }
      { key = tolower($1); $1 = "" }
      key == "types:" { types = $0 }
      key == "uris:" { uris = $0 }
      key == "suites:" { suites = $0 }
      key == "enabled:" && tolower($0) ~ /no/ { off = 1 }
      END { if (!found) flush() }
    ' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f "$f" ]] || continue
    # deb [options] URI SUITE COMPONENTS...
    sed -E -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" \
      | awk -v suite="$SUITE" '$1 == "deb" && $3 == suite && $2 ~ /^https?:\/\// { print $2 }'
  done
}

debian_mirror() {
  if [[ -n "${BERTH_DEBIAN_MIRROR:-}" ]]; then
    printf '%s\n' "$BERTH_DEBIAN_MIRROR"
    return
  fi
  local mirror
  mirror="$(configured_mirror | head -n 1)"
  [[ -n "$mirror" ]] || die "no Debian $SUITE mirror in /etc/apt/sources.list(.d): set BERTH_DEBIAN_MIRROR to one"
  printf '%s\n' "$mirror"
}

# A Debian minbase with the given packages (comma-separated, as debootstrap's --include takes
# them), imported as one layer under the given tag.
build_debian_python() {
  local tag=$1 packages=$2
  if image_present "$tag"; then
    log "$tag already present"
    return
  fi
  [[ "$(id -u)" -eq 0 ]] || die "building $tag needs root (debootstrap); rerun with sudo"
  local start mirror
  start="$(date +%s)"
  command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap
  mirror="$(debian_mirror)"

  local work root
  work="$(mktemp -d "${TMPDIR:-/tmp}/berth-python.XXXXXX")"
  CLEANUP_DIRS+=("$work")
  root="$work/rootfs"
  log "debootstrap $SUITE from $mirror (${packages//,/, })"
  if ! debootstrap --variant=minbase --include="$packages" \
      "$SUITE" "$root" "$mirror" >"$work/debootstrap.log" 2>&1; then
    tail -n 30 "$work/debootstrap.log" >&2 || true
    [[ -f "$root/debootstrap/debootstrap.log" ]] && tail -n 30 "$root/debootstrap/debootstrap.log" >&2
    die "debootstrap failed"
  fi

  # Trim what a runtime image never reads. The .pyc files stay: without them python3 compiles
  # the stdlib on every start and starts about twice as slowly.
  chroot "$root" apt-get clean
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin \
    "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
    "$root"/var/log/*.log "$root"/var/log/apt/* "$root"/var/cache/debconf/*-old \
    "$root"/debootstrap
  find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 \
    ! -name 'en' ! -name 'en_*' ! -name 'locale.alias' -exec rm -rf {} +

  # resolv.conf and hostname are the build host's; the engine provides its own at run time.
  tar -C "$root" --numeric-owner --exclude=./etc/resolv.conf --exclude=./etc/hostname -c . \
    | docker import -c "$BASE_LABEL" -c "$PATH_ENV" -c 'ENV LANG=C.UTF-8' -c 'CMD ["python3"]' - "$tag" >/dev/null
  log "built $tag in $(elapsed_since "$start") s"
}

# An image from a Dockerfile in scripts/images/<name>, FROM the python base: its RUN lines
# install Debian packages with apt from the mirror the base was bootstrapped from. The image
# carries a hash of its folder and of the base's id: a tag made from another recipe (an older
# one, or by hand) is built again rather than trusted.
build_from_dockerfile() {
  local tag=$1 name=$2
  local dir="$SCRIPT_DIR/images/$name" recipe have
  recipe="$( { docker image inspect -f '{{.Id}}' "$PYTHON_IMAGE"; \
    find "$dir" -type f -printf '%P %m\n' | LC_ALL=C sort; \
    find "$dir" -type f -print0 | LC_ALL=C sort -z | xargs -0 cat; } | sha256sum | cut -c1-16)"
  if image_present "$tag"; then
    have="$(docker image inspect -f '{{index .Config.Labels "org.berth.recipe"}}' "$tag" 2>/dev/null || true)"
    if [[ "$have" == "$recipe" ]]; then
      log "$tag already present"
      return
    fi
    log "$tag was not built from scripts/images/$name as it is now: building it again"
  fi
  local start out
  start="$(date +%s)"
  out="$(mktemp "${TMPDIR:-/tmp}/berth-$name-build.XXXXXX")"
  # The classic builder: the engine here has no BuildKit frontend to pull.
  if ! DOCKER_BUILDKIT=0 docker build --build-arg "BASE=$PYTHON_IMAGE" \
      --label "org.berth.recipe=$recipe" -t "$tag" "$dir" >"$out" 2>&1; then
    tail -n 30 "$out" >&2
    rm -f "$out"
    die "building $tag from scripts/images/$name failed"
  fi
  rm -f "$out"
  log "built $tag in $(elapsed_since "$start") s"
}

main() {
  command -v docker >/dev/null 2>&1 || die "the docker CLI is not on PATH"
  timeout 10 docker info >/dev/null 2>&1 \
    || die "no Docker engine answers; run scripts/engine.sh ensure first"
  # Two runs at once (parallel test jobs) would both debootstrap and race on the tag.
  mkdir -p "$STATE_DIR"
  exec 9>"$STATE_DIR/base-images.lock"
  flock -w 600 9 || die "another base-images.sh holds $STATE_DIR/base-images.lock"

  build_busybox
  build_debian_python "$PYTHON_IMAGE" python3,python3-numpy
  # Debian's IPython on the same base: its dependencies only (debootstrap installs no
  # Recommends), so no Jupyter, no kernel, no matplotlib.
  build_debian_python "$IPYTHON_IMAGE" python3,python3-numpy,python3-ipython
  # The AI stack's cache and monitoring (New AI Stack): Debian's packages, no registry.
  build_from_dockerfile "$REDIS_IMAGE" redis
  build_from_dockerfile "$PROMETHEUS_IMAGE" prometheus
  # Debian's debugpy (gdb and pydevd come with it) for Debug in Container. A tag of its own and
  # apt rather than debootstrap (which cannot resolve pydevd's virtual dependencies): a machine
  # that has the images above builds only this one.
  build_from_dockerfile "$DEBUGPY_IMAGE" debugpy
}

main "$@"
