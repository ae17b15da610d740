#!/bin/sh
# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.
#
# A Convection worker in POSIX shell, with curl and jq only.
#
#   shell-worker.sh [-1] QUEUE COMMAND [ARG...]
#
# Claims the work items of QUEUE one at a time and runs COMMAND for each:
# the item's input (JSON) on its standard input, its output (JSON) read
# from its standard output. Exit status 0 completes the item; any other
# status fails it (retryable), with the command's standard error as the
# message. While COMMAND runs, the claim is heartbeated at a third of its
# heartbeat timeout. COMMAND also sees CONVECTION_TASK_ID,
# CONVECTION_EXECUTION_ID and CONVECTION_ATTEMPT in its environment.
#
# -1 stops after the first long-poll that brings nothing.
#
# Environment: CONVECTION_URL (e.g. http://127.0.0.1:8989), OS_TOKEN (a
# Keystone token of the project; omit it under auth_strategy=noauth),
# WORKER_NAME (default: the host name and this process id), CLAIM_WAIT
# (long-poll seconds, default 20).

set -u

once=false
if [ "${1:-}" = "-1" ]; then
    once=true
    shift
fi
if [ $# -lt 2 ]; then
    echo "usage: $0 [-1] QUEUE COMMAND [ARG...]" >&2
    exit 2
fi
queue=$1
shift

: "${CONVECTION_URL:?set CONVECTION_URL to the Convection API endpoint}"
worker=${WORKER_NAME:-$(hostname)-$$}
wait_seconds=${CLAIM_WAIT:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
trap 'exit 143' TERM INT

api() {
    # api METHOD PATH [JSON BODY] - prints the body, returns 0 on 2xx.
    status=$(curl -sS -o "$work/response" -w '%{http_code}' \
        -X "$1" "$CONVECTION_URL$2" \
        -H 'Content-Type: application/json' \
        -H 'Accept: application/json' \
        ${OS_TOKEN:+-H "X-Auth-Token: $OS_TOKEN"} \
        ${3:+--data-binary "$3"}) || return 1
    cat "$work/response"
    case $status in 2??) return 0 ;; *) return 1 ;; esac
}

heartbeat_loop() {
    # Runs in the background while the command works.
    while sleep "$1"; do
        api POST "/v1/claims/$2/heartbeat" '{}' >/dev/null || {
            echo "$worker: heartbeat refused; the claim is gone" >&2
            return
        }
    done
}

while :; do
    body=$(jq -cn --arg w "$worker" --argjson wait "$wait_seconds" \
        '{limit: 1, wait: $wait, worker: $w}')
    if ! claimed=$(api POST "/v1/queues/$queue/claims" "$body"); then
        echo "$worker: claim failed: $claimed" >&2
        sleep 2
        continue
    fi
    if [ "$(printf '%s' "$claimed" | jq '.items | length')" = 0 ]; then
        if $once; then exit 0; fi
        continue
    fi
    item=$(printf '%s' "$claimed" | jq -c '.items[0]')
    token=$(printf '%s' "$item" | jq -r .claim_token)
    interval=$(printf '%s' "$item" | jq '[(.heartbeat_timeout / 3), 1] | max')
    printf '%s' "$item" | jq -c .input > "$work/input"

    heartbeat_loop "$interval" "$token" &
    heartbeats=$!
    CONVECTION_TASK_ID=$(printf '%s' "$item" | jq -r .task_id) \
    CONVECTION_EXECUTION_ID=$(printf '%s' "$item" | jq -r .execution_id) \
    CONVECTION_ATTEMPT=$(printf '%s' "$item" | jq -r .attempt) \
        "$@" < "$work/input" > "$work/output" 2> "$work/error"
    status=$?
    kill "$heartbeats" 2>/dev/null
    wait "$heartbeats" 2>/dev/null

    if [ $status -eq 0 ] && jq -e . "$work/output" >/dev/null 2>&1; then
        result=$(jq -c '{output: .}' "$work/output")
        action=complete
    else
        result=$(jq -cn --arg m "exit status $status: $(head -c 2000 \
            "$work/error")" '{message: $m, error_type: "CommandFailed",
                              retryable: true}')
        action=fail
    fi
    if ! answer=$(api POST "/v1/claims/$token/$action" "$result"); then
        echo "$worker: $action refused: $answer" >&2
    fi
done
