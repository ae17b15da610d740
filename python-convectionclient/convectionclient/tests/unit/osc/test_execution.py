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

import io
import json

from convectionclient.osc.v1 import execution as execution_cmd
from convectionclient.tests.unit.osc import base
from convectionclient.v1 import client as v1_client

EXEC = '6a1c0d9e-64c4-4c8b-9c1b-1d2e3f405060'


def execution(state, counts=None, **extra):
    return dict({'id': EXEC, 'flow_name': 'deploy', 'flow_version': 2,
                 'state': state, 'task_counts': counts or {},
                 'input': {'who': 'Ann'}, 'output': None, 'error': None,
                 'created_at': '2026-12-04T21:00:00', 'duration': None,
                 'links': []}, **extra)


class TestStartExecution(base.CLITestCase):

    def test_start_with_input_sources(self):
        self.requests.post(self.url('/v1/executions'), status_code=202,
                           json=execution('PENDING'))
        out, err = self.run_ok(
            'taskflow', 'execution', 'start', 'deploy', '--flow-version',
            '2', '--input', '{"who": "Ann", "n": 1}', '--param', 'n=3',
            '--param', 'tags=[a, b]', '--idempotency-key', 'k1',
            '-f', 'json')
        self.assertEqual({'flow': 'deploy', 'version': 2,
                          'idempotency_key': 'k1',
                          'input': {'who': 'Ann', 'n': 3,
                                    'tags': ['a', 'b']}},
                         self.requests.last_request.json())
        shown = json.loads(out)
        self.assertEqual('PENDING', shown['state'])
        self.assertEqual({'who': 'Ann'}, shown['input'])
        self.assertEqual('', err)

    def test_input_from_stdin(self):
        self.requests.post(self.url('/v1/executions'), status_code=202,
                           json=execution('PENDING'))
        self.run_ok('taskflow', 'execution', 'start', 'deploy',
                    '--input-file', '-', stdin='who: Bob\n')
        self.assertEqual({'flow': 'deploy', 'input': {'who': 'Bob'}},
                         self.requests.last_request.json())

    def test_bad_input(self):
        rc, _, err = self.run_cli('taskflow', 'execution', 'start',
                                  'deploy', '--input', '[1, 2]')
        self.assertEqual(1, rc)
        self.assertIn('must be a mapping', err)
        rc, _, err = self.run_cli('taskflow', 'execution', 'start',
                                  'deploy', '--param', 'novalue')
        self.assertEqual(1, rc)
        self.assertIn('Expected KEY=VALUE', err)
        self.assertEqual(0, self.requests.call_count)

    def test_input_schema_error_from_service(self):
        self.requests.post(self.url('/v1/executions'), status_code=400,
                           json={'error': {
                               'code': 400, 'title': 'Bad Request',
                               'message': 'The input is invalid.',
                               'details': [{'path': 'input.who',
                                            'message': '3 is not a '
                                                       'string'}]}})
        rc, _, err = self.run_cli('taskflow', 'execution', 'start',
                                  'deploy', '--param', 'who=3')
        self.assertEqual(1, rc)
        self.assertIn('input.who: 3 is not a string', err)

    def _start_and_wait(self, final, *extra):
        self.requests.post(self.url('/v1/executions'), status_code=202,
                           json=execution('PENDING'))
        self.requests.get(self.url(f'/v1/executions/{EXEC}'), [
            {'json': execution('RUNNING', {'SUCCEEDED': 1, 'RUNNING': 1,
                                           'PENDING': 1})},
            {'json': final}])
        self.requests.get(
            self.url(f'/v1/executions/{EXEC}/tasks?state=RUNNING'),
            json={'tasks': [{'id': 't2', 'name': 'boot',
                             'state': 'RUNNING', 'attempt': 2}]})
        return self.run_cli('taskflow', 'execution', 'start', 'deploy',
                            '--wait', '--poll-interval', '0', *extra)

    def test_wait_failure_exits_nonzero_with_progress(self):
        rc, out, err = self._start_and_wait(
            execution('FAILED', {'SUCCEEDED': 1, 'FAILED': 1,
                                 'SKIPPED': 1},
                      error={'task': 'boot', 'message': 'no host'}),
            '-f', 'json')
        self.assertEqual(1, rc)
        self.assertEqual('FAILED', json.loads(out)['state'])
        self.assertEqual(
            f'Execution {EXEC} started.\n'
            'RUNNING   1/3 tasks done; current: boot (attempt 2)\n'
            'FAILED    3/3 tasks done, 1 failed\n'
            f'Execution {EXEC} ended FAILED.\n', err)

    def test_wait_success(self):
        rc, out, err = self._start_and_wait(
            execution('SUCCEEDED', {'SUCCEEDED': 3}), '-f', 'value',
            '-c', 'state')
        self.assertEqual(0, rc)
        self.assertEqual('SUCCEEDED\n', out)
        self.assertTrue(err.endswith('SUCCEEDED 3/3 tasks done\n'))

    def test_wait_timeout_exits_2(self):
        self.requests.post(self.url('/v1/executions'), status_code=202,
                           json=execution('PENDING'))
        self.requests.get(self.url(f'/v1/executions/{EXEC}'),
                          json=execution('RUNNING'))
        rc, out, err = self.run_cli(
            'taskflow', 'execution', 'start', 'deploy', '--wait',
            '--timeout', '0', '-f', 'value', '-c', 'state')
        self.assertEqual(2, rc)
        self.assertEqual('RUNNING\n', out)
        self.assertIn('is still RUNNING after 0 seconds', err)


class TestWaitCancelShow(base.CLITestCase):

    def test_wait_cancelled(self):
        self.requests.get(self.url(f'/v1/executions/{EXEC}'),
                          json=execution('CANCELLED', {'CANCELLED': 2}))
        rc, _, err = self.run_cli('taskflow', 'execution', 'wait', EXEC,
                                  '-f', 'json')
        self.assertEqual(1, rc)
        self.assertIn('ended CANCELLED', err)

    def test_show_formats(self):
        self.requests.get(self.url(f'/v1/executions/{EXEC}'), json=execution(
            'RUNNING', {'SUCCEEDED': 2, 'RUNNING': 1}, duration=75.5))
        out, _ = self.run_ok('taskflow', 'execution', 'show', EXEC)
        self.assertIn('| task_counts  | 2/3 (RUNNING=1, SUCCEEDED=2)', out)
        self.assertIn('| duration     | 1m15s', out)
        self.assertIn('| input        | who: Ann', out)
        out, _ = self.run_ok('taskflow', 'execution', 'show', EXEC,
                             '-f', 'json')
        shown = json.loads(out)
        self.assertEqual(75.5, shown['duration'])
        self.assertEqual({'SUCCEEDED': 2, 'RUNNING': 1},
                         shown['task_counts'])

    def test_show_timeline(self):
        self.requests.get(self.url(f'/v1/executions/{EXEC}'), json=execution(
            'SUCCEEDED', started_at='2026-12-04T21:00:00',
            finished_at='2026-12-04T21:00:04'))
        self.requests.get(self.url(f'/v1/executions/{EXEC}/tasks'), json={
            'tasks': [{'name': 'boot', 'state': 'SUCCEEDED',
                       'started_at': '2026-12-04T21:00:00',
                       'finished_at': '2026-12-04T21:00:04'}]})
        out, _ = self.run_ok('taskflow', 'execution', 'show', EXEC,
                             '--timeline')
        lines = out.splitlines()
        self.assertEqual('deploy v2  SUCCEEDED  4.0s', lines[0])
        self.assertRegex(lines[2], r'^boot SUCCEEDED \|#+\|     4.0s$')

    def test_cancel_several(self):
        self.requests.post(self.url(f'/v1/executions/{EXEC}/cancel'),
                           status_code=202, json=execution('RUNNING'))
        self.requests.post(self.url('/v1/executions/done/cancel'),
                           status_code=409, json={'error': {
                               'code': 409, 'title': 'Conflict',
                               'message': 'Execution done already '
                                          'ended SUCCEEDED.'}})
        rc, _, err = self.run_cli('taskflow', 'execution', 'cancel', EXEC,
                                  'done')
        self.assertEqual(1, rc)
        self.assertIn('already ended SUCCEEDED', err)
        self.assertIn('1 of 2 executions could not be cancelled.', err)


class TestListAndHistory(base.CLITestCase):

    def test_list_filters_and_columns(self):
        self.requests.get(self.url('/v1/executions'), json={
            'executions': [execution('FAILED', duration=3.25)]})
        out, _ = self.run_ok('taskflow', 'execution', 'list', '--flow',
                             'deploy', '--flow-version', '2', '--state',
                             'FAILED', '--sort', 'finished_at',
                             '-f', 'json')
        self.assertEqual([{'ID': EXEC, 'Flow Name': 'deploy',
                           'Flow Version': 2, 'State': 'FAILED',
                           'Created At': '2026-12-04T21:00:00',
                           'Duration': 3.25}], json.loads(out))
        self.assertEqual({'flow': ['deploy'], 'version': ['2'],
                          'state': ['FAILED'],
                          'sort_key': ['finished_at']},
                         self.requests.last_request.qs)

    def test_version_needs_flow(self):
        rc, _, err = self.run_cli('taskflow', 'execution', 'list',
                                  '--flow-version', '2')
        self.assertEqual(1, rc)
        self.assertIn('--flow-version needs --flow', err)

    def test_unknown_state_refused(self):
        rc, _, _ = self.run_cli('taskflow', 'execution', 'list',
                                '--state', 'DONE')
        self.assertEqual(2, rc)

    def test_history_pages(self):
        event = {'id': 'e1', 'created_at': 't1', 'task_name': 'boot',
                 'kind': 'task', 'from_state': 'PENDING',
                 'to_state': 'RUNNING', 'attempt': 1, 'task_id': 't',
                 'details': {'host': 'h'}}
        self.requests.get(self.url(f'/v1/executions/{EXEC}/events'), [
            {'json': {'events': [event],
                      'next': self.url(f'/v1/executions/{EXEC}/events'
                                       '?marker=e1&limit=1')}},
            {'json': {'events': [dict(event, id='e2', to_state='FAILED')]}}])
        out, _ = self.run_ok('taskflow', 'execution', 'history', EXEC,
                             '--long', '-f', 'json')
        rows = json.loads(out)
        self.assertEqual(['RUNNING', 'FAILED'],
                         [r['To State'] for r in rows])
        self.assertEqual({'host': 'h'}, rows[0]['Details'])


class TestTasks(base.CLITestCase):

    TASKS = [{'id': 't1', 'name': 'boot', 'type': 'echo',
              'state': 'FAILED', 'attempt': 3, 'item_index': -1,
              'started_at': 's', 'duration': 2.0,
              'error': {'message': 'no host'}}]

    def test_list(self):
        self.requests.get(self.url(f'/v1/executions/{EXEC}/tasks'),
                          json={'tasks': self.TASKS})
        out, _ = self.run_ok('taskflow', 'task', 'list', EXEC, '--state',
                             'FAILED', '--long', '-f', 'yaml')
        self.assertIn("Error:\n    message: no host", out)
        self.assertEqual({'state': ['FAILED']},
                         self.requests.last_request.qs)

    def test_show_by_name(self):
        self.requests.get(self.url(f'/v1/executions/{EXEC}/tasks'),
                          json={'tasks': self.TASKS})
        out, _ = self.run_ok('taskflow', 'task', 'show', EXEC, 'boot',
                             '-f', 'json')
        self.assertEqual('t1', json.loads(out)['id'])
        rc, _, err = self.run_cli('taskflow', 'task', 'show', EXEC, 'x')
        self.assertEqual(1, rc)
        self.assertIn("has no task 'x'", err)


class TestProgressReporter(base.CLITestCase):

    class TTY(io.StringIO):
        def isatty(self):
            return True

    def test_terminal_redraws_one_line(self):
        client = v1_client.Client(endpoint_override=base.base.ENDPOINT)
        stream = self.TTY()
        ticks = iter([0.0, 5.0, 65.0])
        reporter = execution_cmd.ProgressReporter(
            client, stream, clock=lambda: next(ticks))
        self.requests.get(
            self.url(f'/v1/executions/{EXEC}/tasks?state=WAITING'),
            json={'tasks': [{'name': 'nap', 'state': 'WAITING',
                             'blocked_on': 'timer', 'attempt': 1}]})
        reporter(client.executions._resource(
            execution('RUNNING', {'WAITING': 1, 'PENDING': 1})))
        reporter(client.executions._resource(
            execution('SUCCEEDED', {'SUCCEEDED': 2})))
        self.assertEqual(
            '\r\x1b[K[   5.0s] RUNNING   0/2 tasks done; current: nap '
            '(waiting: timer)'
            '\r\x1b[K[  1m05s] SUCCEEDED 2/2 tasks done\n',
            stream.getvalue())


class TestLifecycleCommands(base.CLITestCase):

    def test_retry_wait_skips_the_old_failure(self):
        old = execution('FAILED', {'FAILED': 1},
                        finished_at='2026-12-04T21:00:00')
        self.requests.post(self.url(f'/v1/executions/{EXEC}/retry'),
                           status_code=202, json=old)
        self.requests.get(self.url(f'/v1/executions/{EXEC}'), [
            {'json': old}, {'json': old},
            {'json': execution('RUNNING', {'RUNNING': 1})},
            {'json': execution('SUCCEEDED', {'SUCCEEDED': 1},
                               finished_at='2026-12-04T21:05:00')}])
        self.requests.get(
            self.url(f'/v1/executions/{EXEC}/tasks?state=RUNNING'),
            json={'tasks': [{'name': 'boot', 'state': 'RUNNING',
                             'attempt': 2, 'blocked_on': 'queue'}]})
        rc, out, err = self.run_cli(
            'taskflow', 'execution', 'retry', EXEC, '--flow-version', '3',
            '--wait', '--poll-interval', '0', '-f', 'value', '-c', 'state')
        self.assertEqual(0, rc, err)
        self.assertEqual({'version': 3}, [
            r for r in self.requests.request_history
            if r.method == 'POST'][0].json())
        self.assertEqual('SUCCEEDED\n', out)
        # The failure being retried is not reported as the end.
        self.assertEqual(
            f'Execution {EXEC} retried.\n'
            'RUNNING   0/1 tasks done; current: boot (queued for a worker, '
            'attempt 2)\n'
            'SUCCEEDED 1/1 tasks done\n', err)

    def test_retry_without_wait_shows_the_answer(self):
        self.requests.get(self.url(f'/v1/executions/{EXEC}'),
                          json=execution('FAILED'))
        self.requests.post(self.url(f'/v1/executions/{EXEC}/retry'),
                           status_code=202, json=execution('FAILED'))
        out, _ = self.run_ok('taskflow', 'execution', 'retry', EXEC,
                             '-f', 'json')
        self.assertEqual('FAILED', json.loads(out)['state'])
        self.assertEqual({}, self.requests.last_request.json())

    def test_retry_conflict(self):
        self.requests.get(self.url(f'/v1/executions/{EXEC}'),
                          json=execution('SUCCEEDED'))
        self.requests.post(
            self.url(f'/v1/executions/{EXEC}/retry'), status_code=409,
            json={'error': {'code': 409, 'title': 'Conflict',
                            'message': 'retry needs it to be FAILED or '
                                       'TIMED_OUT.'}})
        rc, _, err = self.run_cli('taskflow', 'execution', 'retry', EXEC)
        self.assertEqual(1, rc)
        self.assertIn('retry needs it to be FAILED or TIMED_OUT. '
                      '(HTTP 409)', err)

    def test_pause_and_resume(self):
        for action, state in (('pause', 'RUNNING'), ('resume', 'PAUSED')):
            self.requests.post(self.url(f'/v1/executions/{EXEC}/{action}'),
                               status_code=202, json=execution(state))
            out, _ = self.run_ok('taskflow', 'execution', action, EXEC,
                                 '-f', 'value', '-c', 'state')
            self.assertEqual(f'{state}\n', out)
            self.assertEqual(f'/v1/executions/{EXEC}/{action}',
                             self.requests.last_request.path)

    def test_signal_payloads(self):
        self.requests.post(
            self.url(f'/v1/executions/{EXEC}/signals/approved'),
            status_code=202,
            json={'id': 1, 'execution_id': EXEC, 'name': 'approved',
                  'payload': {'by': 'rita'},
                  'created_at': '2026-12-04T21:00:00'})
        out, _ = self.run_ok('taskflow', 'execution', 'signal', EXEC,
                             'approved', '--payload', '{by: rita}',
                             '-f', 'json')
        self.assertEqual({'payload': {'by': 'rita'}},
                         self.requests.last_request.json())
        self.assertEqual({'by': 'rita'}, json.loads(out)['payload'])
        self.run_ok('taskflow', 'execution', 'signal', EXEC, 'approved',
                    '--payload-file', '-', stdin='[1, 2]\n')
        self.assertEqual({'payload': [1, 2]},
                         self.requests.last_request.json())
        self.run_ok('taskflow', 'execution', 'signal', EXEC, 'approved')
        self.assertEqual({}, self.requests.last_request.json())

    def test_signal_bad_payload(self):
        rc, _, err = self.run_cli('taskflow', 'execution', 'signal', EXEC,
                                  'approved', '--payload', '{by: [')
        self.assertEqual(1, rc)
        self.assertIn('The payload is not valid YAML or JSON', err)
        self.assertEqual(0, self.requests.call_count)
