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
import sys

from convectionclient import worker as worker_lib
from convectionclient.osc.v1 import worker as worker_cmd
from convectionclient.tests.unit.osc import base

TOKEN = 'abcdef0123456789abcdef0123456789.secret'
CLAIM = {'claim_token': TOKEN, 'task_id': 't1', 'execution_id': 'e1',
         'task_type': 'resize', 'input': {'w': 10}, 'attempt': 3,
         'heartbeat_timeout': 30}


def python(code):
    return [sys.executable, '-c', code]


class TestCommandHandler(base.CLITestCase):
    """Real child processes, each run for one item."""

    def run_item(self, code, params=None):
        handler = worker_cmd.CommandHandler(python(code), io.StringIO())
        job = worker_lib.Job(None, CLAIM)
        return handler(params if params is not None else {'w': 10}, job)

    def test_stdin_env_and_json_output(self):
        output = self.run_item(
            'import json, os, sys; d = json.load(sys.stdin); '
            'print(json.dumps({"w": d["w"] * 2, "env": [os.environ[k] for '
            'k in ("CONVECTION_TASK_ID", "CONVECTION_EXECUTION_ID", '
            '"CONVECTION_TASK_TYPE", "CONVECTION_ATTEMPT")]}))')
        self.assertEqual({'w': 20, 'env': ['t1', 'e1', 'resize', '3']},
                         output)

    def test_no_output(self):
        self.assertIsNone(self.run_item('pass'))

    def test_nonzero_exit_fails_with_stderr_tail(self):
        e = self.assertRaises(
            worker_lib.TaskFailure, self.run_item,
            'import sys; sys.stderr.write("x" * 5000 + "disk full\\n"); '
            'sys.exit(3)')
        self.assertEqual(('CommandFailed', True, {'exit_code': 3}),
                         (e.error_type, e.retryable, e.details))
        self.assertTrue(str(e).endswith('disk full'))
        self.assertLessEqual(len(str(e)), worker_cmd.STDERR_TAIL + 3)

    def test_exit_100_is_final(self):
        e = self.assertRaises(worker_lib.TaskFailure, self.run_item,
                              'import sys; sys.exit(100)')
        self.assertFalse(e.retryable)
        self.assertIn('exited with 100', str(e))

    def test_output_that_is_not_json(self):
        e = self.assertRaises(worker_lib.TaskFailure, self.run_item,
                              'print("hello")')
        self.assertEqual(('InvalidOutput', False),
                         (e.error_type, e.retryable))

    def test_missing_program(self):
        handler = worker_cmd.CommandHandler(['/nonexistent/prog'],
                                            io.StringIO())
        e = self.assertRaises(worker_lib.TaskFailure, handler, {},
                              worker_lib.Job(None, CLAIM))
        self.assertIn('Cannot run /nonexistent/prog', str(e))

    def test_lost_claim_kills_the_command(self):
        handler = worker_cmd.CommandHandler(
            python('import time; time.sleep(30)'), io.StringIO())
        job = worker_lib.Job(None, CLAIM)
        job.lost.set()
        e = self.assertRaises(worker_lib.TaskFailure, handler, {}, job)
        self.assertEqual(-9, e.details['exit_code'])


class TestWorkerRunCommand(base.CLITestCase):

    def test_runs_items_and_reports(self):
        self.requests.post(self.url('/v1/queues/images/claims'),
                           json={'items': [CLAIM]})
        self.requests.post(self.url(f'/v1/claims/{TOKEN}/complete'),
                           json={'claim_token': TOKEN})
        out, err = self.run_ok(
            'taskflow', 'worker', 'run', '--queue', 'images', '--name',
            'w1', '--concurrency', '2', '--max-items', '1', '--',
            *python('import json, sys; print(json.dumps(json.load('
                    'sys.stdin)))'))
        claim_request = self.requests.request_history[0]
        self.assertEqual({'limit': 1, 'wait': 10.0, 'worker': 'w1'},
                         claim_request.json())
        self.assertEqual({'output': {'w': 10}},
                         self.requests.last_request.json())
        self.assertIn('task t1 (resize) attempt 3: exit 0', err)
        self.assertIn('Worker w1 stopped: 1 completed, 0 failed.', err)
        self.assertEqual('', out)

    def test_needs_a_command(self):
        rc, _, err = self.run_cli('taskflow', 'worker', 'run', '--queue',
                                  'images')
        self.assertEqual(1, rc)
        self.assertIn('Give the command to run after --', err)
        rc, _, err = self.run_cli('taskflow', 'worker', 'run', '--queue',
                                  'q', '--concurrency', '0', '--', 'true')
        self.assertEqual(1, rc)
        self.assertIn('--concurrency must be at least 1', err)
        self.assertEqual(0, self.requests.call_count)
