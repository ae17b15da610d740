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

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time

from oslo_config import cfg

from convection.cmd import all as cmd_all
from convection.common import states
from tests import base

CONF = cfg.CONF


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class TestEmbeddedDefaults(base.TestCase):

    use_database = False

    def setUp(self):
        super().setUp()
        # The base class points every test at fake:/ with an override.
        CONF.clear_override('transport_url')

    def test_defaults(self):
        cmd_all.set_embedded_defaults()
        self.addCleanup(CONF.set_default, 'auth_strategy', 'keystone')
        self.addCleanup(CONF.set_default, 'transport_url', None)
        CONF([], project='convection', default_config_files=[])
        self.addCleanup(CONF.set_default, 'threads', 4, group='api')
        self.assertEqual('noauth', CONF.auth_strategy)
        self.assertEqual('fake://', CONF.transport_url)
        self.assertEqual(1, CONF.api.threads)

    def test_a_config_file_overrides_them(self):
        cmd_all.set_embedded_defaults()
        self.addCleanup(CONF.set_default, 'auth_strategy', 'keystone')
        self.addCleanup(CONF.set_default, 'transport_url', None)
        self.addCleanup(CONF.set_default, 'threads', 4, group='api')
        path = os.path.join(CONF.state_path, 'convection.conf')
        with open(path, 'w') as f:
            f.write('[DEFAULT]\nauth_strategy = keystone\n'
                    'transport_url = rabbit://u:p@example.org/\n'
                    '[api]\nthreads = 8\n')
        CONF([], project='convection', default_config_files=[path])
        self.assertEqual('keystone', CONF.auth_strategy)
        self.assertEqual('rabbit://u:p@example.org/', CONF.transport_url)
        self.assertEqual(8, CONF.api.threads)


class TestConvectionAll(base.TestCase):
    """The console script, as a user starts it, in a process of its own."""

    use_database = False

    def setUp(self):
        super().setUp()
        self.state_path = CONF.state_path
        self.port = _free_port()
        config = os.path.join(self.state_path, 'convection.conf')
        with open(config, 'w') as f:
            f.write(f'[DEFAULT]\nstate_path = {self.state_path}\n'
                    f'[api]\nport = {self.port}\n'
                    f'[engine]\ntimer_interval = 0.1\n')
        self.log = open(os.path.join(self.state_path, 'log'), 'w+')
        self.addCleanup(self.log.close)
        script = os.path.join(os.path.dirname(sys.executable),
                              'convection-all')
        self.process = subprocess.Popen([script, '--config-file', config],
                                        stdout=self.log, stderr=self.log)
        self.addCleanup(self._kill)
        self._wait_for_port()

    def _kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def _wait_for_port(self):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.fail(f'convection-all exited: {self._log()}')
            try:
                socket.create_connection(('127.0.0.1', self.port), 1).close()
                return
            except OSError:
                time.sleep(0.2)
        self.fail(f'convection-all did not listen: {self._log()}')

    def _log(self):
        self.log.seek(0)
        return self.log.read()

    def request(self, method, path, body=None):
        conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=10)
        headers = {'Content-Type': 'application/json'}
        conn.request(method, path,
                     json.dumps(body) if body is not None else None,
                     headers)
        response = conn.getresponse()
        data = json.loads(response.read() or 'null')
        conn.close()
        return response.status, data

    def test_quickstart_runs_a_flow_and_stops_on_sigterm(self):
        status, _ = self.request('POST', '/v1/flows', {'definition': {
            'version': 1, 'name': 'hello',
            'tasks': {'a': {'type': 'echo', 'with': {'x': 1}},
                      'b': {'type': 'sleep', 'requires': ['a'],
                            'with': {'seconds': 0.2}}},
            'output': {'x': '{{ tasks.a.output.x }}'}}})
        self.assertEqual(201, status)
        status, execution = self.request('POST', '/v1/executions',
                                         {'flow': 'hello'})
        self.assertEqual(202, status)
        deadline = time.monotonic() + 30
        while execution['state'] not in states.EXECUTION_TERMINAL_STATES:
            self.assertLess(time.monotonic(), deadline, self._log())
            time.sleep(0.1)
            _, execution = self.request(
                'GET', f"/v1/executions/{execution['id']}")
        self.assertEqual(states.SUCCEEDED, execution['state'])
        self.assertEqual({'x': 1}, execution['output'])
        self.assertTrue(os.path.exists(
            os.path.join(self.state_path, 'convection.sqlite')))
        self.process.send_signal(signal.SIGTERM)
        self.assertEqual(0, self.process.wait(timeout=30), self._log())
        self.assertIn('convection-engine on', self._log())
        self.assertNotIn('Traceback', self._log())
