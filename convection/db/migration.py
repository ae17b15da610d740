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

"""Schema migrations, run with alembic on [database]connection.

The alembic configuration ships inside the package
(``convection/db/sqlalchemy/alembic.ini`` and ``alembic/``), so these work
from an installed copy as well as from a checkout.
"""

import os

from alembic import command as alembic_command
from alembic import config as alembic_config
from alembic import migration as alembic_migration
from alembic import script as alembic_script

from convection.db.sqlalchemy import session

_ALEMBIC_INI = os.path.join(os.path.dirname(__file__), 'sqlalchemy',
                            'alembic.ini')


def _config(connection=None):
    config = alembic_config.Config(_ALEMBIC_INI)
    if connection is not None:
        config.attributes['connection'] = connection
    return config


def upgrade(revision='head', engine=None):
    """Upgrade the schema to ``revision`` (the newest one by default).

    :param engine: the engine to migrate; the [database]connection engine
        if None.
    """
    engine = engine or session.get_engine()
    with engine.begin() as connection:
        alembic_command.upgrade(_config(connection), revision)


def stamp(revision, engine=None):
    """Record ``revision`` as the current one without running anything."""
    engine = engine or session.get_engine()
    with engine.begin() as connection:
        alembic_command.stamp(_config(connection), revision)


def version(engine=None):
    """The current revision of the database, or None if it has none."""
    engine = engine or session.get_engine()
    with engine.connect() as connection:
        return alembic_migration.MigrationContext.configure(
            connection).get_current_revision()


def head():
    """The newest revision this code ships."""
    scripts = alembic_script.ScriptDirectory.from_config(_config())
    return scripts.get_current_head()
