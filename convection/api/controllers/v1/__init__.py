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

"""Version 1 of the Convection API."""

import pecan
from pecan import rest
from wsme import types as wtypes

from convection.api import expose
from convection.api.controllers.v1 import claims
from convection.api.controllers.v1 import executions
from convection.api.controllers.v1 import flows
from convection.api.controllers.v1 import queues
from convection.api.controllers.v1 import task_types
from convection.api.controllers.v1 import types
from convection.api.controllers.v1 import utils
from convection.api.controllers.v1 import versions
from convection.api.controllers.v1 import webhooks


class MediaType(wtypes.Base):
    base = wtypes.text
    type = wtypes.text


class Version(wtypes.Base):
    """A major version of the API and the microversions it serves."""

    id = wtypes.text
    status = wtypes.text
    min_version = wtypes.text
    version = wtypes.text
    """The maximum microversion."""
    links = [types.Link]

    @classmethod
    def current(cls):
        return cls(id='v1', status='CURRENT',
                   min_version=versions.to_string(versions.MIN_VERSION),
                   version=versions.to_string(versions.MAX_VERSION),
                   links=[types.Link.make(utils.base_url() + '/v1/')])


class V1(Version):
    """GET /v1: the version and its resources."""

    media_types = [MediaType]
    flows = [types.Link]
    executions = [types.Link]
    task_types = [types.Link]
    webhooks = [types.Link]

    @classmethod
    def make(cls):
        current = Version.current()
        return cls(id=current.id, status=current.status,
                   min_version=current.min_version,
                   version=current.version, links=current.links,
                   media_types=[MediaType(
                       base='application/json',
                       type='application/vnd.openstack.taskflow.v1+json')],
                   flows=[types.Link.make(utils.url('flows'))],
                   executions=[types.Link.make(utils.url('executions'))],
                   task_types=[types.Link.make(utils.url('task-types'))],
                   webhooks=[types.Link.make(utils.url('webhooks'))])


class Controller(rest.RestController):
    """/v1"""

    flows = flows.FlowsController()
    executions = executions.ExecutionsController()
    queues = queues.QueuesController()
    claims = claims.ClaimsController()
    webhooks = webhooks.WebhooksController()

    @expose.expose(V1)
    def get(self):
        return V1.make()

    @pecan.expose()
    def _route(self, args, request=None):
        request = request or pecan.request
        version = versions.requested(
            request.headers.get(versions.HEADER))
        pecan.response.headers[versions.HEADER] = versions.header_value(
            version)
        pecan.response.headers['Vary'] = versions.HEADER
        request.version = version
        return super()._route(args, request)


# A path segment with a dash cannot be an attribute name.
pecan.route(Controller, 'task-types', task_types.TaskTypesController())
