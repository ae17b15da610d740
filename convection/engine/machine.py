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

"""The execution state machine: every transition, one transaction each.

Each public function opens one writer transaction, locks the execution row
(``SELECT ... FOR UPDATE``; SQLite's ``BEGIN IMMEDIATE`` already serializes
writers), applies every change it can together with its events, and
returns an :class:`Outcome`: the task runs to hand to the conductor, the
runs whose task type must clean up, the child executions to start or
cancel and the results to report to parent executions. The caller acts on
it only after the commit; a crash in between is healed by the sweeper
(leases, PENDING executions, lost child results, orphaned children).

Rules:

* An execution starts by creating all its tasks at once as PENDING
  (``blocked_on='dependency'``) and starting the roots (tasks without
  ``requires`` that handle no other task's failure).
* A task is started or SKIPPED when the tasks it requires settle, per its
  ``join`` (see :meth:`_Transition.propagate`); a false ``when`` skips it
  when it would start. Starting renders its ``with`` (only the outputs it
  references are read) and validates it against its type's input schema;
  a failure there fails the task, without retry. A ``with_items`` task
  creates one item row per item instead; a ``flow`` task a child
  execution.
* A failed or timed-out attempt is retried when the task's (else the
  flow's) retry policy allows it (WAITING, ``blocked_on='backoff'``, with a
  durable timer); otherwise the task ends FAILED or TIMED_OUT. Unless it
  has ``continue_on_failure`` or ``on_failure`` handlers, the execution
  then fails at once (fail fast): the tasks that never started become
  SKIPPED, the ones RUNNING or WAITING become CANCELLED (their task type's
  ``cancel`` is called, their children cancelled), their timers are
  deleted and their late results ignored.
* Cancelling does the same, except that every active task (started or
  not) becomes CANCELLED. ``run_for`` does the same as a failure but ends
  SUCCEEDED with ``stop_reason='duration_elapsed'``.
* While PAUSED no task starts (ready ones wait with
  ``blocked_on='paused'``) and only timeouts and ``run_for`` fire.
* When no task is active any more, a ``repeat`` flow schedules its next
  iteration unless a stop condition holds; otherwise the flow ``output`` is
  rendered and the execution SUCCEEDED.
* A result counts only for a task that is RUNNING with the same attempt,
  so duplicate and stale deliveries change nothing. Retrying a FAILED or
  TIMED_OUT execution resets its unsucceeded tasks to PENDING and keeps
  their attempt numbers growing.
"""

import collections
import datetime
import functools

import jsonschema
from oslo_config import cfg
from oslo_db import api as oslo_db_api
from oslo_log import log
from oslo_utils import timeutils
from oslo_utils import uuidutils
import sqlalchemy as sa

from convection.common import exception
from convection.common import notifications
from convection.common import states
from convection.db.sqlalchemy import models
from convection.db.sqlalchemy import session
from convection.dsl import expressions
from convection.dsl import schema as dsl_schema
from convection.engine import child
from convection.engine import specs
from convection.engine import transitions
from convection.i18n import _
from convection.tasks import tenant
from convection.webhooks import api as webhooks_api

CONF = cfg.CONF
LOG = log.getLogger(__name__)

EXECUTIONS = models.Execution.__table__
TASKS = models.TaskExecution.__table__
EVENTS = models.Event.__table__
TIMERS = models.Timer.__table__

# Timer kinds.
TASK_WAKEUP = 'task_wakeup'
TASK_RETRY = 'task_retry'
TASK_TIMEOUT = 'task_timeout'
QUEUE_TIMEOUT = 'queue_timeout'
EXECUTION_TIMEOUT = 'execution_timeout'
RUN_FOR = 'run_for'
REPEAT = 'repeat'

# Timers that fire while an execution is PAUSED; the others wait for it to
# resume (a retry or a wake-up would start work).
_FIRE_WHEN_PAUSED = (EXECUTION_TIMEOUT, TASK_TIMEOUT, QUEUE_TIMEOUT,
                     RUN_FOR)
_OPEN = (states.RUNNING, states.PAUSED)
_FAILED = (states.FAILED, states.TIMED_OUT)

_ACTIVE = tuple(states.TASK_ACTIVE_STATES)
_STARTED = (states.RUNNING, states.WAITING)

# Plain tasks; fan-out items use 0..n-1.
_PLAIN = -1
# Rows per INSERT when a fan-out creates its items.
_INSERT_CHUNK = 1000



class Outcome(collections.namedtuple(
        'Outcome', 'execution dispatch cancel start stop report pause '
                   'resume', defaults=((), (), (), (), ()))):
    """What a transition leaves to do after its commit.

    ``execution``: the execution as the transaction left it (None when
    nothing changed); ``dispatch``: task runs to cast to conductors;
    ``cancel``: task runs whose task type must clean up (``cancel``);
    ``start``: child executions to start; ``stop``: child executions to
    cancel; ``report``: results for the parent tasks of child executions
    that finished; ``pause``, ``resume``: child executions to pause or
    resume with their parent.
    """


NOTHING = Outcome(None, [], [])

_retry_on_db_error = oslo_db_api.wrap_db_retry(
    max_retries=5, retry_on_deadlock=True, retry_on_disconnect=True,
    inc_retry_interval=True)


class _Transition:
    """What one transaction on one execution changed and must dispatch."""

    def __init__(self, conn, execution, spec, host):
        # The transaction's Core connection (see session.writer_connection).
        self.c = conn
        self.execution = execution
        self.spec = spec
        self.host = host
        self.now = timeutils.utcnow()
        self.events = []
        self.timers = []
        self.dispatch = []
        self.cancel = []
        self.start = []
        self.stop = []
        self.report = []
        self.pause = []
        self.resume = []
        # Task name -> state as of this transaction, when known.
        self.states = {}
        # Task name -> row (as this transaction changed it), when read.
        self.rows = {}
        # Tasks that ended or were skipped: their dependants are looked at.
        self.settled = []
        # Fan-out tasks whose items ended: start more items or end them.
        self.fanouts = set()
        self.finished = False
        self._context = None
        # Whether the project has an enabled webhook, when a query of this
        # transaction read it (saves on_transitions a statement).
        self.any_webhook = None

    @property
    def paused(self):
        return self.execution['state'] == states.PAUSED

    def outcome(self):
        return Outcome(self.execution, self.dispatch, self.cancel,
                       self.start, self.stop, self.report, self.pause,
                       self.resume)

    def children(self):
        """Unfinished child executions of this execution."""
        return list(self.c.execute(sa.select(EXECUTIONS.c.id).where(
            EXECUTIONS.c.parent_id == self.execution_id,
            EXECUTIONS.c.state.not_in(
                list(states.EXECUTION_TERMINAL_STATES)))).scalars())

    @property
    def execution_id(self):
        return self.execution['id']

    # Recording

    def event(self, kind, from_state, to_state, attempt=None, task=None,
              details=None):
        self.events.append({
            'execution_id': self.execution_id,
            'task_execution_id': task['id'] if task else None,
            'task_name': task['name'] if task else None,
            'kind': kind, 'from_state': from_state, 'to_state': to_state,
            'attempt': attempt, 'details': details, 'created_at': self.now,
        })

    def timer(self, kind, fire_at, task=None, payload=None):
        self.timers.append({
            'execution_id': self.execution_id,
            'task_execution_id': task['id'] if task else None,
            'kind': kind, 'fire_at': fire_at, 'payload': payload,
            'created_at': self.now,
        })

    def flush(self):
        if self.timers:
            self.c.execute(sa.insert(TIMERS), self.timers)
        if self.events:
            self.c.execute(sa.insert(EVENTS), self.events)
            # Webhook deliveries and notifications of these state changes.
            notifications.on_transitions(self.c, self.execution, self.events,
                                         any_webhook=self.any_webhook)

    def set_execution(self, to_state, **values):
        from_state = self.execution['state']
        transitions.check_execution(from_state, to_state)
        self.c.execute(sa.update(EXECUTIONS).where(
            EXECUTIONS.c.id == self.execution_id).values(
                state=to_state, updated_at=self.now, **values))
        self.event('execution', from_state, to_state,
                   details=values.get('error'))
        self.execution = dict(self.execution, state=to_state)
        if to_state in states.EXECUTION_TERMINAL_STATES:
            self.finished = True
            if self.execution.get('parent_task_id'):
                result = child.result_for_parent(
                    self.c, dict(self.execution, **values))
                if result is not None:
                    self.report.append(result)

    def set_task(self, task, to_state, details=None, **values):
        transitions.check_task(task['state'], to_state)
        self.c.execute(_task_update(frozenset(values)),
                       dict(values, task_id=task['id'], state=to_state,
                            updated_at=self.now))
        self.event('task', task['state'], to_state,
                   attempt=values.get('attempt', task['attempt']),
                   task=task, details=details)
        if task.get('item_index', _PLAIN) == _PLAIN:
            self.states[task['name']] = to_state
        elif to_state in states.TASK_TERMINAL_STATES:
            self.fanouts.add(task['name'])
        # Later steps of this transaction read the task as it is now.
        task.update({key: value for key, value in values.items()
                     if key in task}, state=to_state)

    # Reading

    def tasks_by_name(self, names):
        if not names:
            return {}
        rows = self.c.execute(_TASKS_BY_NAME, {
            'execution_id': self.execution_id,
            'names': sorted(names)}).mappings()
        tasks = {row['name']: dict(row) for row in rows}
        for name, task in tasks.items():
            self.states.setdefault(name, task['state'])
            self.rows.setdefault(name, task)
        return tasks

    def context(self):
        """The execution context (what tasks published), read once."""
        if self._context is None:
            self._context = self.c.execute(
                sa.select(EXECUTIONS.c.context).where(
                    EXECUTIONS.c.id == self.execution_id)).scalar() or {}
        return self._context

    def scope(self, names, **extra):
        """The expression scope with the results of tasks ``names``."""
        tasks = {}
        if names:
            rows = self.c.execute(
                sa.select(TASKS.c.name, TASKS.c.state, TASKS.c.output,
                          TASKS.c.error)
                .where(TASKS.c.execution_id == self.execution_id,
                       TASKS.c.item_index == _PLAIN,
                       TASKS.c.name.in_(sorted(names))))
            tasks = {name: {'output': output, 'state': state,
                            'error': error}
                     for name, state, output, error in rows}
        scope = {'input': self.execution['input'] or {},
                 'tasks': tasks,
                 'execution': {'id': self.execution_id}}
        if self.spec.uses_context:
            scope['ctx'] = self.context()
        scope.update(extra)
        return scope

    # Tasks

    def start_task(self, task):
        """Render, validate and dispatch a PENDING task (new attempt).

        While the execution is PAUSED the task stays PENDING,
        ``blocked_on='paused'``, and starts when it resumes. A task whose
        ``when`` is false is SKIPPED.
        """
        task_spec = self.spec.tasks[task['name']]
        if self.paused:
            self.c.execute(_task_update(frozenset(['blocked_on'])), {
                'task_id': task['id'], 'state': states.PENDING,
                'updated_at': self.now, 'blocked_on': states.BLOCKED_PAUSED})
            return
        try:
            if not self._condition_holds(task_spec):
                self.skip_task(task, {'reason': 'condition'})
                return
            if task_spec.with_items is not None:
                self.start_fan_out(task, task_spec)
                return
            inputs = self._inputs(task_spec, self.scope(
                self.spec.referenced_tasks(task['name'])))
        except exception.ConvectionException as exc:
            self.end_task(task, states.FAILED, _error(
                _('Inputs of task %(task)s are invalid: %(err)s') %
                {'task': task['name'], 'err': exc},
                type(exc).__name__, retryable=False))
            return
        except jsonschema.ValidationError as exc:
            self.end_task(task, states.FAILED, _error(
                _('Inputs of task %(task)s do not match the input schema '
                  'of task type %(type)s: %(err)s') %
                {'task': task['name'], 'type': task_spec.type,
                 'err': exc.message},
                'InvalidTaskInput', retryable=False))
            return
        self.run_task(task, inputs, task['attempt'] + 1, run_state=None)

    def _inputs(self, task_spec, scope):
        inputs = expressions.render(task_spec.with_ or {}, scope)
        tenant.get_task_type_in(
            self.c, self.execution['project_id'],
            task_spec.type).validate_input(inputs)
        return inputs

    # Fan-out (with_items)

    def start_fan_out(self, task, task_spec):
        """Start a ``with_items`` task: one item row per list item.

        The task itself goes RUNNING and gathers its items' outputs, in
        order, as its output once every item SUCCEEDED. The items start
        at once up to ``concurrency`` and are inserted in batches; the
        others wait PENDING with ``blocked_on='concurrency'``, their item
        kept as their ``run_state`` until they start.
        """
        scope = self.scope(self.spec.referenced_tasks(task['name']))
        items = task_spec.with_items
        if isinstance(items, str):
            items = expressions.render(items, scope)
        if not isinstance(items, list):
            raise exception.ExpressionError(
                expression=task_spec.with_items,
                reason=_('with_items must give a list, not %s') %
                type(items).__name__)
        limit = task_spec.concurrency or len(items)
        # Render and check the first items before changing anything.
        first = [self._inputs(task_spec, dict(scope, item=item,
                                              item_index=index))
                 for index, item in enumerate(items[:limit])]
        self.set_task(task, states.RUNNING, blocked_on=None, attempt=1,
                      started_at=self.now, details={'items': len(items)})
        if not items:
            self.task_succeeded(task, [])
            return
        queued = not tenant.is_builtin(task_spec.type)
        lease = None if queued else self.now + datetime.timedelta(
            seconds=CONF.engine.dispatch_timeout)
        rows = []
        for index, item in enumerate(items):
            row = {
                'id': uuidutils.generate_uuid(),
                'execution_id': self.execution_id, 'name': task['name'],
                'item_index': index, 'type': task_spec.type,
                'state': states.PENDING,
                'blocked_on': states.BLOCKED_CONCURRENCY, 'attempt': 0,
                'run_state': {'item': item}, 'input': None,
                'owner': None, 'lease_expires_at': None,
                'started_at': None, 'created_at': self.now,
                'updated_at': self.now}
            if index < limit:
                row.update(state=states.RUNNING, attempt=1,
                           input=first[index], run_state=None,
                           started_at=self.now, lease_expires_at=lease,
                           blocked_on=states.BLOCKED_QUEUE if queued
                           else None)
                self.event('task', states.PENDING, states.RUNNING,
                           attempt=1, task=row,
                           details={'item_index': index})
                if task_spec.timeout:
                    self.timer(TASK_TIMEOUT, self.now + datetime.timedelta(
                        seconds=task_spec.timeout), row, {'attempt': 1})
                run = self._run(row, 1, first[index], None)
                if queued:
                    tenant.enqueue_in(self.c, run)
                    self._arm_queue_timeout(task_spec, row, 1)
                else:
                    self.dispatch.append(run)
            rows.append(row)
        for start in range(0, len(rows), _INSERT_CHUNK):
            self.c.execute(sa.insert(TASKS),
                           rows[start:start + _INSERT_CHUNK])

    def advance_fan_outs(self):
        """Start waiting items, or end fan-out tasks whose items ended."""
        names, self.fanouts = sorted(self.fanouts), set()
        self.tasks_by_name([n for n in names if n not in self.rows])
        for name in names:
            parent = self.rows.get(name)
            if parent is None or self.states.get(name) != states.RUNNING:
                continue
            counts = dict(self.c.execute(_ITEM_COUNTS, {
                'execution_id': self.execution_id, 'name': name}).all())
            if not any(counts.get(state) for state in _ACTIVE):
                outputs = self.c.execute(
                    sa.select(TASKS.c.output)
                    .where(TASKS.c.execution_id == self.execution_id,
                           TASKS.c.name == name, TASKS.c.item_index >= 0)
                    .order_by(TASKS.c.item_index)).scalars().all()
                self.task_succeeded(parent, outputs)
            else:
                self._start_waiting_items(name, counts)
            if self.finished:
                return

    def _start_waiting_items(self, name, counts):
        task_spec = self.spec.tasks[name]
        if self.paused or not counts.get(states.PENDING):
            return
        free = task_spec.concurrency - sum(
            counts.get(state, 0) for state in _STARTED)
        if free <= 0:
            return
        items = self.c.execute(_PENDING_ITEMS, {
            'execution_id': self.execution_id, 'name': name,
            'free': free}).mappings().all()
        scope = self.scope(self.spec.referenced_tasks(name))
        for row in items:
            item = dict(row)
            try:
                inputs = self._inputs(task_spec, dict(
                    scope, item=item['run_state']['item'],
                    item_index=item['item_index']))
            except exception.ConvectionException as exc:
                self.end_task(item, states.FAILED, _error(
                    _('Inputs of item %(index)d of task %(task)s are '
                      'invalid: %(err)s') % {'index': item['item_index'],
                                             'task': name, 'err': exc},
                    type(exc).__name__, retryable=False))
                return
            except jsonschema.ValidationError as exc:
                self.end_task(item, states.FAILED, _error(
                    _('Inputs of item %(index)d of task %(task)s do not '
                      'match the input schema of task type %(type)s: '
                      '%(err)s') % {'index': item['item_index'],
                                    'task': name, 'type': task_spec.type,
                                    'err': exc.message},
                    'InvalidTaskInput', retryable=False))
                return
            self.run_task(item, inputs, 1, run_state=None)

    def _condition_holds(self, task_spec):
        when = task_spec.when
        if when is None or isinstance(when, bool):
            return when is not False
        return bool(expressions.render(when, self.scope(
            self.spec.referenced_tasks(task_spec.name))))

    def skip_task(self, task, details):
        self.set_task(task, states.SKIPPED, blocked_on=None,
                      finished_at=self.now, details=details)
        self.settled.append(task['name'])

    def run_task(self, task, inputs, attempt, run_state):
        """Mark a task RUNNING under a lease and queue its dispatch.

        A task of a tenant task type goes on its type's work queue instead
        (``blocked_on='queue'`` until a worker claims it); the work item's
        own lease replaces the conductor lease.
        """
        task_spec = self.spec.tasks[task['name']]
        if task_spec.type == child.TYPE:
            self._start_child(task, inputs, attempt)
            return
        queued = not tenant.is_builtin(task_spec.type)
        values = {'blocked_on': None, 'attempt': attempt,
                  # No owner until a conductor renews the lease, which is
                  # its acknowledgement (see expire_lease).
                  'owner': None,
                  'lease_expires_at': self.now + datetime.timedelta(
                      seconds=CONF.engine.dispatch_timeout),
                  'run_state': run_state}
        if queued:
            values.update(blocked_on=states.BLOCKED_QUEUE, owner=None,
                          lease_expires_at=None)
        if inputs is not None:
            values['input'] = inputs
        if task.get('started_at') is None:
            values['started_at'] = self.now
        new_attempt = attempt != task['attempt']
        self.set_task(task, states.RUNNING, **values)
        if new_attempt and task_spec.timeout:
            self.timer(TASK_TIMEOUT, self.now + datetime.timedelta(
                seconds=task_spec.timeout), task, {'attempt': attempt})
        if inputs is None:
            inputs = self.c.execute(sa.select(TASKS.c.input).where(
                TASKS.c.id == task['id'])).scalar()
        run = self._run(task, attempt, inputs, run_state)
        if queued:
            tenant.enqueue_in(self.c, run)
            self._arm_queue_timeout(task_spec, task, attempt)
        else:
            self.dispatch.append(run)

    def _start_child(self, task, inputs, attempt):
        """Run a ``flow`` task: store its child execution, PENDING.

        The engine starts the child after the commit; the task stays
        RUNNING, without a lease, until the child reports its end.
        """
        task_spec = self.spec.tasks[task['name']]
        if inputs is None:
            inputs = self.c.execute(sa.select(TASKS.c.input).where(
                TASKS.c.id == task['id'])).scalar()
        try:
            child_id = child.create(self.c, self.execution, task, inputs)
        except exception.ConvectionException as exc:
            self.end_task(task, states.FAILED, _error(
                _('Task %(task)s cannot start its child flow: %(err)s') %
                {'task': task['name'], 'err': exc},
                type(exc).__name__, retryable=False))
            return
        # run_state names the child, for the sweeper (lost_child_results).
        values = {'blocked_on': None, 'attempt': attempt, 'owner': None,
                  'lease_expires_at': None, 'input': inputs,
                  'run_state': {'child_execution_id': child_id}}
        if task.get('started_at') is None:
            values['started_at'] = self.now
        new_attempt = attempt != task['attempt']
        self.set_task(task, states.RUNNING,
                      details={'child_execution_id': child_id}, **values)
        if new_attempt and task_spec.timeout:
            self.timer(TASK_TIMEOUT, self.now + datetime.timedelta(
                seconds=task_spec.timeout), task, {'attempt': attempt})
        self.start.append(child_id)

    def _arm_queue_timeout(self, task_spec, task, attempt):
        if task_spec.queue_timeout:
            self.timer(QUEUE_TIMEOUT, self.now + datetime.timedelta(
                seconds=task_spec.queue_timeout), task, {'attempt': attempt})

    def _run(self, task, attempt, inputs, run_state):
        """The ``run_tasks`` payload of one task run."""
        return {
            'id': task['id'], 'execution_id': self.execution_id,
            'name': task['name'], 'type': self.spec.tasks[task['name']].type,
            'attempt': attempt, 'input': inputs, 'run_state': run_state,
            'project_id': self.execution['project_id'],
            'user_id': self.execution['user_id'],
            'trust_id': self.execution['trust_id'],
        }

    def redispatch(self, task):
        """Send a RUNNING attempt no conductor acknowledged once more.

        The same attempt, not a new one: nothing ran it as far as anyone
        knows. If the first dispatch did arrive after all, whichever result
        comes first counts and the other is ignored as stale.
        """
        self.c.execute(_task_update(frozenset(['lease_expires_at'])), {
            'task_id': task['id'], 'state': states.RUNNING,
            'updated_at': self.now,
            'lease_expires_at': self.now + datetime.timedelta(
                seconds=CONF.engine.dispatch_timeout)})
        self.dispatch.append(self._run(task, task['attempt'], task['input'],
                                       task['run_state']))

    def task_succeeded(self, task, output):
        task_spec = self.spec.tasks[task['name']]
        if task_spec.publish:
            try:
                self.publish(task_spec, output)
            except exception.ConvectionException as exc:
                self.task_failed(task, _error(
                    _('Task %(task)s succeeded but what it publishes '
                      'cannot be rendered: %(err)s') %
                    {'task': task['name'], 'err': exc},
                    type(exc).__name__, retryable=False))
                return
        self.set_task(task, states.SUCCEEDED, output=output, error=None,
                      run_state=None, owner=None, lease_expires_at=None,
                      finished_at=self.now)
        self._drop_timeout_timer(task)
        self.settled.append(task['name'])

    def publish(self, task_spec, output):
        """Merge the task's ``publish`` into the execution context."""
        values = expressions.render(task_spec.publish, self.scope(
            self.spec.referenced_tasks(task_spec.name), result=output))
        self.set_context(**values)

    def task_waits(self, task, delay, run_state):
        self.set_task(task, states.WAITING, blocked_on=states.BLOCKED_TIMER,
                      run_state=run_state, owner=None, lease_expires_at=None,
                      details={'delay': delay})
        self.timer(TASK_WAKEUP, self.now + datetime.timedelta(seconds=delay),
                   task, {'attempt': task['attempt']})

    def task_failed(self, task, error, to_state=states.FAILED):
        """An attempt failed or timed out: retry it or end the task."""
        # A worker still holding the attempt's work item must stop.
        tenant.cancel_in(self.c, [task['id']])
        if to_state == states.TIMED_OUT and task['state'] in _STARTED:
            self.cancel_run(task)
        delay = specs.retry_delay(self.spec.tasks[task['name']], error,
                                  task['attempt'] - self._retried_at(task))
        if delay is None:
            self.end_task(task, to_state, error)
            return
        self._drop_timers(task)
        self.set_task(task, states.WAITING,
                      blocked_on=states.BLOCKED_BACKOFF, error=error,
                      run_state=None, owner=None, lease_expires_at=None,
                      details={'error': error, 'retry_in': delay,
                               'outcome': to_state})
        self.timer(TASK_RETRY, self.now + datetime.timedelta(seconds=delay),
                   task, {'attempt': task['attempt']})

    def _retried_at(self, task):
        """The attempt count when the execution was last retried, or 0.

        Each retry of the execution gives a task its full retry policy
        again, while its attempt numbers keep growing.
        """
        return self.c.execute(
            sa.select(sa.func.max(EVENTS.c.attempt)).where(
                EVENTS.c.execution_id == self.execution_id,
                EVENTS.c.task_execution_id == task['id'],
                EVENTS.c.to_state == states.PENDING)).scalar() or 0

    def cancel_run(self, task):
        """Have the conductor call the task type's ``cancel``."""
        task_type = task.get('type') or self.spec.tasks[task['name']].type
        if task_type == child.TYPE:
            # Cancelling the child is its clean-up.
            self.stop.extend(child.active_children(self.c, [task['id']]))
            return
        if not tenant.is_builtin(task_type):
            # Its worker learns it from its work item (tenant.cancel_in).
            return
        self.cancel.append({
            'id': task['id'], 'execution_id': self.execution_id,
            'name': task['name'], 'type': task_type,
            'attempt': task['attempt'], 'input': task.get('input'),
            'run_state': task.get('run_state'),
            'project_id': self.execution['project_id'],
            'user_id': self.execution['user_id'],
            'trust_id': self.execution['trust_id'],
        })

    def end_task(self, task, to_state, error):
        """The task failed for good.

        Unless it has ``continue_on_failure`` (its dependants run) or
        ``on_failure`` handlers (they run, its dependants are skipped),
        the execution fails at once (fail fast).
        """
        self._drop_timers(task)
        self.set_task(task, to_state, error=error, owner=None,
                      lease_expires_at=None, finished_at=self.now,
                      details={'error': error})
        if task.get('item_index', _PLAIN) != _PLAIN:
            self._item_failed(task, to_state, error)
            return
        task_spec = self.spec.tasks[task['name']]
        if task_spec.continue_on_failure or task_spec.on_failure:
            self.settled.append(task['name'])
            return
        self.fail_execution(
            _('Task %(task)s ended %(state)s: %(err)s') %
            {'task': task['name'], 'state': to_state,
             'err': error['message']},
            task=task['name'])

    def _item_failed(self, item, to_state, error):
        """An item failed for good: its other items stop, its task fails."""
        name = item['name']
        self.close_active_tasks(pending_to=states.SKIPPED, name=name,
                                items_only=True)
        self.fanouts.discard(name)
        parent = self.rows.get(name) or self.tasks_by_name([name])[name]
        self.end_task(parent, to_state, dict(error, message=_(
            'Item %(index)d of task %(task)s ended %(state)s: %(err)s') % {
            'index': item['item_index'], 'task': name, 'state': to_state,
            'err': error['message']}, item_index=item['item_index']))

    def _drop_timeout_timer(self, task):
        if self.spec.tasks[task['name']].timeout:
            self.c.execute(sa.delete(TIMERS).where(
                TIMERS.c.task_execution_id == task['id'],
                TIMERS.c.kind == TASK_TIMEOUT))

    def _drop_timers(self, task):
        self.c.execute(sa.delete(TIMERS).where(
            TIMERS.c.task_execution_id == task['id']))

    def settle(self):
        """Finish what this transaction's task changes lead to."""
        if self.finished:
            return
        if self.fanouts:
            self.advance_fan_outs()
        if self.settled:
            self.propagate()
        if not self.finished and not self.dispatch:
            self.finish_if_done()

    def propagate(self):
        """Start or skip the dependants of the tasks that settled.

        A PENDING task is decided once its requirements allow it:

        * ``join: all`` (default): it starts when every requirement is
          *satisfied* (SUCCEEDED, or FAILED/TIMED_OUT with
          ``continue_on_failure``); it is SKIPPED as soon as one ended
          otherwise (SKIPPED, or failed and handled by ``on_failure``).
        * ``join: any``: it starts when one requirement is satisfied; it
          is SKIPPED when all ended and none is.
        * A failure handler starts when the task it handles failed for
          good, and is SKIPPED when that task ended any other way.

        Skipping settles the task in turn, so skips flow down the graph.
        """
        while self.settled and not self.finished:
            candidates = set()
            for name in self.settled:
                candidates.update(self.spec.dependants(name))
                candidates.update(self.spec.tasks[name].on_failure)
            self.settled = []
            needed = set(candidates)
            for name in candidates:
                task_spec = self.spec.tasks[name]
                needed.update(task_spec.requires)
                if task_spec.handles:
                    needed.add(task_spec.handles)
            self.tasks_by_name({n for n in needed if n not in self.states}
                               | {n for n in candidates
                                  if n not in self.rows})
            for name in sorted(candidates):
                if self.states.get(name) != states.PENDING:
                    continue
                decision, details = self._decide(self.spec.tasks[name])
                if decision is None:
                    continue
                task = self.rows[name]
                if decision:
                    self.start_task(task)
                else:
                    self.skip_task(task, details)
                if self.finished:
                    return

    def _decide(self, task_spec):
        """True: start it; False: skip it; None: not yet."""
        if task_spec.handles:
            state = self.states.get(task_spec.handles)
            if state in _FAILED:
                return True, None
            if state in states.TASK_TERMINAL_STATES:
                return False, {'reason': 'not_triggered',
                               'task': task_spec.handles}
            return None, None
        satisfied, unsatisfied = [], []
        for name in task_spec.requires:
            state = self.states.get(name)
            if state == states.SUCCEEDED or (
                    state in _FAILED and
                    self.spec.tasks[name].continue_on_failure):
                satisfied.append(name)
            elif state in states.TASK_TERMINAL_STATES:
                unsatisfied.append(name)
        if task_spec.join == dsl_schema.JOIN_ANY:
            if satisfied:
                return True, None
            if len(unsatisfied) == len(task_spec.requires):
                return False, {'reason': 'requirements_not_met',
                               'tasks': unsatisfied}
            return None, None
        if unsatisfied:
            return False, {'reason': 'requirements_not_met',
                           'tasks': unsatisfied}
        if len(satisfied) == len(task_spec.requires):
            return True, None
        return None, None

    # Executions

    def close_active_tasks(self, pending_to, name=None, items_only=False):
        """End every active task and delete the execution's timers.

        PENDING tasks go to ``pending_to``, started ones to CANCELLED.

        :param name: only the task (and items) of this name, and only
            their timers.
        :param items_only: only fan-out items.
        """
        where = [TASKS.c.execution_id == self.execution_id]
        if name is not None:
            where.append(TASKS.c.name == name)
        if items_only:
            where.append(TASKS.c.item_index >= 0)
        rows = self.c.execute(
            sa.select(TASKS.c.id, TASKS.c.name, TASKS.c.state,
                      TASKS.c.attempt, TASKS.c.type, TASKS.c.input,
                      TASKS.c.run_state, TASKS.c.item_index)
            .where(TASKS.c.state.in_(_ACTIVE), *where)).mappings().all()
        for row in rows:
            to_state = pending_to if row['state'] == states.PENDING \
                else states.CANCELLED
            self.event('task', row['state'], to_state,
                       attempt=row['attempt'], task=row)
            if row['item_index'] == _PLAIN:
                self.states[row['name']] = to_state
            # A fan-out task runs nothing itself: its items clean up.
            if row['state'] in _STARTED and row['input'] is not None:
                self.cancel_run(row)
        tenant.cancel_in(self.c, [row['id'] for row in rows
                                  if row['state'] in _STARTED])
        for from_states, to_state in (((states.PENDING,), pending_to),
                                      (_STARTED, states.CANCELLED)):
            self.c.execute(sa.update(TASKS).where(
                TASKS.c.state.in_(from_states), *where).values(
                    state=to_state, blocked_on=None, owner=None,
                    lease_expires_at=None, finished_at=self.now,
                    updated_at=self.now))
        timers = sa.delete(TIMERS).where(
            TIMERS.c.execution_id == self.execution_id)
        if name is not None:
            timers = timers.where(TIMERS.c.task_execution_id.in_(
                [row['id'] for row in rows]))
        self.c.execute(timers)

    def fail_execution(self, message, task=None):
        self.close_active_tasks(pending_to=states.SKIPPED)
        error = {'message': message}
        if task is not None:
            error['task'] = task
        self.set_execution(states.FAILED, error=error, finished_at=self.now)

    def time_out(self):
        """The flow's own timeout passed: stop everything."""
        self.close_active_tasks(pending_to=states.SKIPPED)
        self.set_execution(
            states.TIMED_OUT, stop_reason='timeout', finished_at=self.now,
            error={'message': _('The execution did not finish within its '
                                'timeout of %s seconds.') %
                   self.spec.timeout})

    # Repeating flows

    def _end_iteration(self):
        """All tasks of a ``repeat`` iteration ended.

        :returns: None when the next iteration is scheduled, else the
            ``stop_reason`` the execution succeeds with.
        """
        repeat = self.spec.repeat
        loop = dict(self.context().get('repeat') or {})
        if repeat.get('until'):
            names = list(self.spec.tasks)
            if bool(expressions.render(repeat['until'], self.scope(names))):
                return 'until'
        if repeat.get('max_iterations') and \
                loop.get('iteration', 1) >= repeat['max_iterations']:
            return 'max_iterations'
        started = datetime.datetime.fromisoformat(loop['started_at'])
        self.timer(REPEAT, max(self.now, started + datetime.timedelta(
            seconds=repeat['every'])))
        return None

    def start_iteration(self, first=False):
        """Record the start of an iteration, trimming old history.

        The events of the tasks of iterations older than the last
        ``keep`` are deleted; ``ctx.repeat`` keeps the counters:
        ``iteration`` (from 1) and ``pruned_events``.
        """
        loop = dict(self.context().get('repeat') or {})
        starts = loop.get('starts', []) + [self.now.isoformat()]
        keep = self.spec.repeat['keep']
        if len(starts) > keep:
            cutoff = datetime.datetime.fromisoformat(starts[-keep])
            pruned = self.c.execute(sa.delete(EVENTS).where(
                EVENTS.c.execution_id == self.execution_id,
                EVENTS.c.kind == 'task',
                EVENTS.c.created_at < cutoff)).rowcount
            loop['pruned_events'] = loop.get('pruned_events', 0) + pruned
            starts = starts[-keep:]
        loop.update(iteration=1 if first else loop.get('iteration', 1) + 1,
                    started_at=self.now.isoformat(), starts=starts)
        self.set_context(repeat=loop)

    def next_iteration(self):
        """Run every task of a ``repeat`` flow again."""
        self.start_iteration()
        rows = self.c.execute(
            sa.select(TASKS.c.id, TASKS.c.name, TASKS.c.state,
                      TASKS.c.attempt, TASKS.c.started_at)
            .where(TASKS.c.execution_id == self.execution_id,
                   TASKS.c.item_index == _PLAIN)).mappings().all()
        iteration = self.context()['repeat']['iteration']
        for row in rows:
            task = dict(row, started_at=None, state=states.PENDING)
            # Also gives the task its full retry policy again.
            self.event('task', row['state'], states.PENDING,
                       attempt=row['attempt'], task=row,
                       details={'iteration': iteration})
            self.states[task['name']] = states.PENDING
            self.rows[task['name']] = task
        self.c.execute(sa.delete(TASKS).where(
            TASKS.c.execution_id == self.execution_id,
            TASKS.c.item_index >= 0))
        self.c.execute(sa.update(TASKS).where(
            TASKS.c.execution_id == self.execution_id).values(
                state=states.PENDING, blocked_on=states.BLOCKED_DEPENDENCY,
                output=None, error=None, run_state=None, owner=None,
                lease_expires_at=None, started_at=None, finished_at=None,
                updated_at=self.now))
        for name in self.spec.roots:
            self.start_task(self.rows[name])
            if self.finished:
                return

    def set_context(self, **values):
        self._context = dict(self.context(), **values)
        self.c.execute(sa.update(EXECUTIONS).where(
            EXECUTIONS.c.id == self.execution_id).values(
                context=self._context))

    def finish_if_done(self):
        if self.paused:
            # It ends when it resumes.
            return
        active = self.c.execute(
            sa.select(sa.func.count()).select_from(TASKS).where(
                TASKS.c.execution_id == self.execution_id,
                TASKS.c.state.in_(_ACTIVE))).scalar()
        if active:
            return
        stop_reason = None
        if self.spec.repeat:
            try:
                stop_reason = self._end_iteration()
            except exception.ConvectionException as exc:
                self.fail_execution(
                    _('The repeat until expression failed: %s') % exc)
                return
            if stop_reason is None:
                return
        output = None
        if self.spec.output is not None:
            try:
                output = expressions.render(
                    self.spec.output,
                    self.scope(self.spec.output_references))
            except exception.ConvectionException as exc:
                self.fail_execution(
                    _('The flow output could not be rendered: %s') % exc)
                return
        if self.spec.timeout or self.spec.run_for:
            # Only the flow's own timers can be left.
            self.c.execute(sa.delete(TIMERS).where(
                TIMERS.c.execution_id == self.execution_id))
        self.set_execution(states.SUCCEEDED, output=output,
                           stop_reason=stop_reason, finished_at=self.now)

    def run_for_elapsed(self):
        """The flow's ``run_for`` passed: stop and call it a success."""
        self.close_active_tasks(pending_to=states.SKIPPED)
        output = None
        if self.spec.output is not None:
            try:
                output = expressions.render(
                    self.spec.output,
                    self.scope(self.spec.output_references))
            except exception.ConvectionException as exc:
                # Tasks cut short have no result to show.
                LOG.info('Execution %(id)s ran for its duration; its '
                         'output cannot be rendered: %(err)s',
                         {'id': self.execution_id, 'err': exc})
        self.set_execution(states.SUCCEEDED, output=output,
                           stop_reason='duration_elapsed',
                           finished_at=self.now)


# Hot-path statements, built once (see _task_update).
_TASKS_BY_NAME = sa.select(
    TASKS.c.id, TASKS.c.name, TASKS.c.state, TASKS.c.attempt, TASKS.c.type,
    TASKS.c.started_at).where(
        TASKS.c.execution_id == sa.bindparam('execution_id'),
        TASKS.c.item_index == _PLAIN,
        TASKS.c.name.in_(sa.bindparam('names', expanding=True)))

# A fan-out's items, through task_executions_items_idx: what a new result
# reads stays the same size however many of its items already ended.
def _items_where(state_clause):
    return (TASKS.c.execution_id == sa.bindparam('execution_id'),
            TASKS.c.name == sa.bindparam('name'), state_clause,
            TASKS.c.item_index >= 0)


# How many items are started, by state, and PENDING if any item is (1:
# counting them all would walk every pending item).
_ITEM_COUNTS = sa.union_all(
    sa.select(TASKS.c.state, sa.func.count())
    .where(*_items_where(TASKS.c.state.in_(_STARTED)))
    .group_by(TASKS.c.state),
    sa.select(sa.literal(states.PENDING), sa.literal(1)).where(
        sa.exists().where(*_items_where(TASKS.c.state == states.PENDING))))

# The next pending items, in item order.
_PENDING_ITEMS = (
    sa.select(TASKS.c.id, TASKS.c.name, TASKS.c.state, TASKS.c.attempt,
              TASKS.c.item_index, TASKS.c.run_state, TASKS.c.started_at)
    .where(*_items_where(TASKS.c.state == states.PENDING))
    .order_by(TASKS.c.item_index).limit(sa.bindparam('free')))

# UNION ALL, not OR: each half uses an index (an OR scans every task of
# the execution on SQLite). A task may come back twice. Every row also
# says whether the project has an enabled webhook: read after the lock,
# in the transaction that records the events, like the query it saves.
_RESULT_TASK_COLUMNS = (TASKS.c.id, TASKS.c.name, TASKS.c.state,
                        TASKS.c.attempt, TASKS.c.type, TASKS.c.started_at,
                        TASKS.c.item_index, webhooks_api.ANY_ENABLED)
_RESULT_TASKS = sa.union_all(
    sa.select(*_RESULT_TASK_COLUMNS).where(
        TASKS.c.execution_id == sa.bindparam('execution_id'),
        TASKS.c.id.in_(sa.bindparam('ids', expanding=True))),
    sa.select(*_RESULT_TASK_COLUMNS).where(
        TASKS.c.execution_id == sa.bindparam('execution_id'),
        TASKS.c.name.in_(sa.bindparam('names', expanding=True)),
        TASKS.c.item_index == _PLAIN))

_LOCK = sa.select(
    EXECUTIONS.c.id, EXECUTIONS.c.state, EXECUTIONS.c.flow_name,
    EXECUTIONS.c.flow_version_id, EXECUTIONS.c.input,
    EXECUTIONS.c.project_id, EXECUTIONS.c.user_id, EXECUTIONS.c.trust_id,
    EXECUTIONS.c.parent_id, EXECUTIONS.c.parent_task_id
).where(EXECUTIONS.c.id == sa.bindparam('execution_id'))
_LOCK_SKIP_LOCKED = _LOCK.with_for_update(skip_locked=True)
_LOCK = _LOCK.with_for_update()


@functools.lru_cache(maxsize=64)
def _task_update(keys):
    """``UPDATE task_executions`` of one task, built once per column set.

    Building and hashing a new statement for every transition costs more
    than running it; the few column sets the engine uses are cached.
    """
    columns = {key: sa.bindparam(key) for key in keys}
    columns.update(state=sa.bindparam('state'),
                   updated_at=sa.bindparam('updated_at'))
    return sa.update(TASKS).where(
        TASKS.c.id == sa.bindparam('task_id')).values(columns)


def _error(message, error_type, retryable=True, details=None):
    error = {'message': message, 'type': error_type,
             'retryable': retryable}
    if details is not None:
        error['details'] = details
    return error


def _lock_execution(conn, execution_id, skip_locked=False):
    """Lock the execution row (SELECT ... FOR UPDATE) and read it.

    :param skip_locked: for sweeps: if another engine holds the row,
        answer None at once instead of waiting (PostgreSQL, MariaDB; SQLite
        serializes writers anyway).
    """
    query = _LOCK_SKIP_LOCKED if skip_locked else _LOCK
    row = conn.execute(
        query, {'execution_id': execution_id}).mappings().first()
    return dict(row) if row is not None else None


def _open(conn, execution_id, host, expected_states,
          skip_locked=False):
    """Lock the execution; a transition if it is in ``expected_states``."""
    execution = _lock_execution(conn, execution_id, skip_locked)
    if execution is None:
        LOG.debug('Execution %s is gone', execution_id)
        return None
    if execution['state'] not in expected_states:
        LOG.debug('Execution %(id)s is %(state)s, not %(expected)s',
                  {'id': execution_id, 'state': execution['state'],
                   'expected': expected_states})
        return None
    return _transition(conn, execution, host)


def _transition(conn, execution, host):
    """A transition of a locked execution.

    :returns: None if its flow is unusable (the execution is then failed).
    """
    reason = None
    spec = None
    if execution['flow_version_id'] is None:
        reason = _('The flow version of this execution was deleted.')
    else:
        try:
            spec = specs.get(conn, execution['flow_version_id'])
        except exception.ConvectionException as exc:
            reason = _('The flow definition cannot be used: %s') % exc
        if spec is None and reason is None:
            reason = _('The flow version of this execution was deleted.')
    tr = _Transition(conn, execution, spec, host)
    if reason is not None:
        tr.fail_execution(reason)
        tr.flush()
        return None
    return tr


def _arm_flow_timers(tr):
    for kind, seconds in ((EXECUTION_TIMEOUT, tr.spec.timeout),
                          (RUN_FOR, tr.spec.run_for)):
        if seconds:
            tr.timer(kind, tr.now + datetime.timedelta(seconds=seconds))


@_retry_on_db_error
def start_execution(execution_id, host):
    """PENDING -> RUNNING: create the tasks, start the roots.

    :returns: an :class:`Outcome`; its ``execution`` is None when nothing
        was done (not PENDING any more, or gone).
    """
    with session.writer_connection() as conn:
        tr = _open(conn, execution_id, host, (states.PENDING,))
        if tr is None:
            return NOTHING
        tr.set_execution(states.RUNNING, started_at=tr.now)
        _arm_flow_timers(tr)
        if tr.spec.repeat:
            tr.start_iteration(first=True)
        rows = []
        for name, task_spec in tr.spec.tasks.items():
            rows.append({
                'id': uuidutils.generate_uuid(), 'execution_id': execution_id,
                'name': name, 'item_index': _PLAIN, 'type': task_spec.type,
                'state': states.PENDING,
                'blocked_on': states.BLOCKED_DEPENDENCY, 'attempt': 0,
                'created_at': tr.now,
            })
        if rows:
            conn.execute(sa.insert(TASKS), rows)
        for row in rows:
            tr.states[row['name']] = states.PENDING
            tr.rows[row['name']] = dict(row, started_at=None)
        for name in tr.spec.roots:
            tr.start_task(tr.rows[name])
            if tr.finished:
                break
        tr.settle()
        tr.flush()
        return tr.outcome()


@_retry_on_db_error
def cancel_execution(execution_id, host):
    """Cancel an execution that has not finished, and its tasks.

    :returns: an :class:`Outcome` (``execution`` None if it had already
        finished); ``cancel`` lists the runs that were in progress.
    """
    with session.writer_connection() as conn:
        execution = _lock_execution(conn, execution_id)
        if execution is None or \
                execution['state'] in states.EXECUTION_TERMINAL_STATES:
            return NOTHING
        tr = _Transition(conn, execution, None, host)
        tr.close_active_tasks(pending_to=states.CANCELLED)
        tr.set_execution(states.CANCELLED, stop_reason='cancelled',
                         finished_at=tr.now)
        tr.flush()
        return tr.outcome()


@_retry_on_db_error
def pause_execution(execution_id, host):
    """RUNNING -> PAUSED: tasks in progress go on, no new task starts.

    Tasks that become ready meanwhile stay PENDING with
    ``blocked_on='paused'``; retry and wake-up timers wait for the resume.
    """
    with session.writer_connection() as conn:
        tr = _open(conn, execution_id, host, (states.RUNNING,))
        if tr is None:
            return NOTHING
        tr.set_execution(states.PAUSED)
        tr.pause.extend(tr.children())
        tr.flush()
        return tr.outcome()


@_retry_on_db_error
def resume_execution(execution_id, host):
    """PAUSED -> RUNNING: start the tasks that became ready meanwhile."""
    with session.writer_connection() as conn:
        tr = _open(conn, execution_id, host, (states.PAUSED,))
        if tr is None:
            return NOTHING
        tr.set_execution(states.RUNNING)
        tr.resume.extend(tr.children())
        rows = conn.execute(
            sa.select(TASKS.c.id, TASKS.c.name, TASKS.c.state,
                      TASKS.c.attempt, TASKS.c.started_at)
            .where(TASKS.c.execution_id == execution_id,
                   TASKS.c.state == states.PENDING,
                   TASKS.c.blocked_on == states.BLOCKED_PAUSED)
        ).mappings().all()
        for row in rows:
            task = dict(row)
            tr.states[task['name']] = task['state']
            tr.rows[task['name']] = task
        for task in list(tr.rows.values()):
            tr.start_task(task)
            if tr.finished:
                break
        # Fan-outs start the items they held back.
        tr.fanouts.update(name for name, task_spec in tr.spec.tasks.items()
                          if task_spec.with_items is not None)
        tr.settle()
        tr.flush()
        return tr.outcome()


@_retry_on_db_error
def retry_execution(execution_id, host, flow_version_id=None,
                    flow_version=None, trust_id=None):
    """Run a FAILED or TIMED_OUT execution again from where it failed.

    Tasks that SUCCEEDED keep their results; every other task goes back
    to PENDING (its attempt count goes on, so late results of the earlier
    run stay stale) and the flow resumes from there.

    :param flow_version_id: move to this flow version (the caller checked
        with :func:`specs.check_retry_compatible` that it keeps the
        succeeded tasks); None keeps the execution's version.
    :param flow_version: that version's number.
    :param trust_id: a new trust for the run, taken only when the
        execution has none left (the engine deleted it when it failed).
    """
    with session.writer_connection() as conn:
        execution = _lock_execution(conn, execution_id)
        if execution is None or \
                execution['state'] not in transitions.RETRY_EXECUTION_FROM:
            return NOTHING
        if flow_version_id is not None and \
                flow_version_id != execution['flow_version_id']:
            conn.execute(sa.update(EXECUTIONS).where(
                EXECUTIONS.c.id == execution_id).values(
                    flow_version_id=flow_version_id,
                    flow_version=flow_version))
            execution = dict(execution, flow_version_id=flow_version_id)
        tr = _Transition(conn, execution, None, host)
        tr.spec = specs.get(conn, execution['flow_version_id'])
        if tr.spec is None:
            return NOTHING
        values = {}
        if trust_id is not None and execution.get('trust_id') is None:
            values['trust_id'] = trust_id
        conn.execute(sa.update(EXECUTIONS).where(
            EXECUTIONS.c.id == execution_id).values(
                state=states.RUNNING, error=None, output=None,
                stop_reason=None, finished_at=None, updated_at=tr.now,
                **values))
        execution = dict(execution, **values)
        tr.event('execution', execution['state'], states.RUNNING,
                 details={'reason': 'retry'})
        tr.execution = dict(execution, state=states.RUNNING)
        _arm_flow_timers(tr)
        rows = conn.execute(
            sa.select(TASKS.c.id, TASKS.c.name, TASKS.c.state,
                      TASKS.c.attempt, TASKS.c.started_at)
            .where(TASKS.c.execution_id == execution_id,
                   TASKS.c.item_index == _PLAIN)).mappings().all()
        existing = {row['name']: dict(row) for row in rows}
        new_rows = []
        for name, task_spec in tr.spec.tasks.items():
            if name not in existing:
                new_rows.append({
                    'id': uuidutils.generate_uuid(),
                    'execution_id': execution_id, 'name': name,
                    'item_index': _PLAIN, 'type': task_spec.type,
                    'state': states.PENDING,
                    'blocked_on': states.BLOCKED_DEPENDENCY, 'attempt': 0,
                    'created_at': tr.now})
        if new_rows:
            conn.execute(sa.insert(TASKS), new_rows)
        reset = [task for name, task in existing.items()
                 if name in tr.spec.tasks and
                 task['state'] in transitions.RETRY_TASK_FROM]
        for task in reset:
            tr.event('task', task['state'], states.PENDING,
                     attempt=task['attempt'], task=task,
                     details={'reason': 'retry'})
            task.update(state=states.PENDING, started_at=None)
        if reset:
            # Fan-outs make their items again.
            conn.execute(sa.delete(TASKS).where(
                TASKS.c.execution_id == execution_id,
                TASKS.c.item_index >= 0,
                TASKS.c.name.in_([task['name'] for task in reset])))
            conn.execute(sa.update(TASKS).where(
                TASKS.c.id.in_([task['id'] for task in reset])).values(
                    state=states.PENDING,
                    blocked_on=states.BLOCKED_DEPENDENCY, output=None,
                    error=None, run_state=None, owner=None,
                    lease_expires_at=None, started_at=None,
                    finished_at=None, updated_at=tr.now))
        for task in list(existing.values()) + [
                dict(row, started_at=None) for row in new_rows]:
            if task['name'] in tr.spec.tasks:
                tr.states[task['name']] = task['state']
                tr.rows[task['name']] = task
        for name in tr.spec.roots:
            if tr.states[name] == states.PENDING:
                tr.start_task(tr.rows[name])
                if tr.finished:
                    break
        tr.settled.extend(name for name, state in tr.states.items()
                          if state == states.SUCCEEDED)
        tr.settle()
        tr.flush()
        return tr.outcome()


@_retry_on_db_error
def apply_results(execution_id, results, host):
    """Apply task results of one execution in one transaction.

    :param results: result dicts as ``EngineAPI.report_task_results``
        describes them.
    :returns: an :class:`Outcome`.
    """
    with session.writer_connection() as conn:
        tr = _open(conn, execution_id, host, _OPEN)
        if tr is None:
            return NOTHING
        ids = sorted({r['task_id'] for r in results})
        names = {r.get('name') for r in results}
        neighbours = set()
        if all(name in tr.spec.tasks for name in names):
            # One query reads the tasks and what their ends decide.
            for name in names:
                neighbours |= tr.spec.neighbours(name)
        rows = tr.c.execute(_RESULT_TASKS, {
            'execution_id': execution_id, 'ids': ids,
            'names': sorted(neighbours),
            'project_id': tr.execution['project_id']}).mappings()
        tasks = {}
        for row in rows:
            if row['id'] in tasks:
                continue
            task = dict(row)
            tr.any_webhook = bool(task.pop('any_webhook'))
            tasks[task['id']] = task
            if task['item_index'] == _PLAIN:
                tr.rows[task['name']] = task
                tr.states[task['name']] = task['state']
        for result in results:
            task = tasks.get(result['task_id'])
            if task is None or task['state'] != states.RUNNING or \
                    task['attempt'] != result['attempt']:
                LOG.debug('Ignoring a stale result for task %(task)s '
                          'attempt %(attempt)s',
                          {'task': result['task_id'],
                           'attempt': result['attempt']})
                continue
            status = result['status']
            if status == 'succeeded':
                tr.task_succeeded(task, result.get('output'))
            elif status == 'wait':
                tr.task_waits(task, float(result['delay']),
                              result.get('run_state'))
            else:
                error = result.get('error') or {}
                tr.task_failed(task, _error(
                    error.get('message') or _('The task failed.'),
                    error.get('type') or 'TaskError',
                    retryable=error.get('retryable', True),
                    details=error.get('details')))
            if tr.finished:
                break
        tr.settle()
        tr.flush()
        return tr.outcome()


@_retry_on_db_error
def fire_timers(execution_id, host, now=None):
    """Fire the execution's due timers (they are deleted as they fire).

    While the execution is PAUSED only its timeouts and ``run_for`` fire.

    :returns: an :class:`Outcome`.
    """
    now = now or timeutils.utcnow()
    with session.writer_connection() as conn:
        # Another engine busy with this execution fires them, or the next
        # sweep does.
        execution = _lock_execution(conn, execution_id, skip_locked=True)
        if execution is None:
            return NOTHING
        query = (sa.select(TIMERS.c.id, TIMERS.c.kind,
                           TIMERS.c.task_execution_id, TIMERS.c.payload)
                 .where(TIMERS.c.execution_id == execution_id,
                        TIMERS.c.fire_at <= now)
                 .order_by(TIMERS.c.fire_at))
        if execution['state'] == states.PAUSED:
            query = query.where(TIMERS.c.kind.in_(_FIRE_WHEN_PAUSED))
        due = conn.execute(query).mappings().all()
        if not due:
            return NOTHING
        conn.execute(sa.delete(TIMERS).where(
            TIMERS.c.id.in_([t['id'] for t in due])))
        if execution['state'] not in _OPEN:
            return NOTHING
        tr = _transition(conn, execution, host)
        if tr is None:
            return NOTHING
        rows = conn.execute(
            sa.select(TASKS.c.id, TASKS.c.name, TASKS.c.state,
                      TASKS.c.attempt, TASKS.c.blocked_on, TASKS.c.input,
                      TASKS.c.run_state, TASKS.c.started_at,
                      TASKS.c.item_index)
            .where(TASKS.c.id.in_(
                sorted({t['task_execution_id'] for t in due
                        if t['task_execution_id'] is not None})))).mappings()
        tasks = {row['id']: dict(row) for row in rows}
        for timer in due:
            if timer['kind'] == EXECUTION_TIMEOUT:
                tr.time_out()
                break
            if timer['kind'] == RUN_FOR:
                tr.run_for_elapsed()
                break
            if timer['kind'] == REPEAT:
                tr.next_iteration()
                continue
            task = tasks.get(timer['task_execution_id'])
            attempt = (timer['payload'] or {}).get('attempt')
            if task is None or task['attempt'] != attempt:
                continue
            if task['item_index'] == _PLAIN:
                tr.rows[task['name']] = task
                tr.states[task['name']] = task['state']
            _fire(tr, timer['kind'], task)
            if tr.finished:
                break
        tr.settle()
        tr.flush()
        return tr.outcome()


def _fire(tr, kind, task):
    state, blocked_on = task['state'], task['blocked_on']
    if kind == TASK_WAKEUP and state == states.WAITING and \
            blocked_on == states.BLOCKED_TIMER:
        tr.run_task(task, None, task['attempt'], task['run_state'])
    elif kind == TASK_RETRY and state == states.WAITING and \
            blocked_on == states.BLOCKED_BACKOFF:
        tr.run_task(task, None, task['attempt'] + 1, run_state=None)
    elif kind == QUEUE_TIMEOUT and state == states.RUNNING and \
            blocked_on == states.BLOCKED_QUEUE:
        # No worker claimed the attempt in time (task_failed withdraws
        # its work item).
        tr.task_failed(task, _error(
            _('No worker of the queue of task %(task)s claimed it within '
              '%(timeout)s seconds.') %
            {'task': task['name'],
             'timeout': tr.spec.tasks[task['name']].queue_timeout},
            'QueueTimeout'), to_state=states.TIMED_OUT)
    elif kind == TASK_TIMEOUT and state in _STARTED and \
            blocked_on != states.BLOCKED_BACKOFF:
        timeout = tr.spec.tasks[task['name']].timeout
        tr.task_failed(task, _error(
            _('Task %(task)s did not finish within %(timeout)s seconds.')
            % {'task': task['name'], 'timeout': timeout},
            'TaskTimeout'), to_state=states.TIMED_OUT)


@_retry_on_db_error
def expire_lease(execution_id, task_id, host, now=None):
    """Handle a RUNNING task whose lease expired.

    If no conductor ever renewed the lease (``owner`` is still empty), the
    dispatch was lost (or the engine died before casting it): the same
    attempt is dispatched again. Otherwise the conductor running it died:
    the attempt counts as failed and is retried or failed per the task's
    retry policy.

    :returns: an :class:`Outcome`.
    """
    now = now or timeutils.utcnow()
    with session.writer_connection() as conn:
        tr = _open(conn, execution_id, host, _OPEN, skip_locked=True)
        if tr is None:
            return NOTHING
        task = conn.execute(
            sa.select(TASKS.c.id, TASKS.c.name, TASKS.c.state,
                      TASKS.c.attempt, TASKS.c.started_at, TASKS.c.owner,
                      TASKS.c.input, TASKS.c.run_state, TASKS.c.item_index)
            .where(TASKS.c.id == task_id,
                   TASKS.c.state == states.RUNNING,
                   TASKS.c.lease_expires_at < now)).mappings().first()
        if task is None:
            return NOTHING
        task = dict(task)
        if task['item_index'] == _PLAIN:
            tr.states[task['name']] = task['state']
            tr.rows[task['name']] = task
        if task['owner'] is None:
            LOG.warning('No conductor acknowledged task %(task)s attempt '
                        '%(attempt)d of execution %(exe)s; dispatching it '
                        'again', {'task': task['id'],
                                  'attempt': task['attempt'],
                                  'exe': execution_id})
            tr.redispatch(task)
        else:
            tr.task_failed(task, _error(
                _('Conductor %(owner)s stopped reporting on task %(task)s '
                  'attempt %(attempt)d: its lease expired.') %
                {'owner': task['owner'], 'task': task['name'],
                 'attempt': task['attempt']},
                'LeaseExpired'))
        tr.settle()
        tr.flush()
        return tr.outcome()


def due_timer_executions(now, limit):
    """Ids of executions that have due timers, oldest timers first.

    Timers of a PAUSED execution that wait for its resume are left out.
    """
    with session.reader() as s:
        rows = s.execute(
            sa.select(TIMERS.c.execution_id,
                      sa.func.min(TIMERS.c.fire_at).label('first'))
            .join(EXECUTIONS, EXECUTIONS.c.id == TIMERS.c.execution_id)
            .where(TIMERS.c.fire_at <= now,
                   sa.or_(EXECUTIONS.c.state != states.PAUSED,
                          TIMERS.c.kind.in_(_FIRE_WHEN_PAUSED)))
            .group_by(TIMERS.c.execution_id)
            .order_by(sa.text('first'))
            .limit(limit))
        return [row[0] for row in rows]


def expired_leases(now, limit):
    """``(execution_id, task_id)`` of RUNNING tasks whose lease expired."""
    with session.reader() as s:
        rows = s.execute(
            sa.select(TASKS.c.execution_id, TASKS.c.id)
            .where(TASKS.c.state == states.RUNNING,
                   TASKS.c.lease_expires_at < now)
            .limit(limit))
        return [tuple(row) for row in rows]


def lost_child_results(older_than, limit):
    """Results of child executions whose end never reached the parent.

    :returns: result dicts for the RUNNING ``flow`` tasks whose current
        child finished before ``older_than``.
    """
    with session.reader() as s:
        waiting = s.execute(
            sa.select(TASKS.c.run_state)
            .where(TASKS.c.type == child.TYPE,
                   TASKS.c.state == states.RUNNING)
            .limit(limit)).scalars().all()
        child_ids = [run_state['child_execution_id'] for run_state in waiting
                     if run_state and 'child_execution_id' in run_state]
        if not child_ids:
            return []
        finished = s.execute(
            sa.select(EXECUTIONS.c.id, EXECUTIONS.c.state,
                      EXECUTIONS.c.output, EXECUTIONS.c.error,
                      EXECUTIONS.c.parent_id, EXECUTIONS.c.parent_task_id)
            .where(EXECUTIONS.c.id.in_(child_ids),
                   EXECUTIONS.c.state.in_(
                       list(states.EXECUTION_TERMINAL_STATES)),
                   EXECUTIONS.c.finished_at < older_than)).mappings().all()
        results = [child.result_for_parent(s, dict(row))
                   for row in finished]
        return [result for result in results if result is not None]


def orphaned_children(limit):
    """Ids of unfinished executions whose parent execution has ended."""
    parents = EXECUTIONS.alias('parents')
    with session.reader() as s:
        return s.execute(
            sa.select(EXECUTIONS.c.id)
            .join(parents, parents.c.id == EXECUTIONS.c.parent_id)
            .where(EXECUTIONS.c.state.not_in(
                       list(states.EXECUTION_TERMINAL_STATES)),
                   parents.c.state.in_(
                       list(states.EXECUTION_TERMINAL_STATES)))
            .limit(limit)).scalars().all()


def stuck_pending_executions(older_than, limit):
    """Ids of executions PENDING since before ``older_than``.

    The API's cast to the engine was lost for those.
    """
    with session.reader() as s:
        rows = s.execute(
            sa.select(EXECUTIONS.c.id)
            .where(EXECUTIONS.c.state == states.PENDING,
                   EXECUTIONS.c.created_at < older_than)
            .order_by(EXECUTIONS.c.created_at)
            .limit(limit))
        return [row[0] for row in rows]
