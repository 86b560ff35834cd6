#!/usr/bin/env bash
# The browser tests drive Debian's Chromium with playwright-core (no browser download: the
# machines reach only the package registries). Installs it when /usr/bin/chromium is missing.
#   bash scripts/lib/ensure-chromium.sh
set -euo pipefail

[[ -x /usr/bin/chromium ]] && exit 0
command -v apt-get >/dev/null 2>&1 || { echo "ensure-chromium: no /usr/bin/chromium and no apt-get; install Chromium yourself" >&2; exit 1; }
SUDO=""
[[ "$(id -u)" != 0 ]] && SUDO="sudo"
echo "ensure-chromium: installing chromium from Debian ..." >&2
$SUDO apt-get update -qq >/dev/null
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
[[ -x /usr/bin/chromium ]] || { echo "ensure-chromium: chromium did not install" >&2; exit 1; }
