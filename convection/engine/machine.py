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
returns the task runs to hand to the conductor. The caller casts them
only after the commit; a crash in between is healed by the lease sweep.

Rules:

* An execution starts by creating all its tasks at once as PENDING
  (``blocked_on='dependency'``) and starting the roots.
* A task starts when every task it requires SUCCEEDED: its ``with`` is
  rendered (only the outputs it references are read) and validated against
  its type's input schema; a failure there fails the task, without retry.
* A failed or timed-out attempt is retried when the task's (else the
  flow's) retry policy allows it (WAITING, ``blocked_on='backoff'``, with a
  durable timer); otherwise the task ends FAILED or TIMED_OUT and the
  execution fails at once (fail fast): the tasks that never started become
  SKIPPED, the ones RUNNING or WAITING become CANCELLED, their timers are
  deleted and their late results ignored.
* Cancelling does the same, except that every active task (started or
  not) becomes CANCELLED.
* When no task is active any more, the flow ``output`` is rendered and the
  execution SUCCEEDED.
* A result counts only for a task that is RUNNING with the same attempt,
  so duplicate and stale deliveries change nothing.
"""

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
from convection.engine import specs
from convection.engine import transitions
from convection.i18n import _
from convection.tasks import tenant

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
EXECUTION_TIMEOUT = 'execution_timeout'

_ACTIVE = tuple(states.TASK_ACTIVE_STATES)
_STARTED = (states.RUNNING, states.WAITING)

# Plain tasks; fan-out instances will use 0..n-1.
_PLAIN = -1

_retry_on_db_error = oslo_db_api.wrap_db_retry(
    max_retries=5, retry_on_deadlock=True, retry_on_disconnect=True,
    inc_retry_interval=True)


class _Transition:
    """What one transaction on one execution changed and must dispatch."""

    def __init__(self, db_session, execution, spec, host):
        self.s = db_session
        self.execution = execution
        self.spec = spec
        self.host = host
        self.now = timeutils.utcnow()
        self.events = []
        self.timers = []
        self.dispatch = []
        # Task name -> state as of this transaction, when known.
        self.states = {}
        self.finished = False

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
            self.s.execute(sa.insert(TIMERS), self.timers)
        if self.events:
            self.s.execute(sa.insert(EVENTS), self.events)
            # Webhook deliveries and notifications of these state changes.
            notifications.on_transitions(self.s, self.execution, self.events)

    def set_execution(self, to_state, **values):
        from_state = self.execution['state']
        transitions.check_execution(from_state, to_state)
        self.s.execute(sa.update(EXECUTIONS).where(
            EXECUTIONS.c.id == self.execution_id).values(
                state=to_state, updated_at=self.now, **values))
        self.event('execution', from_state, to_state,
                   details=values.get('error'))
        self.execution = dict(self.execution, state=to_state)
        if to_state in states.EXECUTION_TERMINAL_STATES:
            self.finished = True

    def set_task(self, task, to_state, details=None, **values):
        transitions.check_task(task['state'], to_state)
        self.s.execute(_task_update(frozenset(values)),
                       dict(values, task_id=task['id'], state=to_state,
                            updated_at=self.now))
        self.event('task', task['state'], to_state,
                   attempt=values.get('attempt', task['attempt']),
                   task=task, details=details)
        self.states[task['name']] = to_state
        # Later steps of this transaction read the task as it is now.
        task.update({key: value for key, value in values.items()
                     if key in task}, state=to_state)

    # Reading

    def tasks_by_name(self, names):
        if not names:
            return {}
        rows = self.s.execute(_TASKS_BY_NAME, {
            'execution_id': self.execution_id,
            'names': sorted(names)}).mappings()
        tasks = {row['name']: dict(row) for row in rows}
        for name, task in tasks.items():
            self.states.setdefault(name, task['state'])
        return tasks

    def scope(self, names):
        """The expression scope with the outputs of tasks ``names``."""
        tasks = {}
        if names:
            rows = self.s.execute(
                sa.select(TASKS.c.name, TASKS.c.state, TASKS.c.output)
                .where(TASKS.c.execution_id == self.execution_id,
                       TASKS.c.item_index == _PLAIN,
                       TASKS.c.name.in_(sorted(names))))
            tasks = {name: {'output': output, 'state': state}
                     for name, state, output in rows}
        return {'input': self.execution['input'] or {},
                'tasks': tasks,
                'execution': {'id': self.execution_id}}

    # Tasks

    def start_task(self, task):
        """Render, validate and dispatch a PENDING task (new attempt)."""
        task_spec = self.spec.tasks[task['name']]
        try:
            inputs = expressions.render(
                task_spec.with_ or {},
                self.scope(self.spec.referenced_tasks(task['name'])))
            task_type = tenant.get_task_type_in(
                self.s, self.execution['project_id'], task_spec.type)
            task_type.validate_input(inputs)
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

    def run_task(self, task, inputs, attempt, run_state):
        """Mark a task RUNNING under a lease and queue its dispatch.

        A task of a tenant task type goes on its type's work queue instead
        (``blocked_on='queue'`` until a worker claims it); the work item's
        own lease replaces the conductor lease.
        """
        task_spec = self.spec.tasks[task['name']]
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
            inputs = self.s.execute(sa.select(TASKS.c.input).where(
                TASKS.c.id == task['id'])).scalar()
        run = self._run(task, attempt, inputs, run_state)
        if queued:
            tenant.enqueue_in(self.s, run)
        else:
            self.dispatch.append(run)

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
        self.s.execute(_task_update(frozenset(['lease_expires_at'])), {
            'task_id': task['id'], 'state': states.RUNNING,
            'updated_at': self.now,
            'lease_expires_at': self.now + datetime.timedelta(
                seconds=CONF.engine.dispatch_timeout)})
        self.dispatch.append(self._run(task, task['attempt'], task['input'],
                                       task['run_state']))

    def task_succeeded(self, task, output):
        self.set_task(task, states.SUCCEEDED, output=output, error=None,
                      run_state=None, owner=None, lease_expires_at=None,
                      finished_at=self.now)
        self._drop_timeout_timer(task)

    def task_waits(self, task, delay, run_state):
        self.set_task(task, states.WAITING, blocked_on=states.BLOCKED_TIMER,
                      run_state=run_state, owner=None, lease_expires_at=None,
                      details={'delay': delay})
        self.timer(TASK_WAKEUP, self.now + datetime.timedelta(seconds=delay),
                   task, {'attempt': task['attempt']})

    def task_failed(self, task, error, to_state=states.FAILED):
        """An attempt failed or timed out: retry it or end the task."""
        # A worker still holding the attempt's work item must stop.
        tenant.cancel_in(self.s, [task['id']])
        delay = specs.retry_delay(self.spec.tasks[task['name']], error,
                                  task['attempt'])
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

    def end_task(self, task, to_state, error):
        """The task failed for good: so does the execution (fail fast)."""
        self._drop_timers(task)
        self.set_task(task, to_state, error=error, owner=None,
                      lease_expires_at=None, finished_at=self.now,
                      details={'error': error})
        self.fail_execution(
            _('Task %(task)s ended %(state)s: %(err)s') %
            {'task': task['name'], 'state': to_state,
             'err': error['message']},
            task=task['name'])

    def _drop_timeout_timer(self, task):
        if self.spec.tasks[task['name']].timeout:
            self.s.execute(sa.delete(TIMERS).where(
                TIMERS.c.task_execution_id == task['id'],
                TIMERS.c.kind == TASK_TIMEOUT))

    def _drop_timers(self, task):
        self.s.execute(sa.delete(TIMERS).where(
            TIMERS.c.task_execution_id == task['id']))

    def start_ready_dependants(self, completed):
        """Start the dependants of ``completed`` whose requires are met."""
        candidates = set()
        for name in completed:
            candidates.update(self.spec.dependants(name))
        if not candidates:
            return
        needed = set(candidates)
        for name in candidates:
            needed.update(self.spec.tasks[name].requires or ())
        tasks = self.tasks_by_name(
            {n for n in needed if n not in self.states} | candidates)
        for name in sorted(candidates):
            task = tasks.get(name)
            if task is None or self.states[name] != states.PENDING:
                continue
            requires = self.spec.tasks[name].requires or ()
            if all(self.states.get(r) == states.SUCCEEDED
                   for r in requires):
                self.start_task(task)
                if self.finished:
                    return

    # Executions

    def close_active_tasks(self, pending_to):
        """End every active task and delete the execution's timers.

        PENDING tasks go to ``pending_to``, started ones to CANCELLED.
        """
        rows = self.s.execute(
            sa.select(TASKS.c.id, TASKS.c.name, TASKS.c.state,
                      TASKS.c.attempt)
            .where(TASKS.c.execution_id == self.execution_id,
                   TASKS.c.state.in_(_ACTIVE))).mappings().all()
        for row in rows:
            to_state = pending_to if row['state'] == states.PENDING \
                else states.CANCELLED
            self.event('task', row['state'], to_state,
                       attempt=row['attempt'], task=row)
            self.states[row['name']] = to_state
        tenant.cancel_in(self.s, [row['id'] for row in rows
                                  if row['state'] in _STARTED])
        for from_states, to_state in (((states.PENDING,), pending_to),
                                      (_STARTED, states.CANCELLED)):
            self.s.execute(sa.update(TASKS).where(
                TASKS.c.execution_id == self.execution_id,
                TASKS.c.state.in_(from_states)).values(
                    state=to_state, blocked_on=None, owner=None,
                    lease_expires_at=None, finished_at=self.now,
                    updated_at=self.now))
        self.s.execute(sa.delete(TIMERS).where(
            TIMERS.c.execution_id == self.execution_id))

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

    def finish_if_done(self):
        active = self.s.execute(
            sa.select(sa.func.count()).select_from(TASKS).where(
                TASKS.c.execution_id == self.execution_id,
                TASKS.c.state.in_(_ACTIVE))).scalar()
        if active:
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
        if self.spec.timeout:
            # Only the flow's timeout timer can be left.
            self.s.execute(sa.delete(TIMERS).where(
                TIMERS.c.execution_id == self.execution_id))
        self.set_execution(states.SUCCEEDED, output=output,
                           finished_at=self.now)


# Hot-path statements, built once (see _task_update).
_TASKS_BY_NAME = sa.select(
    TASKS.c.id, TASKS.c.name, TASKS.c.state, TASKS.c.attempt, TASKS.c.type,
    TASKS.c.started_at).where(
        TASKS.c.execution_id == sa.bindparam('execution_id'),
        TASKS.c.item_index == _PLAIN,
        TASKS.c.name.in_(sa.bindparam('names', expanding=True)))

_LOCK = sa.select(
    EXECUTIONS.c.id, EXECUTIONS.c.state, EXECUTIONS.c.flow_name,
    EXECUTIONS.c.flow_version_id, EXECUTIONS.c.input,
    EXECUTIONS.c.project_id, EXECUTIONS.c.user_id, EXECUTIONS.c.trust_id
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


def _lock_execution(db_session, execution_id, skip_locked=False):
    """Lock the execution row (SELECT ... FOR UPDATE) and read it.

    :param skip_locked: for sweeps: if another engine holds the row,
        answer None at once instead of waiting (PostgreSQL, MariaDB; SQLite
        serializes writers anyway).
    """
    query = _LOCK_SKIP_LOCKED if skip_locked else _LOCK
    row = db_session.execute(
        query, {'execution_id': execution_id}).mappings().first()
    return dict(row) if row is not None else None


def _open(db_session, execution_id, host, expected_state,
          skip_locked=False):
    """Lock the execution; a transition if it is in ``expected_state``."""
    execution = _lock_execution(db_session, execution_id, skip_locked)
    if execution is None:
        LOG.debug('Execution %s is gone', execution_id)
        return None
    if execution['state'] != expected_state:
        LOG.debug('Execution %(id)s is %(state)s, not %(expected)s',
                  {'id': execution_id, 'state': execution['state'],
                   'expected': expected_state})
        return None
    return _transition(db_session, execution, host)


def _transition(db_session, execution, host):
    """A transition of a locked execution.

    :returns: None if its flow is unusable (the execution is then failed).
    """
    reason = None
    spec = None
    if execution['flow_version_id'] is None:
        reason = _('The flow version of this execution was deleted.')
    else:
        try:
            spec = specs.get(db_session, execution['flow_version_id'])
        except exception.ConvectionException as exc:
            reason = _('The flow definition cannot be used: %s') % exc
        if spec is None and reason is None:
            reason = _('The flow version of this execution was deleted.')
    tr = _Transition(db_session, execution, spec, host)
    if reason is not None:
        tr.fail_execution(reason)
        tr.flush()
        return None
    return tr


@_retry_on_db_error
def start_execution(execution_id, host):
    """PENDING -> RUNNING: create the tasks, start the roots.

    :returns: ``(execution, task runs to dispatch)``; ``execution`` is
        None when nothing was done (not PENDING any more, or gone).
    """
    with session.writer() as s:
        tr = _open(s, execution_id, host, states.PENDING)
        if tr is None:
            return None, []
        tr.set_execution(states.RUNNING, started_at=tr.now)
        if tr.spec.timeout:
            tr.timer(EXECUTION_TIMEOUT, tr.now + datetime.timedelta(
                seconds=tr.spec.timeout))
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
            s.execute(sa.insert(TASKS), rows)
        by_name = {row['name']: row for row in rows}
        for row in rows:
            tr.states[row['name']] = states.PENDING
        for name in tr.spec.roots:
            tr.start_task(dict(by_name[name], started_at=None))
            if tr.finished:
                break
        if not tr.finished and not tr.dispatch:
            tr.finish_if_done()
        tr.flush()
        return tr.execution, tr.dispatch


@_retry_on_db_error
def cancel_execution(execution_id, host):
    """Cancel an execution that has not finished, and its tasks.

    :returns: True if it was cancelled now.
    """
    with session.writer() as s:
        execution = _lock_execution(s, execution_id)
        if execution is None or \
                execution['state'] in states.EXECUTION_TERMINAL_STATES:
            return False
        tr = _Transition(s, execution, None, host)
        tr.close_active_tasks(pending_to=states.CANCELLED)
        tr.set_execution(states.CANCELLED, stop_reason='cancelled',
                         finished_at=tr.now)
        tr.flush()
        return True


@_retry_on_db_error
def apply_results(execution_id, results, host):
    """Apply task results of one execution in one transaction.

    :param results: result dicts as ``EngineAPI.report_task_results``
        describes them.
    :returns: ``(execution, task runs to dispatch)``.
    """
    with session.writer() as s:
        tr = _open(s, execution_id, host, states.RUNNING)
        if tr is None:
            return None, []
        ids = sorted({r['task_id'] for r in results})
        rows = s.execute(
            sa.select(TASKS.c.id, TASKS.c.name, TASKS.c.state,
                      TASKS.c.attempt, TASKS.c.started_at)
            .where(TASKS.c.execution_id == execution_id,
                   TASKS.c.id.in_(ids))).mappings()
        tasks = {row['id']: dict(row) for row in rows}
        completed = []
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
                completed.append(task['name'])
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
        if not tr.finished and completed:
            tr.start_ready_dependants(completed)
            if not tr.finished and not tr.dispatch:
                tr.finish_if_done()
        tr.flush()
        return tr.execution, tr.dispatch


@_retry_on_db_error
def fire_timers(execution_id, host, now=None):
    """Fire the execution's due timers (they are deleted as they fire).

    :returns: ``(execution, task runs to dispatch)``.
    """
    now = now or timeutils.utcnow()
    with session.writer() as s:
        # Another engine busy with this execution fires them, or the next
        # sweep does.
        execution = _lock_execution(s, execution_id, skip_locked=True)
        if execution is None:
            return None, []
        due = s.execute(
            sa.select(TIMERS.c.id, TIMERS.c.kind, TIMERS.c.task_execution_id,
                      TIMERS.c.payload)
            .where(TIMERS.c.execution_id == execution_id,
                   TIMERS.c.fire_at <= now)
            .order_by(TIMERS.c.fire_at)).mappings().all()
        if not due:
            return None, []
        s.execute(sa.delete(TIMERS).where(
            TIMERS.c.id.in_([t['id'] for t in due])))
        if execution['state'] != states.RUNNING:
            return None, []
        tr = _transition(s, execution, host)
        if tr is None:
            return None, []
        rows = s.execute(
            sa.select(TASKS.c.id, TASKS.c.name, TASKS.c.state,
                      TASKS.c.attempt, TASKS.c.blocked_on,
                      TASKS.c.run_state, TASKS.c.started_at)
            .where(TASKS.c.id.in_(
                sorted({t['task_execution_id'] for t in due
                        if t['task_execution_id'] is not None})))).mappings()
        tasks = {row['id']: dict(row) for row in rows}
        for timer in due:
            if timer['kind'] == EXECUTION_TIMEOUT:
                tr.time_out()
                break
            task = tasks.get(timer['task_execution_id'])
            attempt = (timer['payload'] or {}).get('attempt')
            if task is None or task['attempt'] != attempt:
                continue
            _fire(tr, timer['kind'], task)
            if tr.finished:
                break
        tr.flush()
        return tr.execution, tr.dispatch


def _fire(tr, kind, task):
    state, blocked_on = task['state'], task['blocked_on']
    if kind == TASK_WAKEUP and state == states.WAITING and \
            blocked_on == states.BLOCKED_TIMER:
        tr.run_task(task, None, task['attempt'], task['run_state'])
    elif kind == TASK_RETRY and state == states.WAITING and \
            blocked_on == states.BLOCKED_BACKOFF:
        tr.run_task(task, None, task['attempt'] + 1, run_state=None)
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

    :returns: ``(execution, task runs to dispatch)``.
    """
    now = now or timeutils.utcnow()
    with session.writer() as s:
        tr = _open(s, execution_id, host, states.RUNNING,
                   skip_locked=True)
        if tr is None:
            return None, []
        task = s.execute(
            sa.select(TASKS.c.id, TASKS.c.name, TASKS.c.state,
                      TASKS.c.attempt, TASKS.c.started_at, TASKS.c.owner,
                      TASKS.c.input, TASKS.c.run_state)
            .where(TASKS.c.id == task_id,
                   TASKS.c.state == states.RUNNING,
                   TASKS.c.lease_expires_at < now)).mappings().first()
        if task is None:
            return None, []
        task = dict(task)
        tr.states[task['name']] = task['state']
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
        tr.flush()
        return tr.execution, tr.dispatch


def due_timer_executions(now, limit):
    """Ids of executions that have due timers, oldest timers first."""
    with session.reader() as s:
        rows = s.execute(
            sa.select(TIMERS.c.execution_id,
                      sa.func.min(TIMERS.c.fire_at).label('first'))
            .where(TIMERS.c.fire_at <= now)
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
