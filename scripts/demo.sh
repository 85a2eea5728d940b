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
SWC_NODE_PROJECT="$ROOT/tsconfig.json" node -r @swc-node/register scripts/demo.ts "$@"
