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

"""The whole lifecycle from ``openstack`` with a real Keystone.

The service checks Keystone tokens (``auth_strategy = keystone``); the
commands authenticate with the loopback Keystone's ``clouds.yaml`` as
``alice`` of ``tenant-a``, as a user with a cloud would. A worker runs
as ``openstack taskflow worker run`` for the whole class.
"""

import json
import os
import signal
import subprocess
import sys

from convectionclient.tests.functional import base
from convectionclient.tests.functional import test_workers

FLOW = json.dumps({
    'version': 1, 'name': 'ks-deploy',
    'input': {'type': 'object', 'required': ['marker'],
              'properties': {'marker': {'type': 'string'}}},
    'tasks': {
        'prepare': {'type': 'echo', 'with': {'message': 'ready'}},
        'install': {'type': 'ks-install', 'requires': ['prepare'],
                    'with': {'marker': '{{ input.marker }}'}},
    },
    'output': {'install': '{{ tasks.install.output }}'},
})


class TestKeystoneLifecycle(base.KeystoneServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.worker_log = open(os.path.join(cls.workdir, 'worker.log'), 'w')
        subprocess.run(
            [cls.openstack, 'taskflow', 'task-type', 'create', 'ks-install',
             '--heartbeat-timeout', '5'], env=cls.env, check=True,
            capture_output=True, timeout=120)
        cls.worker = subprocess.Popen(
            [cls.openstack, 'taskflow', 'worker', 'run', '--queue',
             'ks-install', '--wait', '1', '--name', 'ks-worker', '--',
             sys.executable, '-c', test_workers.FLAKY],
            env=cls.env, stdout=cls.worker_log, stderr=subprocess.STDOUT)

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, 'worker', None) is not None:
            cls.worker.send_signal(signal.SIGTERM)
            try:
                cls.worker.wait(30)
            except subprocess.TimeoutExpired:
                cls.worker.kill()
                cls.worker.wait()
            cls.worker_log.close()
        super().tearDownClass()

    def test_start_wait_history_retry_and_top(self):
        self.cli('create', '--file', '-', stdin=FLOW)
        marker = os.path.join(self.workdir, 'install-marker')
        out, err = self.cli('execution', 'start', 'ks-deploy', '--param',
                            f'marker={marker}', '--wait',
                            '--poll-interval', '0.3', '--timeout', '120',
                            '-f', 'json', expect=1)
        failed = json.loads(out)
        self.assertEqual('FAILED', failed['state'])
        self.assertEqual({'SUCCEEDED': 1, 'FAILED': 1},
                         failed['task_counts'])
        self.assertIn(f'Execution {failed["id"]} ended FAILED.', err)
        self.assertIn('first attempt: disk full', failed['error']['message'])
        project = failed['project_id']

        history = self.cli_json('execution', 'history', failed['id'])
        self.assertIn(('install', 'FAILED'),
                      [(e['Task Name'], e['To State']) for e in history])

        snapshot = self.cli_json('top', '--once')
        self.assertIn(failed['id'],
                      [f['id'] for f in snapshot['recent_failures']])
        queue = {q['queue']: q for q in snapshot['queues']}['ks-install']
        self.assertEqual(['ks-worker'], queue['workers'])

        # Another project does not see alice's execution.
        bob = dict(self.env, OS_CLOUD='bob')
        result = subprocess.run(
            [self.openstack, 'taskflow', 'execution', 'show', failed['id']],
            env=bob, capture_output=True, text=True, timeout=120)
        self.assertEqual(1, result.returncode, result.stderr)
        self.assertIn('(HTTP 404)', result.stderr)

        out, err = self.cli('execution', 'retry', failed['id'], '--wait',
                            '--poll-interval', '0.3', '--timeout', '120',
                            '-f', 'json')
        final = json.loads(out)
        self.assertEqual(('SUCCEEDED', project),
                         (final['state'], final['project_id']))
        self.assertEqual({'install': {'attempt': '1'}}, final['output'])
        self.assertIn('SUCCEEDED 2/2 tasks done', err)
        history = self.cli_json('execution', 'history', failed['id'])
        self.assertEqual('SUCCEEDED', history[-1]['To State'])
