# shellcheck shell=bash
# Sourced by the user-facing scripts: makes sure Node 24 and the npm packages are installed
# (from the lock file, only when it changed) and puts the project's Node first on PATH.
#   . scripts/lib/bootstrap.sh

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

bootstrap_log() { echo "bootstrap: $*" >&2; }

ensure_system_npm() {
  if command -v npm >/dev/null 2>&1; then return; fi
  if [[ -x node_modules/.bin/node ]]; then return; fi
  command -v apt-get >/dev/null 2>&1 || { bootstrap_log "need npm (Node.js) to start; install it"; exit 1; }
  bootstrap_log "installing Node.js and npm from Debian (only to fetch the project's own Node 24) ..."
  local sudo=""; [[ "$(id -u)" != 0 ]] && sudo="sudo"
  $sudo apt-get update -qq >/dev/null
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
}

# npm ci again only when package-lock.json changed since the last install.
ensure_node_modules() {
  local stamp="node_modules/.install-stamp" want
  want="$(sha256sum package-lock.json | cut -d' ' -f1)"
  if [[ -x node_modules/.bin/node && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then return; fi
  ensure_system_npm
  bootstrap_log "installing npm packages (npm ci) ..."
  local npm_path="$PATH"
  # Once the project's Node 24 is there, npm runs on it (npm picks package variants by the running Node).
  [[ -x node_modules/.bin/node ]] && npm_path="$ROOT/node_modules/.bin:$PATH"
  PATH="$npm_path" npm ci --no-audit --no-fund --loglevel=error
  [[ -x node_modules/.bin/node ]] || { bootstrap_log "node@24 did not install (were install scripts skipped?)"; exit 1; }
  echo "$want" > "$stamp"
}

ensure_node_modules
export PATH="$ROOT/node_modules/.bin:$PATH"
# shellcheck source=/dev/null
. "$ROOT/scripts/infra-env.sh"
