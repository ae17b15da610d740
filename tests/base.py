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

"""Base class and fixtures shared by the unit tests."""

import os
import warnings

import fixtures
from oslo_config import cfg
from oslo_config import fixture as config_fixture
from oslo_messaging import conffixture as messaging_fixture
from oslotest import base

from convection import conf  # noqa: F401  (registers every option)
from convection.db.sqlalchemy import models
from convection.db.sqlalchemy import session

CONF = cfg.CONF


class Database(fixtures.Fixture):
    """A fresh SQLite database file with the schema, per test.

    Unit tests build the schema from the models for speed; the migration
    tests prove the models and the alembic migrations agree.
    """

    def _setUp(self):
        path = self.useFixture(fixtures.TempDir()).path
        CONF.set_override('connection',
                          f'sqlite:///{os.path.join(path, "test.sqlite")}',
                          group='database')
        session.dispose()
        models.Base.metadata.create_all(session.get_engine())
        self.addCleanup(session.dispose)


class FakeMessaging(fixtures.Fixture):
    """oslo.messaging's in-process fake driver."""

    def _setUp(self):
        fixture = self.useFixture(messaging_fixture.ConfFixture(CONF))
        fixture.transport_url = 'fake:/'


class TestCase(base.BaseTestCase):
    """Unit test base: fresh config and, unless disabled, a database."""

    use_database = True

    def setUp(self):
        super().setUp()
        self.conf_fixture = self.useFixture(config_fixture.Config(CONF))
        CONF([], project='convection', default_config_files=[])
        self.config(state_path=self.useFixture(fixtures.TempDir()).path)
        self.useFixture(FakeMessaging())
        if self.use_database:
            self.useFixture(Database())
        # Turn our own mistakes with SQLAlchemy into errors.
        warnings.filterwarnings('error', module='convection')

    def config(self, **kw):
        """Override options for the length of the test."""
        group = kw.pop('group', None)
        for key, value in kw.items():
            CONF.set_override(key, value, group)
