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

"""/v1/claims/{token}: heartbeat, complete or fail a claimed work item.

The token alone identifies the claim; one of another project answers 404.
Completing or failing reports the result to the engine, as a conductor
does for built-in task types.
"""

from oslo_log import log
import oslo_messaging as messaging
import pecan
from pecan import rest
import wsme
from wsme import types as wtypes

from convection.api import expose
from convection.api.controllers.v1 import types
from convection.common import policy
from convection.db import queues_api
from convection.tasks import tenant

LOG = log.getLogger(__name__)


class HeartbeatBody(types.APIBase):
    progress = types.jsontype
    """Any JSON document describing how far the work is."""


class CompleteBody(types.APIBase):
    output = types.jsontype
    """The task's output, checked against the type's output schema."""


class FailBody(types.APIBase):
    message = wsme.wsattr(wtypes.text, mandatory=True)
    error_type = wtypes.text
    """A short name such as ``DiskFull``, matched by retry policies."""
    retryable = bool
    details = types.jsontype


class Claim(types.APIBase):
    item_id = wtypes.text
    task_id = wtypes.text
    execution_id = wtypes.text
    task_type = wtypes.text
    state = wtypes.text
    attempt = int
    claimed_by = wtypes.text
    lease_expires_at = wtypes.datetime.datetime
    progress = types.jsontype

    @classmethod
    def convert(cls, item):
        return cls.from_dict(dict(item, item_id=item['id'],
                                  task_id=item['task_execution_id']))


def _authorize(context):
    policy.authorize('convection:queue:claim',
                     {'project_id': context.project_id}, context)


def _report(context, item):
    try:
        pecan.request.engine_api.report_task_results(
            context, [tenant.result_of(item)])
    except messaging.MessagingException:
        # The result is stored: the engine's sweeper finds and applies it.
        LOG.warning('Could not report work item %s to the engine; it will '
                    'find it', item['id'], exc_info=True)


class ClaimsController(rest.RestController):
    """/v1/claims"""

    _custom_actions = {'heartbeat': ['POST'], 'complete': ['POST'],
                       'fail': ['POST']}

    @expose.expose(Claim, wtypes.text, body=HeartbeatBody)
    def heartbeat(self, token, body=None):
        context = pecan.request.context
        _authorize(context)
        progress = None
        if body is not None and body.progress is not wtypes.Unset:
            progress = body.progress
        return Claim.convert(
            queues_api.heartbeat(context.project_id, token, progress))

    @expose.expose(Claim, wtypes.text, body=CompleteBody)
    def complete(self, token, body=None):
        context = pecan.request.context
        _authorize(context)
        output = None
        if body is not None and body.output is not wtypes.Unset:
            output = body.output
        item = queues_api.complete(context.project_id, token, output)
        _report(context, item)
        return Claim.convert(item)

    @expose.expose(Claim, wtypes.text, body=FailBody)
    def fail(self, token, body):
        context = pecan.request.context
        _authorize(context)

        def given(value, default):
            return default if value is wtypes.Unset else value

        item = queues_api.fail(
            context.project_id, token, body.message,
            error_type=given(body.error_type, 'TaskError'),
            retryable=given(body.retryable, True),
            details=given(body.details, None))
        _report(context, item)
        return Claim.convert(item)
