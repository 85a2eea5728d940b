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
    if grep -q 'Missing: .*@ from lock file' .run/npm-ci.log; then
      # npm 11 records other platforms' optional binaries (swc, msgpackr, …) only if the registry
      # serves them; where it does not, `npm ci` refuses the lockfile. `npm install` installs the
      # same locked versions for this platform.
      echo "deps: npm ci refused the lockfile for other platforms' optional packages; installing the locked versions with npm install"
      npm install --no-audit --no-fund --loglevel=error
    else
      cat .run/npm-ci.log >&2
      exit 1
    fi
  fi
  echo "$want" > "$stamp"
fi
infra/kafka/kafka.sh deps
