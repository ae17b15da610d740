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

"""Child flows: the ``flow`` task type, which the engine runs itself.

A ``flow`` task starts another flow as a child execution (``parent_id``,
``parent_task_id``) in the transaction that starts the task, waits for it
without holding a lease, and takes the child's output as its own when the
child SUCCEEDED; any other end of the child fails the attempt (and the
task's retry policy may start a new child). Cancelling the parent (or the
task timing out) cancels the child.
"""

from oslo_config import cfg
from oslo_utils import timeutils
from oslo_utils import uuidutils
import sqlalchemy as sa

from convection import dsl
from convection.common import exception
from convection.common import states
from convection.db.sqlalchemy import models
from convection.i18n import _
from convection.tasks import base

CONF = cfg.CONF

TYPE = 'flow'

EXECUTIONS = models.Execution.__table__
EVENTS = models.Event.__table__
FLOWS = models.Flow.__table__
VERSIONS = models.FlowVersion.__table__
TASKS = models.TaskExecution.__table__


class FlowTaskType(base.TaskType):
    """Runs another flow as a child execution and returns its output."""

    input_schema = {
        'type': 'object',
        'properties': {
            'name': {'type': 'string', 'minLength': 1},
            'version': {'type': 'integer', 'minimum': 1},
            'input': {'type': 'object'},
        },
        'required': ['name'],
        'additionalProperties': False,
    }

    def run(self, context, inputs):
        # The engine starts child flows itself; a conductor never should.
        return base.Failed(
            message=_('Task type flow runs in the engine, not a conductor.'),
            error_type='InvalidDispatch', retryable=False)


def depth(s, execution_id):
    """How many ancestors the execution has (0 for a root)."""
    levels = 0
    parent = s.execute(sa.select(EXECUTIONS.c.parent_id).where(
        EXECUTIONS.c.id == execution_id)).scalar()
    while parent is not None and levels <= CONF.engine.max_flow_depth:
        levels += 1
        parent = s.execute(sa.select(EXECUTIONS.c.parent_id).where(
            EXECUTIONS.c.id == parent)).scalar()
    return levels


def create(s, parent, task, inputs):
    """Store the child execution of a ``flow`` task, PENDING.

    :param parent: the parent execution dict (locked by the caller).
    :param task: the ``flow`` task dict.
    :param inputs: the task's rendered inputs (name, version, input).
    :returns: the child execution's id.
    :raises: FlowDepthExceeded, FlowNotFound, FlowVersionNotFound,
        InvalidExecutionInput
    """
    levels = depth(s, parent['id']) + 1
    if levels > CONF.engine.max_flow_depth:
        raise exception.FlowDepthExceeded(
            flow=inputs['name'], depth=levels,
            limit=CONF.engine.max_flow_depth)
    flow = _find_flow(s, parent['project_id'], inputs['name'])
    number = inputs.get('version') or flow['latest_version']
    version = s.execute(sa.select(VERSIONS.c.id, VERSIONS.c.definition)
                        .where(VERSIONS.c.flow_id == flow['id'],
                               VERSIONS.c.version == number)).first()
    if version is None:
        raise exception.FlowVersionNotFound(flow=inputs['name'],
                                            version=number)
    child_input = dsl.validate_input(version.definition,
                                     inputs.get('input') or {})
    now = timeutils.utcnow()
    child_id = uuidutils.generate_uuid()
    s.execute(sa.insert(EXECUTIONS).values(
        id=child_id, project_id=parent['project_id'],
        user_id=parent['user_id'], trust_id=parent['trust_id'],
        flow_id=flow['id'], flow_version_id=version.id,
        flow_name=flow['name'], flow_version=number,
        parent_id=parent['id'], parent_task_id=task['id'],
        state=states.PENDING, input=child_input, created_at=now))
    s.execute(sa.insert(EVENTS).values(
        execution_id=child_id, kind='execution', from_state=None,
        to_state=states.PENDING, created_at=now,
        details={'parent_id': parent['id'], 'parent_task': task['name']}))
    return child_id


def _find_flow(s, project_id, name):
    query = sa.select(FLOWS.c.id, FLOWS.c.name, FLOWS.c.latest_version)
    for where in ((FLOWS.c.project_id == project_id,
                   sa.or_(FLOWS.c.name == name, FLOWS.c.id == name)),
                  (FLOWS.c.visibility == states.PUBLIC,
                   sa.or_(FLOWS.c.name == name, FLOWS.c.id == name))):
        rows = s.execute(query.where(*where)).mappings().all()
        if len(rows) == 1:
            return dict(rows[0])
        if len(rows) > 1:
            raise exception.FlowNameAmbiguous(flow=name)
    raise exception.FlowNotFound(flow=name)


def active_children(s, task_ids):
    """Ids of the unfinished child executions of these tasks."""
    if not task_ids:
        return []
    return list(s.execute(sa.select(EXECUTIONS.c.id).where(
        EXECUTIONS.c.parent_task_id.in_(list(task_ids)),
        EXECUTIONS.c.state.not_in(
            list(states.EXECUTION_TERMINAL_STATES)))).scalars())


def result_for_parent(s, execution):
    """The task result a finished child execution reports to its parent.

    :param execution: the child execution dict, in a terminal state, with
        ``parent_id``, ``parent_task_id``, ``output`` and ``error``.
    :returns: a result dict for ``EngineAPI.report_task_results``, or
        None if the parent task is gone.
    """
    attempt = s.execute(sa.select(TASKS.c.attempt).where(
        TASKS.c.id == execution['parent_task_id'])).scalar()
    if attempt is None:
        return None
    result = {'task_id': execution['parent_task_id'],
              'execution_id': execution['parent_id'], 'attempt': attempt}
    if execution['state'] == states.SUCCEEDED:
        result.update(status='succeeded', output=execution.get('output'))
    else:
        error = execution.get('error') or {}
        result.update(status='failed', error={
            'message': _('Child execution %(id)s ended %(state)s: %(err)s')
            % {'id': execution['id'], 'state': execution['state'],
               'err': error.get('message', execution['state'])},
            # A child cancelled on purpose is not started again.
            'type': 'ChildFlowFailed',
            'retryable': execution['state'] != states.CANCELLED,
            'details': {'execution_id': execution['id']}})
    return result
