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

"""The engine's bookkeeping of trusts (Keystone itself is exercised by
tests/functional/test_trusts.py)."""

import datetime

from oslo_utils import timeutils
from oslo_utils import uuidutils
import sqlalchemy as sa

from convection.common import states
from convection.db.sqlalchemy import models
from convection.db.sqlalchemy import session
from convection.engine import trusts
from tests import base

EXECUTIONS = models.Execution.__table__


class TrustBookkeepingTest(base.TestCase):

    def _execution(self, state, trust_id, finished_ago=None):
        execution_id = uuidutils.generate_uuid()
        now = timeutils.utcnow()
        finished_at = (None if finished_ago is None else
                       now - datetime.timedelta(seconds=finished_ago))
        with session.writer() as s:
            s.execute(sa.insert(EXECUTIONS).values(
                id=execution_id, project_id='p', flow_name='f',
                flow_version=1, state=state, trust_id=trust_id,
                created_at=now, finished_at=finished_at))
        return execution_id

    def _trust_of(self, execution_id):
        with session.reader() as s:
            return s.execute(sa.select(EXECUTIONS.c.trust_id).where(
                EXECUTIONS.c.id == execution_id)).scalar_one()

    def test_only_finished_executions_past_the_delay_are_listed(self):
        self.config(trust_release_delay=10, group='keystone')
        old = self._execution(states.SUCCEEDED, 't-old', finished_ago=60)
        self._execution(states.FAILED, 't-new', finished_ago=1)
        self._execution(states.RUNNING, 't-running')
        self._execution(states.CANCELLED, None, finished_ago=60)
        cutoff = timeutils.utcnow() - datetime.timedelta(seconds=10)
        self.assertEqual([(old, 't-old')],
                         trusts.finished_with_trusts(cutoff, 10))

    def test_a_retried_execution_keeps_its_trust(self):
        execution_id = self._execution(states.FAILED, 't1', finished_ago=60)
        # The reaper listed it, then a retry started it again.
        with session.writer() as s:
            s.execute(sa.update(EXECUTIONS).values(state=states.RUNNING))
        self.assertFalse(trusts._claim(execution_id, 't1'))
        self.assertEqual('t1', self._trust_of(execution_id))

    def test_claim_and_give_back(self):
        execution_id = self._execution(states.FAILED, 't1', finished_ago=60)
        self.assertTrue(trusts._claim(execution_id, 't1'))
        self.assertIsNone(self._trust_of(execution_id))
        self.assertFalse(trusts._claim(execution_id, 't1'))
        # Keystone was away: the trust goes back, for the next pass.
        trusts._give_back(execution_id, 't1')
        self.assertEqual('t1', self._trust_of(execution_id))
        self.assertTrue(trusts.holds_trust(execution_id, 't1'))
        self.assertFalse(trusts.holds_trust(execution_id, 't2'))

    def test_give_back_never_overwrites_a_new_trust(self):
        execution_id = self._execution(states.FAILED, 't1', finished_ago=60)
        trusts._claim(execution_id, 't1')
        with session.writer() as s:
            s.execute(sa.update(EXECUTIONS).values(trust_id='t2'))
        trusts._give_back(execution_id, 't1')
        self.assertEqual('t2', self._trust_of(execution_id))
