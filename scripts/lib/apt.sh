# shellcheck shell=bash
# Installing Debian packages for the scripts (sourced, not run).

# apt_install WHAT PKG...: install PKGs (no recommends; a package's own service is not started:
# invoke-rc.d follows the machine's policy), once more after `apt-get update` if the first try
# fails. Needs root and apt-get; says so, naming WHAT is missing, and returns 1 otherwise.
apt_install() {
  local what=$1
  shift
  if [[ "$(id -u)" != 0 ]]; then
    printf '%s is missing and installing it needs root: apt-get install %s\n' "$what" "$*" >&2
    return 1
  fi
  if ! command -v apt-get >/dev/null; then
    printf '%s is missing and there is no apt-get to install %s\n' "$what" "$*" >&2
    return 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null && return 0
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
