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

from convectionclient import exceptions
from convectionclient.tests.unit import base
from convectionclient.v1 import executions

EXEC = '11111111-2222-3333-4444-555555555555'


def execution(state, counts=None):
    return {'id': EXEC, 'flow_name': 'hello', 'state': state,
            'task_counts': counts or {}}


class FakeClock:
    """Time that moves only when the code under test sleeps."""

    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


class TestExecutions(base.ClientTestCase):

    def test_create(self):
        self.requests.post(self.url('/v1/executions'), status_code=202,
                           json=execution('PENDING'))
        e = self.client.executions.create('hello', input={'x': 1},
                                          version='2',
                                          idempotency_key='k1')
        self.assertEqual({'flow': 'hello', 'input': {'x': 1},
                          'version': 2, 'idempotency_key': 'k1'},
                         self.last_json())
        self.assertEqual('PENDING', e.state)
        self.assertFalse(e.is_terminal)

    def test_create_minimal_and_start_alias(self):
        self.requests.post(self.url('/v1/executions'), status_code=202,
                           json=execution('PENDING'))
        self.client.executions.start('hello')
        self.assertEqual({'flow': 'hello'}, self.last_json())

    def test_create_rejects_non_mapping_input(self):
        self.assertRaises(exceptions.InvalidInput,
                          self.client.executions.create, 'hello',
                          input=[1, 2])

    def test_list_filters(self):
        self.requests.get(self.url('/v1/executions'),
                          json={'executions': [execution('RUNNING')]})
        result = self.client.executions.list(flow='hello', state='RUNNING',
                                             version=3, parent_id='p',
                                             all_projects=True)
        self.assertEqual([EXEC], [e.id for e in result])
        self.assertEqual({'flow': ['hello'], 'state': ['RUNNING'],
                          'version': ['3'], 'parent_id': ['p'],
                          'all_projects': ['true']},
                         self.requests.last_request.qs)

    def test_list_detail(self):
        self.requests.get(self.url('/v1/executions'),
                          json={'executions': [execution('RUNNING')]})
        self.client.executions.list(detail=True)
        self.assertEqual({'detail': ['true']},
                         self.requests.last_request.qs)
        self.client.executions.list()
        self.assertEqual({}, self.requests.last_request.qs)

    def test_get_progress(self):
        self.requests.get(self.url(f'/v1/executions/{EXEC}'),
                          json=execution('RUNNING', {'SUCCEEDED': 2,
                                                     'SKIPPED': 1,
                                                     'RUNNING': 1,
                                                     'PENDING': 3}))
        e = self.client.executions.get(EXEC)
        self.assertEqual((3, 7), e.progress)

    def test_cancel(self):
        self.requests.post(self.url(f'/v1/executions/{EXEC}/cancel'),
                           status_code=202, json=execution('RUNNING'))
        e = self.client.executions.cancel(EXEC)
        self.assertEqual(EXEC, e.id)
        self.assertEqual({}, self.last_json())

    def test_cancel_without_body(self):
        self.requests.post(self.url(f'/v1/executions/{EXEC}/cancel'),
                           status_code=202)
        self.assertIsNone(self.client.executions.cancel(EXEC))

    def test_tasks_and_events(self):
        self.requests.get(self.url(f'/v1/executions/{EXEC}/tasks'),
                          json={'tasks': [{'id': 't1', 'name': 'a'}]})
        self.requests.get(self.url(f'/v1/executions/{EXEC}/events'),
                          json={'events': [{'id': 'e1', 'kind': 'state'}]})
        self.assertEqual(['a'], [t.name for t in
                                 self.client.executions.tasks(EXEC)])
        self.assertEqual(['state'], [e.kind for e in
                                     self.client.executions.events(EXEC)])

    def test_wait_polls_until_terminal(self):
        self.requests.get(self.url(f'/v1/executions/{EXEC}'), [
            {'json': execution('PENDING')},
            {'json': execution('RUNNING', {'RUNNING': 1})},
            {'json': execution('FAILED', {'FAILED': 1})}])
        seen = []
        clock = FakeClock()
        final = self.client.executions.wait(
            EXEC, poll_interval=5, callback=lambda e: seen.append(e.state),
            _clock=clock, _sleep=clock.sleep)
        self.assertEqual('FAILED', final.state)
        self.assertEqual(['PENDING', 'RUNNING', 'FAILED'], seen)
        self.assertEqual([5, 5], clock.sleeps)

    def test_wait_times_out(self):
        self.requests.get(self.url(f'/v1/executions/{EXEC}'),
                          json=execution('RUNNING'))
        clock = FakeClock()
        e = self.assertRaises(exceptions.WaitTimeout,
                              self.client.executions.wait, EXEC,
                              timeout=7, poll_interval=3, _clock=clock,
                              _sleep=clock.sleep)
        self.assertEqual([3, 3, 1], clock.sleeps)
        self.assertEqual('RUNNING', e.execution.state)
        self.assertIn('still RUNNING after 7 seconds', str(e))

    def test_wait_ignores_the_end_being_retried(self):
        old_end = dict(execution('FAILED'), finished_at='2026-12-04T21:00:00')
        new_end = dict(execution('FAILED'), finished_at='2026-12-04T21:05:00')
        self.requests.get(self.url(f'/v1/executions/{EXEC}'), [
            {'json': old_end}, {'json': execution('RUNNING')},
            {'json': new_end}])
        clock = FakeClock()
        final = self.client.executions.wait(
            EXEC, poll_interval=1, previous_end='2026-12-04T21:00:00',
            _clock=clock, _sleep=clock.sleep)
        self.assertEqual('2026-12-04T21:05:00', final.finished_at)
        self.assertEqual(3, self.requests.call_count)


class TestLifecycleActions(base.ClientTestCase):

    def test_retry_with_and_without_version(self):
        self.requests.post(self.url(f'/v1/executions/{EXEC}/retry'),
                           status_code=202, json=execution('FAILED'))
        answer = self.client.executions.retry(EXEC)
        self.assertEqual({}, self.last_json())
        self.assertEqual('FAILED', answer.state)
        self.client.executions.retry(
            executions.Execution(None, execution('FAILED')), version='3')
        self.assertEqual({'version': 3}, self.last_json())

    def test_pause_and_resume(self):
        for action in ('pause', 'resume'):
            self.requests.post(
                self.url(f'/v1/executions/{EXEC}/{action}'),
                status_code=202, json=execution('RUNNING'))
            getattr(self.client.executions, action)(EXEC)
            self.assertEqual(f'/v1/executions/{EXEC}/{action}',
                             self.requests.last_request.path)

    def test_conflict_is_typed(self):
        self.requests.post(
            self.url(f'/v1/executions/{EXEC}/pause'), status_code=409,
            json={'error': {'code': 409, 'title': 'Conflict',
                            'message': f'Execution {EXEC} is SUCCEEDED; '
                                       'pause needs it to be RUNNING.'}})
        e = self.assertRaises(exceptions.Conflict,
                              self.client.executions.pause, EXEC)
        self.assertIn('pause needs it to be RUNNING', str(e))

    def test_signal(self):
        self.requests.post(
            self.url(f'/v1/executions/{EXEC}/signals/go%2Fnow'),
            status_code=202,
            json={'id': 4, 'execution_id': EXEC, 'name': 'go/now',
                  'payload': [1, 2], 'created_at': '2026-12-04T21:00:00'})
        signal = self.client.executions.signal(EXEC, 'go/now',
                                               payload=[1, 2])
        self.assertEqual({'payload': [1, 2]}, self.last_json())
        self.assertEqual((4, [1, 2]), (signal.id, signal.payload))
        self.client.executions.signal(EXEC, 'go/now')
        self.assertEqual({}, self.last_json())


class TestTasks(base.ClientTestCase):

    def setUp(self):
        super().setUp()
        self.requests.get(self.url(f'/v1/executions/{EXEC}/tasks'), json={
            'tasks': [{'id': 't1', 'name': 'boot', 'state': 'SUCCEEDED'},
                      {'id': 't2', 'name': 'item', 'item_index': 0},
                      {'id': 't3', 'name': 'item', 'item_index': 1}]})

    def test_get_by_id_or_name(self):
        self.assertEqual('t1', self.client.tasks.get(EXEC, 'boot').id)
        self.assertEqual(1, self.client.tasks.get(EXEC, 't3').item_index)
        self.assertTrue(self.client.tasks.get(EXEC, 't1').is_terminal)

    def test_get_missing_and_ambiguous(self):
        self.assertRaises(exceptions.NotFound, self.client.tasks.get,
                          EXEC, 'nope')
        e = self.assertRaises(exceptions.Conflict, self.client.tasks.get,
                              EXEC, 'item')
        self.assertIn('t2, t3', str(e))

    def test_terminal_state_sets_match_server(self):
        self.assertEqual(frozenset(('SUCCEEDED', 'FAILED', 'CANCELLED',
                                    'TIMED_OUT')),
                         executions.EXECUTION_TERMINAL_STATES)
