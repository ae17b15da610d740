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

"""Lost messages, dead conductors, duplicate deliveries, two engines."""

import datetime

import sqlalchemy as sa

from convection.common import states
from convection.db.sqlalchemy import models
from convection.db.sqlalchemy import session
from convection.engine import machine
from tests.unit.engine import base

TASKS = models.TaskExecution.__table__


def _expire_leases(owner=None):
    """Make the leases of RUNNING tasks run out.

    :param owner: the conductor that had acknowledged them (renewed their
        lease), or None for dispatches nobody received.
    """
    past = datetime.datetime(2000, 1, 1)
    with session.writer() as s:
        s.execute(sa.update(TASKS).where(TASKS.c.state == states.RUNNING)
                  .values(lease_expires_at=past, owner=owner))


def _lease_renewed():
    with session.reader() as s:
        return s.execute(sa.select(TASKS.c.lease_expires_at)).scalar() > \
            datetime.datetime(2000, 1, 1)


class TestRecovery(base.EngineTestCase):

    # Started by each test, to control what runs when.
    conductors = 0

    def test_unacknowledged_dispatch_is_sent_again(self):
        execution = self.create_execution(
            {'a': {'type': 'echo', 'with': {'n': 1}}})
        self.engine_api.start_execution(self.context(), execution['id'])
        self.wait_task(execution['id'], 'a', states.RUNNING)
        # No conductor acknowledged attempt 1 in time: it is sent again,
        # as the same attempt. A conductor then receives both copies.
        _expire_leases(owner=None)
        self.wait_until(_lease_renewed)
        self.start_services(engines=0, conductors=1)
        execution = self.wait_for(execution['id'])
        self.assertEqual(states.SUCCEEDED, execution['state'])
        self.assertEqual(1, self.tasks(execution['id'])['a']['attempt'])
        self.assertEqual(
            [('RUNNING', 1), ('SUCCEEDED', 1)],
            [(e['to_state'], e['attempt'])
             for e in self.events(execution['id'], 'a')])

    def test_dead_conductor_attempt_is_retried_and_its_result_ignored(self):
        execution = self.create_execution(
            {'a': {'type': 'echo', 'with': {'n': 1},
                   'retry': {'count': 1}}})
        self.engine_api.start_execution(self.context(), execution['id'])
        self.wait_task(execution['id'], 'a', states.RUNNING)
        # The conductor running attempt 1 stopped renewing its lease:
        # attempt 2 is dispatched. Then a conductor comes and receives
        # both; attempt 1's result is stale.
        _expire_leases(owner='dead-conductor')
        self.wait_for_event(execution['id'], 'a', states.RUNNING, attempt=2)
        self.start_services(engines=0, conductors=1)
        execution = self.wait_for(execution['id'])
        self.assertEqual(states.SUCCEEDED, execution['state'])
        task = self.tasks(execution['id'])['a']
        self.assertEqual(2, task['attempt'])
        events = self.events(execution['id'], 'a')
        self.assertEqual(
            [('RUNNING', 1), ('WAITING', 1), ('RUNNING', 2),
             ('SUCCEEDED', 2)],
            [(e['to_state'], e['attempt']) for e in events])
        self.assertEqual('LeaseExpired',
                         events[1]['details']['error']['type'])
        self.assertIn('dead-conductor',
                      events[1]['details']['error']['message'])

    def test_lease_expiry_without_retries_fails_the_task(self):
        execution = self.create_execution({'a': {'type': 'noop'}})
        self.engine_api.start_execution(self.context(), execution['id'])
        self.wait_task(execution['id'], 'a', states.RUNNING)
        _expire_leases(owner='dead-conductor')
        execution = self.wait_for(execution['id'])
        self.assertEqual(states.FAILED, execution['state'])
        self.assertIn('lease expired', execution['error']['message'])

    def test_conductor_renews_the_leases_of_running_tasks(self):
        self.start_services(engines=0, conductors=1)
        execution = self.create_execution(
            {'nap': {'type': 'sleep', 'with': {'seconds': 30}}})
        self.engine_api.start_execution(self.context(), execution['id'])
        task = self.wait_task(execution['id'], 'nap', states.WAITING)
        # A waiting task has no lease; the conductor renews only runs it
        # holds.
        self.assertIsNone(task['lease_expires_at'])
        conductor = self.services[-1].manager
        self.assertEqual(0, conductor.renew_leases())

    def test_stuck_pending_execution_is_started(self):
        self.start_services(engines=0, conductors=1)
        self.config(dispatch_timeout=5, group='engine')
        # The API stored it but its cast to the engine was lost.
        execution = self.create_execution({'a': {'type': 'noop'}})
        with session.writer() as s:
            s.execute(sa.update(models.Execution.__table__).values(
                created_at=self.now() - datetime.timedelta(seconds=6)))
        execution = self.wait_for(execution['id'])
        self.assertEqual(states.SUCCEEDED, execution['state'])

    def test_recent_pending_execution_is_left_to_its_cast(self):
        self.config(dispatch_timeout=60, group='engine')
        execution = self.create_execution({'a': {'type': 'noop'}})
        engine = self.services[0].manager
        self.assertEqual(0, engine._sweeper.sweep())
        self.assertEqual(states.PENDING,
                         self.wait_for(execution['id'],
                                       state_in=[states.PENDING])['state'])

    def test_duplicate_and_stale_results_change_nothing(self):
        execution = self.create_execution(
            {'a': {'type': 'noop'}, 'b': {'type': 'noop', 'requires': ['a']}})
        self.engine_api.start_execution(self.context(), execution['id'])
        task = self.wait_task(execution['id'], 'a', states.RUNNING)
        result = {'task_id': task['id'], 'execution_id': execution['id'],
                  'attempt': 1, 'status': 'succeeded', 'output': {'n': 1}}
        stale = dict(result, attempt=0, output={'n': 'stale'})
        # Twice in one batch, once more later, and one for an old attempt.
        self.engine_api.report_task_results(self.context(),
                                            [result, dict(result), stale])
        self.engine_api.report_task_results(self.context(), [result])
        self.wait_task(execution['id'], 'b', states.RUNNING)
        failed = dict(result, status='failed',
                      error={'message': 'late', 'type': 'X'})
        runs = machine.apply_results(execution['id'], [failed, stale],
                                     'test').dispatch
        self.assertEqual([], runs)
        tasks = self.tasks(execution['id'])
        self.assertEqual(states.SUCCEEDED, tasks['a']['state'])
        self.assertEqual({'n': 1}, tasks['a']['output'])
        self.assertEqual(states.RUNNING, tasks['b']['state'])
        self.assertEqual(
            ['RUNNING', 'SUCCEEDED'],
            [e['to_state'] for e in self.events(execution['id'], 'a')])
        self.assertEqual(
            ['RUNNING'],
            [e['to_state'] for e in self.events(execution['id'], 'b')])

    def test_starting_twice_starts_once(self):
        execution = self.create_execution({'a': {'type': 'noop'}})
        runs = machine.start_execution(execution['id'], 'test').dispatch
        self.assertEqual(['a'], [r['name'] for r in runs])
        self.assertEqual(machine.NOTHING,
                         machine.start_execution(execution['id'], 'test'))
        self.assertEqual(1, len(self.tasks(execution['id'])))

    def test_results_for_a_cancelled_execution_are_ignored(self):
        execution = self.create_execution({'a': {'type': 'noop'}})
        runs = machine.start_execution(execution['id'], 'test').dispatch
        cancelled = machine.cancel_execution(execution['id'], 'test')
        self.assertEqual(states.CANCELLED, cancelled.execution['state'])
        # The run was in progress: its task type gets to clean up.
        self.assertEqual([runs[0]['id']], [r['id'] for r in cancelled.cancel])
        self.assertEqual(machine.NOTHING,
                         machine.cancel_execution(execution['id'], 'test'))
        result = {'task_id': runs[0]['id'], 'execution_id': execution['id'],
                  'attempt': 1, 'status': 'succeeded'}
        self.assertEqual(machine.NOTHING, machine.apply_results(
            execution['id'], [result], 'test'))
        self.assertEqual(states.CANCELLED,
                         self.tasks(execution['id'])['a']['state'])

    def wait_for_event(self, execution_id, task_name, to_state, attempt):
        def seen():
            return any(e['to_state'] == to_state and e['attempt'] == attempt
                       for e in self.events(execution_id, task_name))
        self.wait_until(seen)


class TestTwoEngines(base.EngineTestCase):

    engines = 2
    conductors = 2

    def test_every_task_runs_once(self):
        tasks = {f'p{i}': {'type': 'noop'} for i in range(100)}
        tasks.update({f'c{i}': {'type': 'noop',
                                'requires': [f'p{i}', f'p{i + 1}']}
                      for i in range(99)})
        executions = [self.create_execution(tasks, name=f'flow{n}')
                      for n in range(3)]
        for execution in executions:
            # Both engines get the start; one of them starts it.
            self.engine_api.start_execution(self.context(), execution['id'])
            self.engine_api.start_execution(self.context(), execution['id'])
        for execution in executions:
            execution = self.wait_for(execution['id'], timeout=60)
            self.assertEqual(states.SUCCEEDED, execution['state'])
            self.assertEqual({'SUCCEEDED': 199}, execution['task_counts'])
            runs = [e for e in self.events(execution['id'])
                    if e['to_state'] == states.RUNNING and
                    e['kind'] == 'task']
            self.assertEqual(199, len(runs))
            self.assertEqual(199, len({e['task_id'] for e in runs}))
            self.assertEqual({1}, {e['attempt'] for e in runs})


class TestTwoEnginesPostgreSQL(TestTwoEngines):
    """Two engines lock the execution row with SELECT ... FOR UPDATE."""

    backend = 'postgresql'


class TestTwoEnginesMariaDB(TestTwoEngines):

    backend = 'mysql'
