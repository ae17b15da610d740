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

import queue

import fixtures
import oslo_messaging as messaging
import sqlalchemy as sa

from convection.common import context
from convection.common import rpc
from convection.common import states
from convection.conductor import manager
from convection.conductor import rpcapi
from convection.db.sqlalchemy import models
from convection.db.sqlalchemy import session
from convection.tasks import base as task_base
from convection.tasks import builtin
from convection.tasks import registry
from tests import base

TASKS = models.TaskExecution.__table__


class ExplodingTask(task_base.TaskType):
    def run(self, context, inputs):
        raise RuntimeError('kaboom')


class ConfusedTask(task_base.TaskType):
    def run(self, context, inputs):
        return 42


class RecordingEngine:
    """Stands in for the engine's endpoint on the engine topic."""

    target = messaging.Target(version='1.0')

    def __init__(self):
        self.results = queue.Queue()

    def report_task_results(self, context, results):
        for result in results:
            self.results.put((context, result))


class TestConductorManager(base.TestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.MockPatchObject(registry, '_task_types', {
            'noop': builtin.NoopTask(), 'echo': builtin.EchoTask(),
            'fail': builtin.FailTask(), 'sleep': builtin.SleepTask(),
            'explode': ExplodingTask(), 'confused': ConfusedTask()}))
        rpc.init(base.CONF)
        self.addCleanup(rpc.cleanup)
        self.engine = RecordingEngine()
        server = rpc.get_server(
            messaging.Target(topic=rpc.ENGINE_TOPIC, server='engine'),
            [self.engine])
        server.start()
        self.addCleanup(server.wait)
        self.addCleanup(server.stop)
        self.manager = manager.ConductorManager('conductor-1')
        conductor_server = rpc.get_server(
            messaging.Target(topic=rpc.CONDUCTOR_TOPIC, server='c1'),
            [self.manager])
        self.manager.init_host()
        conductor_server.start()
        self.addCleanup(self.manager.del_host)
        self.addCleanup(conductor_server.wait)
        self.addCleanup(conductor_server.stop)
        self.ctx = context.RequestContext(project_id='p', user_id='u')

    def run_one(self, task_type, inputs=None, run_state=None):
        task = {'id': f'{task_type}-id', 'execution_id': 'exe', 'name': 'n',
                'type': task_type, 'attempt': 3, 'input': inputs,
                'run_state': run_state, 'project_id': 'p', 'user_id': 'u',
                'trust_id': None}
        rpcapi.ConductorAPI().run_tasks(self.ctx, [task])
        ctx, result = self.engine.results.get(timeout=10)
        self.assertEqual('p', ctx.project_id)
        self.assertEqual((task['id'], 'exe', 3),
                         (result['task_id'], result['execution_id'],
                          result['attempt']))
        return result

    def test_succeeded(self):
        result = self.run_one('echo', {'a': 1})
        self.assertEqual('succeeded', result['status'])
        self.assertEqual({'a': 1}, result['output'])

    def test_failed(self):
        result = self.run_one('fail', {'message': 'nope',
                                       'retryable': False})
        self.assertEqual('failed', result['status'])
        self.assertEqual({'message': 'nope', 'type': 'TaskError',
                          'retryable': False, 'details': None},
                         result['error'])

    def test_wait_hands_back_the_run_state(self):
        result = self.run_one('sleep', {'seconds': 60})
        self.assertEqual('wait', result['status'])
        self.assertIn('until', result['run_state'])
        self.assertGreater(result['delay'], 59)
        # Resumed with its run state, it does not start over.
        again = self.run_one('sleep', {'seconds': 60}, result['run_state'])
        self.assertEqual(result['run_state'], again['run_state'])
        self.assertLessEqual(again['delay'], result['delay'])

    def test_exception_is_a_retryable_failure(self):
        result = self.run_one('explode')
        self.assertEqual('failed', result['status'])
        self.assertEqual('RuntimeError', result['error']['type'])
        self.assertIn('kaboom', result['error']['message'])
        self.assertTrue(result['error']['retryable'])

    def test_unknown_task_type(self):
        result = self.run_one('nonesuch')
        self.assertEqual('failed', result['status'])
        self.assertEqual('TaskTypeNotFound', result['error']['type'])

    def test_bad_return_value(self):
        result = self.run_one('confused')
        self.assertEqual('failed', result['status'])
        self.assertEqual('InvalidTaskResult', result['error']['type'])
        self.assertFalse(result['error']['retryable'])

    def test_many_results_come_back(self):
        tasks = [{'id': f't{i}', 'execution_id': 'exe', 'name': f't{i}',
                  'type': 'noop', 'attempt': 1, 'input': {},
                  'run_state': None, 'project_id': 'p', 'user_id': 'u',
                  'trust_id': None} for i in range(200)]
        rpcapi.ConductorAPI().run_tasks(self.ctx, tasks)
        ids = {self.engine.results.get(timeout=10)[1]['task_id']
               for _ in tasks}
        self.assertEqual({t['id'] for t in tasks}, ids)


class TestLeaseRenewal(base.TestCase):

    def test_renews_only_running_tasks_of_the_attempt_it_runs(self):
        with session.writer() as s:
            s.execute(sa.insert(models.Execution.__table__).values(
                id='exe', project_id='p', flow_name='f', flow_version=1,
                state=states.RUNNING))
            s.execute(sa.insert(TASKS), [
                {'id': tid, 'execution_id': 'exe', 'name': tid,
                 'item_index': -1, 'type': 'noop', 'state': state,
                 'attempt': attempt, 'owner': 'engine'}
                for tid, state, attempt in (
                    ('mine', states.RUNNING, 1),
                    ('retried', states.RUNNING, 2),
                    ('done', states.SUCCEEDED, 1),
                    ('other', states.RUNNING, 1))])
        conductor = manager.ConductorManager('conductor-1')
        conductor._running.update({'mine': 1, 'retried': 1, 'done': 1})
        self.assertEqual(1, conductor.renew_leases())
        with session.reader() as s:
            rows = {r.id: r for r in s.execute(sa.select(TASKS))}
        self.assertEqual('conductor-1', rows['mine'].owner)
        self.assertIsNotNone(rows['mine'].lease_expires_at)
        for other in ('retried', 'done', 'other'):
            self.assertEqual('engine', rows[other].owner)
            self.assertIsNone(rows[other].lease_expires_at)

    def test_renews_many_runs(self):
        with session.writer() as s:
            s.execute(sa.insert(models.Execution.__table__).values(
                id='exe', project_id='p', flow_name='f', flow_version=1,
                state=states.RUNNING))
            s.execute(sa.insert(TASKS), [
                {'id': f't{i}', 'execution_id': 'exe', 'name': f't{i}',
                 'item_index': -1, 'type': 'noop', 'state': states.RUNNING,
                 'attempt': 1} for i in range(1201)])
        conductor = manager.ConductorManager('conductor-1')
        conductor._running.update({f't{i}': 1 for i in range(1201)})
        self.assertEqual(1201, conductor.renew_leases())

    def test_nothing_to_renew(self):
        self.assertEqual(0, manager.ConductorManager('c').renew_leases())
