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

"""State change notifications: oslo.messaging notifications and webhooks.

The engine calls :func:`on_transitions` once per transition, inside its
transaction, with the events it records. From there:

* webhook deliveries are stored in the same transaction (so a delivery
  exists exactly when its state change was committed); the delivery
  worker sends them later and never holds up the engine;
* oslo.messaging notifications ``convection.execution.<state>`` and
  ``convection.task.<state>`` (lower case) are emitted at INFO priority
  once the transaction committed, the OpenStack way, for Ceilometer-like
  consumers. They go to ``[oslo_messaging_notifications]`` (driver,
  transport_url, topics); with the default driver ``noop`` nothing is
  sent.
"""

import threading

from oslo_config import cfg
from oslo_log import log
import oslo_messaging as messaging
from oslo_utils import timeutils
import sqlalchemy as sa

from convection.common import context as convection_context
from convection.db.sqlalchemy import models
from convection.db.sqlalchemy import session
from convection.webhooks import api as webhooks_api

CONF = cfg.CONF
LOG = log.getLogger(__name__)

PUBLISHER = 'convection'

_notifier = None
# Whether _notifier has a driver that sends anything (see get_notifier).
_sends = False
_notifier_lock = threading.Lock()


def get_notifier():
    """The process's notifier, built on first use."""
    global _notifier, _sends
    with _notifier_lock:
        if _notifier is None:
            transport = messaging.get_notification_transport(CONF)
            # oslo.messaging retries forever by default, which would stall
            # the engine during a broker outage; an explicit setting wins.
            CONF.set_default('retry', 1,
                             group='oslo_messaging_notifications')
            _notifier = messaging.Notifier(
                transport, publisher_id=f'{PUBLISHER}.{CONF.host}')
            # is_enabled() is also true when no driver is configured (the
            # default), and then nothing is sent either.
            _sends = _notifier.is_enabled() and any(
                name != 'noop'
                for name in CONF.oslo_messaging_notifications.driver)
        return _notifier


def sends():
    """Whether notifications go anywhere: a driver other than noop."""
    get_notifier()
    return _sends


def reset():
    """Forget the notifier (tests, and a process that forks)."""
    global _notifier, _sends
    with _notifier_lock:
        _notifier = None
        _sends = False


def event_name(event):
    """``execution.SUCCEEDED`` or ``task.RUNNING``: what webhooks filter."""
    return f"{event['kind']}.{event['to_state']}"


def payload_of(event, execution, flow_name):
    """The document a notification or a webhook delivery carries."""
    created_at = event.get('created_at') or timeutils.utcnow()
    return {
        'event': event_name(event),
        'execution_id': event['execution_id'],
        'project_id': execution['project_id'],
        'flow_name': flow_name,
        'task_id': event.get('task_execution_id'),
        'task_name': event.get('task_name'),
        'from_state': event.get('from_state'),
        'to_state': event['to_state'],
        'attempt': event.get('attempt'),
        'details': event.get('details'),
        'timestamp': created_at.isoformat(),
    }


def on_transitions(conn, execution, events, any_webhook=None):
    """Store webhook deliveries, and emit notifications after the commit.

    :param conn: the engine's transaction (from
        ``session.writer_connection``).
    :param execution: the execution dict (``id``, ``project_id``,
        ``user_id``, and ``flow_name`` if the caller has it: the engine's
        does, which saves a query per transition).
    :param events: the event dicts the transition records.
    :param any_webhook: whether the project has an enabled webhook, if a
        query of this transaction already read it (see
        ``webhooks.api.ANY_ENABLED``); None looks it up.
    """
    if not events:
        return
    flow_name = execution.get('flow_name') or conn.execute(
        sa.select(models.Execution.flow_name).where(
            models.Execution.id == execution['id'])).scalar()
    payloads = [payload_of(e, execution, flow_name) for e in events]
    webhooks_api.enqueue_deliveries_in(conn, execution['project_id'],
                                       flow_name, payloads,
                                       any_enabled=any_webhook)
    if not sends():
        # No notification driver configured: nothing to emit.
        return
    context = convection_context.for_execution(execution)

    def _emit():
        notifier = get_notifier()
        for payload in payloads:
            try:
                notifier.info(context.to_dict(),
                              f"{PUBLISHER}.{payload['event'].lower()}",
                              payload)
            except Exception:
                # Never let a broker outage break the engine.
                LOG.exception('Cannot send notification %s',
                              payload['event'])

    session.after_commit(conn, _emit)
