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

"""Tenant task types run through the real engine and its work queues."""

import datetime
import time

from convection import dsl
from convection.common import exception
from convection.common import states
from convection.db import api as db_api
from convection.db import queues_api
from convection.tasks import tenant
from tests.unit.engine import base

PROJECT = base.PROJECT


class TenantTaskTypeFlowTest(base.EngineTestCase):

    def setUp(self):
        super().setUp()
        queues_api.create_task_type(PROJECT, base.USER, {
            'name': 'resize', 'queue': 'images', 'heartbeat_timeout': 1,
            'retry': {'count': 0},
            'input_schema': {'type': 'object',
                             'properties': {'image': {'type': 'string'}},
                             'required': ['image']},
            'output_schema': {'type': 'object',
                              'required': ['size']}})

    def create_flow(self, tasks, name='flow', **extra):
        document = dict({'version': 1, 'name': name, 'tasks': tasks},
                        **extra)
        definition = dsl.validate(document,
                                  task_types=tenant.task_types_for(PROJECT))
        flow, version, _created = db_api.create_flow_version(
            PROJECT, base.USER, name, definition, None, None,
            dsl.checksum(definition))
        return flow, version

    def start(self, tasks, **extra):
        execution = self.create_execution(tasks, **extra)
        self.engine_api.start_execution(self.context(), execution['id'])
        self.wait_for(execution['id'], state_in=(states.RUNNING,))
        return execution['id']

    def claim(self, timeout=10):
        items = queues_api.claim(PROJECT, 'images', worker='w', wait=timeout)
        self.assertEqual(1, len(items))
        return items[0]

    def report(self, item):
        self.engine_api.report_task_results(self.context(),
                                            [tenant.result_of(item)])

    def test_worker_result_flows_on(self):
        execution_id = self.start(
            {'a': {'type': 'echo', 'with': {'image': 'cirros'}},
             'b': {'type': 'resize', 'requires': ['a'],
                   'with': {'image': '{{ tasks.a.output.image }}'}},
             'c': {'type': 'echo', 'requires': ['b'],
                   'with': {'size': '{{ tasks.b.output.size }}'}}},
            output={'size': '{{ tasks.c.output.size }}'})
        task = self.wait_task(execution_id, 'b', states.RUNNING)
        self.assertEqual(states.BLOCKED_QUEUE, task['blocked_on'])
        item = self.claim()
        self.assertEqual({'image': 'cirros'}, item['input'])
        self.assertEqual(task['id'], item['task_id'])
        self.assertIsNone(self.tasks(execution_id)['b']['blocked_on'])
        queues_api.heartbeat(PROJECT, item['claim_token'], {'percent': 10})
        self.assertEqual({task['id']: {'percent': 10}},
                         queues_api.progress_of([task['id'], 'other']))
        self.report(queues_api.complete(PROJECT, item['claim_token'],
                                        {'size': 42}))
        execution = self.wait_for(execution_id)
        self.assertEqual(states.SUCCEEDED, execution['state'])
        self.assertEqual({'size': 42}, execution['output'])

    def test_a_lost_report_is_recovered_by_the_sweeper(self):
        execution_id = self.start({'b': {'type': 'resize',
                                         'with': {'image': 'x'}}})
        item = self.claim()
        # Completed, but the API's cast to the engine never arrived.
        queues_api.complete(PROJECT, item['claim_token'], {'size': 5})
        self.assertEqual([], queues_api.unreported(
            self.now() - datetime.timedelta(seconds=1)))
        later = self.now() + datetime.timedelta(seconds=120)
        self.assertEqual([item['task_id']], [
            i['task_execution_id'] for i in queues_api.unreported(later)])
        self.services[0].manager._sweeper.sweep(now=later)
        execution = self.wait_for(execution_id)
        self.assertEqual(states.SUCCEEDED, execution['state'])
        self.assertEqual({'size': 5}, self.tasks(execution_id)['b']['output'])
        self.assertEqual([], queues_api.unreported(later))

    def test_invalid_input_fails_the_task_without_a_work_item(self):
        execution = self.run_flow({'b': {'type': 'resize',
                                         'with': {'image': '{{ 1 }}'}}})
        self.assertEqual(states.FAILED, execution['state'])
        self.assertEqual([], queues_api.claim(PROJECT, 'images'))

    def test_worker_failure_fails_the_execution(self):
        execution_id = self.start({'b': {'type': 'resize',
                                         'with': {'image': 'x'}}})
        item = self.claim()
        self.report(queues_api.fail(PROJECT, item['claim_token'],
                                    'disk full', error_type='DiskFull',
                                    retryable=False))
        execution = self.wait_for(execution_id)
        self.assertEqual(states.FAILED, execution['state'])
        self.assertEqual('DiskFull',
                         self.tasks(execution_id)['b']['error']['type'])

    def test_dead_worker_fails_the_task_once_attempts_are_spent(self):
        execution_id = self.start({'b': {'type': 'resize',
                                         'with': {'image': 'x'}}})
        item = self.claim()
        # No heartbeat: the one-second lease runs out, the sweeper fails
        # the item (retry count 0) and reports it.
        execution = self.wait_for(execution_id)
        self.assertEqual(states.FAILED, execution['state'])
        self.assertEqual('LeaseExpired',
                         self.tasks(execution_id)['b']['error']['type'])
        self.assertRaises(exception.ClaimNotValid, queues_api.complete,
                          PROJECT, item['claim_token'], {'size': 1})

    def test_cancel_withdraws_the_work_item(self):
        execution_id = self.start({'b': {'type': 'resize',
                                         'with': {'image': 'x'}}})
        item = self.claim()
        queues_api.heartbeat(PROJECT, item['claim_token'])
        self.engine_api.cancel_execution(self.context(), execution_id)
        self.wait_for(execution_id)
        deadline = time.monotonic() + 5
        while True:
            try:
                queues_api.heartbeat(PROJECT, item['claim_token'])
            except exception.ClaimNotValid as e:
                self.assertIn('cancelled', str(e))
                break
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)
