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

"""The ``wait`` task type: completes when its execution gets a signal.

Inputs: ``signal`` (the name to wait for) and an optional ``timeout`` in
seconds. ``POST /v1/executions/{id}/signals/{name}`` delivers a payload;
the task's output is ``{"signal", "payload", "received_at"}``. Without a
signal before the timeout the task fails with ``SignalTimeout`` (not
retryable).

The task holds no thread while it waits: it returns ``Wait`` with a
durable timer, which the signal API moves to now when it stores a signal;
the poll below only covers a signal sent while the task was between two
runs.
"""

import datetime

from oslo_utils import timeutils

from convection.db import queues_api
from convection.db import signals_api
from convection.i18n import _
from convection.tasks import base

# Seconds between two looks when no signal woke the task earlier.
FALLBACK_POLL = 10.0


class WaitTask(base.TaskType):
    """Waits for a named signal sent to its execution."""

    input_schema = {
        'type': 'object',
        'properties': {
            'signal': {'type': 'string',
                       'pattern': queues_api.NAME_RE.pattern},
            'timeout': {'type': 'number', 'exclusiveMinimum': 0},
        },
        'required': ['signal'],
        'additionalProperties': False,
    }

    output_schema = {
        'type': 'object',
        'properties': {'signal': {'type': 'string'}, 'payload': {},
                       'received_at': {'type': 'string'}},
        'required': ['signal', 'payload', 'received_at'],
    }

    def run(self, context, inputs):
        now = timeutils.utcnow()
        deadline = (context.run_state or {}).get('deadline')
        if deadline is not None:
            deadline = datetime.datetime.fromisoformat(deadline)
        elif 'timeout' in inputs:
            deadline = now + datetime.timedelta(seconds=inputs['timeout'])
        signal = signals_api.take(context.execution_id, context.task_id,
                                  inputs['signal'])
        if signal is not None:
            return base.Succeeded(output={
                'signal': signal['name'], 'payload': signal['payload'],
                'received_at': signal['created_at'].isoformat()})
        delay = FALLBACK_POLL
        if deadline is not None:
            remaining = (deadline - now).total_seconds()
            if remaining <= 0:
                return base.Failed(
                    message=_('No signal %(name)s came within %(t)s '
                              'seconds.') % {'name': inputs['signal'],
                                             't': inputs.get('timeout')},
                    error_type='SignalTimeout', retryable=False)
            delay = min(delay, remaining)
        return base.Wait(delay=delay, run_state={
            'deadline': deadline.isoformat() if deadline else None})
