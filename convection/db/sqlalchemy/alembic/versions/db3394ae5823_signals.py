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

"""Signals sent to executions for their wait tasks; work item deadlines.

Revision ID: db3394ae5823
Revises: 965c98390bd2
Create Date: 2026-12-04 22:00:00
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

# revision identifiers, used by Alembic.
revision = 'db3394ae5823'
down_revision = '965c98390bd2'
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
        'signals',
        sa.Column('id', _BIGID, primary_key=True, autoincrement=True),
        sa.Column('execution_id', _UUID,
                  sa.ForeignKey('executions.id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('payload', _JSON, nullable=True),
        sa.Column('user_id', sa.String(64), nullable=True),
        sa.Column('task_execution_id', _UUID, nullable=True),
        sa.Column('created_at', _DATETIME, nullable=False),
        sa.Column('consumed_at', _DATETIME, nullable=True),
        **_TABLE_OPTIONS)
    op.create_index('signals_execution_id_name_idx', 'signals',
                    ['execution_id', 'name', 'consumed_at'])

    with op.batch_alter_table('work_items') as batch:
        batch.add_column(sa.Column('deadline', _DATETIME, nullable=True))
