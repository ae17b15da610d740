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

"""convection-manage and convection-status as operators run them.

Each command runs in its own process with ``--config-file``; the commands
share their migration code with the migration tests, which cover the
servers, so these run on SQLite only.
"""

import os
import subprocess
import sys

import sqlalchemy as sa

from convection.db import migration
from tests import base
from tests.unit.db import backends

_MAIN = ('import sys; from convection.cmd import {module}; '
         'sys.argv[0] = "convection-{module}"; sys.exit({module}.main())')


class CommandsTestCase(base.TestCase):

    use_database = False

    def setUp(self):
        super().setUp()
        database = self.useFixture(backends.empty_database('sqlite'))
        self.url = database.url.render_as_string(hide_password=False)
        self.config_file = os.path.join(self.conf_fixture.conf.state_path,
                                        'convection.conf')
        with open(self.config_file, 'w') as f:
            f.write(f'[database]\nconnection = {self.url}\n')

    def _run(self, module, *args):
        result = subprocess.run(
            [sys.executable, '-c', _MAIN.format(module=module),
             '--config-file', self.config_file, *args],
            capture_output=True, text=True, timeout=120)
        # oslo.log writes to stdout too: the answer is the last line.
        lines = result.stdout.splitlines() or ['']
        return result.returncode, lines[-1]

    def _version(self):
        engine = sa.create_engine(self.url, poolclass=sa.pool.NullPool)
        self.addCleanup(engine.dispose)
        return migration.version(engine=engine)

    def test_manage_db_upgrade_version_stamp(self):
        code, out = self._run('manage', 'db', 'version')
        self.assertEqual(0, code)
        self.assertIn('None', out)

        code, out = self._run('manage', 'db', 'upgrade', '--revision',
                              'cd6ef0c689df')
        self.assertEqual((0, 'Database schema is at revision '
                             'cd6ef0c689df.'), (code, out))

        self.assertEqual(0, self._run('manage', 'db', 'upgrade')[0])
        self.assertEqual(migration.head(), self._version())

        self.assertEqual(0, self._run('manage', 'db', 'stamp',
                                      'cd6ef0c689df')[0])
        self.assertEqual('cd6ef0c689df', self._version())

        code, _out = self._run('manage', 'db', 'stamp', 'no-such-revision')
        self.assertEqual(1, code)
        self.assertEqual('cd6ef0c689df', self._version())

    def test_status_fails_until_the_schema_is_at_head(self):
        code, _out = self._run('status', 'upgrade', 'check')
        self.assertEqual(2, code)

        engine = sa.create_engine(self.url, poolclass=sa.pool.NullPool)
        self.addCleanup(engine.dispose)
        migration.upgrade(engine=engine)
        code, _out = self._run('status', 'upgrade', 'check')
        self.assertEqual(0, code)
