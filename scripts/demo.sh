#!/usr/bin/env bash
# `npm run demo [-- --once] [--interactions N] [--customers N] [--seed S] [--concurrency N] [--keep-data]`:
# install what is missing, start the infrastructure that is not running, run every hub app, stream a
# realistic mixed-channel day of signed provider webhooks through them and print what the hub made of it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/ensure-deps.sh
# infra/down.sh stops everything infra/up.sh has recorded as started. Call it only when this run
# started the infrastructure itself: what an earlier run (a test run, another demo) started and
# left running may be in use.
before="$(cat .run/started 2>/dev/null || true)"
HUB_DURABLE_REDIS=1 bash infra/up.sh
after="$(cat .run/started 2>/dev/null || true)"
if [ -z "$before" ] && [ -n "$after" ]; then
  trap 'bash infra/down.sh' EXIT
elif [ -n "$before" ]; then
  echo "infra: started earlier ($(echo "$before" | tr '\n' ' ')), leaving it running"
fi
# The hub's jobs need a Redis that keeps them across a restart: the project's own when the running one does not.
if [ -f .run/redis-url ]; then export REDIS_URL="$(cat .run/redis-url)"; fi
# The demo runs the apps as production does, from their builds (`npm run build`; cached, about a
# second when nothing changed). HUB_APPS_FROM=source runs them from TypeScript with swc instead.
if [ "${HUB_APPS_FROM:-dist}" = dist ]; then
  echo "demo: building the apps (nx run-many -t build)"; mkdir -p .run
  NX_DAEMON=false NX_TUI=false node_modules/.bin/nx run-many -t build --output-style=static >.run/build.log 2>&1 || { cat .run/build.log; exit 1; }
fi
SWC_NODE_PROJECT="$ROOT/tsconfig.json" node -r @swc-node/register scripts/demo.ts "$@"
