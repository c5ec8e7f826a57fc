#!/usr/bin/env bash
# Install a real VS Code for `npm start` and the e2e tests, without downloads from anywhere but
# the npm registry and the Debian mirror:
#
#   - code-server (VS Code in the browser, extension host in Node) from npm, into a git-ignored
#     folder of the repo;
#   - Debian's chromium for Playwright, ripgrep (seeds @vscode/ripgrep, whose postinstall would
#     otherwise download from GitHub) and libkrb5-dev (the kerberos addon builds from source).
#
# Idempotent: what is present is left alone, so a warm machine returns in about a second.
#
# Environment:
#   BERTH_CODE_SERVER_DIR   install folder (default <repo>/.vscode-test/code-server)
#   BERTH_CHROMIUM          the browser the tests drive (default /usr/bin/chromium)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$SCRIPT_DIR/../.." && pwd)"
VERSION=4.100.3
DEST="${BERTH_CODE_SERVER_DIR:-$REPO/.vscode-test/code-server}"
CHROMIUM="${BERTH_CHROMIUM:-/usr/bin/chromium}"
BIN="$DEST/node_modules/.bin/code-server"
MARKER="$DEST/.installed"
LOG="$DEST.install.log"
# @vscode/ripgrep@1.15.11 (code-server 4.100's) looks for this archive before calling GitHub.
RG_CACHE=vscode-ripgrep-cache-1.15.11
RG_ARCHIVE=ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz
# Every dependency of code-server whose install script has to run, reviewed and allowed.
ALLOW_SCRIPTS='"code-server": true, "@vscode/ripgrep": true, "node-pty": true, "argon2": true, "kerberos": true'

T0=$EPOCHREALTIME
log() { printf 'vscode: %s\n' "$*"; }
die() { printf 'vscode: error: %s\n' "$*" >&2; exit 1; }
took() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f s", b - a }'; }

installed_version() {
  [[ -x "$BIN" ]] || return 1
  # Prints e.g. "4.100.3 <commit> with Code 1.100.3". Even --version writes a default config
  # (with a password) and log folders under XDG_CONFIG_HOME/XDG_DATA_HOME: keep them out of $HOME.
  local xdg out
  xdg="$(mktemp -d "${TMPDIR:-/tmp}/berth-vscode-version.XXXXXX")"
  out="$(XDG_CONFIG_HOME="$xdg/config" XDG_DATA_HOME="$xdg/data" timeout 60 "$BIN" --version 2>/dev/null || true)"
  rm -rf "$xdg"
  printf '%s\n' "$out" | awk '$1 ~ /^[0-9]+\.[0-9]+\.[0-9]+$/ { print $1; exit }'
}

code_server_ready() {
  [[ -f "$MARKER" && "$(cat "$MARKER")" == "$VERSION" && "$(installed_version || true)" == "$VERSION" ]]
}

# --- Debian packages -------------------------------------------------------------------------
pkg_installed() {
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]
}

missing_packages() {
  local missing=()
  # only building code-server needs the kerberos headers
  if ! code_server_ready && ! pkg_installed libkrb5-dev; then missing+=(libkrb5-dev); fi
  command -v rg >/dev/null 2>&1 || missing+=(ripgrep)
  [[ -x "$CHROMIUM" ]] || missing+=(chromium)
  printf '%s\n' "${missing[@]}"
}

apt_install() {
  local start=$EPOCHREALTIME
  [[ "$(id -u)" -eq 0 ]] || die "missing Debian packages: $*; install them (sudo apt-get install $*) or rerun as root"
  command -v apt-get >/dev/null 2>&1 || die "missing packages: $*, and apt-get is not available; install them yourself"
  export DEBIAN_FRONTEND=noninteractive
  # Refresh the package lists only when they do not know a package (fresh image) or an
  # install from them fails (a stale list names a version the mirror no longer has).
  local pkg need_update=0
  for pkg in "$@"; do
    apt-cache show "$pkg" >/dev/null 2>&1 || need_update=1
  done
  if [[ "$need_update" -eq 1 ]]; then
    log "apt-get update"
    apt-get update -qq
  fi
  log "apt-get install $*"
  if ! apt-get install -y -qq --no-install-recommends "$@" >/dev/null; then
    [[ "$need_update" -eq 1 ]] && die "apt-get install $* failed"
    log "apt-get install failed; apt-get update and once more"
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null || die "apt-get install $* failed"
  fi
  log "installed $* in $(took "$start")"
}

# --- code-server -----------------------------------------------------------------------------
install_code_server() {
  local start=$EPOCHREALTIME tmp
  command -v npm >/dev/null 2>&1 || die "npm is not on PATH"
  log "installing code-server@$VERSION into ${DEST#"$REPO"/} (about a minute; log: ${LOG#"$REPO"/})"
  # Start from scratch: a half-finished install is not worth repairing.
  rm -rf "$DEST"
  mkdir -p "$DEST"
  cat >"$DEST/package.json" <<EOF
{
  "name": "berth-code-server",
  "private": true,
  "description": "code-server for Berth's npm start and e2e tests (scripts/vscode/install.sh)",
  "allowScripts": { $ALLOW_SCRIPTS }
}
EOF
  tmp="$(mktemp -d "${TMPDIR:-/tmp}/berth-vscode.XXXXXX")"
  # shellcheck disable=SC2064  # expand now: the path is fixed
  trap "rm -rf '$tmp'" EXIT
  mkdir -p "$tmp/$RG_CACHE"
  tar czf "$tmp/$RG_CACHE/$RG_ARCHIVE" -C "$(dirname "$(command -v rg)")" rg

  # TMPDIR: where @vscode/ripgrep finds the seeded archive. yes: node-pty's postinstall runs
  # `npx node-gyp`. unsafe_perm: code-server's postinstall stops as root without it.
  # ignore_scripts=false and the allowScripts above: the install scripts build node-pty,
  # argon2 and kerberos and fetch VS Code's own dependencies; nothing works without them.
  if ! TMPDIR="$tmp" npm_config_yes=true npm_config_unsafe_perm=true npm_config_ignore_scripts=false \
    npm_config_foreground_scripts=true npm_config_audit=false npm_config_fund=false \
    npm_config_update_notifier=false \
    npm install --prefix "$DEST" --no-save "code-server@$VERSION" >"$LOG" 2>&1; then
    tail -n 40 "$LOG" >&2
    die "npm install code-server@$VERSION failed (full log: $LOG)"
  fi

  local got
  got="$(installed_version || true)"
  if [[ "$got" != "$VERSION" ]]; then
    tail -n 40 "$LOG" >&2
    die "code-server --version printed '${got:-nothing}', expected $VERSION (install scripts did not run? log: $LOG)"
  fi
  # the native addons the server loads at run time; their builds are install scripts too
  local addon
  for addon in node_modules/argon2/lib/binding/napi-v3/argon2.node \
    node_modules/code-server/lib/vscode/node_modules/node-pty/build/Release/pty.node \
    node_modules/code-server/lib/vscode/node_modules/kerberos/build/Release/kerberos.node \
    node_modules/code-server/lib/vscode/node_modules/@vscode/spdlog/build/Release/spdlog.node \
    node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin/rg; do
    [[ -f "$DEST/$addon" ]] || die "code-server installed without $addon (an install script did not run; log: $LOG)"
  done
  printf '%s\n' "$VERSION" >"$MARKER"
  log "installed code-server $VERSION in $(took "$start")"
}

main() {
  # two set-ups at once (npm start while the e2e tier runs) must not both install into $DEST
  mkdir -p "$(dirname "$DEST")"
  exec 9>"$DEST.lock"
  flock -w 600 9 || die "another install.sh holds $DEST.lock"
  local missing
  mapfile -t missing < <(missing_packages)
  if [[ ${#missing[@]} -gt 0 && -n "${missing[0]}" ]]; then
    apt_install "${missing[@]}"
  fi
  if code_server_ready; then
    log "code-server $VERSION already installed (${DEST#"$REPO"/})"
  else
    install_code_server
  fi
  log "chromium: $("$CHROMIUM" --version 2>/dev/null | head -n 1 || echo "? at $CHROMIUM")"
  log "ready in $(took "$T0"): ${BIN#"$REPO"/}"
}

main "$@"
