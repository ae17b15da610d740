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

"""The webhook delivery worker: sends due deliveries, signed, with retries.

It runs in its own thread of the engine process, looking for due rows
every ``[webhooks]delivery_interval``; the engine only ever inserts rows,
so a slow or dead receiver never holds up a state change. A delivery is
retried with exponential backoff until the receiver answers 2xx or
``[webhooks]max_attempts`` were made.
"""

import time

from oslo_config import cfg
from oslo_log import log
from oslo_serialization import jsonutils

from convection.common import exception
from convection.common import netutils
from convection.common import periodic
from convection.webhooks import api
from convection.webhooks import signing

CONF = cfg.CONF
LOG = log.getLogger(__name__)

USER_AGENT = 'Convection-Webhooks/1'


def send(delivery):
    """Send one delivery; returns ``(response_code, error or None)``."""
    body = jsonutils.dump_as_bytes(delivery['payload'])
    timestamp = int(time.time())
    headers = {
        'Content-Type': 'application/json',
        'User-Agent': USER_AGENT,
        signing.TIMESTAMP_HEADER: str(timestamp),
        signing.SIGNATURE_HEADER: signing.sign(delivery['secret'],
                                               timestamp, body),
        signing.EVENT_HEADER: delivery['event'],
        signing.DELIVERY_HEADER: str(delivery['id']),
    }
    try:
        response = netutils.request(
            'POST', delivery['url'], CONF.webhooks, headers=headers,
            body=body, timeout=CONF.webhooks.timeout, max_bytes=65536)
    except exception.ConvectionException as e:
        return None, str(e)
    except Exception as e:
        return None, f'{type(e).__name__}: {e}'
    if 200 <= response.status < 300:
        return response.status, None
    return response.status, f'The receiver answered HTTP {response.status}'


def deliver_due():
    """Send every due delivery once; returns how many were sent."""
    lease = CONF.webhooks.timeout * 2 + 5
    deliveries = api.take_due(CONF.webhooks.delivery_batch_size, lease)
    for delivery in deliveries:
        code, error = send(delivery)
        if error is not None:
            LOG.info('Webhook delivery %(id)s to %(url)s failed (attempt '
                     '%(n)d): %(err)s', {'id': delivery['id'],
                                         'url': delivery['url'],
                                         'n': delivery['attempts'],
                                         'err': error})
        api.record_attempt(delivery['id'], delivery['attempts'], code, error)
    return len(deliveries)


def delivery_worker():
    """The engine's thread that sends due deliveries, batch after batch."""
    return periodic.PeriodicThread(
        'convection-webhooks', deliver_due,
        lambda: CONF.webhooks.delivery_interval, repeat_while_busy=True)
