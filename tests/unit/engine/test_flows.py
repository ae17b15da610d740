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

"""Flows run end to end by a real engine and conductor on fake://."""

import datetime

import sqlalchemy as sa

from convection.common import states
from convection.db.sqlalchemy import models
from convection.db.sqlalchemy import session
from tests.unit.engine import base


class TestFlows(base.EngineTestCase):

    def test_chain_succeeds_with_output(self):
        execution = self.run_flow(
            {'a': {'type': 'echo', 'with': {'x': '{{ input.x }}'}},
             'b': {'type': 'echo', 'requires': ['a'],
                   'with': {'y': '{{ tasks.a.output.x }}-b'}}},
            input={'x': 'hello'},
            output={'result': '{{ tasks.b.output.y }}'})
        self.assertEqual(states.SUCCEEDED, execution['state'])
        self.assertEqual({'result': 'hello-b'}, execution['output'])
        self.assertIsNotNone(execution['started_at'])
        self.assertIsNotNone(execution['finished_at'])
        tasks = self.tasks(execution['id'])
        self.assertEqual({'x': 'hello'}, tasks['a']['input'])
        self.assertEqual({'y': 'hello-b'}, tasks['b']['output'])
        self.assertEqual([1, 1], [tasks['a']['attempt'],
                                  tasks['b']['attempt']])
        self.assertEqual(
            [('execution', None, 'PENDING'),
             ('execution', 'PENDING', 'RUNNING'),
             ('task', 'PENDING', 'RUNNING'),
             ('task', 'RUNNING', 'SUCCEEDED'),
             ('task', 'PENDING', 'RUNNING'),
             ('task', 'RUNNING', 'SUCCEEDED'),
             ('execution', 'RUNNING', 'SUCCEEDED')],
            [(e['kind'], e['from_state'], e['to_state'])
             for e in self.events(execution['id'])])

    def test_join_waits_for_every_requirement(self):
        execution = self.run_flow(
            {'a': {'type': 'sleep', 'with': {'seconds': 0.2}},
             'b': {'type': 'noop'},
             'c': {'type': 'echo', 'requires': ['a', 'b'],
                   'with': {'slept': '{{ tasks.a.output.slept }}'}}})
        self.assertEqual(states.SUCCEEDED, execution['state'])
        tasks = self.tasks(execution['id'])
        self.assertEqual({'slept': 0.2}, tasks['c']['output'])
        self.assertGreaterEqual(tasks['c']['started_at'],
                                tasks['a']['finished_at'])

    def test_parallel_flow(self):
        execution = self.run_flow(
            {f't{i}': {'type': 'noop'} for i in range(50)})
        self.assertEqual(states.SUCCEEDED, execution['state'])
        self.assertEqual({'SUCCEEDED': 50}, execution['task_counts'])

    def test_failure_fails_the_execution_and_closes_the_rest(self):
        execution = self.run_flow(
            {'boom': {'type': 'fail', 'with': {'message': 'no disk'}},
             'slow': {'type': 'sleep', 'with': {'seconds': 30}},
             'after': {'type': 'noop', 'requires': ['boom']},
             'later': {'type': 'noop', 'requires': ['slow']}})
        self.assertEqual(states.FAILED, execution['state'])
        self.assertEqual('boom', execution['error']['task'])
        self.assertIn('no disk', execution['error']['message'])
        self.assertIn('boom', execution['error']['message'])
        tasks = self.tasks(execution['id'])
        self.assertEqual(states.FAILED, tasks['boom']['state'])
        self.assertEqual('no disk', tasks['boom']['error']['message'])
        # Never started: SKIPPED; started: CANCELLED.
        self.assertEqual(states.SKIPPED, tasks['after']['state'])
        self.assertEqual(states.SKIPPED, tasks['later']['state'])
        self.assertIn(tasks['slow']['state'],
                      (states.CANCELLED, states.SKIPPED))
        with session.reader() as s:
            timers = s.execute(sa.select(sa.func.count()).select_from(
                models.Timer)).scalar()
        self.assertEqual(0, timers)

    def test_render_error_fails_the_task_without_retry(self):
        execution = self.run_flow(
            {'a': {'type': 'echo', 'with': {'x': '{{ input.missing.deep }}'},
                   'retry': {'count': 3}}})
        self.assertEqual(states.FAILED, execution['state'])
        task = self.tasks(execution['id'])['a']
        self.assertEqual(states.FAILED, task['state'])
        self.assertEqual(0, task['attempt'])
        self.assertFalse(task['error']['retryable'])
        self.assertIn('Inputs of task a are invalid', task['error']['message'])

    def test_input_schema_error_fails_the_task(self):
        execution = self.run_flow(
            {'a': {'type': 'sleep', 'with': {'seconds': '{{ input.s }}'}}},
            input={'s': 'soon'})
        self.assertEqual(states.FAILED, execution['state'])
        task = self.tasks(execution['id'])['a']
        self.assertEqual('InvalidTaskInput', task['error']['type'])
        self.assertIn('task type sleep', task['error']['message'])

    def test_retries_with_backoff_are_recorded(self):
        execution = self.run_flow(
            {'a': {'type': 'fail', 'with': {'message': 'flaky'},
                   'retry': {'count': 2, 'interval': 0.05, 'backoff': 2}}})
        self.assertEqual(states.FAILED, execution['state'])
        task = self.tasks(execution['id'])['a']
        self.assertEqual(3, task['attempt'])
        events = self.events(execution['id'], 'a')
        self.assertEqual(
            [('PENDING', 'RUNNING', 1), ('RUNNING', 'WAITING', 1),
             ('WAITING', 'RUNNING', 2), ('RUNNING', 'WAITING', 2),
             ('WAITING', 'RUNNING', 3), ('RUNNING', 'FAILED', 3)],
            [(e['from_state'], e['to_state'], e['attempt'])
             for e in events])
        self.assertEqual([0.05, 0.1], [events[1]['details']['retry_in'],
                                       events[3]['details']['retry_in']])
        self.assertEqual('flaky', events[1]['details']['error']['message'])
        # The back-off was waited for.
        self.assertGreaterEqual(
            events[2]['created_at'] - events[1]['created_at'],
            datetime.timedelta(seconds=0.05))

    def test_not_retryable_failure_is_not_retried(self):
        execution = self.run_flow(
            {'a': {'type': 'fail', 'with': {'retryable': False},
                   'retry': {'count': 5}}})
        self.assertEqual(states.FAILED, execution['state'])
        self.assertEqual(1, self.tasks(execution['id'])['a']['attempt'])

    def test_timed_out_attempts_are_retried(self):
        # The flow-level policy applies to tasks without their own.
        execution = self.run_flow(
            {'a': {'type': 'sleep', 'with': {'seconds': 0.4},
                   'timeout': 0.2},
             'b': {'type': 'noop', 'requires': ['a']}},
            retry={'count': 1, 'interval': 0})
        self.assertEqual(states.FAILED, execution['state'])
        task = self.tasks(execution['id'])['a']
        self.assertEqual(states.TIMED_OUT, task['state'])
        self.assertEqual(2, task['attempt'])
        self.assertEqual('TaskTimeout', task['error']['type'])
        self.assertEqual(states.SKIPPED,
                         self.tasks(execution['id'])['b']['state'])

    def test_task_timeout(self):
        execution = self.run_flow(
            {'a': {'type': 'sleep', 'with': {'seconds': 30},
                   'timeout': 0.2}})
        self.assertEqual(states.FAILED, execution['state'])
        task = self.tasks(execution['id'])['a']
        self.assertEqual(states.TIMED_OUT, task['state'])
        self.assertIn('did not finish within 0.2 seconds',
                      execution['error']['message'])

    def test_flow_timeout(self):
        execution = self.run_flow(
            {'nap': {'type': 'sleep', 'with': {'seconds': 30}},
             'after': {'type': 'noop', 'requires': ['nap']}},
            timeout='300ms')
        self.assertEqual(states.TIMED_OUT, execution['state'])
        self.assertEqual('timeout', execution['stop_reason'])
        self.assertIn('timeout of 0.3 seconds', execution['error']['message'])
        tasks = self.tasks(execution['id'])
        self.assertEqual(states.CANCELLED, tasks['nap']['state'])
        self.assertEqual(states.SKIPPED, tasks['after']['state'])

    def test_flow_timeout_timer_goes_when_the_flow_ends(self):
        execution = self.run_flow({'a': {'type': 'noop'}}, timeout=60)
        self.assertEqual(states.SUCCEEDED, execution['state'])
        with session.reader() as s:
            self.assertEqual(0, s.execute(sa.select(sa.func.count())
                                          .select_from(models.Timer))
                             .scalar())

    def test_timeout_timer_goes_when_the_task_succeeds(self):
        execution = self.run_flow({'a': {'type': 'noop', 'timeout': 60}})
        self.assertEqual(states.SUCCEEDED, execution['state'])
        with session.reader() as s:
            self.assertEqual(0, s.execute(sa.select(sa.func.count())
                                          .select_from(models.Timer))
                             .scalar())

    def test_output_render_error_fails_the_execution(self):
        execution = self.run_flow({'a': {'type': 'noop'}},
                                  output='{{ tasks.a.output.x.y }}')
        self.assertEqual(states.FAILED, execution['state'])
        self.assertIn('flow output', execution['error']['message'])

    def test_cancel_a_sleeping_execution(self):
        execution = self.create_execution(
            {'nap': {'type': 'sleep', 'with': {'seconds': 30}},
             'after': {'type': 'noop', 'requires': ['nap']}})
        self.engine_api.start_execution(self.context(), execution['id'])
        self.wait_task(execution['id'], 'nap', states.WAITING)
        self.engine_api.cancel_execution(self.context(), execution['id'])
        execution = self.wait_for(execution['id'])
        self.assertEqual(states.CANCELLED, execution['state'])
        self.assertEqual('cancelled', execution['stop_reason'])
        tasks = self.tasks(execution['id'])
        self.assertEqual(states.CANCELLED, tasks['nap']['state'])
        self.assertEqual(states.CANCELLED, tasks['after']['state'])
        with session.reader() as s:
            self.assertEqual(0, s.execute(sa.select(sa.func.count())
                                          .select_from(models.Timer))
                             .scalar())
        # Cancelling again changes nothing.
        self.engine_api.cancel_execution(self.context(), execution['id'])
        self.engine_api.start_execution(self.context(), execution['id'])
        count = len(self.events(execution['id']))
        self.stop_services()
        self.assertEqual(count, len(self.events(execution['id'])))

    def test_sleep_resumes_after_an_engine_restart(self):
        execution = self.create_execution(
            {'nap': {'type': 'sleep', 'with': {'seconds': 1.5}}})
        self.engine_api.start_execution(self.context(), execution['id'])
        self.wait_task(execution['id'], 'nap', states.WAITING)
        self.stop_services()
        # While nothing runs, the sleep goes on.
        with session.reader() as s:
            run_state = s.execute(sa.select(models.TaskExecution.run_state)
                                  ).scalar()
        self.assertIn('until', run_state)
        self.start_services()
        execution = self.wait_for(execution['id'])
        self.assertEqual(states.SUCCEEDED, execution['state'])
        task = self.tasks(execution['id'])['nap']
        self.assertEqual({'slept': 1.5}, task['output'])
        self.assertEqual(1, task['attempt'])
        # One wait, one wake-up: the sleep did not start again.
        self.assertEqual(
            ['RUNNING', 'WAITING', 'RUNNING', 'SUCCEEDED'],
            [e['to_state'] for e in self.events(execution['id'], 'nap')])
        self.assertLess(task['finished_at'] - task['started_at'],
                        datetime.timedelta(seconds=2.5))


class TestFlowsOverRabbitMQ(base.EngineTestCase):
    """The same engine and conductor over a real broker."""

    rabbitmq = True

    test_chain_succeeds_with_output = \
        TestFlows.test_chain_succeeds_with_output
    test_parallel_flow = TestFlows.test_parallel_flow
    test_failure_fails_the_execution_and_closes_the_rest = \
        TestFlows.test_failure_fails_the_execution_and_closes_the_rest
    test_cancel_a_sleeping_execution = \
        TestFlows.test_cancel_a_sleeping_execution
