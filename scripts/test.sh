#!/usr/bin/env bash
# Installs what is missing, starts what the tests need, type-checks, lints, checks the formatting, runs every test project
# (unit, integration, e2e, chaos) and prints "N passed, M failed" as its last line.
#   ./scripts/test.sh                 all projects
#   ./scripts/test.sh unit            only some projects
# chaos runs in its short form here (CHAOS_SHORT=1: three faults, shorter loads, a few minutes);
# CHAOS_SHORT=0 ./scripts/test.sh chaos, or npm run test:chaos, runs every fault.
set -uo pipefail
. "$(dirname "$0")/lib/bootstrap.sh" || exit 1

projects=("$@")
[[ ${#projects[@]} -eq 0 ]] && projects=(unit integration e2e chaos)
mkdir -p .run/test-results
passed=0
failed=0

echo "== typecheck (tsc $(tsc --version | awk '{print $2}'))"
if tsc -p tsconfig.json; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "typecheck FAILED"; fi
echo "== lint (oxlint --type-aware)"
if oxlint --type-aware; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "lint FAILED (npm run lint)"; fi
echo "== format (oxfmt --check)"
if oxfmt --check; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "format FAILED (npm run format writes it)"; fi

# The browser test drives Debian's Chromium (never a downloaded browser).
for project in "${projects[@]}"; do
  if [[ "$project" == e2e ]]; then bash scripts/lib/ensure-chromium.sh || echo "chromium could not be installed; the browser test will say so"; fi
done

kafka_started=""
needs_infra=""
for project in "${projects[@]}"; do [[ "$project" != unit ]] && needs_infra=1; done
if [[ -n "$needs_infra" ]]; then
  if ! bash infra/kafka/kafka.sh status >/dev/null 2>&1; then kafka_started=1; fi
  bash infra/up.sh || { echo "infrastructure did not start"; echo "$passed passed, $((failed + 1)) failed"; exit 1; }
fi
stop_what_we_started() { [[ -n "$kafka_started" ]] && bash infra/kafka/kafka.sh stop >/dev/null 2>&1; }
trap stop_what_we_started EXIT

for project in "${projects[@]}"; do
  report=".run/test-results/vitest-$project.json"
  rm -f "$report"
  echo "== vitest --project $project"
  run_env=()
  [[ "$project" == chaos ]] && run_env=(env "CHAOS_SHORT=${CHAOS_SHORT:-1}")
  "${run_env[@]}" vitest run --project "$project" --passWithNoTests --reporter=default --reporter=json --outputFile.json="$report"
  code=$?
  if [[ -f "$report" ]]; then
    read -r p f < <(node -e 'const r=require(process.argv[1]); console.log(r.numPassedTests, r.numFailedTests + (r.numRuntimeErrorTestSuites ?? 0) + r.testResults.filter(t => t.status === "failed" && t.assertionResults.length === 0).length)' "$(pwd)/$report")
    passed=$((passed + p)); failed=$((failed + f))
    if [[ $code -ne 0 && $f -eq 0 ]]; then failed=$((failed + 1)); echo "vitest $project exited $code"; fi
  else
    failed=$((failed + 1)); echo "vitest $project wrote no report (exit $code)"
  fi
done

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
