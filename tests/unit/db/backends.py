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

"""Throwaway databases on the real PostgreSQL and MariaDB servers.

Each :class:`ServerDatabase` creates a uniquely named database through an
admin URL and drops it when the test ends. The admin URLs come from
``CONVECTION_TEST_POSTGRESQL_URL`` and ``CONVECTION_TEST_MYSQL_URL``, else
from oslo.db's ``OS_TEST_DBAPI_ADMIN_CONNECTION``, else the local servers
of the development and CI machines.

A server that cannot be reached skips the test with a message naming it,
unless ``CI=true``: then the test fails, so that CI never passes by
skipping the backends it exists to test.
"""

import os
import sys
import threading
import uuid

import fixtures
from oslo_config import cfg
import sqlalchemy as sa
from sqlalchemy import pool

from convection.db import migration
from convection.db.sqlalchemy import session

CONF = cfg.CONF

ADMIN_URLS = {
    'postgresql': ('CONVECTION_TEST_POSTGRESQL_URL',
                   'postgresql+psycopg2://postgres@127.0.0.1/postgres'),
    'mysql': ('CONVECTION_TEST_MYSQL_URL',
              'mysql+pymysql://root@127.0.0.1/'),
}

_NAMES = {'postgresql': 'PostgreSQL', 'mysql': 'MariaDB/MySQL'}
_unreachable = {}
_unreachable_lock = threading.Lock()


def admin_url(backend):
    """The admin URL of ``backend``: ours, else oslo.db's, else default."""
    variable, default = ADMIN_URLS[backend]
    if os.environ.get(variable):
        return sa.make_url(os.environ[variable])
    # oslo.db's opportunistic tests read a ";"-separated list of URLs.
    for url in os.environ.get('OS_TEST_DBAPI_ADMIN_CONNECTION',
                              '').split(';'):
        if url and sa.make_url(url).get_backend_name() == backend:
            return sa.make_url(url)
    return sa.make_url(default)


def _in_ci():
    return os.environ.get('CI', '').lower() in ('1', 'true', 'yes')


def _admin_engine(backend):
    return sa.create_engine(admin_url(backend), isolation_level='AUTOCOMMIT',
                            poolclass=pool.NullPool)


def _check_reachable(backend):
    """None if the server answers, else why not (remembered per run)."""
    with _unreachable_lock:
        if backend not in _unreachable:
            try:
                with _admin_engine(backend).connect() as conn:
                    conn.exec_driver_sql('SELECT 1')
                _unreachable[backend] = None
            except sa.exc.DBAPIError as e:
                _unreachable[backend] = str(e).splitlines()[0]
        return _unreachable[backend]


def require(test, backend):
    """Skip ``test`` (or fail it, under CI) if ``backend`` is unreachable.

    Call it from ``setUp`` before using a fixture of this module: a skip
    raised inside a fixture's setUp would turn into an error.
    """
    if backend == 'sqlite':
        return
    reason = _check_reachable(backend)
    if reason is None:
        return
    variable = ADMIN_URLS[backend][0]
    message = (f'{_NAMES[backend]} is unreachable at '
               f'{admin_url(backend).render_as_string(hide_password=True)} '
               f'({reason}); set {variable} to an admin URL of a running '
               f'server.')
    if _in_ci():
        test.fail(f'CI=true and {message}')
    sys.stderr.write(f'\nSKIPPING {backend} database tests: {message}\n')
    test.skipTest(message)


class ServerDatabase(fixtures.Fixture):
    """An empty, uniquely named database on a server; ``url`` reaches it."""

    def __init__(self, backend):
        super().__init__()
        self.backend = backend

    def _setUp(self):
        self.name = f'convection_test_{uuid.uuid4().hex[:16]}'
        engine = _admin_engine(self.backend)
        with engine.connect() as conn:
            if self.backend == 'mysql':
                conn.exec_driver_sql(
                    f'CREATE DATABASE {self.name} CHARACTER SET utf8mb4')
            else:
                conn.exec_driver_sql(f'CREATE DATABASE {self.name}')
        self.addCleanup(self._drop, engine)
        self.url = admin_url(self.backend).set(database=self.name)

    def _drop(self, engine):
        with engine.connect() as conn:
            if self.backend == 'postgresql':
                # A connection a failed test left open must not keep the
                # database alive.
                conn.exec_driver_sql(
                    'SELECT pg_terminate_backend(pid) FROM pg_stat_activity '
                    'WHERE datname = %(name)s AND pid <> pg_backend_pid()',
                    {'name': self.name})
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS {self.name}')


class SQLiteDatabase(fixtures.Fixture):
    """An empty SQLite file in a temporary directory."""

    def _setUp(self):
        path = self.useFixture(fixtures.TempDir()).path
        self.url = sa.make_url(
            f'sqlite:///{os.path.join(path, "convection.sqlite")}')


def empty_database(backend):
    """A fixture for an empty database of ``backend`` ('sqlite', ...)."""
    if backend == 'sqlite':
        return SQLiteDatabase()
    return ServerDatabase(backend)


class MigratedDatabase(fixtures.Fixture):
    """[database]connection on a fresh database built by the migrations."""

    def __init__(self, backend):
        super().__init__()
        self.backend = backend

    def _setUp(self):
        database = self.useFixture(empty_database(self.backend))
        CONF.set_override(
            'connection', database.url.render_as_string(hide_password=False),
            group='database')
        session.dispose()
        # Registered after the database's own cleanup, so it runs first:
        # no pooled connection outlives the database.
        self.addCleanup(session.dispose)
        migration.upgrade()
