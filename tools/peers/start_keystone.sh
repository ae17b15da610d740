#!/usr/bin/env bash
# start_keystone.sh - idempotently install, configure and start a REAL Keystone
# (keystone from PyPI, SQLite, fernet tokens) on http://127.0.0.1:$PEERS_KEYSTONE_PORT/v3
# under gunicorn (ONE sync worker), then ensure the Convection test identities
# and write $CONVECTION_PEERS_DIR/clouds.yaml.  Re-running while healthy takes
# ~2 s and changes nothing: it installs only what is missing, starts only what
# is not answering, and keeps the DB and keys.
#
#   env: see common.sh;  KS_RESET=1  wipe Keystone's DB and keys first
set -euo pipefail
COMPONENT=keystone
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

KS=$STATE/keystone
URL=$PEERS_AUTH_URL
export OS_KEYSTONE_CONFIG_DIR=$KS/etc
up() { [ "$(http_code "$URL")" = 200 ]; }

T_ALL=$(now)
init_state
need_cmd curl curl
mkdir -p "$KS"/{etc,log,fernet-keys,credential-keys}
chmod 700 "$KS/fernet-keys" "$KS/credential-keys"

# ---------------------------------------------------------------- 1. install
ensure_venv "$KS_VENV" keystone \
  'keystone.wsgi.api keystonemiddleware.auth_token openstack gunicorn requests' \
  keystone keystonemiddleware openstacksdk gunicorn

# ---------------------------------------------------------------- 2. configure
cat > "$KS/etc/keystone.conf" <<EOF
[DEFAULT]
debug = false
log_file = $KS/log/keystone.log

[identity]
# bcrypt cost 4 (the minimum): password auth ~30 ms instead of ~0.5 s. Test-only.
# Applies to passwords set after it, so it must be in place before bootstrap.
password_hash_rounds = 4

[database]
connection = sqlite:///$KS/keystone.db

[token]
provider = fernet
expiration = 86400

[fernet_tokens]
key_repository = $KS/fernet-keys
max_active_keys = 3

[fernet_receipts]
key_repository = $KS/fernet-keys

[credential]
key_repository = $KS/credential-keys

[cache]
# In-process dogpile cache: ~15-40 ms per request instead of ~300-700 ms
# (about 200 SQL queries per token validation without it).  Only coherent
# because there is exactly ONE worker process.
enabled = true
backend = dogpile.cache.memory
EOF

# Generated into the state dir, never into the git checkout.
cat > "$KS/ks_wsgi.py" <<EOF
# keystone parses sys.argv with oslo.config while it builds the app: hide the
# WSGI server's own command line (gunicorn flags) from it, or the worker
# boot-loops with "unrecognized arguments".
import os, sys
os.environ.setdefault("OS_KEYSTONE_CONFIG_DIR", "$KS/etc")
sys.argv = sys.argv[:1]
from keystone.wsgi.api import application  # noqa: E402,F401
EOF

# ---------------------------------------------------------------- 3. start
if [ -n "${KS_RESET:-}" ]; then
  stop_pidfiles 10 "$KS/gunicorn.pid" keystone
  rm -rf "$KS/keystone.db" "$KS/bootstrap.done" "$KS"/fernet-keys/* "$KS"/credential-keys/*
fi

if alive "$KS/gunicorn.pid" && up; then
  log "already running (gunicorn master $(head -1 "$KS/gunicorn.pid")) at $URL"
else
  if [ -s "$KS/gunicorn.pid" ]; then log "stale or unhealthy server: stopping"; stop_pidfiles 10 "$KS/gunicorn.pid" keystone; fi
  port_open "$KS_PORT" && die "127.0.0.1:$KS_PORT is taken by a process that is not ours (set PEERS_KEYSTONE_PORT)"
  KM=("$KS_VENV/bin/keystone-manage" --config-file "$KS/etc/keystone.conf")
  # db_sync + bootstrap (~5 s) only when the DB, keystone or the bootstrap inputs changed
  stamp="$(cd / && "$KS_VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("keystone"))') $URL $(printf %s "$PEERS_ADMIN_PASSWORD" | sha256sum | cut -c1-16)"
  if [ -f "$KS/keystone.db" ] && [ -f "$KS/fernet-keys/0" ] && [ "$(cat "$KS/bootstrap.done" 2>/dev/null)" = "$stamp" ]; then
    BOOTSTRAPPED=1
  else
    BOOTSTRAPPED=; rm -f "$KS/bootstrap.done"
  fi
  if [ -z "$BOOTSTRAPPED" ]; then t=$(now); "${KM[@]}" db_sync; log "db_sync $(since "$t")"; fi
  if [ ! -f "$KS/fernet-keys/0" ]; then
    t=$(now); "${KM[@]}" fernet_setup --keystone-user "$(id -un)" --keystone-group "$(id -gn)"
    log "fernet_setup $(since "$t")"
  fi
  if [ ! -f "$KS/credential-keys/0" ]; then
    t=$(now); "${KM[@]}" credential_setup --keystone-user "$(id -un)" --keystone-group "$(id -gn)"
    log "credential_setup $(since "$t")"
  fi
  if [ -z "$BOOTSTRAPPED" ]; then
    t=$(now)
    "${KM[@]}" bootstrap --bootstrap-password "$PEERS_ADMIN_PASSWORD" \
        --bootstrap-admin-url "$URL/" --bootstrap-internal-url "$URL/" \
        --bootstrap-public-url "$URL/" --bootstrap-region-id RegionOne
    echo "$stamp" > "$KS/bootstrap.done"
    log "bootstrap $(since "$t")"
  else
    log "DB and keys present, bootstrapped with the same inputs: db_sync/bootstrap skipped"
  fi

  t=$(now)
  # ONE sync worker, ONE thread: keystone is not safe with several threads in
  # one worker (403 identity:validate_token and 500s for valid tokens under
  # concurrent requests), and the memory cache needs a single process.
  ( cd "$KS" && exec setsid nohup "$KS_VENV/bin/gunicorn" --no-control-socket \
      --bind "127.0.0.1:$KS_PORT" --workers 1 --threads 1 --timeout 120 --graceful-timeout 2 \
      --pythonpath "$KS" --pid "$KS/gunicorn.pid" \
      --access-logfile "$KS/log/access.log" --error-logfile "$KS/log/gunicorn.log" \
      ks_wsgi:application >> "$KS/log/gunicorn.out" 2>&1 < /dev/null ) &
  echo $! > "$KS/gunicorn.pid"   # == the gunicorn master (setsid/nohup exec in place)
  for _ in $(seq 1 600); do up && break; alive "$KS/gunicorn.pid" || break; sleep 0.1; done
  up || { tail -20 "$KS/log/gunicorn.log" "$KS/log/keystone.log" 2>/dev/null; die "keystone did not answer on $URL; logs in $KS/log/"; }
  log "serving $URL: first 200 after $(since "$t")"
fi

# ---------------------------------------------------------------- 4. fixtures
t=$(now)
"$KS_VENV/bin/python" "$PEERS_HOME/ks_fixtures.py"
log "identities + tokens + clouds.yaml $(since "$t")"

cat > "$STATE/peers.env" <<EOF
# source this file: the loopback OpenStack peers
export OS_CLIENT_CONFIG_FILE=$STATE/clouds.yaml
export OS_AUTH_URL=$URL
export CONVECTION_PEERS_DIR=$STATE
export PEERS_KEYSTONE_PORT=$KS_PORT PEERS_HEAT_PORT=$HEAT_PORT PEERS_NOVA_PORT=$NOVA_PORT
EOF

master=$(head -1 "$KS/gunicorn.pid")
workers=$(pgrep -P "$master" | tr '\n' ' ' || true)
log "PIDS gunicorn master=$master workers=${workers% } (RSS $(rss_of $master $workers)); total $(since "$T_ALL")"
echo "export OS_CLIENT_CONFIG_FILE=$STATE/clouds.yaml OS_AUTH_URL=$URL   # or: . $STATE/peers.env"
