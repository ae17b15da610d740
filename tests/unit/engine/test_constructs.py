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

"""Conditions, joins, failure handlers, publish, lifecycle and run_for."""

import threading
import time

import fixtures

from convection import dsl
from convection.common import exception
from convection.common import states
from convection.db import api as db_api
from convection.db import queues_api
from convection.dsl import spec as dsl_spec
from convection.engine import specs
from convection.tasks import base as task_base
from convection.tasks import registry
from convection.tasks import tenant
from tests.unit.engine import base


def _history(events):
    return [(e['kind'], e['task_name'], e['from_state'], e['to_state'])
            for e in events]


class TestConditions(base.EngineTestCase):

    def test_false_condition_skips_the_task_and_its_dependants(self):
        execution = self.run_flow(
            {'a': {'type': 'noop', 'when': '{{ input.deploy }}'},
             'b': {'type': 'noop', 'requires': ['a']},
             'c': {'type': 'noop'}},
            input={'deploy': False})
        self.assertEqual(states.SUCCEEDED, execution['state'])
        tasks = self.tasks(execution['id'])
        self.assertEqual(
            {'a': 'SKIPPED', 'b': 'SKIPPED', 'c': 'SUCCEEDED'},
            {name: task['state'] for name, task in tasks.items()})
        events = self.events(execution['id'])
        self.assertIn(('task', 'a', 'PENDING', 'SKIPPED'), _history(events))
        skipped_b = [e for e in events if e['task_name'] == 'b']
        self.assertEqual(
            [{'reason': 'requirements_not_met', 'tasks': ['a']}],
            [e['details'] for e in skipped_b])

    def test_true_condition_runs_the_task(self):
        execution = self.run_flow(
            {'a': {'type': 'echo', 'with': {'n': 1}},
             'b': {'type': 'echo', 'requires': ['a'],
                   'when': '{{ tasks.a.output.n == 1 }}',
                   'with': {'ran': True}}})
        self.assertEqual(states.SUCCEEDED, execution['state'])
        self.assertEqual({'ran': True},
                         self.tasks(execution['id'])['b']['output'])

    def test_join_any_runs_after_one_requirement(self):
        execution = self.run_flow(
            {'fast': {'type': 'noop'},
             'never': {'type': 'noop', 'when': False},
             'either': {'type': 'noop', 'requires': ['fast', 'never'],
                        'join': 'any'},
             'both': {'type': 'noop', 'requires': ['fast', 'never']}})
        self.assertEqual(states.SUCCEEDED, execution['state'])
        tasks = self.tasks(execution['id'])
        self.assertEqual('SUCCEEDED', tasks['either']['state'])
        self.assertEqual('SKIPPED', tasks['both']['state'])

    def test_join_any_is_skipped_when_no_requirement_is_met(self):
        execution = self.run_flow(
            {'x': {'type': 'noop', 'when': False},
             'y': {'type': 'noop', 'when': False},
             'z': {'type': 'noop', 'requires': ['x', 'y'], 'join': 'any'}})
        self.assertEqual(states.SUCCEEDED, execution['state'])
        self.assertEqual('SKIPPED',
                         self.tasks(execution['id'])['z']['state'])

    def test_condition_error_fails_the_task(self):
        execution = self.run_flow(
            {'a': {'type': 'noop', 'when': '{{ input.missing.key }}'}})
        self.assertEqual(states.FAILED, execution['state'])
        self.assertEqual('FAILED', self.tasks(execution['id'])['a']['state'])


class TestFailureRouting(base.EngineTestCase):

    def test_continue_on_failure_runs_the_dependants(self):
        execution = self.run_flow(
            {'flaky': {'type': 'fail', 'continue_on_failure': True,
                       'with': {'message': 'probe failed'}},
             'report': {'type': 'echo', 'requires': ['flaky'],
                        'with': {'was': '{{ tasks.flaky.state }}'}}})
        self.assertEqual(states.SUCCEEDED, execution['state'])
        tasks = self.tasks(execution['id'])
        self.assertEqual('FAILED', tasks['flaky']['state'])
        self.assertEqual({'was': 'FAILED'}, tasks['report']['output'])

    def test_on_failure_routes_to_the_handler(self):
        execution = self.run_flow(
            {'deploy': {'type': 'fail', 'with': {'message': 'no quota'},
                        'on_failure': ['rollback']},
             'verify': {'type': 'noop', 'requires': ['deploy']},
             'rollback': {'type': 'echo', 'with': {
                 'why': '{{ tasks.deploy.error.message }}'}}})
        self.assertEqual(states.SUCCEEDED, execution['state'])
        tasks = self.tasks(execution['id'])
        self.assertEqual('FAILED', tasks['deploy']['state'])
        self.assertEqual('SKIPPED', tasks['verify']['state'])
        self.assertEqual({'why': 'no quota'}, tasks['rollback']['output'])
        history = _history(self.events(execution['id']))
        self.assertLess(
            history.index(('task', 'deploy', 'RUNNING', 'FAILED')),
            history.index(('task', 'rollback', 'PENDING', 'RUNNING')))

    def test_handler_is_skipped_when_the_task_succeeds(self):
        execution = self.run_flow(
            {'deploy': {'type': 'noop', 'on_failure': ['rollback']},
             'rollback': {'type': 'noop'}})
        self.assertEqual(states.SUCCEEDED, execution['state'])
        rollback = self.events(execution['id'], 'rollback')
        self.assertEqual([('PENDING', 'SKIPPED')],
                         [(e['from_state'], e['to_state'])
                          for e in rollback])
        self.assertEqual({'reason': 'not_triggered', 'task': 'deploy'},
                         rollback[0]['details'])

    def test_failing_handler_fails_the_execution(self):
        execution = self.run_flow(
            {'deploy': {'type': 'fail', 'on_failure': ['rollback']},
             'rollback': {'type': 'fail', 'with': {'message': 'stuck'}}})
        self.assertEqual(states.FAILED, execution['state'])
        self.assertEqual('rollback', execution['error']['task'])


class TestPublish(base.EngineTestCase):

    def test_published_values_reach_later_tasks_and_the_output(self):
        execution = self.run_flow(
            {'create': {'type': 'echo', 'with': {'id': 'vm-1'},
                        'publish': {'server_id': '{{ result.id }}',
                                    'region': '{{ input.region }}'}},
             'use': {'type': 'echo', 'requires': ['create'],
                     'with': {'server': '{{ ctx.server_id }}'}}},
            input={'region': 'r1'},
            output={'where': '{{ ctx.region }}'})
        self.assertEqual(states.SUCCEEDED, execution['state'])
        self.assertEqual({'server_id': 'vm-1', 'region': 'r1'},
                         execution['context'])
        self.assertEqual({'where': 'r1'}, execution['output'])
        self.assertEqual({'server': 'vm-1'},
                         self.tasks(execution['id'])['use']['output'])

    def test_publish_error_fails_the_task(self):
        execution = self.run_flow(
            {'a': {'type': 'echo', 'publish': {'x': '{{ result.nope }}'}}})
        self.assertEqual(states.FAILED, execution['state'])
        task = self.tasks(execution['id'])['a']
        self.assertEqual('FAILED', task['state'])
        self.assertIn('publishes', task['error']['message'])


class TestRetryPolicy(base.EngineTestCase):

    def test_retry_only_on_listed_error_types(self):
        execution = self.run_flow(
            {'a': {'type': 'fail', 'with': {'error_type': 'QuotaExceeded'},
                   'retry': {'count': 3, 'on': ['Timeout']}}})
        self.assertEqual(states.FAILED, execution['state'])
        self.assertEqual(1, self.tasks(execution['id'])['a']['attempt'])

    def test_listed_error_types_are_retried(self):
        execution = self.run_flow(
            {'a': {'type': 'fail', 'with': {'error_type': 'Timeout'},
                   'retry': {'count': 2, 'on': ['Timeout']}}})
        self.assertEqual(states.FAILED, execution['state'])
        self.assertEqual(3, self.tasks(execution['id'])['a']['attempt'])
        errors = [e['details']['error']['type']
                  for e in self.events(execution['id'], 'a')
                  if e['to_state'] in ('WAITING', 'FAILED')]
        self.assertEqual(['Timeout'] * 3, errors)

    def test_jitter_shortens_delays_within_bounds(self):
        spec = dsl_spec.FlowSpec({
            'version': 1, 'name': 'f', 'tasks': {'a': {
                'type': 'noop',
                'retry': {'count': 5, 'interval': 10, 'backoff': 1,
                          'jitter': 0.5}}}})
        delays = {specs.retry_delay(spec.tasks['a'], {}, 1)
                  for _ in range(50)}
        self.assertTrue(all(5 <= d <= 10 for d in delays), delays)
        self.assertGreater(len(delays), 1)


class TestRunFor(base.EngineTestCase):

    def test_run_for_ends_the_execution_succeeded(self):
        execution = self.run_flow(
            {'soak': {'type': 'sleep', 'with': {'seconds': 60}},
             'after': {'type': 'noop', 'requires': ['soak']}},
            run_for='300ms', wait=10)
        self.assertEqual(states.SUCCEEDED, execution['state'])
        self.assertEqual('duration_elapsed', execution['stop_reason'])
        tasks = self.tasks(execution['id'])
        self.assertEqual('CANCELLED', tasks['soak']['state'])
        self.assertEqual('SKIPPED', tasks['after']['state'])
        self.assertEqual(
            ('execution', None, 'RUNNING', 'SUCCEEDED'),
            _history(self.events(execution['id']))[-1])

    def test_flow_that_finishes_first_ends_normally(self):
        execution = self.run_flow({'a': {'type': 'noop'}}, run_for='1h')
        self.assertEqual(states.SUCCEEDED, execution['state'])
        self.assertIsNone(execution['stop_reason'])


class _Cleanup(task_base.TaskType):
    """Waits forever; records its clean-up calls."""

    cancelled = []
    called = threading.Event()

    def run(self, context, inputs):
        return task_base.Wait(delay=3600)

    def cancel(self, context, inputs):
        self.cancelled.append((context.task_name, inputs))
        self.called.set()


class _Gate(task_base.TaskType):
    """Runs until the test opens the gate."""

    open = threading.Event()

    def run(self, context, inputs):
        self.open.wait(10)
        return task_base.Succeeded(output={})


class TestLifecycle(base.EngineTestCase):

    def setUp(self):
        super().setUp()
        _Gate.open = threading.Event()
        self.addCleanup(lambda: _Gate.open.set())
        types = dict(registry.get_task_types(), cleanup=_Cleanup(),
                     gate=_Gate())
        self.useFixture(fixtures.MockPatchObject(
            registry, '_task_types', types))
        _Cleanup.cancelled = []
        _Cleanup.called = threading.Event()

    def test_cancel_calls_the_task_type_cancel(self):
        execution = self.create_execution(
            {'hold': {'type': 'cleanup', 'with': {'server': 's1'}}})
        self.engine_api.start_execution(self.context(), execution['id'])
        self.wait_task(execution['id'], 'hold', states.WAITING)
        self.engine_api.cancel_execution(self.context(), execution['id'])
        self.wait_for(execution['id'])
        self.assertTrue(_Cleanup.called.wait(10))
        self.assertEqual([('hold', {'server': 's1'})], _Cleanup.cancelled)

    def test_task_timeout_calls_the_task_type_cancel(self):
        execution = self.run_flow(
            {'hold': {'type': 'cleanup', 'timeout': 0.2}})
        self.assertEqual(states.FAILED, execution['state'])
        self.assertEqual('TIMED_OUT',
                         self.tasks(execution['id'])['hold']['state'])
        self.assertTrue(_Cleanup.called.wait(10))

    def test_pause_holds_new_tasks_until_resume(self):
        execution = self.create_execution(
            {'a': {'type': 'sleep', 'with': {'seconds': 0.3}},
             'b': {'type': 'noop', 'requires': ['a']}})
        self.engine_api.start_execution(self.context(), execution['id'])
        self.wait_task(execution['id'], 'a', states.WAITING)
        self.engine_api.pause_execution(self.context(), execution['id'])
        self.wait_for(execution['id'], state_in={states.PAUSED})
        # a's wake-up waits for the resume; nothing else starts.
        self.wait_until(lambda: db_api.get_execution(
            execution['id'])['state'] == states.PAUSED)
        time.sleep(0.6)
        tasks = self.tasks(execution['id'])
        self.assertEqual('WAITING', tasks['a']['state'])
        self.assertEqual('PENDING', tasks['b']['state'])
        self.engine_api.resume_execution(self.context(), execution['id'])
        execution = self.wait_for(execution['id'])
        self.assertEqual(states.SUCCEEDED, execution['state'])
        executions = [(e['from_state'], e['to_state'])
                      for e in self.events(execution['id'])
                      if e['kind'] == 'execution']
        self.assertEqual([(None, 'PENDING'), ('PENDING', 'RUNNING'),
                          ('RUNNING', 'PAUSED'), ('PAUSED', 'RUNNING'),
                          ('RUNNING', 'SUCCEEDED')], executions)

    def test_task_ready_while_paused_is_blocked_on_paused(self):
        execution = self.create_execution(
            {'a': {'type': 'gate'},
             'b': {'type': 'noop', 'requires': ['a']}})
        self.engine_api.start_execution(self.context(), execution['id'])
        self.wait_task(execution['id'], 'a', states.RUNNING)
        self.engine_api.pause_execution(self.context(), execution['id'])
        self.wait_for(execution['id'], state_in={states.PAUSED})
        _Gate.open.set()
        self.wait_task(execution['id'], 'a', states.SUCCEEDED)
        self.wait_until(lambda: self.tasks(execution['id'])['b'][
            'blocked_on'] == states.BLOCKED_PAUSED)
        self.assertEqual('PENDING', self.tasks(execution['id'])['b']['state'])
        self.engine_api.resume_execution(self.context(), execution['id'])
        execution = self.wait_for(execution['id'])
        self.assertEqual(states.SUCCEEDED, execution['state'])
        self.assertEqual('SUCCEEDED',
                         self.tasks(execution['id'])['b']['state'])

    def test_retry_reruns_only_what_failed(self):
        execution = self.run_flow(
            {'a': {'type': 'noop'},
             'b': {'type': 'fail', 'requires': ['a'],
                   'retry': {'count': 1}},
             'c': {'type': 'noop', 'requires': ['b']}})
        self.assertEqual(states.FAILED, execution['state'])
        self.engine_api.retry_execution(self.context(), execution['id'])
        self.wait_until(lambda: any(
            e['details'] == {'reason': 'retry'}
            for e in self.events(execution['id'])))
        execution = self.wait_for(execution['id'])
        self.assertEqual(states.FAILED, execution['state'])
        tasks = self.tasks(execution['id'])
        # a kept its first run; b got its full retry policy again.
        self.assertEqual(1, tasks['a']['attempt'])
        self.assertEqual(4, tasks['b']['attempt'])
        self.assertEqual(
            [('PENDING', 'RUNNING'), ('RUNNING', 'SUCCEEDED')],
            [(e['from_state'], e['to_state'])
             for e in self.events(execution['id'], 'a')])
        self.assertEqual(
            ['RUNNING', 'WAITING', 'RUNNING', 'FAILED', 'PENDING',
             'RUNNING', 'WAITING', 'RUNNING', 'FAILED'],
            [e['to_state'] for e in self.events(execution['id'], 'b')])

    def test_retry_on_a_newer_compatible_version(self):
        execution = self.run_flow(
            {'a': {'type': 'echo', 'with': {'v': 1}},
             'b': {'type': 'fail', 'requires': ['a']}})
        self.assertEqual(states.FAILED, execution['state'])
        _flow, version = self.create_flow(
            {'a': {'type': 'echo', 'with': {'v': 1}},
             'b': {'type': 'echo', 'requires': ['a'],
                   'with': {'got': '{{ tasks.a.output.v }}'}}})
        self.assertEqual(2, version['version'])
        self.engine_api.retry_execution(
            self.context(), execution['id'], version['id'],
            version['version'])
        self.wait_until(lambda: db_api.get_execution(
            execution['id'])['state'] == states.SUCCEEDED)
        execution = db_api.get_execution(execution['id'])
        self.assertEqual(2, execution['flow_version'])
        self.assertEqual({'got': 1},
                         self.tasks(execution['id'])['b']['output'])

    def test_incompatible_version_is_refused(self):
        old = dsl_spec.FlowSpec({'version': 1, 'name': 'f', 'tasks': {
            'a': {'type': 'noop'}, 'b': {'type': 'fail'}}})
        # b failed, so it may change; a succeeded, so it may not.
        compatible = dsl_spec.FlowSpec({'version': 1, 'name': 'f', 'tasks': {
            'a': {'type': 'noop'}, 'b': {'type': 'echo'}}})
        specs.check_retry_compatible('e1', old, compatible, 2, {'a'})
        changed = dsl_spec.FlowSpec({'version': 1, 'name': 'f', 'tasks': {
            'a': {'type': 'echo'}, 'b': {'type': 'noop'}}})
        exc = self.assertRaises(
            exception.IncompatibleFlowVersion,
            specs.check_retry_compatible, 'e1', old, changed, 2, {'a'})
        self.assertIn('task a is of type echo there, not noop', str(exc))
        gone = dsl_spec.FlowSpec({'version': 1, 'name': 'f', 'tasks': {
            'b': {'type': 'noop'}}})
        exc = self.assertRaises(
            exception.IncompatibleFlowVersion,
            specs.check_retry_compatible, 'e1', old, gone, 2, {'a'})
        self.assertIn('it has no task a, which succeeded', str(exc))
        self.assertEqual(409, exc.code)


class TestQueueTimeout(base.EngineTestCase):

    def setUp(self):
        super().setUp()
        queues_api.create_task_type(base.PROJECT, base.USER, {
            'name': 'resize', 'queue': 'images', 'heartbeat_timeout': 5,
            'retry': {'count': 0}})

    def test_unclaimed_attempt_times_out_and_is_retried(self):
        flow_definition = dsl.validate(
            {'version': 1, 'name': 'queued', 'tasks': {
                'r': {'type': 'resize', 'queue_timeout': '200ms',
                      'retry': {'count': 1, 'on': ['QueueTimeout']}}}},
            task_types=tenant.task_types_for(base.PROJECT))
        flow, version, _ = db_api.create_flow_version(
            base.PROJECT, base.USER, 'queued', flow_definition, None, None,
            dsl.checksum(flow_definition))
        execution, _ = db_api.create_execution({
            'project_id': base.PROJECT, 'user_id': base.USER,
            'flow_id': flow['id'], 'flow_version_id': version['id'],
            'flow_name': 'queued', 'flow_version': 1, 'input': {}})
        self.engine_api.start_execution(self.context(), execution['id'])
        execution = self.wait_for(execution['id'])
        self.assertEqual(states.FAILED, execution['state'])
        task = self.tasks(execution['id'])['r']
        self.assertEqual('TIMED_OUT', task['state'])
        self.assertEqual(2, task['attempt'])
        self.assertEqual('QueueTimeout', task['error']['type'])
        # Nothing is left in the queue for a worker to claim.
        self.assertEqual([], queues_api.claim(base.PROJECT, 'images',
                                              worker='w', wait=0))


class TestBlockedOn(base.EngineTestCase):

    def test_every_waiting_task_says_why(self):
        execution = self.create_execution(
            {'nap': {'type': 'sleep', 'with': {'seconds': 30}},
             'flaky': {'type': 'fail',
                       'retry': {'count': 1, 'interval': 30}},
             'after': {'type': 'noop', 'requires': ['nap']}})
        self.engine_api.start_execution(self.context(), execution['id'])
        self.wait_task(execution['id'], 'nap', states.WAITING)
        self.wait_task(execution['id'], 'flaky', states.WAITING)
        tasks = self.tasks(execution['id'])
        self.assertEqual(
            {'nap': states.BLOCKED_TIMER, 'flaky': states.BLOCKED_BACKOFF,
             'after': states.BLOCKED_DEPENDENCY},
            {name: task['blocked_on'] for name, task in tasks.items()})
        self.engine_api.cancel_execution(self.context(), execution['id'])
        self.wait_for(execution['id'])
        self.assertEqual({None}, {task['blocked_on'] for task in
                                  self.tasks(execution['id']).values()})


class TestLifecyclePostgreSQL(TestLifecycle):
    backend = 'postgresql'


class TestConditionsMySQL(TestConditions):
    backend = 'mysql'
