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

"""Tenant task types and the work queues their external workers claim from.

A task of a tenant task type is not run by a conductor: the engine stores
a *work item* on the type's queue, a worker of the project claims it over
the REST API, heartbeats while it works and completes or fails it. Each
claim gets a secret token; only its SHA-256 is stored. A claim whose lease
runs out without a heartbeat (the worker died) makes the item claimable
again and counts an attempt; once ``max_attempts`` claims expired,
:func:`expire_leases` fails the item for good.

Claims are safe under concurrent workers: on PostgreSQL and MariaDB/MySQL
the candidate rows are read with ``SELECT ... FOR UPDATE SKIP LOCKED`` so
two workers never take one item and never wait on each other; on SQLite
the writer transaction (``BEGIN IMMEDIATE``) serializes claims.

Functions open their own transactions and return plain dicts, except the
``*_in`` ones, which take the caller's open session so that the engine
enqueues or cancels items in the transaction of its own transition.
"""

import datetime
import hashlib
import re
import secrets
import time
import uuid

import jsonschema
from oslo_config import cfg
from oslo_db import exception as db_exc
from oslo_log import log
from oslo_serialization import jsonutils
from oslo_utils import timeutils
from oslo_utils import uuidutils
import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite

from convection.common import exception
from convection.common import states
from convection.db.sqlalchemy import models
from convection.db.sqlalchemy import session
from convection.i18n import _
from convection.tasks import registry

CONF = cfg.CONF
LOG = log.getLogger(__name__)

# Work item states.
READY = 'ready'
CLAIMED = 'claimed'
DONE = 'done'
FAILED = 'failed'
CANCELLED = 'cancelled'

NAME_RE = re.compile(r'^[A-Za-z][A-Za-z0-9_.-]{0,254}$')

# A token is the item id (32 hex digits) followed by 40 random hex digits:
# the id finds the item, the random part proves the claim.
_TOKEN_RE = re.compile(r'^[0-9a-f]{72}$')

_TASK_TYPE_FIELDS = ('queue', 'description', 'input_schema',
                     'output_schema', 'timeout', 'heartbeat_timeout',
                     'retry')

_RETRY_SCHEMA = {
    'type': 'object',
    'properties': {
        'count': {'type': 'integer', 'minimum': 0, 'maximum': 100},
        'delay': {'type': 'number', 'minimum': 0},
    },
    'additionalProperties': False,
}


def _hash(token):
    return hashlib.sha256(token.encode('ascii')).hexdigest()


def _locking(s, query):
    """``query`` locking its rows, skipping rows other claims hold."""
    if s.get_bind().dialect.name == 'sqlite':
        return query
    return query.with_for_update(skip_locked=True)


# Task types


def _check_name(what, value):
    if not isinstance(value, str) or not NAME_RE.match(value):
        raise exception.InvalidParameterValue(
            err=_("%(what)s %(value)r must start with a letter and hold "
                  "only letters, digits, '_', '.' and '-' (at most 255 "
                  "characters).") % {'what': what, 'value': value})


def _check_schema(what, schema):
    if schema is None:
        return
    if not isinstance(schema, dict):
        raise exception.InvalidParameterValue(
            err=_("%s must be a JSON Schema object.") % what)
    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError as e:
        raise exception.InvalidParameterValue(
            err=_("%(what)s is not a valid JSON Schema: %(reason)s") %
            {'what': what, 'reason': e.message}) from None


def _check_seconds(what, value):
    if value is None:
        return
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise exception.InvalidParameterValue(
            err=_("%(what)s must be a positive number of seconds, not "
                  "%(value)r.") % {'what': what, 'value': value})


def validate_task_type(values):
    """Check a task type registration; return it with defaults filled in.

    :param values: a dict with ``name`` and any of ``queue`` (default: the
        name), ``description``, ``input_schema``, ``output_schema``,
        ``timeout``, ``heartbeat_timeout`` and ``retry``.
    :raises: InvalidParameterValue naming the first bad field.
    """
    unknown = set(values) - set(_TASK_TYPE_FIELDS) - {'name'}
    if unknown:
        raise exception.InvalidParameterValue(
            err=_("Unknown task type field(s): %s.") %
            ', '.join(sorted(unknown)))
    values = dict(values)
    _check_name(_('Task type name'), values.get('name'))
    values['queue'] = values.get('queue') or values['name']
    _check_name(_('Queue name'), values['queue'])
    description = values.get('description')
    if description is not None and not isinstance(description, str):
        raise exception.InvalidParameterValue(
            err=_("description must be a string."))
    _check_schema('input_schema', values.get('input_schema'))
    _check_schema('output_schema', values.get('output_schema'))
    _check_seconds('timeout', values.get('timeout'))
    _check_seconds('heartbeat_timeout', values.get('heartbeat_timeout'))
    if values.get('retry') is not None:
        try:
            jsonschema.validate(values['retry'], _RETRY_SCHEMA)
        except jsonschema.ValidationError as e:
            raise exception.InvalidParameterValue(
                err=_("retry: %s") % e.message) from None
    return values


def _checksum(values):
    document = {k: values.get(k) for k in _TASK_TYPE_FIELDS}
    return hashlib.sha256(
        jsonutils.dumps(document, sort_keys=True).encode()).hexdigest()


def _latest_versions(project_id):
    latest = (sa.select(models.TaskTypeDef.name,
                        sa.func.max(models.TaskTypeDef.version)
                        .label('version'))
              .where(models.TaskTypeDef.project_id == project_id)
              .group_by(models.TaskTypeDef.name).subquery())
    return (sa.select(models.TaskTypeDef)
            .join(latest, sa.and_(
                models.TaskTypeDef.name == latest.c.name,
                models.TaskTypeDef.version == latest.c.version))
            .where(models.TaskTypeDef.project_id == project_id))


def _latest_in(s, project_id, name):
    return s.execute(
        sa.select(models.TaskTypeDef)
        .where(models.TaskTypeDef.project_id == project_id,
               models.TaskTypeDef.name == name)
        .order_by(models.TaskTypeDef.version.desc())
        .limit(1)).scalar_one_or_none()


def create_task_type(project_id, user_id, values):
    """Register a task type, or a new version of it.

    :param values: validated by :func:`validate_task_type` first.
    :returns: ``(task_type, created)``; an identical registration returns
        the latest version and ``created`` False.
    :raises: InvalidParameterValue for a bad field.
    :raises: TaskTypeNameReserved for the name of a built-in type.
    """
    values = validate_task_type(values)
    if values['name'] in registry.get_task_types():
        raise exception.TaskTypeNameReserved(task_type=values['name'])
    checksum = _checksum(values)
    for _attempt in range(5):
        try:
            with session.writer() as s:
                latest = _latest_in(s, project_id, values['name'])
                if latest is not None and latest.checksum == checksum:
                    return latest.as_dict(), False
                row = models.TaskTypeDef(
                    id=uuidutils.generate_uuid(), project_id=project_id,
                    user_id=user_id, name=values['name'],
                    version=(latest.version + 1) if latest else 1,
                    checksum=checksum, created_at=timeutils.utcnow(),
                    **{k: values.get(k) for k in _TASK_TYPE_FIELDS})
                s.add(row)
                s.flush()
                return row.as_dict(), True
        except db_exc.DBDuplicateEntry:
            # Two registrations of one name raced for a version number.
            continue
    raise exception.Conflict(
        reason=_("task type %s is being registered by other requests; try "
                 "again.") % values['name'])


def list_task_types(project_id):
    """The latest version of each task type of the project, by name."""
    with session.reader() as s:
        rows = s.execute(_latest_versions(project_id)
                         .order_by(models.TaskTypeDef.name)).scalars()
        return [r.as_dict() for r in rows]


def get_task_type(project_id, name, version=None):
    """One version (the latest by default) of a task type.

    :raises: TaskTypeNotFound
    """
    with session.reader() as s:
        if version is None:
            row = _latest_in(s, project_id, name)
        else:
            row = s.execute(sa.select(models.TaskTypeDef).where(
                models.TaskTypeDef.project_id == project_id,
                models.TaskTypeDef.name == name,
                models.TaskTypeDef.version == version)).scalar_one_or_none()
        if row is None:
            raise exception.TaskTypeNotFound(task_type=name)
        return row.as_dict()


def find_task_type_in(conn, project_id, name):
    """The latest version of a task type as a dict, or None (engine).

    :param conn: the engine's transaction (a Core connection).
    """
    table = models.TaskTypeDef.__table__
    row = conn.execute(
        sa.select(table)
        .where(table.c.project_id == project_id, table.c.name == name)
        .order_by(table.c.version.desc())
        .limit(1)).mappings().first()
    return dict(row) if row is not None else None


def delete_task_type(project_id, name):
    """Delete every version of a task type.

    :raises: TaskTypeNotFound
    :raises: TaskTypeInUse while tasks of unfinished executions use it.
    """
    with session.writer() as s:
        if _latest_in(s, project_id, name) is None:
            raise exception.TaskTypeNotFound(task_type=name)
        in_use = s.execute(
            sa.select(sa.func.count())
            .select_from(models.TaskExecution)
            .join(models.Execution,
                  models.Execution.id == models.TaskExecution.execution_id)
            .where(models.Execution.project_id == project_id,
                   models.Execution.state.in_(
                       states.EXECUTION_ACTIVE_STATES),
                   models.TaskExecution.type == name)).scalar_one()
        if in_use:
            raise exception.TaskTypeInUse(task_type=name, count=in_use)
        s.execute(sa.delete(models.TaskTypeDef).where(
            models.TaskTypeDef.project_id == project_id,
            models.TaskTypeDef.name == name))


def validate_input(task_type, inputs):
    """Check a task's rendered inputs against the type's input schema.

    :raises: InvalidParameterValue
    """
    if task_type.get('input_schema') is None:
        return
    try:
        jsonschema.validate(inputs, task_type['input_schema'])
    except jsonschema.ValidationError as e:
        raise exception.InvalidParameterValue(
            err=_("Input of task type %(type)s: %(reason)s") %
            {'type': task_type['name'], 'reason': e.message}) from None


# Work items


def enqueue_in(conn, task_type, execution_id, task_execution_id,
               task_attempt, payload, delay=0):
    """Put a task run on its type's queue, in the caller's transaction.

    :param conn: the engine's transaction (a Core connection).
    :param task_type: the task type dict (see :func:`find_task_type_in`).
    :param delay: seconds before the item may be claimed.
    :returns: the new work item's id.
    """
    now = timeutils.utcnow()
    timeout = task_type.get('timeout')
    retry = task_type.get('retry') or {}
    max_attempts = (retry['count'] + 1 if 'count' in retry
                    else CONF.queues.default_max_attempts)
    item_id = uuidutils.generate_uuid()
    conn.execute(sa.insert(models.WorkItem.__table__).values(
        id=item_id,
        project_id=task_type['project_id'],
        queue=task_type['queue'],
        task_type=task_type['name'],
        task_type_def_id=task_type['id'],
        execution_id=execution_id,
        task_execution_id=task_execution_id,
        task_attempt=task_attempt,
        attempt=0,
        max_attempts=max_attempts,
        heartbeat_timeout=(task_type.get('heartbeat_timeout') or
                           CONF.queues.default_heartbeat_timeout),
        state=READY,
        payload=payload,
        created_at=now,
        available_at=now + datetime.timedelta(seconds=delay),
        deadline=(now + datetime.timedelta(seconds=delay + timeout)
                  if timeout else None)))
    return item_id


def cancel_in(conn, task_execution_ids):
    """Withdraw the open items of these tasks (cancelled, timed out).

    A worker still holding one gets 409 on its next heartbeat or
    completion, which tells it to stop.

    :param conn: the engine's transaction (a Core connection).
    :returns: how many items were withdrawn.
    """
    if not task_execution_ids:
        return 0
    items = models.WorkItem.__table__
    now = timeutils.utcnow()
    return conn.execute(
        sa.update(items)
        .where(items.c.task_execution_id.in_(task_execution_ids),
               items.c.state.in_((READY, CLAIMED)))
        .values(state=CANCELLED, finished_at=now, updated_at=now)).rowcount


def _touch_worker(project_id, queue, name):
    """Record that a worker was just seen, in a transaction of its own.

    Liveness is advisory: a lost race or deadlock here must never fail the
    claim or heartbeat that saw the worker, so it is logged and dropped.
    """
    now = timeutils.utcnow()
    values = {'project_id': project_id, 'queue': queue, 'name': name,
              'last_seen_at': now}
    try:
        with session.writer() as s:
            dialect = s.get_bind().dialect.name
            if dialect == 'mysql':
                insert = mysql.insert(models.QueueWorker).values(**values)
                upsert = insert.on_duplicate_key_update(last_seen_at=now)
            else:
                module = postgresql if dialect == 'postgresql' else sqlite
                upsert = module.insert(models.QueueWorker).values(
                    **values).on_conflict_do_update(
                        index_elements=['project_id', 'queue', 'name'],
                        set_={'last_seen_at': now})
            s.execute(upsert)
    except db_exc.DBError as e:
        LOG.debug('Could not record worker %(name)s as seen: %(err)s',
                  {'name': name, 'err': e})


def _claimable(now):
    item = models.WorkItem
    return sa.and_(
        sa.or_(item.deadline.is_(None), item.deadline > now),
        sa.or_(
            sa.and_(item.state == READY, item.available_at <= now),
            # A claim nobody renewed: its worker is gone.
            sa.and_(item.state == CLAIMED, item.lease_expires_at < now,
                    item.attempt < item.max_attempts)))


def _claim_dict(item, token):
    return {
        'claim_token': token,
        'item_id': item.id,
        'task_id': item.task_execution_id,
        'execution_id': item.execution_id,
        'task_type': item.task_type,
        'queue': item.queue,
        'input': item.payload,
        'attempt': item.attempt,
        'heartbeat_timeout': item.heartbeat_timeout,
        'lease_expires_at': item.lease_expires_at,
    }


def _claim_once(project_id, queue, limit, worker):
    with session.writer() as s:
        now = timeutils.utcnow()
        query = (sa.select(models.WorkItem)
                 .where(models.WorkItem.project_id == project_id,
                        models.WorkItem.queue == queue,
                        _claimable(now))
                 .order_by(models.WorkItem.available_at,
                           models.WorkItem.id)
                 .limit(limit))
        items = s.execute(_locking(s, query)).scalars().all()
        claimed = []
        for item in items:
            token = uuid.UUID(item.id).hex + secrets.token_hex(20)
            if item.state == CLAIMED:
                LOG.info('Claim of work item %(item)s by %(worker)s '
                         'expired; handing it out again',
                         {'item': item.id, 'worker': item.claimed_by})
            item.state = CLAIMED
            item.attempt += 1
            item.claim_token = _hash(token)
            item.claimed_by = worker
            item.claimed_at = now
            item.lease_expires_at = now + datetime.timedelta(
                seconds=item.heartbeat_timeout)
            item.progress = None
            claimed.append((item, token))
        if claimed:
            # Not a state change: the task stays RUNNING, now on a worker.
            s.execute(sa.update(models.TaskExecution).where(
                models.TaskExecution.id.in_(
                    [item.task_execution_id for item, _token in claimed]),
                models.TaskExecution.blocked_on == states.BLOCKED_QUEUE)
                .values(blocked_on=None)
                .execution_options(synchronize_session=False))
        s.flush()
        result = [_claim_dict(item, token) for item, token in claimed]
    if worker:
        _touch_worker(project_id, queue, worker)
    return result


def claim(project_id, queue, limit=1, worker=None, wait=0):
    """Take up to ``limit`` items of a queue for a worker.

    :param wait: seconds to wait for at least one item (long-poll), capped
        by [queues]max_claim_wait.
    :returns: a list of claim dicts (``claim_token``, ``task_id``,
        ``execution_id``, ``task_type``, ``input``, ``attempt``,
        ``lease_expires_at``, ...), empty if nothing came in time.
    :raises: InvalidParameterValue for a bad queue name, limit or wait.
    """
    _check_name(_('Queue name'), queue)
    if (not isinstance(limit, int) or isinstance(limit, bool) or
            not 1 <= limit <= CONF.queues.max_claim_batch):
        raise exception.InvalidParameterValue(
            err=_("limit must be an integer from 1 to %(max)d, not "
                  "%(value)r.") % {'max': CONF.queues.max_claim_batch,
                                   'value': limit})
    if (not isinstance(wait, (int, float)) or isinstance(wait, bool) or
            wait < 0):
        raise exception.InvalidParameterValue(
            err=_("wait must be a non-negative number of seconds, not "
                  "%r.") % wait)
    if worker is not None:
        if not isinstance(worker, str) or not 0 < len(worker) <= 255:
            raise exception.InvalidParameterValue(
                err=_("worker must be a string of 1 to 255 characters."))
    deadline = time.monotonic() + min(wait, CONF.queues.max_claim_wait)
    while True:
        items = _claim_once(project_id, queue, limit, worker)
        remaining = deadline - time.monotonic()
        if items or remaining <= 0:
            return items
        time.sleep(min(CONF.queues.claim_poll_interval, remaining))


def _held_item(s, project_id, token, now):
    """The item a claim token holds, locked, or a clear error.

    :raises: ClaimNotFound for a malformed token, or one of an item that
        does not exist or belongs to another project.
    :raises: ClaimNotValid when the claim is finished, expired or was
        superseded by a newer claim.
    """
    shown = token[:8] + '...' if isinstance(token, str) else token
    if not isinstance(token, str) or not _TOKEN_RE.match(token):
        raise exception.ClaimNotFound(token=shown)
    item_id = str(uuid.UUID(token[:32]))
    item = s.execute(
        sa.select(models.WorkItem).where(models.WorkItem.id == item_id)
        .with_for_update()).scalar_one_or_none()
    if item is None or item.project_id != project_id:
        raise exception.ClaimNotFound(token=shown)
    if item.claim_token is None:
        raise exception.ClaimNotFound(token=shown)
    if not secrets.compare_digest(item.claim_token, _hash(token)):
        raise exception.ClaimNotValid(
            token=shown,
            reason=_("its lease expired and the item was claimed again"))
    if item.state == DONE:
        raise exception.ClaimNotValid(
            token=shown, reason=_("the item was already completed"))
    if item.state == FAILED:
        raise exception.ClaimNotValid(
            token=shown, reason=_("the item was already failed"))
    if item.state == CANCELLED:
        raise exception.ClaimNotValid(
            token=shown, reason=_("its task was cancelled; stop working on "
                                  "it"))
    if item.deadline is not None and item.deadline < now:
        raise exception.ClaimNotValid(
            token=shown,
            reason=_("the task type's timeout ran out at %s UTC") %
            item.deadline.isoformat())
    if item.lease_expires_at < now:
        raise exception.ClaimNotValid(
            token=shown,
            reason=_("its lease expired at %s UTC; claim the item again") %
            item.lease_expires_at.isoformat())
    return item


def _item_dict(item):
    result = item.as_dict()
    result.pop('claim_token')
    return result


def heartbeat(project_id, token, progress=None):
    """Extend a claim's lease by the item's heartbeat timeout.

    :param progress: any JSON document, kept on the item for the task API.
    :returns: the item dict with the new ``lease_expires_at``.
    :raises: ClaimNotFound, ClaimNotValid (see :func:`complete`).
    """
    with session.writer() as s:
        now = timeutils.utcnow()
        item = _held_item(s, project_id, token, now)
        item.lease_expires_at = now + datetime.timedelta(
            seconds=item.heartbeat_timeout)
        if progress is not None:
            item.progress = progress
        s.flush()
        result = _item_dict(item)
    if result['claimed_by']:
        _touch_worker(project_id, result['queue'], result['claimed_by'])
    return result


def _output_schema(s, item):
    if item.task_type_def_id is None:
        return None
    return s.execute(sa.select(models.TaskTypeDef.output_schema).where(
        models.TaskTypeDef.id == item.task_type_def_id)).scalar_one_or_none()


def complete(project_id, token, output=None):
    """Finish a claimed item with an output.

    :returns: the item dict (state ``done``, ``result`` ``{"output": ...}``).
    :raises: ClaimNotFound for an unknown token or one of another project.
    :raises: ClaimNotValid if the claim expired, was superseded, or the
        item was already completed, failed or cancelled; nothing changes.
    :raises: InvalidTaskOutput if ``output`` does not match the type's
        output schema; the item stays claimed.
    """
    with session.writer() as s:
        now = timeutils.utcnow()
        item = _held_item(s, project_id, token, now)
        schema = _output_schema(s, item)
        if schema is not None:
            try:
                jsonschema.validate(output, schema)
            except jsonschema.ValidationError as e:
                path = '/'.join(str(p) for p in e.absolute_path)
                reason = f'{path}: {e.message}' if path else e.message
                raise exception.InvalidTaskOutput(
                    task_type=item.task_type, reason=reason) from None
        item.state = DONE
        item.result = {'output': output}
        item.finished_at = now
        s.flush()
        return _item_dict(item)


def fail(project_id, token, message, error_type='TaskError', retryable=True,
         details=None):
    """Finish a claimed item as failed.

    :returns: the item dict (state ``failed``, ``result`` with
        ``error_type``, ``message``, ``retryable`` and ``details``).
    :raises: ClaimNotFound, ClaimNotValid (see :func:`complete`).
    :raises: InvalidParameterValue for a missing message or a bad type.
    """
    if not isinstance(message, str) or not message:
        raise exception.InvalidParameterValue(
            err=_("message must be a non-empty string."))
    if not isinstance(error_type, str) or not NAME_RE.match(error_type):
        raise exception.InvalidParameterValue(
            err=_("error_type must be a short name such as TimeoutError, "
                  "not %r.") % (error_type,))
    if not isinstance(retryable, bool):
        raise exception.InvalidParameterValue(
            err=_("retryable must be true or false."))
    with session.writer() as s:
        now = timeutils.utcnow()
        item = _held_item(s, project_id, token, now)
        item.state = FAILED
        item.result = {'error_type': error_type, 'message': message,
                       'retryable': retryable, 'details': details}
        item.finished_at = now
        s.flush()
        return _item_dict(item)


def expire_leases(limit=100):
    """Fail the items out of claims or out of time.

    An item fails when every allowed claim expired (``LeaseExpired``, not
    retryable) or its task type's timeout passed (``TaskTimeout``,
    retryable: the flow's retry policy decides). Items with claims left
    need nothing: an expired claim is claimable again (see :func:`claim`).
    Run periodically by the engine, which reports the returned items'
    failures.

    :returns: the dicts of the items failed now.
    """
    item_ = models.WorkItem
    with session.writer() as s:
        now = timeutils.utcnow()
        query = (sa.select(item_)
                 .where(item_.state.in_((READY, CLAIMED)),
                        sa.or_(item_.deadline < now,
                               sa.and_(item_.state == CLAIMED,
                                       item_.lease_expires_at < now,
                                       item_.attempt >=
                                       item_.max_attempts)))
                 .order_by(item_.created_at)
                 .limit(limit))
        failed = []
        for item in s.execute(_locking(s, query)).scalars():
            if item.deadline is not None and item.deadline < now:
                item.result = {
                    'error_type': 'TaskTimeout',
                    'message': _('No worker finished the item before the '
                                 'timeout of task type %s.') %
                    item.task_type,
                    'retryable': True, 'details': None}
            else:
                item.result = {
                    'error_type': 'LeaseExpired',
                    'message': _('No worker completed the item: %(n)d '
                                 'claim(s) expired without a heartbeat, the '
                                 'last one by %(worker)s.') %
                    {'n': item.attempt, 'worker': item.claimed_by},
                    'retryable': False, 'details': None}
            item.state = FAILED
            item.finished_at = now
            failed.append(item)
        s.flush()
        return [_item_dict(item) for item in failed]


def unreported(older_than, limit=100):
    """Finished items whose task still waits for their result.

    The API reports a completion to the engine after its commit; if that
    cast was lost the task would stay RUNNING for good. The engine's
    sweeper reports these again (the engine ignores a result it already
    has).

    :param older_than: only items finished before this time.
    :returns: item dicts.
    """
    item = models.WorkItem
    task = models.TaskExecution
    with session.reader() as s:
        rows = s.execute(
            sa.select(item)
            .join(task, task.id == item.task_execution_id)
            .where(item.state.in_((DONE, FAILED)),
                   item.finished_at < older_than,
                   task.state == states.RUNNING,
                   task.attempt == item.task_attempt)
            .order_by(item.finished_at)
            .limit(limit)).scalars()
        return [_item_dict(row) for row in rows]


def get_item_for_task(task_execution_id):
    """The newest work item of a task (for progress), or None."""
    with session.reader() as s:
        item = s.execute(
            sa.select(models.WorkItem)
            .where(models.WorkItem.task_execution_id == task_execution_id)
            .order_by(models.WorkItem.created_at.desc())
            .limit(1)).scalar_one_or_none()
        return _item_dict(item) if item is not None else None


def progress_of(task_ids):
    """``{task id: progress}`` of the newest item of each task that has one.
    """
    if not task_ids:
        return {}
    item = models.WorkItem
    with session.reader() as s:
        rows = s.execute(
            sa.select(item.task_execution_id, item.progress)
            .where(item.task_execution_id.in_(task_ids),
                   item.progress.is_not(None))
            .order_by(item.created_at, item.id)).all()
    # Later rows (newer items) overwrite earlier ones.
    return dict(rows)


def queue_stats(project_id, queue):
    """What a queue holds now.

    :returns: a dict with ``queue``, ``backlog`` (items claimable now),
        ``delayed`` (items not yet available), ``oldest_waiting_age``
        (seconds the oldest claimable item has waited, or None),
        ``in_flight`` (items under a live claim), ``live_workers`` and
        ``workers`` (names seen in the last [queues]worker_live_window).
    :raises: InvalidParameterValue for a bad queue name.
    """
    _check_name(_('Queue name'), queue)
    item = models.WorkItem
    with session.reader() as s:
        now = timeutils.utcnow()
        mine = (item.project_id == project_id, item.queue == queue)
        backlog, oldest = s.execute(
            sa.select(sa.func.count(),
                      sa.func.min(sa.case(
                          (item.state == READY, item.available_at),
                          else_=item.lease_expires_at)))
            .where(*mine, _claimable(now))).one()
        delayed = s.execute(
            sa.select(sa.func.count())
            .where(*mine, item.state == READY,
                   item.available_at > now)).scalar_one()
        in_flight = s.execute(
            sa.select(sa.func.count())
            .where(*mine, item.state == CLAIMED,
                   item.lease_expires_at >= now)).scalar_one()
        since = now - datetime.timedelta(
            seconds=CONF.queues.worker_live_window)
        workers = s.execute(
            sa.select(models.QueueWorker.name)
            .where(models.QueueWorker.project_id == project_id,
                   models.QueueWorker.queue == queue,
                   models.QueueWorker.last_seen_at >= since)
            .order_by(models.QueueWorker.name)).scalars().all()
    if isinstance(oldest, str):
        # SQLite hands a CASE over datetimes back as text.
        oldest = datetime.datetime.fromisoformat(oldest)
    return {
        'queue': queue,
        'backlog': backlog,
        'delayed': delayed,
        'oldest_waiting_age': ((now - oldest).total_seconds()
                               if oldest is not None else None),
        'in_flight': in_flight,
        'live_workers': len(workers),
        'workers': list(workers),
    }
