#!/usr/bin/env bash
# Stop what infra/up.sh started (and nothing else). KEEP_INFRA=1 leaves it running.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STARTED="$ROOT/.run/started"
[ -f "$STARTED" ] || exit 0
if [ "${KEEP_INFRA:-0}" = 1 ]; then echo "infra: KEEP_INFRA=1, leaving $(tr '\n' ' ' < "$STARTED")running"; exit 0; fi
while read -r what ver; do
  case "$what" in
    kafka) "$ROOT/infra/kafka/kafka.sh" stop ;;
    redis) [ -f "$ROOT/.run/redis.pid" ] && kill "$(cat "$ROOT/.run/redis.pid")" 2>/dev/null; echo "infra: stopped redis" ;;
    redis-durable) [ -f "$ROOT/.run/redis-durable.pid" ] && kill "$(cat "$ROOT/.run/redis-durable.pid")" 2>/dev/null; echo "infra: stopped the project's durable redis" ;;
    postgres) pg_ctlcluster --skip-systemctl-redirect "$ver" main stop && echo "infra: stopped postgresql $ver" ;;
  esac
done < "$STARTED"
rm -f "$STARTED"
