#!/usr/bin/env bash
# `npm test`: install what is missing, start the infrastructure that is not running, typecheck,
# lint (module boundaries), run every Jest tier in one run, and stop what it started.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
start=$(date +%s)
bash scripts/ensure-deps.sh
bash infra/up.sh
trap 'bash infra/down.sh' EXIT
echo "test: typecheck"; node_modules/.bin/tsc -p tsconfig.json --noEmit
node_modules/.bin/tsc -p apps/console/tsconfig.json --noEmit   # the console: DOM and JSX, its own settings
echo "test: lint"
NX_DAEMON=false node_modules/.bin/nx show projects >/dev/null   # the boundary rule needs the project graph
node_modules/.bin/eslint . --max-warnings=0
echo "test: format"; node_modules/.bin/prettier --check --log-level warn .   # npm run format fixes it
echo "test: build"; NX_DAEMON=false NX_TUI=false node_modules/.bin/nx run-many -t build --output-style=static   # every app; the e2e specs run these builds
echo "test: jest"
mkdir -p .run
set +e
node_modules/.bin/jest --ci --json --outputFile=.run/jest-results.json "$@"
status=$?
set -e
echo "test: took $(( $(date +%s) - start )) s"
exit $status
