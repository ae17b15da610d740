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

"""/v1/executions/{id}/signals/{name}: events into running executions."""

from oslo_log import log
import pecan
from pecan import rest
from wsme import types as wtypes

from convection.api import expose
from convection.api.controllers.v1 import types
from convection.api.controllers.v1 import utils
from convection.common import exception
from convection.db import api as db_api
from convection.db import signals_api

LOG = log.getLogger(__name__)


class SignalBody(types.APIBase):
    payload = types.jsontype
    """Any JSON value; it becomes the wait task's ``payload`` output."""


class Signal(types.APIBase):
    id = int
    execution_id = wtypes.text
    name = wtypes.text
    payload = types.jsontype
    created_at = wtypes.datetime.datetime


class SignalsController(rest.RestController):
    """/v1/executions/{id}/signals"""

    @expose.expose(Signal, wtypes.text, wtypes.text, body=SignalBody,
                   status_code=202)
    def post(self, execution_id, name, body=None):
        context = pecan.request.context
        execution = db_api.get_execution(execution_id)
        utils.authorize_resource(
            'convection:execution:signal', execution['project_id'],
            context, exception.ExecutionNotFound(execution=execution_id))
        payload = None
        if body is not None and body.payload is not wtypes.Unset:
            payload = body.payload
        signal = signals_api.send(execution_id, name, payload,
                                  user_id=context.user_id)
        LOG.info('Signal %(name)s sent to execution %(execution)s',
                 {'name': name, 'execution': execution_id})
        return Signal.from_dict(signal)
