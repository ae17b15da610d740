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

"""The alembic migrations on SQLite, PostgreSQL and MariaDB.

They must build exactly the schema the models describe, and
``convection.db.migration`` must report and stamp revisions.
"""

from alembic import script as alembic_script
from oslo_db.sqlalchemy import test_migrations
import sqlalchemy as sa

from convection.db import migration
from convection.db.sqlalchemy import models
from tests import base
from tests.unit.db import backends


class MigrationsTestCase(base.TestCase):
    """Run on SQLite; the subclasses below repeat it on the servers."""

    use_database = False
    backend = 'sqlite'

    def setUp(self):
        super().setUp()
        backends.require(self, self.backend)
        database = self.useFixture(backends.empty_database(self.backend))
        self.engine = sa.create_engine(database.url,
                                       poolclass=sa.pool.NullPool)
        self.addCleanup(self.engine.dispose)

    def _tables(self):
        return set(sa.inspect(self.engine).get_table_names())

    def test_empty_database_has_no_version(self):
        self.assertIsNone(migration.version(engine=self.engine))

    def test_upgrade_creates_every_model_table(self):
        migration.upgrade(engine=self.engine)
        self.assertEqual(migration.head(),
                         migration.version(engine=self.engine))
        self.assertEqual(set(models.Base.metadata.tables) |
                         {'alembic_version'}, self._tables())

    def test_upgrade_twice_changes_nothing(self):
        migration.upgrade(engine=self.engine)
        migration.upgrade(engine=self.engine)
        self.assertEqual(migration.head(),
                         migration.version(engine=self.engine))

    def test_walk_revisions_one_by_one(self):
        scripts = alembic_script.ScriptDirectory.from_config(
            migration._config())
        revisions = [r.revision for r in scripts.walk_revisions()][::-1]
        self.assertGreaterEqual(len(revisions), 2)
        for revision in revisions:
            migration.upgrade(revision, engine=self.engine)
            self.assertEqual(revision,
                             migration.version(engine=self.engine))
        self.assertEqual(revisions[-1], migration.head())

    def test_flow_version_ids_are_not_reused_after_a_delete(self):
        migration.upgrade(engine=self.engine)
        flows = sa.table('flows', *(sa.column(c) for c in (
            'id', 'project_id', 'name', 'visibility', 'latest_version',
            'created_at')))
        versions = sa.table('flow_versions', *(sa.column(c) for c in (
            'id', 'flow_id', 'version', 'definition', 'checksum',
            'created_at')))
        now = sa.func.now()

        def add_version(flow_id):
            with self.engine.begin() as conn:
                conn.execute(sa.insert(flows).values(
                    id=flow_id, project_id='p', name=flow_id,
                    visibility='private', latest_version=1, created_at=now))
                conn.execute(sa.insert(versions).values(
                    flow_id=flow_id, version=1, definition='{}',
                    checksum=flow_id, created_at=now))
                return conn.execute(sa.select(versions.c.id).where(
                    versions.c.flow_id == flow_id)).scalar_one()

        first = add_version('f1')
        with self.engine.begin() as conn:
            conn.execute(sa.delete(versions))
        self.assertGreater(add_version('f2'), first)

    def test_initial_revision_creates_the_core_tables(self):
        initial = 'cd6ef0c689df'
        migration.upgrade(initial, engine=self.engine)
        self.assertEqual(
            {'alembic_version', 'flows', 'flow_versions', 'executions',
             'task_executions', 'events', 'timers', 'services'},
            self._tables())

    def test_stamp_records_without_running(self):
        migration.stamp('head', engine=self.engine)
        self.assertEqual(migration.head(),
                         migration.version(engine=self.engine))
        self.assertEqual({'alembic_version'}, self._tables())

    def test_unique_constraints_hold_after_migration(self):
        migration.upgrade(engine=self.engine)
        row = {'id': 'f1', 'project_id': 'p', 'name': 'n',
               'visibility': 'private', 'latest_version': 0,
               'created_at': models._utcnow()}
        with self.engine.begin() as conn:
            conn.execute(models.Flow.__table__.insert(), row)
        self.assertRaises(
            sa.exc.IntegrityError, self._insert,
            models.Flow.__table__, dict(row, id='f2'))

    def _insert(self, table, row):
        with self.engine.begin() as conn:
            conn.execute(table.insert(), row)

    def test_flow_delete_cascades_to_versions_and_unlinks_executions(self):
        migration.upgrade(engine=self.engine)
        now = models._utcnow()
        with self.engine.begin() as conn:
            if self.backend == 'sqlite':
                conn.exec_driver_sql('PRAGMA foreign_keys = ON')
            conn.execute(models.Flow.__table__.insert(), {
                'id': 'f1', 'project_id': 'p', 'name': 'n',
                'visibility': 'private', 'latest_version': 1,
                'created_at': now})
            version_id = conn.execute(
                models.FlowVersion.__table__.insert(), {
                    'flow_id': 'f1', 'version': 1, 'definition': {},
                    'checksum': 'c', 'created_at': now}
            ).inserted_primary_key[0]
            conn.execute(models.Execution.__table__.insert(), {
                'id': 'e1', 'project_id': 'p', 'flow_id': 'f1',
                'flow_version_id': version_id, 'flow_name': 'n',
                'flow_version': 1, 'state': 'SUCCEEDED',
                'created_at': now})
            conn.execute(models.Flow.__table__.delete())
            versions = conn.execute(
                sa.select(sa.func.count()).select_from(
                    models.FlowVersion.__table__)).scalar_one()
            execution = conn.execute(
                sa.select(models.Execution.__table__)).one()
        self.assertEqual(0, versions)
        self.assertIsNone(execution.flow_id)
        self.assertIsNone(execution.flow_version_id)
        self.assertEqual(('n', 1), (execution.flow_name,
                                    execution.flow_version))


class PostgreSQLMigrationsTestCase(MigrationsTestCase):
    backend = 'postgresql'


class MySQLMigrationsTestCase(MigrationsTestCase):
    backend = 'mysql'


class ModelsMigrationsSyncMixin(test_migrations.ModelsMigrationsSync):
    """The schema the migrations build is the one the models describe."""

    use_database = False
    backend = 'sqlite'

    def setUp(self):
        super().setUp()
        backends.require(self, self.backend)
        database = self.useFixture(backends.empty_database(self.backend))
        self.engine = sa.create_engine(database.url,
                                       poolclass=sa.pool.NullPool)
        self.addCleanup(self.engine.dispose)

    def get_engine(self):
        return self.engine

    def get_metadata(self):
        return models.Base.metadata

    def db_sync(self, engine):
        migration.upgrade(engine=engine)

    def include_object(self, object_, name, type_, reflected, compare_to):
        # alembic's own bookkeeping table is not a model.
        return not (type_ == 'table' and name == 'alembic_version')


class SQLiteModelsMigrationsSyncTestCase(ModelsMigrationsSyncMixin,
                                         base.TestCase):
    pass


class PostgreSQLModelsMigrationsSyncTestCase(ModelsMigrationsSyncMixin,
                                             base.TestCase):
    backend = 'postgresql'


class MySQLModelsMigrationsSyncTestCase(ModelsMigrationsSyncMixin,
                                        base.TestCase):
    backend = 'mysql'
