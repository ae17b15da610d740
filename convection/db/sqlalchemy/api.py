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

"""SQLAlchemy implementation of :mod:`convection.db.api`.

Every function opens its own transaction through
:mod:`convection.db.sqlalchemy.session` and returns plain dicts.
"""

import datetime

from oslo_db import api as oslo_db_api
from oslo_db import exception as db_exc
from oslo_log import log
from oslo_serialization import jsonutils
from oslo_utils import timeutils
from oslo_utils import uuidutils
import sqlalchemy as sa

from convection.common import exception
from convection.common import states
from convection.db.sqlalchemy import models
from convection.db.sqlalchemy import session
from convection.i18n import _

LOG = log.getLogger(__name__)

FLOW_SORT_KEYS = ('name', 'created_at', 'updated_at')
EXECUTION_SORT_KEYS = ('created_at', 'updated_at', 'started_at',
                       'finished_at', 'state', 'flow_name')
SORT_DIRS = ('asc', 'desc')
EXECUTION_FILTERS = ('flow_id', 'flow_name', 'flow_version', 'state',
                     'parent_id')
FLOW_FILTERS = ('name', 'visibility')
TASK_FILTERS = ('state', 'name')

# Columns a caller may set when it creates an execution; the rest (id
# aside) are the engine's.
_EXECUTION_CREATE_FIELDS = frozenset((
    'id', 'project_id', 'user_id', 'flow_id', 'flow_version_id',
    'flow_name', 'flow_version', 'parent_id', 'parent_task_id', 'input',
    'context', 'idempotency_key', 'trust_id', 'deadline'))

# Registration races resolve in at most a few rounds; deadlocks are
# MySQL's way of reporting the same race.
_retry_on_race = oslo_db_api.wrap_db_retry(
    max_retries=5, retry_on_deadlock=True, retry_interval=0.05,
    max_retry_interval=0.5,
    exception_checker=lambda e: isinstance(e, db_exc.DBDuplicateEntry))


# Helpers


def _duration(started_at, finished_at):
    if started_at is None:
        return None
    end = finished_at or timeutils.utcnow()
    return (end - started_at).total_seconds()


def _normalized_json(value):
    """``value`` as it reads back from a JSON column."""
    return jsonutils.loads(jsonutils.dumps(value))


def _check_sort(sort_key, sort_dir, allowed_keys):
    if sort_key not in allowed_keys:
        raise exception.InvalidParameterValue(
            err=_("Cannot sort on %(key)s; use one of %(allowed)s.") %
            {'key': sort_key, 'allowed': ', '.join(allowed_keys)})
    if sort_dir not in SORT_DIRS:
        raise exception.InvalidParameterValue(
            err=_("Sort direction must be 'asc' or 'desc', not %s.") %
            sort_dir)


def _check_filters(filters, allowed):
    unknown = set(filters or ()) - set(allowed)
    if unknown:
        raise exception.InvalidParameterValue(
            err=_("Cannot filter on %(keys)s; use %(allowed)s.") %
            {'keys': ', '.join(sorted(unknown)),
             'allowed': ', '.join(allowed)})


def _check_limit(limit):
    if limit is not None and (not isinstance(limit, int) or limit < 0):
        raise exception.InvalidParameterValue(
            err=_("Limit must be a non-negative integer, not %r.") % limit)


def _keyset_page(query, model, sort_key, sort_dir, marker_row, limit):
    """Order ``query`` by ``sort_key`` then id, starting after a marker.

    NULLs sort before every value in ascending order (and after them in
    descending order) on every backend: an explicit "is not null" key
    stands in for NULLS FIRST, which MySQL lacks.
    """
    column = getattr(model, sort_key)
    marker_value = getattr(marker_row, sort_key, None)
    keys = []
    if column.nullable:
        keys.append((sa.case((column.is_(None), 0), else_=1),
                     0 if marker_value is None else 1))
    keys.append((column, marker_value))
    keys.append((model.id, getattr(marker_row, 'id', None)))

    descending = sort_dir == 'desc'
    query = query.order_by(*(key.desc() if descending else key.asc()
                             for key, _value in keys))
    if marker_row is not None:
        # Rows past the marker: equal on the first i keys, beyond it on
        # key i, for some i.
        past = []
        for i, (key, value) in enumerate(keys):
            if value is None:
                # Nothing is beyond NULL on this key; the flag key above
                # already took the non-NULL rows.
                continue
            equal = [k.is_(None) if v is None else k == v
                     for k, v in keys[:i]]
            beyond = key < value if descending else key > value
            past.append(sa.and_(*equal, beyond))
        query = query.where(sa.or_(*past))
    if limit is not None:
        query = query.limit(limit)
    return query


# Flows


def _flow_dict(flow, description):
    result = flow.as_dict()
    result['description'] = description
    return result


def _flow_with_latest():
    """Flows with their latest version's description (if any)."""
    return sa.select(models.Flow, models.FlowVersion.description).outerjoin(
        models.FlowVersion,
        sa.and_(models.FlowVersion.flow_id == models.Flow.id,
                models.FlowVersion.version == models.Flow.latest_version))


def _version_dict(version, flow_name):
    result = version.as_dict()
    result['flow_name'] = flow_name
    return result


@_retry_on_race
def create_flow_version(project_id, user_id, name, definition, source,
                        description, checksum, visibility=None):
    with session.writer() as s:
        flow = s.execute(
            sa.select(models.Flow)
            .where(models.Flow.project_id == project_id,
                   models.Flow.name == name)
            .with_for_update()).scalar_one_or_none()
        if flow is None:
            # A concurrent registration of the same name makes this
            # insert fail on uniq_flows0project_id0name; the retry then
            # finds (and locks) the winner's row.
            flow = models.Flow(
                id=uuidutils.generate_uuid(), project_id=project_id,
                user_id=user_id, name=name,
                visibility=visibility or states.PRIVATE, latest_version=0,
                created_at=timeutils.utcnow())
            s.add(flow)
            s.flush()
        elif visibility is not None and visibility != flow.visibility:
            flow.visibility = visibility
            flow.updated_at = timeutils.utcnow()

        latest = None
        if flow.latest_version:
            latest = s.execute(
                sa.select(models.FlowVersion).where(
                    models.FlowVersion.flow_id == flow.id,
                    models.FlowVersion.version == flow.latest_version)
            ).scalar_one()
        if latest is not None and latest.checksum == checksum:
            s.flush()
            return (_flow_dict(flow, latest.description),
                    _version_dict(latest, flow.name), False)

        version = models.FlowVersion(
            flow_id=flow.id, version=flow.latest_version + 1,
            description=description, definition=definition, source=source,
            checksum=checksum, created_at=timeutils.utcnow())
        s.add(version)
        flow.latest_version = version.version
        if version.version > 1:
            flow.updated_at = timeutils.utcnow()
        s.flush()
        LOG.info('Registered version %(version)d of flow %(flow)s '
                 '(%(id)s) of project %(project)s',
                 {'version': version.version, 'flow': name, 'id': flow.id,
                  'project': project_id})
        return (_flow_dict(flow, description),
                _version_dict(version, flow.name), True)


def _visible_to(project_id, include_public):
    if project_id is None:
        return sa.true()
    if include_public:
        return sa.or_(models.Flow.project_id == project_id,
                      models.Flow.visibility == states.PUBLIC)
    return models.Flow.project_id == project_id


def _find_flow(s, project_id, name_or_id, include_public=True):
    """The (flow, description, definition) ``project_id`` sees."""
    query = _flow_with_latest().add_columns(models.FlowVersion.definition)
    row = s.execute(query.where(
        models.Flow.id == name_or_id,
        _visible_to(project_id, include_public))).first()
    if row is not None:
        return row

    by_name = query.where(models.Flow.name == name_or_id)
    if project_id is not None:
        row = s.execute(by_name.where(
            models.Flow.project_id == project_id)).first()
        if row is not None:
            return row
        if not include_public:
            raise exception.FlowNotFound(flow=name_or_id)
        by_name = by_name.where(models.Flow.visibility == states.PUBLIC)
    rows = s.execute(by_name.limit(2)).all()
    if not rows:
        raise exception.FlowNotFound(flow=name_or_id)
    if len(rows) > 1:
        raise exception.FlowNameAmbiguous(flow=name_or_id)
    return rows[0]


def get_flow(project_id, name_or_id, include_public=True):
    with session.reader() as s:
        flow, description, definition = _find_flow(
            s, project_id, name_or_id, include_public)
        result = _flow_dict(flow, description)
        result['definition'] = definition
        return result


def list_flows(project_id, limit=None, marker=None, sort_key='created_at',
               sort_dir='desc', include_public=True, filters=None):
    _check_sort(sort_key, sort_dir, FLOW_SORT_KEYS)
    _check_filters(filters, FLOW_FILTERS)
    _check_limit(limit)
    with session.reader() as s:
        query = _flow_with_latest().where(
            _visible_to(project_id, include_public))
        for key, value in (filters or {}).items():
            query = query.where(getattr(models.Flow, key) == value)
        marker_row = None
        if marker is not None:
            # Another project's private flow is no valid position either.
            marker_row = s.execute(sa.select(models.Flow).where(
                models.Flow.id == marker,
                _visible_to(project_id, include_public))).scalar_one_or_none()
            if marker_row is None:
                raise exception.FlowNotFound(flow=marker)
        query = _keyset_page(query, models.Flow, sort_key, sort_dir,
                             marker_row, limit)
        return [_flow_dict(flow, description)
                for flow, description in s.execute(query)]


def update_flow(flow_id, visibility):
    if visibility not in states.VISIBILITIES:
        raise exception.InvalidParameterValue(
            err=_("Visibility must be one of %(allowed)s, not %(value)s.") %
            {'allowed': ', '.join(states.VISIBILITIES), 'value': visibility})
    with session.writer() as s:
        flow = s.execute(
            sa.select(models.Flow).where(models.Flow.id == flow_id)
            .with_for_update()).scalar_one_or_none()
        if flow is None:
            raise exception.FlowNotFound(flow=flow_id)
        if flow.visibility != visibility:
            flow.visibility = visibility
            flow.updated_at = timeutils.utcnow()
        s.flush()
        flow, description = s.execute(
            _flow_with_latest().where(models.Flow.id == flow_id)).one()
        return _flow_dict(flow, description)


def get_flow_version(flow_id, version):
    with session.reader() as s:
        row = s.execute(
            sa.select(models.FlowVersion, models.Flow.name)
            .join(models.Flow, models.Flow.id == models.FlowVersion.flow_id)
            .where(models.FlowVersion.flow_id == flow_id,
                   models.FlowVersion.version == version)).first()
        if row is None:
            raise exception.FlowVersionNotFound(flow=flow_id,
                                                version=version)
        return _version_dict(*row)


def list_flow_versions(flow_id, limit=None, marker=None):
    _check_limit(limit)
    with session.reader() as s:
        flow = s.get(models.Flow, flow_id)
        if flow is None:
            raise exception.FlowNotFound(flow=flow_id)
        query = (sa.select(models.FlowVersion)
                 .where(models.FlowVersion.flow_id == flow_id)
                 .order_by(models.FlowVersion.version.desc()))
        if marker is not None:
            query = query.where(models.FlowVersion.version < int(marker))
        if limit is not None:
            query = query.limit(limit)
        return [_version_dict(version, flow.name)
                for version in s.execute(query).scalars()]


def _count_active(s, flow_id):
    return s.execute(
        sa.select(sa.func.count()).select_from(models.Execution).where(
            models.Execution.flow_id == flow_id,
            models.Execution.state.in_(states.EXECUTION_ACTIVE_STATES))
    ).scalar_one()


def count_active_executions(flow_id):
    with session.reader() as s:
        return _count_active(s, flow_id)


def delete_flow(flow_id):
    with session.writer() as s:
        # The row lock makes a concurrent create_execution of this flow
        # wait (its foreign key check needs the row) and then fail.
        flow = s.execute(
            sa.select(models.Flow).where(models.Flow.id == flow_id)
            .with_for_update()).scalar_one_or_none()
        if flow is None:
            raise exception.FlowNotFound(flow=flow_id)
        active = _count_active(s, flow_id)
        if active:
            raise exception.FlowInUse(flow=flow.name, count=active)
        # The database cascades to the versions and unlinks executions.
        s.execute(sa.delete(models.Flow).where(models.Flow.id == flow_id))
        LOG.info('Deleted flow %(flow)s (%(id)s)',
                 {'flow': flow.name, 'id': flow_id})


# Executions


def _task_counts(s, execution_id):
    rows = s.execute(
        sa.select(models.TaskExecution.state, sa.func.count())
        .where(models.TaskExecution.execution_id == execution_id)
        .group_by(models.TaskExecution.state))
    return dict(rows.all())


def _execution_dict(execution, task_counts=None):
    result = execution.as_dict()
    result['duration'] = _duration(execution.started_at,
                                   execution.finished_at)
    if task_counts is not None:
        result['task_counts'] = task_counts
    return result


def _same_request(existing, values):
    return (existing.flow_version_id == values.get('flow_version_id') and
            existing.input == _normalized_json(values.get('input')))


def _existing_for_key(s, project_id, key):
    return s.execute(sa.select(models.Execution).where(
        models.Execution.project_id == project_id,
        models.Execution.idempotency_key == key)).scalar_one_or_none()


def _reuse(existing, values):
    if not _same_request(existing, values):
        raise exception.IdempotencyKeyReused(
            key=values['idempotency_key'], execution=existing.id)
    return existing


def create_execution(values):
    unknown = set(values) - _EXECUTION_CREATE_FIELDS
    if unknown:
        raise exception.InvalidParameterValue(
            err=_("Executions have no settable field(s) %s.") %
            ', '.join(sorted(unknown)))
    key = values.get('idempotency_key')
    try:
        with session.writer() as s:
            if key is not None:
                existing = _existing_for_key(s, values['project_id'], key)
                if existing is not None:
                    existing = _reuse(existing, values)
                    return (_execution_dict(existing,
                                            _task_counts(s, existing.id)),
                            False)
            now = timeutils.utcnow()
            execution = models.Execution(
                **values, state=states.PENDING, created_at=now)
            if execution.id is None:
                execution.id = uuidutils.generate_uuid()
            s.add(execution)
            s.flush()
            s.add(models.Event(execution_id=execution.id, kind='execution',
                               to_state=states.PENDING, created_at=now))
            s.flush()
            return _execution_dict(execution, {}), True
    except db_exc.DBDuplicateEntry:
        if key is None:
            raise
        # Another request with the same key won the race: answer with its
        # execution, as if this request had come second.
        with session.reader() as s:
            existing = _existing_for_key(s, values['project_id'], key)
            if existing is None:
                raise
            existing = _reuse(existing, values)
            return (_execution_dict(existing, _task_counts(s, existing.id)),
                    False)
    except db_exc.DBReferenceError as e:
        # The flow (or parent) went away between the caller's lookup and
        # this insert: a concurrent delete_flow won.
        LOG.info('Execution not created, what %(key)s names is gone: '
                 '%(err)s', {'key': e.key, 'err': e})
        if e.key == 'parent_id':
            raise exception.ExecutionNotFound(
                execution=values.get('parent_id'))
        raise exception.FlowNotFound(
            flow=values.get('flow_name') or values.get('flow_id'))


def _find_execution(s, execution_id, project_id):
    execution = s.get(models.Execution, execution_id)
    if execution is None or (project_id is not None and
                             execution.project_id != project_id):
        raise exception.ExecutionNotFound(execution=execution_id)
    return execution


def get_execution(execution_id, project_id=None):
    with session.reader() as s:
        execution = _find_execution(s, execution_id, project_id)
        return _execution_dict(execution, _task_counts(s, execution_id))


# Columns of a listed execution without ``detail``. The input stays: the
# API needs it to mask secret values in errors.
_EXECUTION_SUMMARY_COLUMNS = tuple(
    column for column in models.Execution.__table__.columns
    if column.name not in ('output', 'context'))


def list_executions(project_id, limit=None, marker=None,
                    sort_key='created_at', sort_dir='desc', filters=None,
                    detail=False):
    _check_sort(sort_key, sort_dir, EXECUTION_SORT_KEYS)
    _check_filters(filters, EXECUTION_FILTERS)
    _check_limit(limit)
    with session.reader() as s:
        # Plain rows, not ORM objects: building and unpacking a hundred of
        # those was most of a list request's time.
        if detail:
            query = sa.select(models.Execution.__table__)
        else:
            query = sa.select(*_EXECUTION_SUMMARY_COLUMNS)
        if project_id is not None:
            query = query.where(models.Execution.project_id == project_id)
        for key, value in (filters or {}).items():
            query = query.where(getattr(models.Execution, key) == value)
        marker_row = None
        if marker is not None:
            marker_row = _find_execution(s, marker, project_id)
        query = _keyset_page(query, models.Execution, sort_key, sort_dir,
                             marker_row, limit)
        result = s.execute(query)
        # zip over the plain tuples: dict(RowMapping) costs three times
        # as much, a millisecond per hundred rows.
        keys = tuple(result.keys())
        executions = [dict(zip(keys, row)) for row in result]
    for execution in executions:
        execution['duration'] = _duration(execution['started_at'],
                                          execution['finished_at'])
    return executions


# Tasks and events


def _task_dict(task):
    result = task.as_dict()
    result['duration'] = _duration(task.started_at, task.finished_at)
    return result


def list_task_executions(execution_id, limit=None, marker=None,
                         filters=None):
    _check_filters(filters, TASK_FILTERS)
    _check_limit(limit)
    with session.reader() as s:
        query = sa.select(models.TaskExecution).where(
            models.TaskExecution.execution_id == execution_id)
        for key, value in (filters or {}).items():
            query = query.where(getattr(models.TaskExecution, key) == value)
        marker_row = None
        if marker is not None:
            marker_row = s.get(models.TaskExecution, marker)
            if marker_row is None or marker_row.execution_id != execution_id:
                raise exception.TaskExecutionNotFound(task=marker)
        query = _keyset_page(query, models.TaskExecution, 'created_at',
                             'asc', marker_row, limit)
        return [_task_dict(t) for t in s.execute(query).scalars()]


def get_task_execution(execution_id, task_id):
    with session.reader() as s:
        task = s.get(models.TaskExecution, task_id)
        if task is None or task.execution_id != execution_id:
            raise exception.TaskExecutionNotFound(task=task_id)
        return _task_dict(task)


def _event_dict(event):
    result = event.as_dict()
    result['task_id'] = event.task_execution_id
    return result


def list_events(execution_id, limit=None, marker=None):
    _check_limit(limit)
    with session.reader() as s:
        query = (sa.select(models.Event)
                 .where(models.Event.execution_id == execution_id)
                 .order_by(models.Event.id.asc()))
        if marker is not None:
            query = query.where(models.Event.id > int(marker))
        if limit is not None:
            query = query.limit(limit)
        return [_event_dict(e) for e in s.execute(query).scalars()]


# Services


def _service_query(host, binary):
    return sa.select(models.Service).where(models.Service.host == host,
                                           models.Service.binary == binary)


@_retry_on_race
def register_service(host, binary):
    now = timeutils.utcnow()
    with session.writer() as s:
        service = s.execute(_service_query(host, binary)).scalar_one_or_none()
        if service is None:
            # Two starts of one host/binary race on uniq_services0host0binary;
            # the retry refreshes the winner's row instead.
            service = models.Service(host=host, binary=binary,
                                     created_at=now)
            s.add(service)
        service.updated_at = now
        s.flush()
        return service.as_dict()


def heartbeat(host, binary):
    now = timeutils.utcnow()
    with session.writer() as s:
        updated = s.execute(
            sa.update(models.Service)
            .where(models.Service.host == host,
                   models.Service.binary == binary)
            .values(updated_at=now)).rowcount
    if not updated:
        # The row was removed (an operator cleaned up): register again.
        LOG.warning('Service %(binary)s on %(host)s was not registered; '
                    'registering it again', {'binary': binary, 'host': host})
        register_service(host, binary)


def list_services(binary=None, alive_within=None):
    with session.reader() as s:
        query = sa.select(models.Service).order_by(models.Service.binary,
                                                   models.Service.host)
        if binary is not None:
            query = query.where(models.Service.binary == binary)
        if alive_within is not None:
            since = timeutils.utcnow() - datetime.timedelta(
                seconds=alive_within)
            query = query.where(models.Service.updated_at >= since)
        return [service.as_dict() for service in s.execute(query).scalars()]


# Housekeeping

_SETTLED_DELIVERIES = ('delivered', 'failed')


def _purge_in_batches(model, condition, batch_size):
    deleted = 0
    while True:
        with session.writer() as s:
            ids = s.execute(sa.select(model.id).where(condition)
                            .limit(batch_size)).scalars().all()
            if not ids:
                return deleted
            s.execute(sa.delete(model).where(model.id.in_(ids)))
        deleted += len(ids)


def purge(older_than, batch_size=500):
    executions = models.Execution
    deliveries = models.WebhookDelivery
    return {
        'executions': _purge_in_batches(
            executions,
            sa.and_(executions.state.in_(states.EXECUTION_TERMINAL_STATES),
                    executions.finished_at < older_than),
            batch_size),
        'webhook_deliveries': _purge_in_batches(
            deliveries,
            sa.and_(deliveries.status.in_(_SETTLED_DELIVERIES),
                    deliveries.updated_at < older_than),
            batch_size),
        # A worker that has not claimed nor heartbeated since is gone;
        # one that comes back is recorded again.
        'queue_workers': _purge_in_batches(
            models.QueueWorker,
            models.QueueWorker.last_seen_at < older_than,
            batch_size),
    }
