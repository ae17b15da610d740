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

"""Initial schema: flows, executions, tasks, events, timers, services.

Revision ID: cd6ef0c689df
Revises:
Create Date: 2026-12-04 21:30:00
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

# revision identifiers, used by Alembic.
revision = 'cd6ef0c689df'
down_revision = None
branch_labels = None
depends_on = None

# The backend types behind models.JSONEncoded and models.UTCDateTime, spelt
# out so that this revision never changes when the models do.
_JSON = sa.Text().with_variant(mysql.LONGTEXT(), 'mysql', 'mariadb')
_DATETIME = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql',
                                       'mariadb')
_BIGID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
_UUID = sa.String(36)
_TABLE_OPTIONS = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4'}


def upgrade():
    op.create_table(
        'flows',
        sa.Column('id', _UUID, primary_key=True),
        sa.Column('project_id', sa.String(64), nullable=False),
        sa.Column('user_id', sa.String(64), nullable=True),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('visibility', sa.String(16), nullable=False),
        sa.Column('latest_version', sa.Integer(), nullable=False),
        sa.Column('created_at', _DATETIME, nullable=False),
        sa.Column('updated_at', _DATETIME, nullable=True),
        sa.UniqueConstraint('project_id', 'name',
                            name='uniq_flows0project_id0name'),
        **_TABLE_OPTIONS)
    op.create_index('flows_visibility_name_idx', 'flows',
                    ['visibility', 'name'])
    op.create_index('flows_project_id_created_at_idx', 'flows',
                    ['project_id', 'created_at', 'id'])

    op.create_table(
        'flow_versions',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('flow_id', _UUID,
                  sa.ForeignKey('flows.id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('description', sa.Text(), nullable=True),
        sa.Column('definition', _JSON, nullable=False),
        sa.Column('source', _JSON, nullable=True),
        sa.Column('checksum', sa.String(64), nullable=False),
        sa.Column('created_at', _DATETIME, nullable=False),
        sa.UniqueConstraint('flow_id', 'version',
                            name='uniq_flow_versions0flow_id0version'),
        # Versions are cached by id: SQLite must never reuse one.
        sqlite_autoincrement=True,
        **_TABLE_OPTIONS)

    op.create_table(
        'executions',
        sa.Column('id', _UUID, primary_key=True),
        sa.Column('project_id', sa.String(64), nullable=False),
        sa.Column('user_id', sa.String(64), nullable=True),
        sa.Column('flow_id', _UUID,
                  sa.ForeignKey('flows.id', ondelete='SET NULL'),
                  nullable=True),
        sa.Column('flow_version_id', sa.Integer(),
                  sa.ForeignKey('flow_versions.id', ondelete='SET NULL'),
                  nullable=True),
        sa.Column('flow_name', sa.String(255), nullable=False),
        sa.Column('flow_version', sa.Integer(), nullable=False),
        sa.Column('parent_id', _UUID,
                  sa.ForeignKey('executions.id', ondelete='SET NULL'),
                  nullable=True),
        sa.Column('parent_task_id', _UUID, nullable=True),
        sa.Column('state', sa.String(16), nullable=False),
        sa.Column('input', _JSON, nullable=True),
        sa.Column('output', _JSON, nullable=True),
        sa.Column('context', _JSON, nullable=True),
        sa.Column('error', _JSON, nullable=True),
        sa.Column('stop_reason', sa.String(64), nullable=True),
        sa.Column('idempotency_key', sa.String(255), nullable=True),
        sa.Column('trust_id', sa.String(64), nullable=True),
        sa.Column('deadline', _DATETIME, nullable=True),
        sa.Column('created_at', _DATETIME, nullable=False),
        sa.Column('started_at', _DATETIME, nullable=True),
        sa.Column('finished_at', _DATETIME, nullable=True),
        sa.Column('updated_at', _DATETIME, nullable=True),
        sa.UniqueConstraint('project_id', 'idempotency_key',
                            name='uniq_executions0project_id0idem_key'),
        **_TABLE_OPTIONS)
    op.create_index('executions_project_id_created_at_idx', 'executions',
                    ['project_id', 'created_at', 'id'])
    op.create_index('executions_project_id_state_idx', 'executions',
                    ['project_id', 'state'])
    op.create_index('executions_project_id_flow_name_idx', 'executions',
                    ['project_id', 'flow_name', 'flow_version'])
    op.create_index('executions_parent_id_idx', 'executions', ['parent_id'])
    op.create_index('executions_state_created_at_idx', 'executions',
                    ['state', 'created_at'])

    op.create_table(
        'task_executions',
        sa.Column('id', _UUID, primary_key=True),
        sa.Column('execution_id', _UUID,
                  sa.ForeignKey('executions.id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('item_index', sa.Integer(), nullable=False),
        sa.Column('type', sa.String(255), nullable=False),
        sa.Column('state', sa.String(16), nullable=False),
        sa.Column('blocked_on', sa.String(32), nullable=True),
        sa.Column('attempt', sa.Integer(), nullable=False),
        sa.Column('input', _JSON, nullable=True),
        sa.Column('output', _JSON, nullable=True),
        sa.Column('error', _JSON, nullable=True),
        sa.Column('run_state', _JSON, nullable=True),
        sa.Column('owner', sa.String(255), nullable=True),
        sa.Column('lease_expires_at', _DATETIME, nullable=True),
        sa.Column('created_at', _DATETIME, nullable=False),
        sa.Column('started_at', _DATETIME, nullable=True),
        sa.Column('finished_at', _DATETIME, nullable=True),
        sa.Column('updated_at', _DATETIME, nullable=True),
        sa.UniqueConstraint('execution_id', 'name', 'item_index',
                            name='uniq_task_executions0exec0name0item'),
        **_TABLE_OPTIONS)
    op.create_index('task_executions_execution_id_state_idx',
                    'task_executions', ['execution_id', 'state'])
    op.create_index('task_executions_state_lease_idx', 'task_executions',
                    ['state', 'lease_expires_at'])

    op.create_table(
        'events',
        sa.Column('id', _BIGID, primary_key=True, autoincrement=True),
        sa.Column('execution_id', _UUID,
                  sa.ForeignKey('executions.id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('task_execution_id', _UUID, nullable=True),
        sa.Column('task_name', sa.String(255), nullable=True),
        sa.Column('kind', sa.String(16), nullable=False),
        sa.Column('from_state', sa.String(16), nullable=True),
        sa.Column('to_state', sa.String(16), nullable=False),
        sa.Column('attempt', sa.Integer(), nullable=True),
        sa.Column('details', _JSON, nullable=True),
        sa.Column('created_at', _DATETIME, nullable=False),
        **_TABLE_OPTIONS)
    op.create_index('events_execution_id_id_idx', 'events',
                    ['execution_id', 'id'])

    op.create_table(
        'timers',
        sa.Column('id', _BIGID, primary_key=True, autoincrement=True),
        sa.Column('execution_id', _UUID,
                  sa.ForeignKey('executions.id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('task_execution_id', _UUID, nullable=True),
        sa.Column('kind', sa.String(32), nullable=False),
        sa.Column('fire_at', _DATETIME, nullable=False),
        sa.Column('payload', _JSON, nullable=True),
        sa.Column('created_at', _DATETIME, nullable=False),
        **_TABLE_OPTIONS)
    op.create_index('timers_fire_at_idx', 'timers', ['fire_at'])
    op.create_index('timers_execution_id_idx', 'timers', ['execution_id'])

    op.create_table(
        'services',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('host', sa.String(255), nullable=False),
        sa.Column('binary', sa.String(64), nullable=False),
        sa.Column('created_at', _DATETIME, nullable=False),
        sa.Column('updated_at', _DATETIME, nullable=True),
        sa.UniqueConstraint('host', 'binary',
                            name='uniq_services0host0binary'),
        **_TABLE_OPTIONS)
