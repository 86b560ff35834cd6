#!/usr/bin/env bash
# Like the original system's load test, but it checks what it did: see `npm run load -- --help`.
set -euo pipefail
. "$(dirname "$0")/lib/bootstrap.sh"
exec node scripts/load-test.ts "$@"
