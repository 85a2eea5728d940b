#!/usr/bin/env bash
# Make Kafka, PostgreSQL and Redis answer on loopback, starting (and if need be installing) whatever
# does not. Records what it started in .run/started so infra/down.sh stops only that.
# Env: DATABASE_URL, REDIS_URL, KAFKA_BROKERS (defaults: 127.0.0.1:5432, :6379, :9092).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN="$ROOT/.run"; mkdir -p "$RUN"
STARTED="$RUN/started"; touch "$STARTED"
log() { echo "infra: $*"; }

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }
host_of() { local hp="${1#*://}"; hp="${hp#*@}"; hp="${hp%%/*}"; echo "${hp%%:*}"; }
port_of() { local hp="${1#*://}"; hp="${hp#*@}"; hp="${hp%%/*}"; [[ "$hp" == *:* ]] && echo "${hp##*:}" || echo "$2"; }
mark() { grep -qx "$1" "$STARTED" || echo "$1" >> "$STARTED"; }
apt_install() {
  if [ "$(id -u)" != 0 ]; then log "need root to install $*"; return 1; fi
  log "installing $* from Debian packages"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# --- PostgreSQL -------------------------------------------------------------------------------
DB_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/hub}"
PG_HOST="$(host_of "$DB_URL")"; PG_PORT="$(port_of "$DB_URL" 5432)"
if port_open "$PG_HOST" "$PG_PORT"; then
  log "postgresql answering on $PG_HOST:$PG_PORT"
else
  command -v pg_ctlcluster >/dev/null || apt_install postgresql
  ver="$(ls /etc/postgresql | sort -V | tail -n1)"
  if [ -z "$ver" ]; then log "no postgresql cluster found"; exit 1; fi
  hba="/etc/postgresql/$ver/main/pg_hba.conf"
  # A local development cluster: trust loopback, as the CI machines do.
  if ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  fi
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start
  for _ in $(seq 1 30); do port_open "$PG_HOST" "$PG_PORT" && break; sleep 1; done
  port_open "$PG_HOST" "$PG_PORT" || { log "postgresql did not start"; exit 1; }
  mark "postgres $ver"
  log "started postgresql $ver on $PG_HOST:$PG_PORT"
fi
# The databases the hub and its tests use.
for db in hub hub_test; do
  psql "postgres://postgres@$PG_HOST:$PG_PORT/postgres" -qtAc "select 1 from pg_database where datname='$db'" | grep -q 1 \
    || psql "postgres://postgres@$PG_HOST:$PG_PORT/postgres" -qc "create database $db" >/dev/null
done

# --- Redis ------------------------------------------------------------------------------------
R_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
R_HOST="$(host_of "$R_URL")"; R_PORT="$(port_of "$R_URL" 6379)"
if port_open "$R_HOST" "$R_PORT"; then
  log "redis answering on $R_HOST:$R_PORT"
else
  command -v redis-server >/dev/null || apt_install redis-server
  redis-server --daemonize yes --bind 127.0.0.1 --port "$R_PORT" --save "" --appendonly yes --appendfsync everysec \
    --pidfile "$RUN/redis.pid" --logfile "$RUN/redis.log" --dir "$RUN"
  for _ in $(seq 1 30); do port_open "$R_HOST" "$R_PORT" && break; sleep 0.2; done
  port_open "$R_HOST" "$R_PORT" || { log "redis did not start"; exit 1; }
  mark redis
  log "started redis on $R_HOST:$R_PORT"
fi
# HUB_DURABLE_REDIS=1 (npm run demo): the nba-worker's jobs live only in Redis once their Kafka offset
# is committed, so a Redis that keeps nothing across a restart (appendonly no, as a machine's shared
# one may be) is replaced for this run by the project's own, durable one (AOF everysec, noeviction) on
# HUB_DURABLE_REDIS_PORT (6380); its URL is written to .run/redis-url for the caller to use.
rm -f "$RUN/redis-url"
if [ "${HUB_DURABLE_REDIS:-0}" = 1 ]; then
  command -v redis-cli >/dev/null || apt_install redis-tools
  aof="$(redis-cli -h "$R_HOST" -p "$R_PORT" config get appendonly 2>/dev/null | sed -n 2p || true)"
  if [ "$aof" = yes ]; then
    log "redis on $R_HOST:$R_PORT keeps its data (appendonly yes)"
  else
    D_PORT="${HUB_DURABLE_REDIS_PORT:-6380}"
    if ! port_open 127.0.0.1 "$D_PORT"; then
      command -v redis-server >/dev/null || apt_install redis-server
      redis-server --daemonize yes --bind 127.0.0.1 --port "$D_PORT" --save "" --appendonly yes --appendfsync everysec \
        --maxmemory-policy noeviction --pidfile "$RUN/redis-durable.pid" --logfile "$RUN/redis-durable.log" --dir "$RUN"
      for _ in $(seq 1 30); do port_open 127.0.0.1 "$D_PORT" && break; sleep 0.2; done
      port_open 127.0.0.1 "$D_PORT" || { log "durable redis did not start"; exit 1; }
      mark redis-durable
      log "redis on $R_HOST:$R_PORT is not durable (appendonly ${aof:-unknown}): started the project's own on 127.0.0.1:$D_PORT (appendonly everysec, noeviction)"
    else
      log "redis on $R_HOST:$R_PORT is not durable (appendonly ${aof:-unknown}): using the project's own on 127.0.0.1:$D_PORT"
    fi
    echo "redis://127.0.0.1:$D_PORT" > "$RUN/redis-url"
  fi
fi

# --- Kafka ------------------------------------------------------------------------------------
BROKER="${KAFKA_BROKERS:-127.0.0.1:9092}"; BROKER="${BROKER%%,*}"
K_HOST="${BROKER%%:*}"; K_PORT="${BROKER##*:}"
if port_open "$K_HOST" "$K_PORT"; then
  log "kafka answering on $K_HOST:$K_PORT"
else
  KAFKA_PORT="$K_PORT" "$ROOT/infra/kafka/kafka.sh" deps
  KAFKA_PORT="$K_PORT" "$ROOT/infra/kafka/kafka.sh" start
  mark kafka
fi
