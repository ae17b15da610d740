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

"""Signals: payloads sent into running executions for ``wait`` tasks.

A signal is stored until a ``wait`` task of its execution waiting for that
name takes it (the oldest first), so a signal sent before the task starts
is not lost. Sending one wakes the execution's waiting ``wait`` tasks at
once by moving their wake-up timers to now.
"""

from oslo_utils import timeutils
import sqlalchemy as sa

from convection.common import exception
from convection.common import states
from convection.db import queues_api
from convection.db.sqlalchemy import models
from convection.db.sqlalchemy import session
from convection.i18n import _

WAIT_TASK_TYPE = 'wait'
# The engine's timer kind that resumes a WAITING task.
_WAKEUP = 'task_wakeup'


def check_name(name):
    """:raises: InvalidParameterValue for a bad signal name."""
    if not isinstance(name, str) or not queues_api.NAME_RE.match(name):
        raise exception.InvalidParameterValue(
            err=_("Signal name %r must start with a letter and hold only "
                  "letters, digits, '_', '.' and '-'.") % (name,))


def send(execution_id, name, payload, user_id=None):
    """Store a signal for an execution and wake its wait tasks.

    :returns: the signal dict.
    :raises: ExecutionNotFound
    :raises: ExecutionAlreadyFinished if the execution ended.
    """
    check_name(name)
    with session.writer() as s:
        execution = s.execute(
            sa.select(models.Execution.state)
            .where(models.Execution.id == execution_id)
            .with_for_update()).scalar_one_or_none()
        if execution is None:
            raise exception.ExecutionNotFound(execution=execution_id)
        if execution in states.EXECUTION_TERMINAL_STATES:
            raise exception.ExecutionAlreadyFinished(
                execution=execution_id, state=execution)
        now = timeutils.utcnow()
        signal = models.Signal(execution_id=execution_id, name=name,
                               payload=payload, user_id=user_id,
                               created_at=now)
        s.add(signal)
        waiting = (sa.select(models.TaskExecution.id)
                   .where(models.TaskExecution.execution_id == execution_id,
                          models.TaskExecution.type == WAIT_TASK_TYPE,
                          models.TaskExecution.state == states.WAITING,
                          models.TaskExecution.blocked_on ==
                          states.BLOCKED_TIMER))
        s.execute(sa.update(models.Timer)
                  .where(models.Timer.execution_id == execution_id,
                         models.Timer.kind == _WAKEUP,
                         models.Timer.task_execution_id.in_(waiting),
                         models.Timer.fire_at > now)
                  .values(fire_at=now)
                  .execution_options(synchronize_session=False))
        s.flush()
        return signal.as_dict()


def take(execution_id, task_id, name):
    """The signal a wait task takes, or None if none came yet.

    Taking is idempotent per task: a task run again (its conductor died)
    gets the signal it already took.
    """
    with session.writer() as s:
        signal = models.Signal
        taken = s.execute(
            sa.select(signal).where(signal.task_execution_id == task_id,
                                    signal.name == name)
            .order_by(signal.id).limit(1)).scalar_one_or_none()
        if taken is not None:
            return taken.as_dict()
        query = (sa.select(signal)
                 .where(signal.execution_id == execution_id,
                        signal.name == name,
                        signal.consumed_at.is_(None))
                 .order_by(signal.id).limit(1))
        if s.get_bind().dialect.name != 'sqlite':
            query = query.with_for_update(skip_locked=True)
        row = s.execute(query).scalar_one_or_none()
        if row is None:
            return None
        row.consumed_at = timeutils.utcnow()
        row.task_execution_id = task_id
        s.flush()
        return row.as_dict()
