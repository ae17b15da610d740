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

"""State names of executions and tasks.

Constants only; which transitions are allowed lives in
``convection.engine.transitions``.
"""

# Execution states.
PENDING = 'PENDING'        # stored, the engine has not started it yet
RUNNING = 'RUNNING'
PAUSED = 'PAUSED'
SUCCEEDED = 'SUCCEEDED'
FAILED = 'FAILED'
CANCELLED = 'CANCELLED'
TIMED_OUT = 'TIMED_OUT'

EXECUTION_STATES = (PENDING, RUNNING, PAUSED, SUCCEEDED, FAILED, CANCELLED,
                    TIMED_OUT)
EXECUTION_TERMINAL_STATES = frozenset((SUCCEEDED, FAILED, CANCELLED,
                                       TIMED_OUT))
EXECUTION_ACTIVE_STATES = frozenset(EXECUTION_STATES) - \
    EXECUTION_TERMINAL_STATES

# Task states (PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLED and TIMED_OUT
# are shared with executions).
WAITING = 'WAITING'        # started, waits for a timer (sleep, poll, retry)
SKIPPED = 'SKIPPED'

TASK_STATES = (PENDING, RUNNING, WAITING, SUCCEEDED, FAILED, SKIPPED,
               CANCELLED, TIMED_OUT)
TASK_TERMINAL_STATES = frozenset((SUCCEEDED, FAILED, SKIPPED, CANCELLED,
                                  TIMED_OUT))
TASK_ACTIVE_STATES = frozenset(TASK_STATES) - TASK_TERMINAL_STATES

# Why a task that is not running is not running (``blocked_on``).
BLOCKED_DEPENDENCY = 'dependency'
BLOCKED_TIMER = 'timer'
BLOCKED_BACKOFF = 'backoff'
BLOCKED_PAUSED = 'paused'
BLOCKED_QUEUE = 'queue'
BLOCKED_CONCURRENCY = 'concurrency'

# Flow visibility.
PRIVATE = 'private'
PUBLIC = 'public'
VISIBILITIES = (PRIVATE, PUBLIC)
