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

"""Task types run by the project's own workers."""

from convectionclient import exceptions
from convectionclient.common import base

TASK_TYPES = '/v1/task-types'

# The fields POST /v1/task-types takes besides the name.
FIELDS = ('queue', 'description', 'input_schema', 'output_schema',
          'timeout', 'heartbeat_timeout', 'retry')


def _name_of(task_type):
    return task_type.name if isinstance(task_type, base.Resource) \
        else task_type


class TaskType(base.Resource):
    pass


class TaskTypeManager(base.Manager):
    resource_class = TaskType

    def create(self, name, **fields):
        """Register a task type, or a new version of it.

        :param fields: any of ``queue`` (default: the name),
            ``description``, ``input_schema``, ``output_schema``,
            ``timeout``, ``heartbeat_timeout`` and ``retry``.
        :returns: ``(task type, created)``: ``created`` is False when the
            service already had this exact document (HTTP 200).
        """
        unknown = sorted(set(fields) - set(FIELDS))
        if unknown:
            raise exceptions.InvalidInput(
                f'Unknown task type field(s): {", ".join(unknown)}; known: '
                f'{", ".join(FIELDS)}.')
        body = {'name': name}
        body.update({k: v for k, v in fields.items() if v is not None})
        response, task_type = self._post(TASK_TYPES, body)
        return task_type, response.status_code == 201

    def list(self):
        """The latest version of every task type of the project."""
        return self._list(TASK_TYPES, 'task_types')

    def get(self, task_type, version=None):
        """One task type, its latest version unless ``version`` is given."""
        params = {'version': int(version)} if version is not None else None
        return self._get(f'{TASK_TYPES}/{base.quote(_name_of(task_type))}',
                         params=params)

    def delete(self, task_type):
        """Delete every version of a task type.

        :raises: Conflict while tasks of unfinished executions use it.
        """
        self._delete(f'{TASK_TYPES}/{base.quote(_name_of(task_type))}')
