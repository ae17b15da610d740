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

"""Executions of flows, their tasks and their history."""

import time

from convectionclient import exceptions
from convectionclient.common import base

EXECUTIONS = '/v1/executions'

# Mirrors convection.common.states; the client does not import the server.
PENDING = 'PENDING'
RUNNING = 'RUNNING'
PAUSED = 'PAUSED'
SUCCEEDED = 'SUCCEEDED'
FAILED = 'FAILED'
CANCELLED = 'CANCELLED'
TIMED_OUT = 'TIMED_OUT'
WAITING = 'WAITING'
SKIPPED = 'SKIPPED'

EXECUTION_STATES = (PENDING, RUNNING, PAUSED, SUCCEEDED, FAILED, CANCELLED,
                    TIMED_OUT)
EXECUTION_TERMINAL_STATES = frozenset((SUCCEEDED, FAILED, CANCELLED,
                                       TIMED_OUT))
EXECUTION_ACTIVE_STATES = (PENDING, RUNNING, PAUSED)
EXECUTION_UNSUCCESSFUL_STATES = frozenset((FAILED, CANCELLED, TIMED_OUT))
TASK_STATES = (PENDING, RUNNING, WAITING, SUCCEEDED, FAILED, SKIPPED,
               CANCELLED, TIMED_OUT)
TASK_TERMINAL_STATES = frozenset((SUCCEEDED, FAILED, SKIPPED, CANCELLED,
                                  TIMED_OUT))
TASK_ACTIVE_STATES = frozenset((RUNNING, WAITING))


def execution_url(execution_id):
    return f'{EXECUTIONS}/{base.quote(execution_id)}'


def _id_of(execution):
    return execution.id if isinstance(execution, base.Resource) \
        else execution


class Execution(base.Resource):

    @property
    def is_terminal(self):
        return self.get('state') in EXECUTION_TERMINAL_STATES

    @property
    def succeeded(self):
        return self.get('state') == SUCCEEDED

    @property
    def progress(self):
        """``(finished tasks, known tasks)`` from ``task_counts``."""
        counts = self.get('task_counts') or {}
        total = sum(counts.values())
        done = sum(n for state, n in counts.items()
                   if state in TASK_TERMINAL_STATES)
        return done, total


class Task(base.Resource):

    @property
    def is_terminal(self):
        return self.get('state') in TASK_TERMINAL_STATES


class Event(base.Resource):
    pass


class ExecutionManager(base.Manager):
    resource_class = Execution

    def create(self, flow, input=None, version=None, idempotency_key=None):
        """Start an execution of a flow.

        :param flow: the flow's name or id.
        :param input: a dict, checked against the flow's input schema.
        :param version: the flow version; the latest when ``None``.
        :param idempotency_key: a key of the caller's choosing; starting
            again with the same key returns the first execution.
        :returns: the :class:`Execution`, usually still ``PENDING``.
        """
        body = {'flow': flow}
        if input is not None:
            if not isinstance(input, dict):
                raise exceptions.InvalidInput(
                    'An execution input must be a mapping, not '
                    f'{type(input).__name__}.')
            body['input'] = input
        if version is not None:
            body['version'] = int(version)
        if idempotency_key is not None:
            body['idempotency_key'] = idempotency_key
        _, execution = self._post(EXECUTIONS, body)
        return execution

    start = create

    def list(self, flow=None, version=None, state=None, parent_id=None,
             limit=None, marker=None, sort_key=None, sort_dir=None,
             all_projects=False, detail=False, **filters):
        """Executions, filtered by flow, version, state or parent.

        :param detail: also get each execution's ``input``, ``output``
            and ``context``, which the list leaves out otherwise.
        """
        filters.update(flow=flow, version=version, state=state,
                       parent_id=parent_id,
                       detail='true' if detail else None)
        return self._list(EXECUTIONS, 'executions', limit=limit,
                          marker=marker, sort_key=sort_key,
                          sort_dir=sort_dir, all_projects=all_projects,
                          filters=filters)

    def get(self, execution):
        """One execution with its ``task_counts``."""
        return self._get(execution_url(_id_of(execution)))

    def cancel(self, execution):
        """Ask the engine to cancel an execution.

        :returns: the execution as the service answered it, or ``None``
            when the answer has no body.
        :raises: Conflict when the execution has already finished.
        """
        return self._action(execution, 'cancel')

    def _action(self, execution, action, body=None):
        _, answer = self._post(
            f'{execution_url(_id_of(execution))}/{action}', body or {})
        return answer

    def retry(self, execution, version=None):
        """Run a FAILED or TIMED_OUT execution again from its failures.

        :param version: move the execution to this version of its flow
            (the service checks it is compatible); its own when ``None``.
        :returns: the execution as the service answered it.
        :raises: Conflict when the execution is not FAILED or TIMED_OUT.
        """
        body = {} if version is None else {'version': int(version)}
        return self._action(execution, 'retry', body)

    def pause(self, execution):
        """Pause a RUNNING execution: no new task starts until resumed."""
        return self._action(execution, 'pause')

    def resume(self, execution):
        """Resume a PAUSED execution."""
        return self._action(execution, 'resume')

    def signal(self, execution, name, payload=None):
        """Send a signal to an execution, for its ``wait`` tasks.

        :param payload: any JSON value; the wait task's output carries it.
        :returns: the stored signal (``id``, ``name``, ``payload``,
            ``created_at``).
        :raises: Conflict when the execution has finished.
        """
        body = {} if payload is None else {'payload': payload}
        _, answer = self.http.json_request(
            'POST', f'{execution_url(_id_of(execution))}/signals/'
                    f'{base.quote(name)}', body=body)
        return base.Resource(self, answer or {})

    def tasks(self, execution, **kwargs):
        """The execution's tasks (see :meth:`TaskManager.list`)."""
        return self.client.tasks.list(execution, **kwargs)

    def events(self, execution, **kwargs):
        """The execution's history, oldest first."""
        return self.client.events.list(execution, **kwargs)

    def wait(self, execution, timeout=None, poll_interval=2.0,
             callback=None, previous_end=None, _clock=time.monotonic,
             _sleep=time.sleep):
        """Poll an execution until it reaches a terminal state.

        :param timeout: seconds to wait at most; ``None`` waits forever.
        :param callback: called with each :class:`Execution` polled,
            including the last one, e.g. to show progress.
        :param previous_end: the ``finished_at`` of an end that does not
            count, such as the failure just retried: the engine takes a
            retry asynchronously, so the first polls may still show it.
        :returns: the execution in its terminal state.
        :raises: WaitTimeout when ``timeout`` passes first.
        """
        deadline = None if timeout is None else _clock() + timeout
        while True:
            current = self.get(execution)
            stale = (previous_end is not None and current.is_terminal and
                     current.get('finished_at') == previous_end)
            if callback is not None and not stale:
                callback(current)
            if current.is_terminal and not stale:
                return current
            if deadline is not None and _clock() >= deadline:
                raise exceptions.WaitTimeout(current, timeout)
            pause = poll_interval
            if deadline is not None:
                pause = max(0.0, min(pause, deadline - _clock()))
            _sleep(pause)


class TaskManager(base.Manager):
    resource_class = Task

    def list(self, execution, limit=None, marker=None, sort_key=None,
             sort_dir=None, **filters):
        """Tasks of an execution."""
        return self._list(f'{execution_url(_id_of(execution))}/tasks',
                          'tasks', limit=limit, marker=marker,
                          sort_key=sort_key, sort_dir=sort_dir,
                          filters=filters)

    def get(self, execution, task):
        """One task of an execution, by id or by name.

        :raises: NotFound when no task matches; Conflict when a name
            matches several tasks (items of a ``for_each``): use an id.
        """
        tasks = self.list(execution)
        by_id = [t for t in tasks if t.get('id') == task]
        if by_id:
            return by_id[0]
        by_name = [t for t in tasks if t.get('name') == task]
        if len(by_name) == 1:
            return by_name[0]
        if not by_name:
            raise exceptions.NotFound(
                f'Execution {_id_of(execution)} has no task {task!r}.')
        ids = ', '.join(t.id for t in by_name)
        raise exceptions.Conflict(
            f'{len(by_name)} tasks of execution {_id_of(execution)} are '
            f'named {task!r}; give one of their ids: {ids}.')


class EventManager(base.Manager):
    resource_class = Event

    def list(self, execution, limit=None, marker=None, sort_key=None,
             sort_dir=None, **filters):
        """Events of an execution, oldest first."""
        return self._list(f'{execution_url(_id_of(execution))}/events',
                          'events', limit=limit, marker=marker,
                          sort_key=sort_key, sort_dir=sort_dir,
                          filters=filters)
