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

"""Which state changes the engine may make, in one place.

The engine checks every change against these tables before writing it, so
a bug surfaces as an error instead of a history that cannot happen.
"""

from convection.common import states

EXECUTION = {
    states.PENDING: {states.RUNNING, states.CANCELLED, states.FAILED},
    states.RUNNING: {states.SUCCEEDED, states.FAILED, states.CANCELLED,
                     states.TIMED_OUT, states.PAUSED},
    # PAUSED -> SUCCEEDED: its run_for elapsed while it was paused.
    states.PAUSED: {states.RUNNING, states.CANCELLED, states.FAILED,
                    states.TIMED_OUT, states.SUCCEEDED},
}

# Retrying an execution (POST /v1/executions/{id}/retry) is the one way
# out of a terminal state: the execution runs again and its tasks that did
# not succeed go back to PENDING.
RETRY_EXECUTION_FROM = frozenset((states.FAILED, states.TIMED_OUT))
RETRY_TASK_FROM = frozenset((states.FAILED, states.TIMED_OUT,
                             states.SKIPPED, states.CANCELLED))

TASK = {
    # PENDING -> FAILED: its inputs could not be rendered or validated.
    states.PENDING: {states.RUNNING, states.FAILED, states.SKIPPED,
                     states.CANCELLED},
    states.RUNNING: {states.SUCCEEDED, states.FAILED, states.WAITING,
                     states.TIMED_OUT, states.CANCELLED},
    # WAITING -> RUNNING: a wake-up or a retry after a back-off.
    states.WAITING: {states.RUNNING, states.FAILED, states.TIMED_OUT,
                     states.CANCELLED, states.WAITING},
}


class IllegalTransition(Exception):
    """The engine tried a state change the tables above do not allow."""


def check_execution(from_state, to_state):
    if to_state not in EXECUTION.get(from_state, ()):
        raise IllegalTransition(
            f'execution {from_state} -> {to_state} is not allowed')


def check_task(from_state, to_state):
    if to_state not in TASK.get(from_state, ()):
        raise IllegalTransition(
            f'task {from_state} -> {to_state} is not allowed')
