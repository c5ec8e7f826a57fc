#!/usr/bin/env bash
# `npm test`: static checks, then every test tier against real parts — the unit tier in plain
# Node, the engine tier against a real Docker Engine (started here if none answers, and stopped
# again only if started here), the e2e tier in a real VS Code (code-server + Chromium, installed
# on first use). Ends with one line: "tests: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
REPORTS="$ROOT/artifacts/test-reports"
rm -rf "$REPORTS" && mkdir -p "$REPORTS"

step() { printf '\n== %s\n' "$*"; }
die() { echo "test.sh: $*" >&2; exit 1; }

[ -x node_modules/.bin/tsc ] || { step "npm ci"; npm ci --no-audit --no-fund || die "npm ci failed"; }

step "static checks: typecheck, lint, format"
npm run -s typecheck || die "typecheck failed"
npm run -s lint || die "lint failed"
npm run -s format:check >/dev/null || { npx prettier --list-different .; die "formatting differs: run npm run format"; }

step "build and package"
npm run -s build || die "build failed"
npm run -s package >"$REPORTS/package.log" 2>&1 || { cat "$REPORTS/package.log"; die "npm run package failed"; }
[ -s berth.vsix ] || die "npm run package produced no berth.vsix"
echo "berth.vsix: $(du -k berth.vsix | cut -f1) KiB"
# the .vsix carries the production bundle; rebuild the dev one (with source maps) for the tests
npm run -s build || die "build failed"

# run one tier: spec output on the console, TAP kept for the summary
tier() {
  local name=$1
  shift
  step "$name tests"
  node --import tsx --test --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$REPORTS/$name.tap" "$@"
}

status=0
# the unit tier mirrors src/ (test/unit/<path under src>/<module>.test.ts); the UI layer's tests
# see the vscode stand-in of scripts/lib/vscodeStub.mjs, preloaded by test/unit/vscode.ts
mapfile -t UNIT_TESTS < <(find test/unit -name '*.test.ts' | sort)
tier unit --import ./test/unit/vscode.ts "${UNIT_TESTS[@]}" || status=1

step "engine: ensure a Docker engine and the local base images"
if bash scripts/engine.sh ensure | tee "$REPORTS/engine.log"; then
  # stop the engine at the end only if this run started it
  if grep -q '^engine: started ' "$REPORTS/engine.log"; then trap 'bash scripts/engine.sh stop' EXIT; fi
  bash scripts/sshd.sh install || echo "sshd could not be installed: the ssh:// engine tests skip" >&2
  bash scripts/compose.sh install || echo "docker-compose could not be installed: the compose engine tests fail" >&2
  bash scripts/podman.sh install || echo "podman could not be installed: the Podman engine tests skip" >&2
  if bash scripts/base-images.sh; then
    # a second engine the fault tests may crash and fill (test/engine/faults.test.ts), stopped after the tier if started here
    bash scripts/fault-engine.sh start >"$REPORTS/fault-engine.log" 2>&1 || echo "the fault engine did not start (see $REPORTS/fault-engine.log)" >&2
    # the registry the registry tests push to and pull from (test/engine/registry*.test.ts require it), stopped after e2e if started here
    bash scripts/registry.sh start >"$REPORTS/registry.log" 2>&1 || { cat "$REPORTS/registry.log" >&2; echo "the test registry did not start: the registry tests fail" >&2; }
    if grep -q '^registry: started ' "$REPORTS/registry.log"; then REGISTRY_STARTED=1; fi
    tier engine --test-concurrency=1 test/engine/*.test.ts || status=1
    if grep -q '^fault-engine: started ' "$REPORTS/fault-engine.log"; then bash scripts/fault-engine.sh stop; fi
    step "e2e: the packaged extension in a real VS Code (code-server) driven through Chromium"
    if bash scripts/vscode/install.sh; then
      tier e2e --test-concurrency=1 test/e2e/*.test.ts || status=1
    else
      echo "code-server or Chromium could not be installed: e2e tests not run" >&2
      status=1
    fi
    if [ "${REGISTRY_STARTED:-0}" = 1 ]; then bash scripts/registry.sh stop; fi
  else
    echo "base images could not be built: engine tests not run" >&2
    status=1
  fi
else
  echo "no Docker engine: engine tests not run" >&2
  status=1
fi

passed=0
failed=0
for tap in "$REPORTS"/*.tap; do
  [ -f "$tap" ] || continue
  p=$(grep -E '^# pass [0-9]+' "$tap" | tail -1 | awk '{print $3}')
  f=$(grep -E '^# fail [0-9]+' "$tap" | tail -1 | awk '{print $3}')
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
done
[ "$status" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
echo
echo "tests: $passed passed, $failed failed"
exit "$status"
