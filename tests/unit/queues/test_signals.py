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

"""Signals into running executions and the wait task type."""

import time

from convection.common import exception
from convection.common import states
from convection.db import signals_api
from convection.tasks import signals
from tests.unit.api import base as api_base
from tests.unit.engine import base
from tests.unit.queues import base as queue_base


class WaitTaskFlowTest(base.EngineTestCase):

    def start(self, tasks, **extra):
        execution = self.create_execution(tasks, **extra)
        self.engine_api.start_execution(self.context(), execution['id'])
        return execution['id']

    def test_signal_resumes_a_waiting_flow_at_once(self):
        execution_id = self.start(
            {'w': {'type': 'wait', 'with': {'signal': 'approved'}},
             'after': {'type': 'echo', 'requires': ['w'],
                       'with': {'by': '{{ tasks.w.output.payload.by }}'}}},
            output={'by': '{{ tasks.after.output.by }}'})
        self.wait_task(execution_id, 'w', states.WAITING)
        sent = time.monotonic()
        signals_api.send(execution_id, 'approved', {'by': 'rita'})
        execution = self.wait_for(execution_id)
        # Woken by the signal, not by the fallback poll.
        self.assertLess(time.monotonic() - sent,
                        signals.FALLBACK_POLL / 2)
        self.assertEqual(states.SUCCEEDED, execution['state'])
        self.assertEqual({'by': 'rita'}, execution['output'])
        self.assertEqual('approved',
                         self.tasks(execution_id)['w']['output']['signal'])

    def test_signal_sent_before_the_task_waits_is_kept(self):
        execution_id = self.start(
            {'nap': {'type': 'sleep', 'with': {'seconds': 0.5}},
             'w': {'type': 'wait', 'requires': ['nap'],
                   'with': {'signal': 'go'}}})
        self.wait_for(execution_id, state_in=(states.RUNNING,))
        signals_api.send(execution_id, 'go', [1, 2])
        execution = self.wait_for(execution_id)
        self.assertEqual(states.SUCCEEDED, execution['state'])
        self.assertEqual([1, 2],
                         self.tasks(execution_id)['w']['output']['payload'])

    def test_timeout(self):
        execution = self.run_flow(
            {'w': {'type': 'wait',
                   'with': {'signal': 'never', 'timeout': 0.3}}})
        self.assertEqual(states.FAILED, execution['state'])
        self.assertEqual('SignalTimeout',
                         self.tasks(execution['id'])['w']['error']['type'])

    def test_finished_execution_refuses_signals(self):
        execution = self.run_flow({'a': {'type': 'noop'}})
        self.assertRaises(exception.ExecutionAlreadyFinished,
                          signals_api.send, execution['id'], 'x', None)
        self.assertRaises(exception.ExecutionNotFound, signals_api.send,
                          'nope', 'x', None)
        self.assertRaises(exception.InvalidParameterValue,
                          signals_api.send, execution['id'], 'bad name',
                          None)


class SignalsAPITest(api_base.APITestCase):

    def test_send(self):
        execution_id = queue_base.make_execution(api_base.PROJECT)
        response = self.post(f'/v1/executions/{execution_id}/signals/go',
                             {'payload': {'ok': True}})
        self.assertEqual(202, response.status_int, response.text)
        self.assertEqual(('go', {'ok': True}),
                         (response.json['name'], response.json['payload']))
        self.assertEqual(202, self.post(
            f'/v1/executions/{execution_id}/signals/go').status_int)
        self.assertError(self.post(
            f'/v1/executions/{execution_id}/signals/go', {},
            persona='other'), 404)
        self.assertError(self.post(
            f'/v1/executions/{execution_id}/signals/go', {},
            persona='reader'), 403)
        self.assertError(self.post(
            f'/v1/executions/{execution_id}/signals/9bad', {}), 400)
        finished = queue_base.make_execution(api_base.PROJECT,
                                             state=states.SUCCEEDED)
        self.assertError(self.post(
            f'/v1/executions/{finished}/signals/go', {}), 409)
