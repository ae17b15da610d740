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

"""An index over a fan-out's items by state, in item order.

With it the engine counts a fan-out's running items and finds the next
pending ones without walking the items that already ended.

Revision ID: 8dd2edb0d8a1
Revises: db3394ae5823
Create Date: 2026-12-05 04:00:00
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = '8dd2edb0d8a1'
down_revision = 'db3394ae5823'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('task_executions_items_idx', 'task_executions',
                    ['execution_id', 'name', 'state', 'item_index'])
