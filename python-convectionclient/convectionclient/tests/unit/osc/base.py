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
import logging
import os

import fixtures
from openstackclient import shell
from osc_lib import clientmanager

from convectionclient.tests.unit import base

NOAUTH = ['--os-auth-type', 'none', '--os-taskflow-endpoint', base.ENDPOINT]


class CLITestCase(base.TestCase):
    """Runs the real ``openstack`` shell in-process on mocked HTTP."""

    def setUp(self):
        super().setUp()
        for name in list(os.environ):
            if name.startswith('OS_'):
                self.useFixture(fixtures.EnvironmentVariable(name))
        home = self.useFixture(fixtures.TempDir()).path
        self.useFixture(fixtures.EnvironmentVariable('HOME', home))
        self.useFixture(fixtures.EnvironmentVariable(
            'OS_CLIENT_CONFIG_FILE', os.path.join(home, 'none.yaml')))
        # Each shell adds its handlers to the root logger.
        root = logging.getLogger()
        self.addCleanup(setattr, root, 'handlers', list(root.handlers))
        self.addCleanup(root.setLevel, root.level)

    def url(self, path):
        return base.ENDPOINT + path

    def run_cli(self, *args, stdin='', auth=NOAUTH):
        """Run ``openstack <auth> <args>``; return (rc, stdout, stderr)."""
        # OSC caches a plugin's client on the ClientManager class, which
        # is right for one command per process only.
        clientmanager.ClientManager.__dict__['taskflow']._handle = None
        stdout, stderr = io.StringIO(), io.StringIO()
        # Errors are logged to sys.stderr by handlers OSC installs.
        with fixtures.MonkeyPatch('sys.stderr', stderr):
            app = shell.OpenStackShell()
            app.stdin = io.StringIO(stdin)
            app.stdout, app.stderr = stdout, stderr
            try:
                rc = app.run(list(auth) + list(args))
            except SystemExit as e:  # argparse refused the arguments
                rc = e.code
        return rc, stdout.getvalue(), stderr.getvalue()

    def run_ok(self, *args, **kwargs):
        rc, out, err = self.run_cli(*args, **kwargs)
        self.assertEqual(0, rc, f'stdout: {out}\nstderr: {err}')
        return out, err
