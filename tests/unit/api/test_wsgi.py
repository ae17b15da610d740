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

"""The WSGI entry point and convection-api, each in its own process."""

import os
import socket
import subprocess
import sys
import time
import urllib.request

import fixtures
from oslo_serialization import jsonutils

from tests import base

WSGI_PROBE = '''
import sys
from oslo_service import backend
import webtest
import convection.wsgi
from convection.db.sqlalchemy import models
from convection.db.sqlalchemy import session
print(backend.get_backend_type().value)
models.Base.metadata.create_all(session.get_engine())
response = webtest.TestApp(convection.wsgi.application).post_json(
    '/v1/flows/validate',
    {'definition': {'version': 1, 'name': 'w',
                    'tasks': {'t': {'type': 'noop'}}}})
print(response.status_int)
print(convection.wsgi.initialize_application() is
      convection.wsgi.application)
'''


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class EntryPointTestCase(base.TestCase):
    use_database = False

    def setUp(self):
        super().setUp()
        self.tempdir = self.useFixture(fixtures.TempDir()).path
        self.config_file = os.path.join(self.tempdir, 'convection.conf')
        self.port = _free_port()
        with open(self.config_file, 'w') as f:
            f.write('[DEFAULT]\n'
                    'auth_strategy = noauth\n'
                    'transport_url = fake:/\n'
                    '[api]\n'
                    f'port = {self.port}\n'
                    '[database]\n'
                    f'connection = sqlite:///{self.tempdir}/db.sqlite\n')

    def test_wsgi_application_reads_config_file_from_env(self):
        env = dict(os.environ, CONVECTION_CONFIG_FILE=self.config_file)
        result = subprocess.run([sys.executable, '-c', WSGI_PROBE],
                                env=env, capture_output=True, text=True,
                                timeout=60, check=False)
        self.assertEqual(0, result.returncode, result.stderr[-3000:])
        self.assertEqual(['threading', '200', 'True'],
                         result.stdout.split()[-3:])

    def test_convection_api_serves(self):
        port = self.port
        process = subprocess.Popen(
            [sys.executable, '-c',
             'import sys; from convection.cmd import api; '
             'sys.exit(api.main())',
             '--config-file', self.config_file],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.addCleanup(process.wait, 10)
        self.addCleanup(process.terminate)
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(
                        f'http://127.0.0.1:{port}/v1', timeout=5) as reply:
                    body = jsonutils.loads(reply.read())
                    break
            except OSError:
                if (process.poll() is not None
                        or time.monotonic() > deadline):
                    self.fail('convection-api did not answer: '
                              f'{process.stderr.read().decode()[-2000:]}')
                time.sleep(0.2)
        self.assertEqual('v1', body['id'])
        self.assertEqual(f'http://127.0.0.1:{port}/v1/',
                         body['links'][0]['href'])
