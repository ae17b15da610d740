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

"""with_items: one task instance per item, gathered in order."""

from convection.common import states
from convection.db import api as db_api
from tests.unit.engine import base


class TestFanOut(base.EngineTestCase):

    def task(self, execution_id, name):
        """The fan-out task itself (item_index -1), not one of its items."""
        return next(t for t in db_api.list_task_executions(
            execution_id, limit=100000) if t['name'] == name and
            t['item_index'] == -1)

    def items(self, execution_id, name):
        return sorted((t for t in db_api.list_task_executions(
            execution_id, limit=100000) if t['name'] == name and
            t['item_index'] >= 0), key=lambda t: t['item_index'])

    def test_outputs_are_gathered_in_order(self):
        execution = self.run_flow(
            {'each': {'type': 'echo', 'with_items': '{{ input.names }}',
                      'with': {'name': '{{ item }}', 'i': '{{ item_index }}'}},
             'after': {'type': 'echo', 'requires': ['each'],
                       'with': {'n': '{{ tasks.each.output | length }}'}}},
            input={'names': ['a', 'b', 'c']},
            output={'all': '{{ tasks.each.output }}'})
        self.assertEqual(states.SUCCEEDED, execution['state'])
        self.assertEqual(
            {'all': [{'name': 'a', 'i': 0}, {'name': 'b', 'i': 1},
                     {'name': 'c', 'i': 2}]}, execution['output'])
        items = self.items(execution['id'], 'each')
        self.assertEqual([0, 1, 2], [t['item_index'] for t in items])
        self.assertEqual(['SUCCEEDED'] * 3, [t['state'] for t in items])
        self.assertEqual({'n': 3},
                         self.tasks(execution['id'])['after']['output'])
        # The task, then each item, has its own history.
        parent = [e for e in self.events(execution['id'], 'each')
                  if e['task_execution_id'] ==
                  self.task(execution['id'], 'each')['id']]
        self.assertEqual([('PENDING', 'RUNNING'), ('RUNNING', 'SUCCEEDED')],
                         [(e['from_state'], e['to_state']) for e in parent])
        self.assertEqual({'items': 3}, parent[0]['details'])

    def test_empty_list_succeeds_with_an_empty_output(self):
        execution = self.run_flow(
            {'each': {'type': 'noop', 'with_items': []}})
        self.assertEqual(states.SUCCEEDED, execution['state'])
        self.assertEqual([], self.task(execution['id'], 'each')['output'])

    def test_concurrency_bounds_running_items(self):
        execution = self.create_execution(
            {'each': {'type': 'sleep', 'with_items': [0.1] * 6,
                      'concurrency': 2, 'with': {'seconds': '{{ item }}'}}})
        self.engine_api.start_execution(self.context(), execution['id'])
        self.wait_until(lambda: len(self.items(execution['id'], 'each')) == 6)
        waiting = [t for t in self.items(execution['id'], 'each')
                   if t['state'] == states.PENDING]
        self.assertEqual(4, len(waiting))
        self.assertEqual({states.BLOCKED_CONCURRENCY},
                         {t['blocked_on'] for t in waiting})
        execution = self.wait_for(execution['id'])
        self.assertEqual(states.SUCCEEDED, execution['state'])
        # Replay the history: never more than 2 items started and not done.
        running, most = set(), 0
        for event in self.events(execution['id'], 'each'):
            if event['details'] == {'items': 6}:
                continue
            if event['from_state'] == 'PENDING':
                running.add(event['task_execution_id'])
            elif event['to_state'] == 'SUCCEEDED':
                running.discard(event['task_execution_id'])
            most = max(most, len(running))
        self.assertEqual(2, most)
        self.assertEqual([{'slept': 0.1}] * 6,
                         self.task(execution['id'], 'each')['output'])

    def test_failed_item_fails_the_task_and_stops_the_others(self):
        execution = self.run_flow(
            {'each': {'type': 'fail', 'with_items': ['x', 'y', 'z'],
                      'concurrency': 1,
                      'with': {'message': 'no {{ item }}'}}})
        self.assertEqual(states.FAILED, execution['state'])
        self.assertIn('Item 0 of task each ended FAILED: no x',
                      execution['error']['message'])
        self.assertEqual(['FAILED', 'SKIPPED', 'SKIPPED'],
                         [t['state'] for t in
                          self.items(execution['id'], 'each')])
        self.assertEqual(0, self.task(execution['id'], 'each')[
            'error']['item_index'])

    def test_items_are_retried_one_by_one(self):
        execution = self.run_flow(
            {'each': {'type': 'fail', 'with_items': [1, 2],
                      'retry': {'count': 1}}})
        self.assertEqual(states.FAILED, execution['state'])
        attempts = [e['attempt'] for e in self.events(execution['id'], 'each')
                    if e['to_state'] == 'FAILED' and
                    e['details'].get('error', {}).get('type') == 'TaskError']
        self.assertIn(2, attempts)

    def test_list_expression_must_give_a_list(self):
        execution = self.run_flow(
            {'each': {'type': 'noop', 'with_items': '{{ input.n }}'}},
            input={'n': 3})
        self.assertEqual(states.FAILED, execution['state'])
        self.assertIn('with_items must give a list',
                      execution['error']['message'])

    def test_two_thousand_items(self):
        execution = self.run_flow(
            {'each': {'type': 'noop', 'with_items': '{{ range(2000) }}'}},
            wait=60)
        self.assertEqual(states.SUCCEEDED, execution['state'])
        self.assertEqual(2000,
                         len(self.task(execution['id'], 'each')['output']))


class TestFanOutPostgreSQL(TestFanOut):
    backend = 'postgresql'
