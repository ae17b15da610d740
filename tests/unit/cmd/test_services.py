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

import os
import signal
import subprocess
import sys
import time

from oslo_config import cfg

from convection.db import api as db_api
from tests import base

CONF = cfg.CONF


class TestServiceCommands(base.TestCase):
    """convection-engine and convection-conductor as an operator runs them.

    Each is launched by oslo.service (threading backend) in a process of
    its own, registers in the services table and stops cleanly on
    SIGTERM.
    """

    def _run(self, binary):
        config = os.path.join(CONF.state_path, f'{binary}.conf')
        with open(config, 'w') as f:
            f.write(f'[DEFAULT]\nhost = {binary}-host\n'
                    f'transport_url = fake:/\n'
                    f'[database]\nconnection = {CONF.database.connection}\n'
                    f'[engine]\nheartbeat_interval = 1\n')
        log_path = os.path.join(CONF.state_path, f'{binary}.log')
        log = open(log_path, 'w+')
        self.addCleanup(log.close)
        script = os.path.join(os.path.dirname(sys.executable), binary)
        process = subprocess.Popen([script, '--config-file', config],
                                   stdout=log, stderr=log)
        self.addCleanup(lambda: process.poll() is None and process.kill())

        def output():
            log.seek(0)
            return log.read()

        deadline = time.monotonic() + 60
        while not [s for s in db_api.list_services(binary=binary)
                   if s['host'] == f'{binary}-host']:
            self.assertIsNone(process.poll(), output())
            self.assertLess(time.monotonic(), deadline, output())
            time.sleep(0.2)
        process.send_signal(signal.SIGTERM)
        self.assertEqual(0, process.wait(timeout=30), output())
        self.assertIn(f'{binary} on {binary}-host stopped', output())
        self.assertNotIn('Traceback', output())

    def test_engine(self):
        self._run('convection-engine')

    def test_conductor(self):
        self._run('convection-conductor')
