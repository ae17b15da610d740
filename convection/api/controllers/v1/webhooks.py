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

"""/v1/webhooks: URLs told about execution and task state changes."""

from oslo_log import log
import pecan
from pecan import rest
import wsme
from wsme import types as wtypes

from convection.api import expose
from convection.api.controllers.v1 import types
from convection.api.controllers.v1 import utils
from convection.common import exception
from convection.common import policy
from convection.webhooks import api as webhooks_api

LOG = log.getLogger(__name__)


class WebhookPostType(types.APIBase):
    """Body of POST /v1/webhooks."""

    url = wsme.wsattr(wtypes.text, mandatory=True)
    events = [wtypes.text]
    """Patterns such as ``execution.*`` or ``task.FAILED``; all if absent.
    """
    flows = [wtypes.text]
    """Flow names; every flow if absent."""
    secret = wtypes.text
    """The HMAC-SHA256 key; a random one is made and returned if absent."""
    enabled = bool


class Webhook(types.APIBase):
    id = wtypes.text
    project_id = wtypes.text
    url = wtypes.text
    events = [wtypes.text]
    flows = [wtypes.text]
    enabled = bool
    secret = wtypes.text
    """Returned by POST only."""
    created_at = wtypes.datetime.datetime
    updated_at = wtypes.datetime.datetime
    links = [types.Link]

    @classmethod
    def convert(cls, values):
        webhook = cls.from_dict(values)
        webhook.links = [types.Link.make(utils.url('webhooks', webhook.id))]
        return webhook


class WebhookCollection(types.APIBase):
    webhooks = [Webhook]


class Delivery(types.APIBase):
    id = int
    webhook_id = wtypes.text
    event = wtypes.text
    payload = types.jsontype
    status = wtypes.text
    attempts = int
    next_attempt_at = wtypes.datetime.datetime
    response_code = int
    last_error = wtypes.text
    created_at = wtypes.datetime.datetime
    delivered_at = wtypes.datetime.datetime


class DeliveryCollection(types.APIBase):
    deliveries = [Delivery]


def _authorize(action, webhook_id, context):
    """Authorize ``action`` on a webhook; another project's is a 404."""
    webhook = webhooks_api.get_webhook(None, webhook_id)
    utils.authorize_resource(action, webhook['project_id'], context,
                             exception.WebhookNotFound(webhook=webhook_id))
    return webhook


class DeliveriesController(rest.RestController):
    """/v1/webhooks/{id}/deliveries"""

    @expose.expose(DeliveryCollection, wtypes.text, int)
    def get_all(self, webhook_id, limit=None):
        context = pecan.request.context
        webhook = _authorize('convection:webhook:get', webhook_id, context)
        rows = webhooks_api.list_deliveries(
            webhook['project_id'], webhook_id,
            limit=utils.validate_limit(limit))
        return DeliveryCollection(
            deliveries=[Delivery.from_dict(row) for row in rows])


class WebhooksController(rest.RestController):
    """/v1/webhooks"""

    deliveries = DeliveriesController()

    @expose.expose(WebhookCollection)
    def get_all(self):
        context = pecan.request.context
        policy.authorize('convection:webhook:list',
                         {'project_id': context.project_id}, context)
        return WebhookCollection(webhooks=[
            Webhook.convert(row)
            for row in webhooks_api.list_webhooks(context.project_id)])

    @expose.expose(Webhook, wtypes.text)
    def get_one(self, webhook_id):
        context = pecan.request.context
        return Webhook.convert(
            _authorize('convection:webhook:get', webhook_id, context))

    @expose.expose(Webhook, body=WebhookPostType, status_code=201)
    def post(self, body):
        context = pecan.request.context
        policy.authorize('convection:webhook:create',
                         {'project_id': context.project_id}, context)

        def given(value, default=None):
            return default if value is wtypes.Unset else value

        row = webhooks_api.create_webhook(
            context.project_id, context.user_id, body.url,
            events=given(body.events), flows=given(body.flows),
            secret=given(body.secret), enabled=given(body.enabled, True))
        LOG.info('Webhook %(id)s registered in project %(project)s',
                 {'id': row['id'], 'project': context.project_id})
        pecan.response.location = utils.url('webhooks', row['id'])
        return Webhook.convert(row)

    @expose.expose(None, wtypes.text, status_code=204)
    def delete(self, webhook_id):
        context = pecan.request.context
        webhook = _authorize('convection:webhook:delete', webhook_id,
                             context)
        webhooks_api.delete_webhook(webhook['project_id'], webhook_id)
        LOG.info('Webhook %s deleted', webhook_id)
