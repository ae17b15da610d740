# shellcheck shell=bash disable=SC2034
# common.sh - sourced by the peer scripts in tools/peers/ of the Convection
# repository (never run directly).  See tools/peers/README.rst.
#
# Everything the peers write (venvs, configs, databases, keys, logs, pid files,
# generated WSGI wrappers, clouds.yaml) goes under $CONVECTION_PEERS_DIR.
# Nothing is ever written next to these scripts, so the git checkout stays
# clean (and a read-only copy works too).
#
# Environment (all optional):
#   CONVECTION_PEERS_DIR     state directory            (/tmp/convection-peers)
#   PEERS_KEYSTONE_PORT      Keystone                   (5000)
#   PEERS_HEAT_PORT          heat-api                   (8004)
#   PEERS_NOVA_PORT          nova peer                  (8774)
#   PEERS_ADMIN_PASSWORD     Keystone bootstrap admin   (admin-secret)
#   PEERS_PYTHON             interpreter for the venvs  (python3)
#   PEERS_UNPINNED=1         ignore constraints/*.txt and take the latest releases

PEERS_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STATE=${CONVECTION_PEERS_DIR:-/tmp/convection-peers}
case $STATE in /*) ;; *) STATE=$PWD/$STATE ;; esac
export CONVECTION_PEERS_DIR=$STATE

KS_PORT=${PEERS_KEYSTONE_PORT:-5000}
HEAT_PORT=${PEERS_HEAT_PORT:-8004}
NOVA_PORT=${PEERS_NOVA_PORT:-8774}
export PEERS_KEYSTONE_PORT=$KS_PORT PEERS_HEAT_PORT=$HEAT_PORT PEERS_NOVA_PORT=$NOVA_PORT
export PEERS_AUTH_URL=http://127.0.0.1:$KS_PORT/v3
export PEERS_ADMIN_PASSWORD=${PEERS_ADMIN_PASSWORD:-admin-secret}

VENVS=$STATE/venvs
KS_VENV=$VENVS/keystone
HEAT_VENV=$VENVS/heat
NOVA_VENV=$VENVS/nova

# No .pyc next to the helpers (they live in the git checkout); silence the
# eventlet/pycadf deprecation banners of every CLI call.
export PYTHONDONTWRITEBYTECODE=1 PYTHONWARNINGS=ignore

COMPONENT=${COMPONENT:-peers}
log() { printf '[%s %(%T)T] %s\n' "$COMPONENT" -1 "$*"; }
die() { log "ERROR: $*"; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1fs", b-a}'; }
alive() { [ -s "$1" ] && kill -0 "$(head -1 "$1")" 2>/dev/null; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
http_code() { curl -s -m "${2:-3}" -o /dev/null -w '%{http_code}' "$1" 2>/dev/null || true; }
free_port() {  # first port >= $1 that nothing listens on (loopback)
  local p=$1
  while port_open "$p"; do p=$((p + 1)); done
  echo "$p"
}
rss_of() { ps -o rss= -p "$(echo "$@" | tr ' ' ',')" 2>/dev/null | awk '{s+=$1} END{printf "%.0f MB", s/1024}'; }

# stop_pidfiles GRACE_S FILE LABEL [FILE LABEL ...]: SIGTERM every pid read
# from the pid files at once, wait up to GRACE_S for all of them, then SIGKILL.
# The servers are started with setsid, so pid == process group id: leftover
# children of such a group (workers) are killed too.  Never matches by name.
stop_pidfiles() {
  local grace=$1; shift
  local files=() pids=() f label pid
  while [ $# -ge 2 ]; do
    f=$1 label=$2; shift 2
    [ -s "$f" ] || { rm -f "$f"; continue; }
    pid=$(head -1 "$f")
    if kill -0 "$pid" 2>/dev/null; then
      log "stopping $label ($pid)"; kill "$pid" 2>/dev/null || true
      files+=("$f"); pids+=("$pid")
    else
      rm -f "$f"
    fi
  done
  [ ${#pids[@]} -gt 0 ] || return 0
  local n=$((grace * 4)) any
  while [ $n -gt 0 ]; do
    any=
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && any=1; done
    [ -n "$any" ] || break
    sleep 0.25; n=$((n - 1))
  done
  for pid in "${pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then log "$pid still alive after ${grace}s: SIGKILL"; kill -9 "$pid" 2>/dev/null || true; fi
    # leftovers of the process group this pid led (we started it with setsid)
    kill -0 -- "-$pid" 2>/dev/null && kill -9 -- "-$pid" 2>/dev/null || true
  done
  rm -f "${files[@]}"
}

# ---------------------------------------------------------------- packages
SUDO=
if [ "$(id -u)" != 0 ]; then SUDO="sudo -n"; fi
APT_UPDATED=
apt_install() {  # apt-get install without letting postinst start system services
  command -v apt-get >/dev/null || die "need $* but there is no apt-get: install it yourself"
  if [ -n "$SUDO" ] && ! $SUDO true 2>/dev/null; then die "need root (or sudo -n) to apt-get install $*"; fi
  local guard=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d; guard=1
  fi
  if [ -z "$APT_UPDATED" ]; then $SUDO apt-get update -q >/dev/null; APT_UPDATED=1; fi
  local rc=0
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/dev/null || rc=$?
  if [ -n "$guard" ]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi
  return $rc
}
need_cmd() {  # need_cmd COMMAND DEBIAN_PACKAGE
  command -v "$1" >/dev/null && return 0
  log "$1 missing: apt-get install $2"; apt_install "$2"
}

# ensure_venv DIR CONSTRAINTS_NAME "MODULE ..." PACKAGE...
# Creates the venv and pip-installs the packages (pinned by constraints/NAME.txt
# unless PEERS_UNPINNED=1) when one of the modules cannot be found in it.
venv_has() {  # venv_has DIR "MODULE ..."  (find_spec: cheap, imports nothing heavy)
  [ -x "$1/bin/python" ] && "$1/bin/python" -c '
import importlib.util, sys
def ok(m):
    try:
        return importlib.util.find_spec(m) is not None
    except Exception:
        return False
sys.exit(0 if all(ok(m) for m in sys.argv[1:]) else 1)' $2 2>/dev/null
}
ensure_venv() {
  local dir=$1 cname=$2 mods=$3; shift 3
  venv_has "$dir" "$mods" && return 0
  local t; t=$(now)
  log "installing into $dir: $* ..."
  if [ ! -x "$dir/bin/python" ]; then
    local py=${PEERS_PYTHON:-python3}
    if ! "$py" -m venv "$dir" 2>/dev/null; then
      rm -rf "$dir"
      log "'$py -m venv' failed: apt-get install python3-venv"; apt_install python3-venv
      "$py" -m venv "$dir"
    fi
  fi
  local C=()
  if [ -z "${PEERS_UNPINNED:-}" ] && [ -f "$PEERS_HOME/constraints/$cname.txt" ]; then
    C=(-c "$PEERS_HOME/constraints/$cname.txt")
  fi
  "$dir/bin/pip" install -q --upgrade pip wheel setuptools 2>&1 | { grep -v "is ignored: it is neither" || true; }
  "$dir/bin/pip" install -q "${C[@]}" "$@" 2>&1 | { grep -v "is ignored: it is neither" || true; }
  venv_has "$dir" "$mods" || die "install into $dir did not provide all of: $mods"
  log "installed $(cd / && "$dir/bin/pip" list 2>/dev/null | awk -v p="$1" 'tolower($1)==p {print p, $2}') in $(since "$t")"
}

# Keystone is needed by heat and nova: start it unless ours answers already.
ensure_keystone() {
  if alive "$STATE/keystone/gunicorn.pid" && [ "$(http_code "$PEERS_AUTH_URL")" = 200 ] \
     && [ -s "$STATE/clouds.yaml" ]; then
    return 0
  fi
  log "keystone not running: bash start_keystone.sh"
  bash "$PEERS_HOME/start_keystone.sh"
}

init_state() {
  mkdir -p "$STATE"
  # the private PostgreSQL cluster runs as user postgres and must traverse $STATE
  chmod go+rx "$STATE" 2>/dev/null || true
}
