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

"""Child flows: the flow task type."""

import datetime

from oslo_config import cfg

from convection.common import states
from convection.conductor import rpcapi as conductor_rpcapi
from convection.db import api as db_api
from convection.engine import machine
from convection.engine import manager as engine_manager
from convection.engine import sweeper
from tests.unit.engine import base

CONF = cfg.CONF


class TestChildFlows(base.EngineTestCase):

    def children(self, execution_id):
        return [e for e in db_api.list_executions(
            base.PROJECT, filters={'parent_id': execution_id})]

    def test_child_output_becomes_the_task_output(self):
        self.create_flow(
            {'double': {'type': 'echo',
                        'with': {'twice': '{{ input.n * 2 }}'}}},
            name='child', output='{{ tasks.double.output.twice }}')
        execution = self.run_flow(
            {'call': {'type': 'flow',
                      'with': {'name': 'child', 'input': {'n': 21}}},
             'use': {'type': 'echo', 'requires': ['call'],
                     'with': {'got': '{{ tasks.call.output }}'}}})
        self.assertEqual(states.SUCCEEDED, execution['state'])
        tasks = self.tasks(execution['id'])
        self.assertEqual(42, tasks['call']['output'])
        self.assertEqual({'got': 42}, tasks['use']['output'])
        children = self.children(execution['id'])
        self.assertEqual(1, len(children))
        self.assertEqual(states.SUCCEEDED, children[0]['state'])
        self.assertEqual(tasks['call']['id'], children[0]['parent_task_id'])
        started = self.events(execution['id'], 'call')[0]
        self.assertEqual({'child_execution_id': children[0]['id']},
                         started['details'])
        self.assertEqual(
            ['PENDING', 'RUNNING', 'SUCCEEDED'],
            [e['to_state'] for e in self.events(children[0]['id'])
             if e['kind'] == 'execution'])

    def test_failed_child_fails_the_task(self):
        self.create_flow({'x': {'type': 'fail',
                                'with': {'message': 'disk full'}}},
                         name='child')
        execution = self.run_flow(
            {'call': {'type': 'flow', 'with': {'name': 'child'}}})
        self.assertEqual(states.FAILED, execution['state'])
        error = self.tasks(execution['id'])['call']['error']
        self.assertEqual('ChildFlowFailed', error['type'])
        self.assertIn('disk full', error['message'])

    def test_cancel_propagates_to_running_children(self):
        self.create_flow({'soak': {'type': 'sleep',
                                   'with': {'seconds': 60}}},
                         name='child')
        execution = self.create_execution(
            {'call': {'type': 'flow', 'with': {'name': 'child'}}})
        self.engine_api.start_execution(self.context(), execution['id'])
        self.wait_until(lambda: any(
            c['state'] == states.RUNNING
            for c in self.children(execution['id'])))
        self.engine_api.cancel_execution(self.context(), execution['id'])
        self.assertEqual(states.CANCELLED,
                         self.wait_for(execution['id'])['state'])
        child = self.children(execution['id'])[0]
        child = self.wait_for(child['id'])
        self.assertEqual(states.CANCELLED, child['state'])
        self.assertEqual('CANCELLED', self.tasks(child['id'])['soak']['state'])

    def test_depth_limit_stops_recursion(self):
        self.config(max_flow_depth=2, group='engine')
        execution = self.run_flow(
            {'again': {'type': 'flow', 'with': {'name': 'flow'}}},
            name='flow')
        self.assertEqual(states.FAILED, execution['state'])
        # flow -> flow -> flow: the third level is refused.
        levels, current = [execution], execution
        while True:
            children = self.children(current['id'])
            if not children:
                break
            current = self.wait_for(children[0]['id'])
            levels.append(current)
        self.assertEqual(3, len(levels))
        error = self.tasks(levels[-1]['id'])['again']['error']
        self.assertEqual('FlowDepthExceeded', error['type'])
        self.assertIn('max_flow_depth is 2', error['message'])

    def test_unknown_child_flow_fails_the_task(self):
        execution = self.run_flow(
            {'call': {'type': 'flow', 'with': {'name': 'nope'}}})
        self.assertEqual(states.FAILED, execution['state'])
        self.assertIn('Flow nope could not be found',
                      self.tasks(execution['id'])['call']['error']['message'])


class TestChildRecovery(base.EngineTestCase):
    """What the sweeper heals when an engine died between two steps."""

    engines = 0

    def setUp(self):
        super().setUp()
        self.manager = engine_manager.EngineManager('test')
        self.manager.conductor_api = conductor_rpcapi.ConductorAPI()
        self.sweeper = sweeper.Sweeper(self.manager)
        self.create_flow({'a': {'type': 'noop'}}, name='child')

    def later(self):
        return self.now() + datetime.timedelta(
            seconds=CONF.engine.dispatch_timeout + 1)

    def test_lost_child_end_reaches_the_parent(self):
        parent = self.create_execution(
            {'call': {'type': 'flow', 'with': {'name': 'child'}}})
        started = machine.start_execution(parent['id'], 'test')
        (child_id,) = started.start
        run = machine.start_execution(child_id, 'test').dispatch[0]
        ended = machine.apply_results(child_id, [{
            'task_id': run['id'], 'execution_id': child_id, 'attempt': 1,
            'status': 'succeeded', 'output': None}], 'test')
        self.assertEqual(states.SUCCEEDED, ended.execution['state'])
        # The engine died before reporting ended.report to the parent.
        self.assertEqual(1, len(ended.report))
        self.assertEqual(states.RUNNING,
                         self.tasks(parent['id'])['call']['state'])
        self.sweeper.sweep(now=self.later())
        self.assertEqual(states.SUCCEEDED,
                         self.wait_for(parent['id'])['state'])

    def test_child_of_a_cancelled_parent_is_cancelled(self):
        parent = self.create_execution(
            {'call': {'type': 'flow', 'with': {'name': 'child'}}})
        (child_id,) = machine.start_execution(parent['id'], 'test').start
        cancelled = machine.cancel_execution(parent['id'], 'test')
        # The engine died before cancelling cancelled.stop.
        self.assertEqual([child_id], list(cancelled.stop))
        self.sweeper.sweep()
        self.assertEqual(states.CANCELLED,
                         db_api.get_execution(child_id)['state'])


class TestChildFlowsPostgreSQL(TestChildFlows):
    backend = 'postgresql'


class TestChildPause(base.EngineTestCase):

    def test_pause_and_resume_reach_the_children(self):
        self.create_flow({'nap': {'type': 'sleep',
                                  'with': {'seconds': 1}},
                          'after': {'type': 'noop', 'requires': ['nap']}},
                         name='child')
        execution = self.create_execution(
            {'call': {'type': 'flow', 'with': {'name': 'child'}}})
        self.engine_api.start_execution(self.context(), execution['id'])
        self.wait_until(lambda: any(
            c['state'] == states.RUNNING for c in db_api.list_executions(
                base.PROJECT, filters={'parent_id': execution['id']})))
        self.engine_api.pause_execution(self.context(), execution['id'])
        (child,) = db_api.list_executions(
            base.PROJECT, filters={'parent_id': execution['id']})
        self.wait_for(child['id'], state_in={states.PAUSED})
        self.engine_api.resume_execution(self.context(), execution['id'])
        self.assertEqual(states.SUCCEEDED,
                         self.wait_for(execution['id'])['state'])
        self.assertEqual(
            ['PENDING', 'RUNNING', 'PAUSED', 'RUNNING', 'SUCCEEDED'],
            [e['to_state'] for e in self.events(child['id'])
             if e['kind'] == 'execution'])
