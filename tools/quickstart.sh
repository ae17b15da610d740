#!/usr/bin/env bash
# tools/quickstart.sh [--keep] - Convection in one process, from nothing to a
# finished execution.
#
# Creates .quickstart-venv, installs Convection into it, upgrades the
# embedded SQLite database, starts convection-all (SQLite under ./state,
# the in-process fake:// transport, no authentication) on
# http://127.0.0.1:8989, registers examples/flows/hello.yaml, runs it and
# prints the execution and its events. convection-all is stopped at the end unless --keep is given.
#
#   env: PYTHON (python3), CONVECTION_QUICKSTART_STATE (./state),
#        CONVECTION_QUICKSTART_INPUT (the execution input, JSON)
set -euo pipefail
cd "$(dirname "$0")/.."

KEEP=
case ${1:-} in
  --keep) KEEP=1 ;;
  "") ;;
  *) echo "usage: $0 [--keep]" >&2; exit 2 ;;
esac

PYTHON=${PYTHON:-python3}
STATE=$(realpath -m "${CONVECTION_QUICKSTART_STATE:-state}")
INPUT=${CONVECTION_QUICKSTART_INPUT:-'{"who": "world"}'}
FLOW_FILE=examples/flows/hello.yaml
PORT=8989
API=http://127.0.0.1:$PORT
# Not .venv: recent tox (4.67 here) writes a file of that name pointing
# at one of its environments (PEP 832), which would stop "python -m venv".
VENV=.quickstart-venv

say() { printf '[quickstart] %s\n' "$*"; }
die() { say "ERROR: $*"; exit 1; }
json() { "$VENV/bin/python" -c "$1" "${@:2}"; }

command -v curl >/dev/null || die "curl is needed (apt-get install curl)"
[ -f "$FLOW_FILE" ] || die "$FLOW_FILE is missing"

if [ ! -x "$VENV/bin/python" ]; then
  say "creating $VENV with $PYTHON"
  "$PYTHON" -m venv "$VENV"
fi
say "installing Convection into $VENV (first time: a minute or two)"
"$VENV/bin/pip" install -q --disable-pip-version-check -e .

mkdir -p "$STATE"
CONF=$STATE/convection.conf
cat > "$CONF" <<CONFEOF
[DEFAULT]
state_path = $STATE
auth_strategy = noauth
transport_url = fake://

[api]
host_ip = 127.0.0.1
port = $PORT
CONFEOF

say "upgrading the database under $STATE"
"$VENV/bin/convection-manage" --config-file "$CONF" db upgrade

if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  die "something already listens on 127.0.0.1:$PORT (a convection-all left by --keep? kill \$(cat $STATE/convection-all.pid))"
fi
say "starting convection-all (log: $STATE/convection-all.log)"
"$VENV/bin/convection-all" --config-file "$CONF" > "$STATE/convection-all.log" 2>&1 &
PID=$!
echo "$PID" > "$STATE/convection-all.pid"
stop() {
  if kill -0 "$PID" 2>/dev/null; then
    say "stopping convection-all ($PID)"
    kill "$PID"
    for _ in $(seq 1 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$PID" 2>/dev/null && kill -9 "$PID"
  fi
  rm -f "$STATE/convection-all.pid"
}
if [ -z "$KEEP" ]; then trap stop EXIT; fi

for _ in $(seq 1 300); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$API/healthcheck")" = 200 ] && break
  kill -0 "$PID" 2>/dev/null || { tail -30 "$STATE/convection-all.log"; die "convection-all exited"; }
  sleep 0.2
done
[ "$(curl -s -o /dev/null -w '%{http_code}' "$API/healthcheck")" = 200 ] \
  || { tail -30 "$STATE/convection-all.log"; die "convection-all did not answer on $API"; }

# request METHOD PATH [BODY]: the response body; fails on a status >= 400.
request() {
  local out code
  out=$(mktemp)
  code=$(curl -s -o "$out" -w '%{http_code}' -X "$1" -H 'Content-Type: application/json' \
         -H 'Accept: application/json' ${3:+--data "$3"} "$API$2")
  if [ "$code" -ge 400 ]; then
    cat "$out" >&2; rm -f "$out"; die "$1 $2 answered $code"
  fi
  cat "$out"; rm -f "$out"
}

say "registering $FLOW_FILE"
body=$(json 'import json, sys; print(json.dumps({"definition": open(sys.argv[1]).read()}))' "$FLOW_FILE")
flow=$(request POST /v1/flows "$body")
name=$(json 'import json, sys; print(json.loads(sys.argv[1])["name"])' "$flow")

say "starting an execution of $name with input $INPUT"
body=$(json 'import json, sys; print(json.dumps({"flow": sys.argv[1], "input": json.loads(sys.argv[2])}))' "$name" "$INPUT")
execution=$(request POST /v1/executions "$body")
id=$(json 'import json, sys; print(json.loads(sys.argv[1])["id"])' "$execution")

state=
for _ in $(seq 1 300); do
  execution=$(request GET "/v1/executions/$id")
  state=$(json 'import json, sys; print(json.loads(sys.argv[1])["state"])' "$execution")
  case $state in SUCCEEDED|FAILED|CANCELLED|TIMED_OUT) break ;; esac
  sleep 0.2
done

pretty() { json 'import json, sys; print(json.dumps(json.loads(sys.argv[1]), indent=2, sort_keys=True))' "$1"; }
echo "== execution $id"
pretty "$execution"
echo "== events"
pretty "$(request GET "/v1/executions/$id/events")"

if [ -n "$KEEP" ]; then
  say "convection-all keeps running on $API (pid $PID); stop it with: kill $PID"
fi
say "execution $id ended $state"
[ "$state" = SUCCEEDED ]
