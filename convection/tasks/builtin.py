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

"""Built-in task types that need no cloud: noop, echo, fail and sleep."""

import datetime

from oslo_utils import timeutils

from convection.tasks import base


class NoopTask(base.TaskType):
    """Does nothing and succeeds."""

    input_schema = {'type': 'object', 'additionalProperties': False}

    def run(self, context, inputs):
        return base.Succeeded()


class EchoTask(base.TaskType):
    """Succeeds with its inputs as its output."""

    input_schema = {'type': 'object'}

    def run(self, context, inputs):
        return base.Succeeded(output=inputs)


class FailTask(base.TaskType):
    """Fails with the given message."""

    input_schema = {
        'type': 'object',
        'properties': {
            'message': {'type': 'string'},
            'error_type': {'type': 'string'},
            'retryable': {'type': 'boolean'},
        },
        'additionalProperties': False,
    }

    def run(self, context, inputs):
        return base.Failed(
            message=inputs.get('message', 'Failed on purpose'),
            error_type=inputs.get('error_type', 'TaskError'),
            retryable=inputs.get('retryable', True))


class SleepTask(base.TaskType):
    """Waits a number of seconds, durably.

    The end time is computed on the first run and kept as the run state, so
    a service restart during the wait does not start it again from zero.
    """

    input_schema = {
        'type': 'object',
        'properties': {'seconds': {'type': 'number', 'minimum': 0}},
        'required': ['seconds'],
        'additionalProperties': False,
    }

    def run(self, context, inputs):
        now = timeutils.utcnow()
        if context.run_state is None:
            until = now + datetime.timedelta(seconds=inputs['seconds'])
        else:
            until = datetime.datetime.fromisoformat(
                context.run_state['until'])
        remaining = (until - now).total_seconds()
        if remaining <= 0:
            return base.Succeeded(output={'slept': inputs['seconds']})
        return base.Wait(delay=remaining,
                         run_state={'until': until.isoformat()})
