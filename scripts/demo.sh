#!/usr/bin/env bash
# `npm run demo [-- --once]`: install what is missing, start the infrastructure that is not running,
# run every hub app, stream signed webhooks through them and print what the hub made of them.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/ensure-deps.sh
bash infra/up.sh
trap 'bash infra/down.sh' EXIT
SWC_NODE_PROJECT="$ROOT/tsconfig.json" node -r @swc-node/register scripts/demo.ts "$@"
