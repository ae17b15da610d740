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

"""Webhooks and their delivery log in the database.

Functions open their own transactions and return plain dicts, except
:func:`enqueue_deliveries_in`, which the engine calls in its transaction.
A webhook's secret is returned only when it is created.
"""

import datetime
import fnmatch
import secrets

from oslo_config import cfg
from oslo_utils import timeutils
from oslo_utils import uuidutils
import sqlalchemy as sa

from convection.common import exception
from convection.common import netutils
from convection.common import states
from convection.db.sqlalchemy import models
from convection.db.sqlalchemy import session
from convection.i18n import _

CONF = cfg.CONF

PENDING = 'pending'
SENDING = 'sending'
DELIVERED = 'delivered'
FAILED = 'failed'

KINDS = ('execution', 'task')


def _check_event_pattern(pattern):
    if not isinstance(pattern, str) or '.' not in pattern and pattern != '*':
        raise exception.InvalidParameterValue(
            err=_("Event filter %r must look like 'execution.FAILED', "
                  "'task.*' or '*'.") % (pattern,))
    if pattern == '*':
        return
    kind, _dot, state = pattern.partition('.')
    if kind not in KINDS + ('*',):
        raise exception.InvalidParameterValue(
            err=_("Event filter %(p)r: the kind must be one of %(kinds)s.")
            % {'p': pattern, 'kinds': ', '.join(KINDS + ('*',))})
    known = set(states.EXECUTION_STATES) | set(states.TASK_STATES)
    if state != '*' and state.upper() not in known:
        raise exception.InvalidParameterValue(
            err=_("Event filter %(p)r: unknown state %(s)s; use one of "
                  "%(known)s or *.") %
            {'p': pattern, 's': state, 'known': ', '.join(sorted(known))})


def _check_list(what, value, check):
    if value is None:
        return None
    if not isinstance(value, list) or not value:
        raise exception.InvalidParameterValue(
            err=_("%s must be a non-empty list, or left out for all.") %
            what)
    for entry in value:
        check(entry)
    return value


def _check_flow_name(name):
    if not isinstance(name, str) or not 0 < len(name) <= 255:
        raise exception.InvalidParameterValue(
            err=_("Flow names in a webhook filter must be strings."))


def create_webhook(project_id, user_id, url, events=None, flows=None,
                   secret=None, enabled=True):
    """Register a webhook.

    :param events: patterns such as ``execution.*`` or ``task.FAILED``;
        None for every state change.
    :param flows: flow names; None for every flow.
    :param secret: the HMAC key; a random one is made if None.
    :returns: the webhook dict, with its ``secret``.
    :raises: InvalidParameterValue for a bad filter or secret.
    :raises: UnsafeURL if the URL may not be called.
    """
    netutils.check_url(url, CONF.webhooks)
    _check_list('events', events, _check_event_pattern)
    _check_list('flows', flows, _check_flow_name)
    if secret is None:
        secret = secrets.token_urlsafe(32)
    elif not isinstance(secret, str) or not 16 <= len(secret) <= 255:
        raise exception.InvalidParameterValue(
            err=_("secret must be a string of 16 to 255 characters."))
    if not isinstance(enabled, bool):
        raise exception.InvalidParameterValue(
            err=_("enabled must be true or false."))
    row = models.Webhook(
        id=uuidutils.generate_uuid(), project_id=project_id,
        user_id=user_id, url=url, secret=secret, events=events, flows=flows,
        enabled=enabled, created_at=timeutils.utcnow())
    with session.writer() as s:
        s.add(row)
        s.flush()
        return row.as_dict()


def _public(row):
    result = row.as_dict()
    result.pop('secret')
    return result


def _find(s, project_id, webhook_id):
    row = s.get(models.Webhook, webhook_id) if isinstance(
        webhook_id, str) else None
    if row is None or (project_id is not None and
                       row.project_id != project_id):
        raise exception.WebhookNotFound(webhook=webhook_id)
    return row


def list_webhooks(project_id):
    """The project's webhooks (every project's if None), without secrets."""
    with session.reader() as s:
        query = sa.select(models.Webhook).order_by(models.Webhook.created_at,
                                                   models.Webhook.id)
        if project_id is not None:
            query = query.where(models.Webhook.project_id == project_id)
        return [_public(r) for r in s.execute(query).scalars()]


def get_webhook(project_id, webhook_id):
    """:raises: WebhookNotFound"""
    with session.reader() as s:
        return _public(_find(s, project_id, webhook_id))


def delete_webhook(project_id, webhook_id):
    """Delete a webhook and its delivery log.

    :raises: WebhookNotFound
    """
    with session.writer() as s:
        s.delete(_find(s, project_id, webhook_id))


def list_deliveries(project_id, webhook_id, limit=50):
    """The newest deliveries of a webhook first.

    :raises: WebhookNotFound
    """
    with session.reader() as s:
        _find(s, project_id, webhook_id)
        rows = s.execute(
            sa.select(models.WebhookDelivery)
            .where(models.WebhookDelivery.webhook_id == webhook_id)
            .order_by(models.WebhookDelivery.id.desc())
            .limit(limit)).scalars()
        return [r.as_dict() for r in rows]


def matches(webhook, payload):
    """Whether a webhook wants the state change ``payload`` describes."""
    if webhook['flows'] is not None and \
            payload['flow_name'] not in webhook['flows']:
        return False
    if webhook['events'] is None:
        return True
    event = payload['event'].lower()
    return any(fnmatch.fnmatchcase(event, pattern.lower())
               for pattern in webhook['events'])


_WEBHOOKS = models.Webhook.__table__
# The enabled webhooks of the project bound as ``project_id``.
_ENABLED_OF_PROJECT = (_WEBHOOKS.c.project_id == sa.bindparam('project_id'),
                       _WEBHOOKS.c.enabled.is_(True))
_ENABLED_HOOKS = sa.select(
    _WEBHOOKS.c.id, _WEBHOOKS.c.events, _WEBHOOKS.c.flows).where(
        *_ENABLED_OF_PROJECT)
_INSERT_DELIVERIES = sa.insert(models.WebhookDelivery.__table__)

# A column: whether the project has an enabled webhook. The engine adds it
# to a query its transition runs anyway and passes the answer to
# enqueue_deliveries_in, which saves a statement.
ANY_ENABLED = sa.exists().where(*_ENABLED_OF_PROJECT).label('any_webhook')


def enqueue_deliveries_in(conn, project_id, flow_name, payloads,
                          any_enabled=None):
    """Store a pending delivery per matching enabled webhook and payload.

    :param conn: the engine's transaction (a Core connection).
    :param any_enabled: what :data:`ANY_ENABLED` said earlier in the same
        transaction; False skips the query. None: not known.
    :returns: how many deliveries were stored.
    """
    if any_enabled is False:
        return 0
    # The engine asks on every transition: a Core statement built once
    # costs a fraction of an ORM query.
    hooks = [dict(zip(('id', 'events', 'flows'), row))
             for row in conn.execute(
                 _ENABLED_HOOKS, {'project_id': project_id})]
    if not hooks:
        return 0
    now = timeutils.utcnow()
    rows = [{'webhook_id': hook['id'], 'event': payload['event'],
             'payload': payload, 'status': PENDING, 'attempts': 0,
             'next_attempt_at': now, 'created_at': now}
            for payload in payloads for hook in hooks
            if matches(hook, payload)]
    if rows:
        conn.execute(_INSERT_DELIVERIES, rows)
    return len(rows)


def take_due(limit, lease_seconds):
    """Take due deliveries for sending, with their webhook's url and secret.

    They are pushed ``lease_seconds`` into the future (status ``sending``)
    so that no other worker sends them meanwhile, and the transaction ends
    before anything is sent.
    """
    with session.writer() as s:
        now = timeutils.utcnow()
        delivery = models.WebhookDelivery
        query = (sa.select(delivery, models.Webhook.url,
                           models.Webhook.secret)
                 .join(models.Webhook,
                       models.Webhook.id == delivery.webhook_id)
                 .where(delivery.status.in_((PENDING, SENDING)),
                        delivery.next_attempt_at <= now)
                 .order_by(delivery.next_attempt_at, delivery.id)
                 .limit(limit))
        if s.get_bind().dialect.name != 'sqlite':
            query = query.with_for_update(skip_locked=True,
                                          of=delivery)
        taken = []
        for row, url, secret in s.execute(query):
            row.status = SENDING
            row.attempts += 1
            row.next_attempt_at = now + datetime.timedelta(
                seconds=lease_seconds)
            taken.append(dict(row.as_dict(), url=url, secret=secret))
        s.flush()
        return taken


def record_attempt(delivery_id, attempts, response_code, error):
    """Record how sending went; schedule a retry with backoff if it failed.

    :param error: None when the receiver answered 2xx.
    """
    with session.writer() as s:
        row = s.get(models.WebhookDelivery, delivery_id)
        if row is None or row.attempts != attempts:
            return
        now = timeutils.utcnow()
        row.response_code = response_code
        if error is None:
            row.status = DELIVERED
            row.delivered_at = now
            row.last_error = None
            row.next_attempt_at = None
        elif attempts >= CONF.webhooks.max_attempts:
            row.status = FAILED
            row.last_error = error
            row.next_attempt_at = None
        else:
            row.status = PENDING
            row.last_error = error
            row.next_attempt_at = now + datetime.timedelta(seconds=min(
                CONF.webhooks.backoff_max,
                CONF.webhooks.backoff_base * 2 ** (attempts - 1)))
