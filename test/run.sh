#!/usr/bin/env bash
# The README's test command runs this (after `npm ci`): the emulator install, lint, format check, typecheck and every
# vitest tier. Lint and typecheck failures fail the run but do not stop the tests from running, so one
# run reports everything. VITEST_JSON names the JSON report file (.ci/run reads it).
set -uo pipefail
cd "$(dirname "$0")/.."
status=0

bash test/emulator/install-moto.sh || { echo "test: installing the local AWS emulator failed" >&2; status=1; }

echo "== lint"
npx eslint . || status=1
echo "== format"
npm run -s format:check || status=1
echo "== typecheck"
npx tsc --noEmit -p tsconfig.json || status=1

echo "== tests"
json="${VITEST_JSON:-.vitest-results.json}"
npx vitest run --reporter=default --reporter=json --outputFile.json="$json" || status=1
exit $status
