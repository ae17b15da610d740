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

"""/v1/task-types: task types run by the project's own workers."""

from oslo_log import log
import pecan
from pecan import rest
import wsme
from wsme import types as wtypes

from convection.api import expose
from convection.api.controllers.v1 import types
from convection.api.controllers.v1 import utils
from convection.common import policy
from convection.db import queues_api

LOG = log.getLogger(__name__)

_FIELDS = ('queue', 'description', 'input_schema', 'output_schema',
           'timeout', 'heartbeat_timeout', 'retry')


class TaskTypePostType(types.APIBase):
    """Body of POST /v1/task-types."""

    name = wsme.wsattr(wtypes.text, mandatory=True)
    queue = wtypes.text
    """The queue its workers claim from; the type's name by default."""
    description = wtypes.text
    input_schema = types.json_object
    output_schema = types.json_object
    timeout = int
    heartbeat_timeout = int
    """Seconds a claim lives without a heartbeat."""
    retry = types.json_object
    """``{"count": n, "delay": seconds}``."""


class TaskType(types.APIBase):
    id = wtypes.text
    name = wtypes.text
    project_id = wtypes.text
    version = int
    queue = wtypes.text
    description = wtypes.text
    input_schema = types.jsontype
    output_schema = types.jsontype
    timeout = int
    heartbeat_timeout = int
    retry = types.jsontype
    created_at = wtypes.datetime.datetime
    links = [types.Link]

    @classmethod
    def convert(cls, values):
        task_type = cls.from_dict(values)
        task_type.links = [types.Link.make(
            utils.url('task-types', task_type.name))]
        return task_type


class TaskTypeCollection(types.APIBase):
    task_types = [TaskType]


class TaskTypesController(rest.RestController):
    """/v1/task-types"""

    @expose.expose(TaskTypeCollection)
    def get_all(self):
        context = pecan.request.context
        policy.authorize('convection:task_type:list',
                         {'project_id': context.project_id}, context)
        return TaskTypeCollection(task_types=[
            TaskType.convert(row)
            for row in queues_api.list_task_types(context.project_id)])

    @expose.expose(TaskType, wtypes.text, int)
    def get_one(self, name, version=None):
        context = pecan.request.context
        policy.authorize('convection:task_type:get',
                         {'project_id': context.project_id}, context)
        return TaskType.convert(
            queues_api.get_task_type(context.project_id, name, version))

    @expose.expose(TaskType, body=TaskTypePostType, status_code=201)
    def post(self, body):
        context = pecan.request.context
        policy.authorize('convection:task_type:create',
                         {'project_id': context.project_id}, context)
        values = {'name': body.name}
        for field in _FIELDS:
            value = getattr(body, field)
            if value is not wtypes.Unset:
                values[field] = value
        row, created = queues_api.create_task_type(
            context.project_id, context.user_id, values)
        if created:
            LOG.info('Task type %(name)s version %(version)d registered in '
                     'project %(project)s',
                     {'name': row['name'], 'version': row['version'],
                      'project': context.project_id})
            pecan.response.location = utils.url('task-types', row['name'])
        return wsme.api.Response(TaskType.convert(row),
                                 status_code=201 if created else 200)

    @expose.expose(None, wtypes.text, status_code=204)
    def delete(self, name):
        context = pecan.request.context
        policy.authorize('convection:task_type:delete',
                         {'project_id': context.project_id}, context)
        queues_api.delete_task_type(context.project_id, name)
        LOG.info('Task type %(name)s of project %(project)s deleted',
                 {'name': name, 'project': context.project_id})
