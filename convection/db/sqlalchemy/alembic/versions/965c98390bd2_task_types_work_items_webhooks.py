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

"""Tenant task types, work items, queue workers and webhooks.

Revision ID: 965c98390bd2
Revises: cd6ef0c689df
Create Date: 2026-12-04 21:40:00
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

# revision identifiers, used by Alembic.
revision = '965c98390bd2'
down_revision = 'cd6ef0c689df'
branch_labels = None
depends_on = None

# The same spelt-out backend types as the initial revision.
_JSON = sa.Text().with_variant(mysql.LONGTEXT(), 'mysql', 'mariadb')
_DATETIME = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql',
                                       'mariadb')
_BIGID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
_UUID = sa.String(36)
_TABLE_OPTIONS = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4'}


def upgrade():
    op.create_table(
        'task_type_defs',
        sa.Column('id', _UUID, primary_key=True),
        sa.Column('project_id', sa.String(64), nullable=False),
        sa.Column('user_id', sa.String(64), nullable=True),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('queue', sa.String(255), nullable=False),
        sa.Column('description', sa.Text(), nullable=True),
        sa.Column('input_schema', _JSON, nullable=True),
        sa.Column('output_schema', _JSON, nullable=True),
        sa.Column('timeout', sa.Integer(), nullable=True),
        sa.Column('heartbeat_timeout', sa.Integer(), nullable=True),
        sa.Column('retry', _JSON, nullable=True),
        sa.Column('checksum', sa.String(64), nullable=False),
        sa.Column('created_at', _DATETIME, nullable=False),
        sa.UniqueConstraint('project_id', 'name', 'version',
                            name='uniq_task_type_defs0project0name0version'),
        **_TABLE_OPTIONS)
    op.create_index('task_type_defs_project_id_name_idx', 'task_type_defs',
                    ['project_id', 'name'])

    op.create_table(
        'work_items',
        sa.Column('id', _UUID, primary_key=True),
        sa.Column('project_id', sa.String(64), nullable=False),
        sa.Column('queue', sa.String(255), nullable=False),
        sa.Column('task_type', sa.String(255), nullable=False),
        sa.Column('task_type_def_id', _UUID,
                  sa.ForeignKey('task_type_defs.id', ondelete='SET NULL'),
                  nullable=True),
        sa.Column('execution_id', _UUID,
                  sa.ForeignKey('executions.id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('task_execution_id', _UUID, nullable=False),
        sa.Column('task_attempt', sa.Integer(), nullable=False),
        sa.Column('attempt', sa.Integer(), nullable=False),
        sa.Column('max_attempts', sa.Integer(), nullable=False),
        sa.Column('heartbeat_timeout', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(16), nullable=False),
        sa.Column('payload', _JSON, nullable=True),
        sa.Column('claim_token', sa.String(64), nullable=True),
        sa.Column('claimed_by', sa.String(255), nullable=True),
        sa.Column('claimed_at', _DATETIME, nullable=True),
        sa.Column('lease_expires_at', _DATETIME, nullable=True),
        sa.Column('progress', _JSON, nullable=True),
        sa.Column('result', _JSON, nullable=True),
        sa.Column('created_at', _DATETIME, nullable=False),
        sa.Column('available_at', _DATETIME, nullable=False),
        sa.Column('finished_at', _DATETIME, nullable=True),
        sa.Column('updated_at', _DATETIME, nullable=True),
        sa.UniqueConstraint('claim_token',
                            name='uniq_work_items0claim_token'),
        **_TABLE_OPTIONS)
    op.create_index('work_items_claimable_idx', 'work_items',
                    ['project_id', 'queue', 'state', 'available_at'])
    op.create_index('work_items_state_lease_idx', 'work_items',
                    ['state', 'lease_expires_at'])
    op.create_index('work_items_task_execution_id_idx', 'work_items',
                    ['task_execution_id'])

    op.create_table(
        'queue_workers',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('project_id', sa.String(64), nullable=False),
        sa.Column('queue', sa.String(255), nullable=False),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('last_seen_at', _DATETIME, nullable=False),
        sa.UniqueConstraint('project_id', 'queue', 'name',
                            name='uniq_queue_workers0project0queue0name'),
        **_TABLE_OPTIONS)

    op.create_table(
        'webhooks',
        sa.Column('id', _UUID, primary_key=True),
        sa.Column('project_id', sa.String(64), nullable=False),
        sa.Column('user_id', sa.String(64), nullable=True),
        sa.Column('url', sa.String(2048), nullable=False),
        sa.Column('secret', sa.String(255), nullable=False),
        sa.Column('events', _JSON, nullable=True),
        sa.Column('flows', _JSON, nullable=True),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('created_at', _DATETIME, nullable=False),
        sa.Column('updated_at', _DATETIME, nullable=True),
        **_TABLE_OPTIONS)
    op.create_index('webhooks_project_id_idx', 'webhooks', ['project_id'])

    op.create_table(
        'webhook_deliveries',
        sa.Column('id', _BIGID, primary_key=True, autoincrement=True),
        sa.Column('webhook_id', _UUID,
                  sa.ForeignKey('webhooks.id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('event', sa.String(64), nullable=False),
        sa.Column('payload', _JSON, nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', _DATETIME, nullable=True),
        sa.Column('response_code', sa.Integer(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('created_at', _DATETIME, nullable=False),
        sa.Column('updated_at', _DATETIME, nullable=True),
        sa.Column('delivered_at', _DATETIME, nullable=True),
        **_TABLE_OPTIONS)
    op.create_index('webhook_deliveries_status_next_idx',
                    'webhook_deliveries', ['status', 'next_attempt_at'])
    op.create_index('webhook_deliveries_webhook_id_id_idx',
                    'webhook_deliveries', ['webhook_id', 'id'])
