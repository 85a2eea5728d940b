#!/usr/bin/env bash
# Install the locked npm dependencies when node_modules is missing or older than the lockfile, and
# fetch the Kafka jars from Maven Central.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
mkdir -p .run
stamp=node_modules/.hub-lock-hash
want="$(sha256sum package.json package-lock.json | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "deps: npm ci"
  if ! npm ci --no-audit --no-fund --loglevel=error >.run/npm-ci.log 2>&1; then
    # npm refuses a lock that lacks other platforms' optional binaries which the registry has started
    # to serve since the lock was written; nothing this machine installs differs. Only that case falls
    # back (scripts/deps/npm-ci-fallback.cjs decides); anything else stops with npm's own message.
    if why="$(node scripts/deps/npm-ci-fallback.cjs .run/npm-ci.log)"; then
      echo "deps: $why; installing the locked versions with npm install, the committed lock left as it is"
      cp package-lock.json .run/package-lock.committed.json
      npm install --no-save --no-audit --no-fund --loglevel=error
      cp .run/package-lock.committed.json package-lock.json
    else
      cat .run/npm-ci.log >&2
      echo "deps: npm ci failed ($why)" >&2
      exit 1
    fi
  fi
  echo "$want" > "$stamp"
fi
infra/kafka/kafka.sh deps
# The console's end-to-end spec drives Debian's Chromium (playwright-core downloads no browser).
if ! command -v chromium >/dev/null 2>&1; then
  echo "deps: apt-get install chromium"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >.run/apt-chromium.log 2>&1 \
    || { cat .run/apt-chromium.log >&2; echo "deps: installing chromium failed" >&2; exit 1; }
fi
