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

"""Server side of the conductor RPC API: runs built-in task types.

The conductor never changes a state itself: it runs the task type plugin
in its thread pool and reports what ``run`` returned to the engine. While
a task runs, its lease is renewed (one UPDATE for all the tasks of this
conductor every ``[conductor]lease_renew_interval``).
"""

import collections
import datetime
import queue
import threading

import futurist
from oslo_config import cfg
from oslo_log import log
import oslo_messaging as messaging
from oslo_utils import timeutils
import sqlalchemy as sa

from convection.common import rpc
from convection.common import states
from convection.db.sqlalchemy import models
from convection.db.sqlalchemy import session
from convection.engine import rpcapi as engine_rpcapi
from convection.tasks import base
from convection.tasks import registry

CONF = cfg.CONF
LOG = log.getLogger(__name__)

# Most results sent in one report_task_results cast.
_REPORT_BATCH = 500
# Most task runs renewed by one UPDATE.
_RENEW_CHUNK = 500

TASKS = models.TaskExecution.__table__


class ConductorManager:
    """Runs task runs the engine dispatches and reports their results.

    API version history: see
    :class:`convection.conductor.rpcapi.ConductorAPI`.
    """

    RPC_API_VERSION = '1.1'
    topic = rpc.CONDUCTOR_TOPIC
    binary = 'convection-conductor'

    target = messaging.Target(version=RPC_API_VERSION)

    def __init__(self, host):
        self.host = host
        self.engine_api = None
        self._pool = None
        self._stop = threading.Event()
        self._threads = []
        self._results = queue.Queue()
        # Task id -> attempt of every task run in the pool now.
        self._running_lock = threading.Lock()
        self._running = {}

    def init_host(self):
        self.engine_api = engine_rpcapi.EngineAPI()
        self._pool = futurist.ThreadPoolExecutor(CONF.conductor.workers)
        self._stop.clear()
        for target, name in ((self._report_loop, 'reporter'),
                             (self._renew_loop, 'lease-renewer')):
            thread = threading.Thread(target=target, daemon=True,
                                      name=f'convection-conductor-{name}')
            thread.start()
            self._threads.append(thread)

    def del_host(self):
        """Finish the runs in progress, report them, then stop."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        self._stop.set()
        self._results.put(None)
        for thread in self._threads:
            thread.join()
        self._threads = []

    # RPC endpoints

    def run_tasks(self, context, tasks):
        for task in tasks:
            with self._running_lock:
                self._running[task['id']] = task['attempt']
            self._pool.submit(self._run, context, task)

    def cancel_tasks(self, context, tasks):
        for task in tasks:
            self._pool.submit(self._cancel, task)

    # Internals

    def _cancel(self, task):
        try:
            task_type = registry.get_task_type(task['type'])
            task_type.cancel(_run_context(task), task['input'] or {})
        except Exception:
            LOG.exception('Cleaning up after cancelled task %(name)s (%(id)s)'
                          ' of execution %(exe)s failed',
                          {'name': task['name'], 'id': task['id'],
                           'exe': task['execution_id']})

    def _run(self, context, task):
        run_context = _run_context(task)
        try:
            task_type = registry.get_task_type(task['type'])
            result = task_type.run(run_context, task['input'] or {})
            report = _report(task, result)
        except Exception as exc:
            LOG.exception('Task %(name)s (%(id)s) of execution %(exe)s '
                          'raised', {'name': task['name'], 'id': task['id'],
                                     'exe': task['execution_id']})
            report = _report(task, base.Failed(
                message=f'{type(exc).__name__}: {exc}',
                error_type=type(exc).__name__))
        with self._running_lock:
            self._running.pop(task['id'], None)
        self._results.put((context, report))

    def _report_loop(self):
        # Whatever finished while the previous cast was being sent goes in
        # the next one, so a busy conductor sends few, large casts.
        done = False
        while not done:
            item = self._results.get()
            batch = []
            while True:
                if item is None:
                    done = True
                else:
                    batch.append(item)
                if done or len(batch) >= _REPORT_BATCH:
                    break
                try:
                    item = self._results.get_nowait()
                except queue.Empty:
                    break
            self._send(batch)

    def _send(self, batch):
        by_execution = collections.defaultdict(list)
        contexts = {}
        for context, report in batch:
            by_execution[report['execution_id']].append(report)
            contexts[report['execution_id']] = context
        for execution_id, reports in by_execution.items():
            try:
                self.engine_api.report_task_results(contexts[execution_id],
                                                    reports)
            except Exception:
                # The leases will expire and the engine will decide.
                LOG.exception('Cannot report %(n)d result(s) of execution '
                              '%(id)s',
                              {'n': len(reports), 'id': execution_id})

    def _renew_loop(self):
        # The first renewal also acknowledges a dispatch: it must come
        # before the engine gives up waiting for it and sends it again.
        interval = min(CONF.conductor.lease_renew_interval,
                       CONF.engine.dispatch_timeout / 2)
        while not self._stop.wait(interval):
            try:
                self.renew_leases()
            except Exception:
                LOG.exception('Cannot renew task leases')

    def renew_leases(self):
        """Extend the leases of the task runs in progress here."""
        with self._running_lock:
            running = list(self._running.items())
        if not running:
            return 0
        now = timeutils.utcnow()
        expires = now + datetime.timedelta(
            seconds=CONF.engine.task_lease_time)
        renewed = 0
        with session.writer() as s:
            # In chunks: a statement may carry only so many parameters.
            for start in range(0, len(running), _RENEW_CHUNK):
                renewed += s.execute(
                    sa.update(TASKS)
                    .where(TASKS.c.state == states.RUNNING,
                           sa.tuple_(TASKS.c.id, TASKS.c.attempt).in_(
                               running[start:start + _RENEW_CHUNK]))
                    .values(owner=self.host,
                            lease_expires_at=expires)).rowcount
        return renewed


def _run_context(task):
    return base.RunContext(
        execution_id=task['execution_id'], task_id=task['id'],
        task_name=task['name'], attempt=task['attempt'],
        project_id=task['project_id'], user_id=task['user_id'],
        run_state=task['run_state'], trust_id=task['trust_id'])


def _report(task, result):
    # The name lets the engine read the task and its dependants at once.
    report = {'task_id': task['id'], 'execution_id': task['execution_id'],
              'name': task['name'], 'attempt': task['attempt']}
    if isinstance(result, base.Succeeded):
        report.update(status='succeeded', output=result.output)
    elif isinstance(result, base.Wait):
        report.update(status='wait', delay=result.delay,
                      run_state=result.run_state)
    elif isinstance(result, base.Failed):
        report.update(status='failed', error={
            'message': result.message, 'type': result.error_type,
            'retryable': result.retryable, 'details': result.details})
    else:
        report.update(status='failed', error={
            'message': f'Task type {task["type"]} returned '
                       f'{type(result).__name__}, not Succeeded, Failed or '
                       f'Wait.',
            'type': 'InvalidTaskResult', 'retryable': False})
    return report
