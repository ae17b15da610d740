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

"""Alembic environment: runs the migrations on [database]connection."""

from alembic import context

from convection.db.sqlalchemy import models
from convection.db.sqlalchemy import session

target_metadata = models.Base.metadata


def _run_migrations(connection):
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; later revisions use batch mode.
        render_as_batch=connection.dialect.name == 'sqlite')
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Migrate through a caller's connection or the configured engine.

    ``convection.db.migration`` passes its connection in
    ``config.attributes['connection']`` so that tests and callers choose
    the database; otherwise the [database]connection engine is used.
    """
    connection = context.config.attributes.get('connection')
    if connection is not None:
        _run_migrations(connection)
        return
    with session.get_engine().connect() as connection:
        _run_migrations(connection)


run_migrations_online()
