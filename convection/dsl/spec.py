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

"""Read-only views of a validated flow definition, for the engine.

A :class:`FlowSpec` is built once per flow version and shared between
threads: it precomputes the graph (roots, dependants) and the task
references of every expression, and never changes.
"""

import copy
import dataclasses
import types
from typing import Any

from convection.dsl import expressions
from convection.dsl import schema


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """How often and how soon a failed task runs again.

    Attempt ``n`` (1 for the first retry) waits
    ``min(interval * backoff ** (n - 1), max_interval)`` seconds, less a
    random part of up to ``jitter`` of it. Only errors whose type is in
    ``on`` are retried, when ``on`` is given.
    """

    count: int
    interval: float = 0
    backoff: float = 1
    max_interval: float | None = None
    jitter: float = 0
    on: frozenset | None = None

    def retries(self, error_type):
        """Whether an error of type ``error_type`` is worth a retry."""
        return self.on is None or error_type in self.on

    def delay(self, retry_number):
        """Seconds to wait before retry number ``retry_number`` (from 1)."""
        delay = self.interval * self.backoff ** (retry_number - 1)
        if self.max_interval is not None:
            delay = min(delay, self.max_interval)
        return delay

    @classmethod
    def from_dict(cls, retry):
        if retry is None:
            return None
        return cls(count=retry['count'], interval=retry.get('interval', 0),
                   backoff=retry.get('backoff', 1),
                   max_interval=retry.get('max_interval'),
                   jitter=retry.get('jitter', 0),
                   on=frozenset(retry['on']) if 'on' in retry else None)


@dataclasses.dataclass(frozen=True)
class TaskSpec:
    name: str
    type: str
    # ``with`` is a Python keyword.
    with_: Any
    requires: tuple
    description: str | None = None
    # Seconds, or None for no limit.
    timeout: float | None = None
    # Seconds a queued attempt may wait for a worker, or None.
    queue_timeout: float | None = None
    # The task's own retry policy, else the flow's, else None.
    retry: RetryPolicy | None = None
    # An expression (or a boolean): false skips the task.
    when: Any = None
    # 'all': every requirement must succeed; 'any': one is enough.
    join: str = schema.JOIN_ALL
    continue_on_failure: bool = False
    # Tasks that run only if this one fails for good.
    on_failure: tuple = ()
    # The task whose failure this task handles, if any.
    handles: str | None = None
    # Context key -> expression rendered with ``result`` on success.
    publish: Any = None
    # A list or an expression giving one: a task instance per item.
    with_items: Any = None
    # Most item instances running at once; None for no limit.
    concurrency: int | None = None


class FlowSpec:
    """An immutable view of a normalized flow definition.

    :param definition: what ``convection.dsl.validate`` returned (or the
        definition stored with a flow version, which is the same).
    """

    __slots__ = ('name', 'description', 'version', 'tasks', 'roots',
                 'input_schema', 'output', 'timeout', 'run_for', 'repeat',
                 'retry',
                 'output_references', 'uses_context', '_dependants',
                 '_neighbours', '_references')

    def __init__(self, definition):
        definition = copy.deepcopy(definition)
        self.name = definition['name']
        self.description = definition.get('description')
        self.version = definition['version']
        self.input_schema = definition.get('input', {'type': 'object'})
        self.output = definition.get('output')
        self.timeout = definition.get('timeout')
        self.run_for = definition.get('run_for')
        # {'every': seconds, 'until': expression, 'max_iterations': n,
        # 'keep': n} or None.
        self.repeat = definition.get('repeat')
        self.retry = RetryPolicy.from_dict(definition.get('retry'))
        tasks = {}
        dependants = {}
        references = {}
        handles = {handler: name
                   for name, task in definition['tasks'].items()
                   for handler in task.get('on_failure', ())}
        for name, task in definition['tasks'].items():
            task_retry = RetryPolicy.from_dict(task.get('retry'))
            tasks[name] = TaskSpec(
                name=name, type=task['type'], with_=task.get('with', {}),
                requires=tuple(task.get('requires', ())),
                description=task.get('description'),
                timeout=task.get('timeout'),
                queue_timeout=task.get('queue_timeout'),
                retry=task_retry if task_retry is not None else self.retry,
                when=task.get('when'),
                join=task.get('join', schema.JOIN_ALL),
                continue_on_failure=task.get('continue_on_failure', False),
                on_failure=tuple(task.get('on_failure', ())),
                handles=handles.get(name),
                publish=task.get('publish'),
                with_items=task.get('with_items'),
                concurrency=task.get('concurrency'))
            dependants[name] = []
            references[name] = frozenset().union(*(
                expressions.find_task_references(task[key])
                for key in schema.TASK_EXPRESSION_KEYS if key in task))
        for name, task in tasks.items():
            for dep in task.requires:
                dependants[dep].append(name)
        self.tasks = types.MappingProxyType(tasks)
        self.roots = tuple(name for name, task in tasks.items()
                           if not task.requires and task.handles is None)
        self._dependants = {name: tuple(names)
                            for name, names in dependants.items()}
        self._neighbours = {}
        for name, task in tasks.items():
            around = set(self._dependants[name]) | set(task.on_failure)
            for other in list(around):
                around.update(tasks[other].requires)
            self._neighbours[name] = frozenset(around | {name})
        self.output_references = frozenset(
            expressions.find_task_references(self.output))
        # Whether any expression reads the execution context (``ctx``):
        # if none does, the engine never loads it.
        self.uses_context = 'ctx' in repr([
            [task.get(key) for key in schema.TASK_EXPRESSION_KEYS]
            for task in definition['tasks'].values()] + [
                self.output, self.repeat])
        # Set last: from here on the object is frozen (see __setattr__).
        self._references = references

    def __setattr__(self, name, value):
        if hasattr(self, '_references'):
            raise AttributeError(f'{type(self).__name__} is immutable')
        super().__setattr__(name, value)

    def dependants(self, name):
        """Names of the tasks that require ``name``, in declaration order.

        :raises: KeyError if the flow has no task ``name``.
        """
        return self._dependants[name]

    def neighbours(self, name):
        """The tasks whose state decides what follows the end of ``name``.

        ``name`` itself, its dependants and failure handlers, and what
        those require.
        """
        return self._neighbours[name]

    def referenced_tasks(self, name):
        """Names of the tasks whose results task ``name`` reads.

        These are the tasks its ``with`` (and any other key holding
        expressions, see ``schema.TASK_EXPRESSION_KEYS``) refers to: the
        ones the engine loads into the scope it renders the task with.

        :raises: KeyError if the flow has no task ``name``.
        """
        return self._references[name]
