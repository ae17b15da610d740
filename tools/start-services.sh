#!/usr/bin/env bash
# tools/start-services.sh - make sure the servers the functional tests use
# answer on 127.0.0.1: PostgreSQL (postgres, trust), MariaDB (root, no
# password), RabbitMQ (guest/guest) and Redis. A server that is down is
# started with the command the CI machines use; the script waits until each
# one answers a real request and exits non-zero if one does not.
#
# Usage: tools/start-services.sh [postgresql|mariadb|rabbitmq|redis ...]
# (all four by default). Run as root. On a machine without the servers, install them first:
#   apt-get update && apt-get install -y postgresql mariadb-server rabbitmq-server redis-server
set -euo pipefail

say() { printf '[services %(%T)T] %s\n' -1 "$*"; }

postgresql_ok() { psql -h 127.0.0.1 -U postgres -d postgres -Atqc 'select 1' >/dev/null 2>&1; }
mariadb_ok() { mariadb -h 127.0.0.1 -u root -e 'select 1' >/dev/null 2>&1; }
# The broker runs, guest/guest may log in, and the AMQP port accepts.
rabbitmq_ok() {
  (cd / && timeout 30 rabbitmqctl -q status >/dev/null 2>&1 \
    && timeout 30 rabbitmqctl -q authenticate_user guest guest >/dev/null 2>&1) \
    && (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null
}
redis_ok() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]; }

start_postgresql() { pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start; }
start_mariadb() { start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd; }
start_rabbitmq() { (cd / && rabbitmq-server -detached); }
start_redis() {
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
}

ensure() {  # ensure NAME: ask it; start it if down; wait up to 120 s for an answer
  local name=$1
  if "${name}_ok"; then say "$name is up"; return 0; fi
  say "$name is down: starting it"
  "start_$name" || say "starting $name returned $?"
  for _ in $(seq 1 240); do
    if "${name}_ok"; then say "$name is up"; return 0; fi
    sleep 0.5
  done
  say "FAILED: $name does not answer on 127.0.0.1 (is it installed? see README.rst)"
  return 1
}

services=("$@")
[ $# -gt 0 ] || services=(postgresql mariadb rabbitmq redis)
rc=0
for service in "${services[@]}"; do ensure "$service" || rc=1; done
exit $rc
