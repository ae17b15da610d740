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

"""Tenant task types: the glue between the engine and the work queues.

A project registers its own task types (``POST /v1/task-types``); their
tasks are not cast to a conductor but put on the type's queue as work
items for the project's external workers (see
:mod:`convection.db.queues_api`). The engine asks this module, inside its
transition's transaction, whether a type is one of those and, if so,
enqueues the run instead of dispatching it.
"""


from convection.common import exception
from convection.db import queues_api
from convection.i18n import _
from convection.tasks import base
from convection.tasks import registry


class TenantTaskType(base.TaskType):
    """A project's task type as the DSL validator and the engine see it."""

    def __init__(self, definition):
        self.name = definition['name']
        self.definition = definition
        self.input_schema = definition.get('input_schema') or {
            'type': 'object'}
        self.output_schema = definition.get('output_schema')

    def run(self, context, inputs):
        # Only reached if a conductor is handed such a task by mistake.
        return base.Failed(
            message=_('Task type %(type)s is run by the workers of queue '
                      '%(queue)s, not by a conductor.') %
            {'type': self.name, 'queue': self.definition['queue']},
            error_type='WrongRunner', retryable=False)


def is_builtin(name):
    return name in registry.get_task_types()


def get_task_type_in(conn, project_id, name):
    """A built-in task type or the project's task type ``name``.

    :param conn: the engine's transaction (a Core connection).
    :raises: TaskTypeNotFound
    """
    if is_builtin(name):
        return registry.get_task_type(name)
    definition = queues_api.find_task_type_in(conn, project_id, name)
    if definition is None:
        raise exception.TaskTypeNotFound(task_type=name)
    return TenantTaskType(definition)


def task_types_for(project_id):
    """Every task type a flow of ``project_id`` may use, by name."""
    types = dict(registry.get_task_types())
    for definition in queues_api.list_task_types(project_id):
        types.setdefault(definition['name'], TenantTaskType(definition))
    return types


def enqueue_in(conn, run):
    """Put a task run on its tenant type's queue, if it has one.

    :param conn: the engine's transaction (a Core connection).
    :param run: a task run dict as the engine dispatches it (``id``,
        ``execution_id``, ``type``, ``attempt``, ``input``,
        ``project_id``).
    :returns: True if the run was enqueued, False for a built-in type.
    :raises: TaskTypeNotFound if the tenant type was deleted.
    """
    if is_builtin(run['type']):
        return False
    definition = queues_api.find_task_type_in(conn, run['project_id'],
                                              run['type'])
    if definition is None:
        raise exception.TaskTypeNotFound(task_type=run['type'])
    queues_api.enqueue_in(conn, definition, run['execution_id'],
                          run['id'], run['attempt'], run['input'])
    return True


def cancel_in(conn, task_ids):
    """Withdraw the open work items of these tasks."""
    return queues_api.cancel_in(conn, list(task_ids))


def result_of(item):
    """The engine result (``EngineAPI.report_task_results``) of an item."""
    result = {'task_id': item['task_execution_id'],
              'execution_id': item['execution_id'],
              'attempt': item['task_attempt']}
    if item['state'] == queues_api.DONE:
        result.update(status='succeeded', output=item['result']['output'])
    else:
        error = item['result']
        result.update(status='failed', error={
            'message': error['message'], 'type': error['error_type'],
            'retryable': error['retryable'], 'details': error['details']})
    return result
