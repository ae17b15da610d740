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

"""Deletes the Keystone trusts of executions that have finished.

A trust lets the conductor act for the tenant while the execution runs;
once the execution is terminal nothing may use it any more. Deletion runs
in its own thread so that a slow or absent Keystone never delays timers,
and it is retried on every pass until Keystone answers: the trust id stays
on the execution row until the trust is really gone.
"""

import datetime

from oslo_config import cfg
from oslo_log import log
from oslo_utils import timeutils
import sqlalchemy as sa

from convection.common import exception
from convection.common import keystone
from convection.common import periodic
from convection.common import states
from convection.db.sqlalchemy import models
from convection.db.sqlalchemy import session

CONF = cfg.CONF
LOG = log.getLogger(__name__)

EXECUTIONS = models.Execution.__table__


def finished_with_trusts(older_than, limit):
    """Ids and trust ids of terminal executions that still hold a trust."""
    query = (sa.select(EXECUTIONS.c.id, EXECUTIONS.c.trust_id)
             .where(EXECUTIONS.c.state.in_(
                 states.EXECUTION_TERMINAL_STATES))
             .where(EXECUTIONS.c.trust_id.is_not(None))
             .where(EXECUTIONS.c.finished_at <= older_than)
             .order_by(EXECUTIONS.c.finished_at)
             .limit(limit))
    with session.reader() as s:
        return [tuple(row) for row in s.execute(query)]


def _claim(execution_id, trust_id):
    """Take the trust off a finished execution; False if it moved on.

    Only a terminal execution gives its trust up, in one statement, so a
    retry that starts the execution again meanwhile keeps it.
    """
    with session.writer() as s:
        return s.execute(
            sa.update(EXECUTIONS)
            .where(EXECUTIONS.c.id == execution_id)
            .where(EXECUTIONS.c.trust_id == trust_id)
            .where(EXECUTIONS.c.state.in_(
                states.EXECUTION_TERMINAL_STATES))
            .values(trust_id=None)).rowcount == 1


def _give_back(execution_id, trust_id):
    """Put a trust Keystone did not delete back, to try again later."""
    with session.writer() as s:
        restored = s.execute(
            sa.update(EXECUTIONS)
            .where(EXECUTIONS.c.id == execution_id)
            .where(EXECUTIONS.c.trust_id.is_(None))
            .values(trust_id=trust_id)).rowcount == 1
    if not restored:
        # The execution was retried with a trust of its own meanwhile.
        LOG.error('Trust %(trust)s of execution %(execution)s could not be '
                  'deleted and is no longer tracked; delete it in Keystone',
                  {'trust': trust_id, 'execution': execution_id})


def holds_trust(execution_id, trust_id):
    """Whether ``trust_id`` is the trust of the execution."""
    with session.reader() as s:
        return s.execute(
            sa.select(EXECUTIONS.c.id)
            .where(EXECUTIONS.c.id == execution_id)
            .where(EXECUTIONS.c.trust_id == trust_id)).first() is not None


def release_trusts(now=None, limit=100):
    """Delete the trusts of finished executions; returns how many went.

    Executions are left alone for ``[keystone]trust_release_delay``
    seconds after they finish, so that cleanup of cancelled tasks (which
    acts through the trust) can finish first.
    """
    now = now or timeutils.utcnow()
    older_than = now - datetime.timedelta(
        seconds=CONF.keystone.trust_release_delay)
    released = 0
    for execution_id, trust_id in finished_with_trusts(older_than, limit):
        if not _claim(execution_id, trust_id):
            continue
        try:
            keystone.delete_trust(trust_id)
        except exception.ServiceUnavailable as error:
            LOG.warning('Cannot delete trust %(trust)s of execution '
                        '%(execution)s yet: %(error)s',
                        {'trust': trust_id, 'execution': execution_id,
                         'error': error})
            _give_back(execution_id, trust_id)
            # Keystone is away: the others would fail the same way.
            break
        except exception.NotAuthorized as error:
            # Kept on the row so an operator can see and remove it.
            LOG.error('Keystone refused to delete trust %(trust)s of '
                      'execution %(execution)s: %(error)s',
                      {'trust': trust_id, 'execution': execution_id,
                       'error': error})
            _give_back(execution_id, trust_id)
            continue
        released += 1
    return released


def trust_reaper():
    """The engine's thread that calls :func:`release_trusts`."""
    return periodic.PeriodicThread(
        'convection-trust-reaper', release_trusts,
        lambda: CONF.keystone.trust_release_interval)
