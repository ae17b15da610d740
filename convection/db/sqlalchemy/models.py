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

"""SQLAlchemy models of everything Convection keeps.

The schema itself is owned by the alembic migrations in ``alembic/``;
``tests/unit/db/test_migrations.py`` proves both agree on SQLite, PostgreSQL
and MariaDB.
"""

import datetime

from oslo_serialization import jsonutils
import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.dialects import mysql


class JSONEncoded(sa.types.TypeDecorator):
    """A JSON document stored as text, the same way on every backend."""

    impl = sa.Text
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == 'mysql':
            return dialect.type_descriptor(mysql.LONGTEXT())
        return dialect.type_descriptor(sa.Text())

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return jsonutils.dumps(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return jsonutils.loads(value)


class UTCDateTime(sa.types.TypeDecorator):
    """A naive UTC timestamp with microseconds on every backend."""

    impl = sa.DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == 'mysql':
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(sa.DateTime())

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(datetime.UTC).replace(tzinfo=None)
        return value


def _utcnow():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class Base(orm.DeclarativeBase):
    type_annotation_map = {}

    def as_dict(self):
        return {c.key: getattr(self, c.key)
                for c in sa.inspect(self).mapper.column_attrs}


UUID_LEN = 36


class Flow(Base):
    """A named flow of one project; its content lives in its versions."""

    __tablename__ = 'flows'
    __table_args__ = (
        sa.UniqueConstraint('project_id', 'name',
                            name='uniq_flows0project_id0name'),
        sa.Index('flows_visibility_name_idx', 'visibility', 'name'),
        sa.Index('flows_project_id_created_at_idx', 'project_id',
                 'created_at', 'id'),
    )

    id = sa.Column(sa.String(UUID_LEN), primary_key=True)
    project_id = sa.Column(sa.String(64), nullable=False)
    user_id = sa.Column(sa.String(64), nullable=True)
    name = sa.Column(sa.String(255), nullable=False)
    visibility = sa.Column(sa.String(16), nullable=False, default='private')
    latest_version = sa.Column(sa.Integer, nullable=False, default=0)
    created_at = sa.Column(UTCDateTime, nullable=False, default=_utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=True, onupdate=_utcnow)


class FlowVersion(Base):
    """One immutable version of a flow's definition."""

    __tablename__ = 'flow_versions'
    __table_args__ = (
        sa.UniqueConstraint('flow_id', 'version',
                            name='uniq_flow_versions0flow_id0version'),
        # Versions are immutable and cached by id: SQLite must never hand
        # a deleted version's id to a new one.
        {'sqlite_autoincrement': True},
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    flow_id = sa.Column(sa.String(UUID_LEN),
                        sa.ForeignKey('flows.id', ondelete='CASCADE'),
                        nullable=False)
    version = sa.Column(sa.Integer, nullable=False)
    description = sa.Column(sa.Text, nullable=True)
    # The validated document, as JSON, and the text the user sent.
    definition = sa.Column(JSONEncoded, nullable=False)
    source = sa.Column(JSONEncoded, nullable=True)
    checksum = sa.Column(sa.String(64), nullable=False)
    created_at = sa.Column(UTCDateTime, nullable=False, default=_utcnow)


class Execution(Base):
    """One run of a pinned flow version."""

    __tablename__ = 'executions'
    __table_args__ = (
        sa.Index('executions_project_id_created_at_idx', 'project_id',
                 'created_at', 'id'),
        sa.Index('executions_project_id_state_idx', 'project_id', 'state'),
        sa.Index('executions_project_id_flow_name_idx', 'project_id',
                 'flow_name', 'flow_version'),
        sa.Index('executions_parent_id_idx', 'parent_id'),
        sa.Index('executions_state_created_at_idx', 'state', 'created_at'),
        sa.UniqueConstraint('project_id', 'idempotency_key',
                            name='uniq_executions0project_id0idem_key'),
    )

    id = sa.Column(sa.String(UUID_LEN), primary_key=True)
    project_id = sa.Column(sa.String(64), nullable=False)
    user_id = sa.Column(sa.String(64), nullable=True)
    # The flow version is pinned; name and number survive the flow's
    # deletion so that history stays readable.
    flow_id = sa.Column(sa.String(UUID_LEN),
                        sa.ForeignKey('flows.id', ondelete='SET NULL'),
                        nullable=True)
    flow_version_id = sa.Column(sa.Integer,
                                sa.ForeignKey('flow_versions.id',
                                              ondelete='SET NULL'),
                                nullable=True)
    flow_name = sa.Column(sa.String(255), nullable=False)
    flow_version = sa.Column(sa.Integer, nullable=False)
    parent_id = sa.Column(sa.String(UUID_LEN),
                          sa.ForeignKey('executions.id', ondelete='SET NULL'),
                          nullable=True)
    parent_task_id = sa.Column(sa.String(UUID_LEN), nullable=True)
    state = sa.Column(sa.String(16), nullable=False)
    input = sa.Column(JSONEncoded, nullable=True)
    output = sa.Column(JSONEncoded, nullable=True)
    # Values published by tasks for later tasks (not the task outputs,
    # which stay on their task rows).
    context = sa.Column(JSONEncoded, nullable=True)
    error = sa.Column(JSONEncoded, nullable=True)
    stop_reason = sa.Column(sa.String(64), nullable=True)
    idempotency_key = sa.Column(sa.String(255), nullable=True)
    trust_id = sa.Column(sa.String(64), nullable=True)
    deadline = sa.Column(UTCDateTime, nullable=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=_utcnow)
    started_at = sa.Column(UTCDateTime, nullable=True)
    finished_at = sa.Column(UTCDateTime, nullable=True)
    updated_at = sa.Column(UTCDateTime, nullable=True, onupdate=_utcnow)


class TaskExecution(Base):
    """One task of an execution; attempts are counted, not separate rows."""

    __tablename__ = 'task_executions'
    __table_args__ = (
        sa.UniqueConstraint('execution_id', 'name', 'item_index',
                            name='uniq_task_executions0exec0name0item'),
        sa.Index('task_executions_execution_id_state_idx', 'execution_id',
                 'state'),
        sa.Index('task_executions_state_lease_idx', 'state',
                 'lease_expires_at'),
        # A fan-out's items by state, in item order: counting the running
        # ones and finding the next pending ones skip those that ended.
        sa.Index('task_executions_items_idx', 'execution_id', 'name',
                 'state', 'item_index'),
    )

    id = sa.Column(sa.String(UUID_LEN), primary_key=True)
    execution_id = sa.Column(sa.String(UUID_LEN),
                             sa.ForeignKey('executions.id',
                                           ondelete='CASCADE'),
                             nullable=False)
    name = sa.Column(sa.String(255), nullable=False)
    # -1 for a plain task; 0..n-1 for the instances of a fan-out.
    item_index = sa.Column(sa.Integer, nullable=False, default=-1)
    type = sa.Column(sa.String(255), nullable=False)
    state = sa.Column(sa.String(16), nullable=False)
    blocked_on = sa.Column(sa.String(32), nullable=True)
    attempt = sa.Column(sa.Integer, nullable=False, default=0)
    input = sa.Column(JSONEncoded, nullable=True)
    output = sa.Column(JSONEncoded, nullable=True)
    error = sa.Column(JSONEncoded, nullable=True)
    # What the task type keeps between two runs of a long task (a Heat
    # stack id, the time a sleep ends), so a restart resumes, not repeats.
    run_state = sa.Column(JSONEncoded, nullable=True)
    owner = sa.Column(sa.String(255), nullable=True)
    lease_expires_at = sa.Column(UTCDateTime, nullable=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=_utcnow)
    started_at = sa.Column(UTCDateTime, nullable=True)
    finished_at = sa.Column(UTCDateTime, nullable=True)
    updated_at = sa.Column(UTCDateTime, nullable=True, onupdate=_utcnow)


class Event(Base):
    """Append-only history: one row per state change."""

    __tablename__ = 'events'
    __table_args__ = (
        sa.Index('events_execution_id_id_idx', 'execution_id', 'id'),
    )

    id = sa.Column(sa.BigInteger().with_variant(sa.Integer, 'sqlite'),
                   primary_key=True, autoincrement=True)
    execution_id = sa.Column(sa.String(UUID_LEN),
                             sa.ForeignKey('executions.id',
                                           ondelete='CASCADE'),
                             nullable=False)
    task_execution_id = sa.Column(sa.String(UUID_LEN), nullable=True)
    task_name = sa.Column(sa.String(255), nullable=True)
    # 'execution' or 'task'
    kind = sa.Column(sa.String(16), nullable=False)
    from_state = sa.Column(sa.String(16), nullable=True)
    to_state = sa.Column(sa.String(16), nullable=False)
    attempt = sa.Column(sa.Integer, nullable=True)
    details = sa.Column(JSONEncoded, nullable=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=_utcnow)


class Timer(Base):
    """A durable timer, fired by the engine's sweeper when due."""

    __tablename__ = 'timers'
    __table_args__ = (
        sa.Index('timers_fire_at_idx', 'fire_at'),
        sa.Index('timers_execution_id_idx', 'execution_id'),
    )

    id = sa.Column(sa.BigInteger().with_variant(sa.Integer, 'sqlite'),
                   primary_key=True, autoincrement=True)
    execution_id = sa.Column(sa.String(UUID_LEN),
                             sa.ForeignKey('executions.id',
                                           ondelete='CASCADE'),
                             nullable=False)
    task_execution_id = sa.Column(sa.String(UUID_LEN), nullable=True)
    # What to do when it fires: 'task_wakeup', 'task_timeout',
    # 'execution_timeout', ...
    kind = sa.Column(sa.String(32), nullable=False)
    fire_at = sa.Column(UTCDateTime, nullable=False)
    payload = sa.Column(JSONEncoded, nullable=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=_utcnow)


class Service(Base):
    """A live engine or conductor process, kept fresh by its heartbeat."""

    __tablename__ = 'services'
    __table_args__ = (
        sa.UniqueConstraint('host', 'binary',
                            name='uniq_services0host0binary'),
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    host = sa.Column(sa.String(255), nullable=False)
    binary = sa.Column(sa.String(64), nullable=False)
    created_at = sa.Column(UTCDateTime, nullable=False, default=_utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=True)


class TaskTypeDef(Base):
    """One version of a tenant task type, run by the project's workers."""

    __tablename__ = 'task_type_defs'
    __table_args__ = (
        sa.UniqueConstraint('project_id', 'name', 'version',
                            name='uniq_task_type_defs0project0name0version'),
        sa.Index('task_type_defs_project_id_name_idx', 'project_id', 'name'),
    )

    id = sa.Column(sa.String(UUID_LEN), primary_key=True)
    project_id = sa.Column(sa.String(64), nullable=False)
    user_id = sa.Column(sa.String(64), nullable=True)
    name = sa.Column(sa.String(255), nullable=False)
    version = sa.Column(sa.Integer, nullable=False)
    queue = sa.Column(sa.String(255), nullable=False)
    description = sa.Column(sa.Text, nullable=True)
    input_schema = sa.Column(JSONEncoded, nullable=True)
    output_schema = sa.Column(JSONEncoded, nullable=True)
    # Seconds; None means the [queues] defaults.
    timeout = sa.Column(sa.Integer, nullable=True)
    heartbeat_timeout = sa.Column(sa.Integer, nullable=True)
    # {"count": n, "delay": seconds}: how often a task of this type is
    # tried again when its claims expire or a worker fails it retryably.
    retry = sa.Column(JSONEncoded, nullable=True)
    checksum = sa.Column(sa.String(64), nullable=False)
    created_at = sa.Column(UTCDateTime, nullable=False, default=_utcnow)


class WorkItem(Base):
    """A task run waiting for, or held by, an external worker."""

    __tablename__ = 'work_items'
    __table_args__ = (
        sa.Index('work_items_claimable_idx', 'project_id', 'queue', 'state',
                 'available_at'),
        sa.Index('work_items_state_lease_idx', 'state', 'lease_expires_at'),
        sa.Index('work_items_task_execution_id_idx', 'task_execution_id'),
        sa.UniqueConstraint('claim_token',
                            name='uniq_work_items0claim_token'),
    )

    id = sa.Column(sa.String(UUID_LEN), primary_key=True)
    project_id = sa.Column(sa.String(64), nullable=False)
    queue = sa.Column(sa.String(255), nullable=False)
    task_type = sa.Column(sa.String(255), nullable=False)
    task_type_def_id = sa.Column(sa.String(UUID_LEN),
                                 sa.ForeignKey('task_type_defs.id',
                                               ondelete='SET NULL'),
                                 nullable=True)
    execution_id = sa.Column(sa.String(UUID_LEN),
                             sa.ForeignKey('executions.id',
                                           ondelete='CASCADE'),
                             nullable=False)
    task_execution_id = sa.Column(sa.String(UUID_LEN), nullable=False)
    # The engine's attempt number of the task this item runs.
    task_attempt = sa.Column(sa.Integer, nullable=False, default=0)
    # How many times the item was handed to a worker.
    attempt = sa.Column(sa.Integer, nullable=False, default=0)
    max_attempts = sa.Column(sa.Integer, nullable=False)
    heartbeat_timeout = sa.Column(sa.Integer, nullable=False)
    # ready, claimed, done, failed, cancelled
    state = sa.Column(sa.String(16), nullable=False)
    payload = sa.Column(JSONEncoded, nullable=True)
    # SHA-256 of the current claim's token; the token itself is only ever
    # known to the worker holding it.
    claim_token = sa.Column(sa.String(64), nullable=True)
    claimed_by = sa.Column(sa.String(255), nullable=True)
    claimed_at = sa.Column(UTCDateTime, nullable=True)
    lease_expires_at = sa.Column(UTCDateTime, nullable=True)
    progress = sa.Column(JSONEncoded, nullable=True)
    result = sa.Column(JSONEncoded, nullable=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=_utcnow)
    available_at = sa.Column(UTCDateTime, nullable=False, default=_utcnow)
    # When the attempt runs out of time (the task type's timeout).
    deadline = sa.Column(UTCDateTime, nullable=True)
    finished_at = sa.Column(UTCDateTime, nullable=True)
    updated_at = sa.Column(UTCDateTime, nullable=True, onupdate=_utcnow)


class QueueWorker(Base):
    """A worker seen claiming from, or heartbeating on, a queue."""

    __tablename__ = 'queue_workers'
    __table_args__ = (
        sa.UniqueConstraint('project_id', 'queue', 'name',
                            name='uniq_queue_workers0project0queue0name'),
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    project_id = sa.Column(sa.String(64), nullable=False)
    queue = sa.Column(sa.String(255), nullable=False)
    name = sa.Column(sa.String(255), nullable=False)
    last_seen_at = sa.Column(UTCDateTime, nullable=False, default=_utcnow)


class Webhook(Base):
    """A URL told about execution and task state changes of a project."""

    __tablename__ = 'webhooks'
    __table_args__ = (
        sa.Index('webhooks_project_id_idx', 'project_id'),
    )

    id = sa.Column(sa.String(UUID_LEN), primary_key=True)
    project_id = sa.Column(sa.String(64), nullable=False)
    user_id = sa.Column(sa.String(64), nullable=True)
    url = sa.Column(sa.String(2048), nullable=False)
    secret = sa.Column(sa.String(255), nullable=False)
    # Event names or patterns ("execution.*", "task.FAILED"); None: all.
    events = sa.Column(JSONEncoded, nullable=True)
    # Flow names; None: every flow.
    flows = sa.Column(JSONEncoded, nullable=True)
    enabled = sa.Column(sa.Boolean, nullable=False, default=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=_utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=True, onupdate=_utcnow)


class WebhookDelivery(Base):
    """One event to send to one webhook, and how sending it went."""

    __tablename__ = 'webhook_deliveries'
    __table_args__ = (
        sa.Index('webhook_deliveries_status_next_idx', 'status',
                 'next_attempt_at'),
        sa.Index('webhook_deliveries_webhook_id_id_idx', 'webhook_id', 'id'),
    )

    id = sa.Column(sa.BigInteger().with_variant(sa.Integer, 'sqlite'),
                   primary_key=True, autoincrement=True)
    webhook_id = sa.Column(sa.String(UUID_LEN),
                           sa.ForeignKey('webhooks.id', ondelete='CASCADE'),
                           nullable=False)
    event = sa.Column(sa.String(64), nullable=False)
    payload = sa.Column(JSONEncoded, nullable=False)
    # pending, delivered, failed
    status = sa.Column(sa.String(16), nullable=False)
    attempts = sa.Column(sa.Integer, nullable=False, default=0)
    next_attempt_at = sa.Column(UTCDateTime, nullable=True)
    response_code = sa.Column(sa.Integer, nullable=True)
    last_error = sa.Column(sa.Text, nullable=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=_utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=True, onupdate=_utcnow)
    delivered_at = sa.Column(UTCDateTime, nullable=True)



class Signal(Base):
    """A payload sent to an execution, for a ``wait`` task to take."""

    __tablename__ = 'signals'
    __table_args__ = (
        sa.Index('signals_execution_id_name_idx', 'execution_id', 'name',
                 'consumed_at'),
    )

    id = sa.Column(sa.BigInteger().with_variant(sa.Integer, 'sqlite'),
                   primary_key=True, autoincrement=True)
    execution_id = sa.Column(sa.String(UUID_LEN),
                             sa.ForeignKey('executions.id',
                                           ondelete='CASCADE'),
                             nullable=False)
    name = sa.Column(sa.String(255), nullable=False)
    payload = sa.Column(JSONEncoded, nullable=True)
    user_id = sa.Column(sa.String(64), nullable=True)
    # The wait task that took it; None while no task waited for it.
    task_execution_id = sa.Column(sa.String(UUID_LEN), nullable=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=_utcnow)
    consumed_at = sa.Column(UTCDateTime, nullable=True)
