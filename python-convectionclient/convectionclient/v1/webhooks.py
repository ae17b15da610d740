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

"""Webhooks: URLs told about execution and task state changes."""

from convectionclient.common import base

WEBHOOKS = '/v1/webhooks'


def _id_of(webhook):
    return webhook.id if isinstance(webhook, base.Resource) else webhook


def webhook_url(webhook):
    return f'{WEBHOOKS}/{base.quote(_id_of(webhook))}'


class Webhook(base.Resource):

    def __repr__(self):
        # Never print the secret a created webhook carries.
        return f'<Webhook id={self.get("id")!r} url={self.get("url")!r}>'


class Delivery(base.Resource):
    pass


class WebhookManager(base.Manager):
    resource_class = Webhook

    def create(self, url, events=None, flows=None, secret=None,
               enabled=None):
        """Register a webhook.

        :param events: patterns such as ``execution.*`` or
            ``task.FAILED``; every event when ``None``.
        :param flows: flow names; every flow when ``None``.
        :param secret: the HMAC-SHA256 key; the service makes one when
            ``None``.
        :returns: the webhook with its ``secret``, the only time the
            service shows it.
        """
        body = {'url': url}
        for key, value in (('events', events), ('flows', flows),
                           ('secret', secret), ('enabled', enabled)):
            if value is not None:
                body[key] = list(value) if key in ('events', 'flows') \
                    else value
        _, webhook = self._post(WEBHOOKS, body)
        return webhook

    def list(self):
        """The project's webhooks."""
        return self._list(WEBHOOKS, 'webhooks')

    def get(self, webhook):
        return self._get(webhook_url(webhook))

    def delete(self, webhook):
        self._delete(webhook_url(webhook))

    def deliveries(self, webhook, limit=None):
        """The delivery log of a webhook, newest first."""
        params = {'limit': int(limit)} if limit is not None else None
        _, body = self.http.json_request(
            'GET', f'{webhook_url(webhook)}/deliveries', params=params)
        return [Delivery(self, info)
                for info in (body or {}).get('deliveries', [])]
