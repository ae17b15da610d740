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

"""Run tenant task types in Python: claim, heartbeat, complete or fail.

::

    from convectionclient import worker as cw

    worker = cw.Worker(client, queue='images')

    @worker.task                      # the task type of the same name
    def thumbnail(params):
        return {'path': make_thumbnail(params['path'])}

    @worker.task('resize')            # a named task type
    def resize(params, job):          # a second parameter gets the Job
        job.progress({'percent': 50})
        raise cw.TaskFailure('Disk full', error_type='DiskFull',
                             retryable=False)

    worker.run()                      # until SIGTERM or Ctrl-C

The function's return value (any JSON value) completes the task. An
exception fails it with the exception's class name as ``error_type`` and
its text as ``message``; the failure is retryable (the task type's retry
policy applies) unless the exception has ``retryable = False``, as a
:class:`TaskFailure` can say. While a function runs, a thread renews its
claim every ``heartbeat_fraction`` of the claim's heartbeat timeout.
"""

import concurrent.futures
import inspect
import logging
import os
import signal
import socket
import threading

from convectionclient import exceptions

LOG = logging.getLogger(__name__)

# Seconds a claim request may wait for an item; the service caps it.
DEFAULT_WAIT = 10.0
DEFAULT_HEARTBEAT_FRACTION = 1.0 / 3
# A heartbeat timeout to assume when a claim does not carry one.
FALLBACK_HEARTBEAT_TIMEOUT = 30.0
MIN_HEARTBEAT_INTERVAL = 0.2
# Pause after a failed claim request, so an outage is not hammered.
ERROR_BACKOFF = 2.0


class TaskFailure(Exception):
    """Raise it from a task function to choose how the task fails.

    :param message: what went wrong, for people.
    :param error_type: a short name such as ``DiskFull`` that retry
        policies and failure handlers match; default ``TaskFailure``.
    :param retryable: False fails the task for good, whatever its retry
        policy says.
    :param details: any JSON document stored with the error.
    """

    def __init__(self, message, error_type=None, retryable=True,
                 details=None):
        super().__init__(message)
        self.error_type = error_type or type(self).__name__
        self.retryable = retryable
        self.details = details


class Job:
    """What a task function may know and do about the item it runs."""

    def __init__(self, worker, claim):
        self.worker = worker
        self.claim = claim
        self.lost = threading.Event()
        self._progress = None
        self._lock = threading.Lock()

    task_id = property(lambda self: self.claim.get('task_id'))
    execution_id = property(lambda self: self.claim.get('execution_id'))
    task_type = property(lambda self: self.claim.get('task_type'))
    attempt = property(lambda self: self.claim.get('attempt'))

    def progress(self, document):
        """Report progress (any JSON document) with the next heartbeat,
        which is sent now.
        """
        with self._lock:
            self._progress = document
        self.heartbeat()

    def heartbeat(self):
        """Renew the claim. Returns False once the claim is lost (its
        lease expired or it was cancelled): the result will be refused.
        """
        with self._lock:
            progress = self._progress
        try:
            self.worker.client.claims.heartbeat(self.claim,
                                                progress=progress)
        except (exceptions.Conflict, exceptions.NotFound) as e:
            LOG.warning('Lost the claim of task %(task)s: %(error)s',
                        {'task': self.task_id, 'error': e})
            self.lost.set()
        except exceptions.ClientError as e:
            # A passing outage: the lease usually outlives a few misses.
            LOG.warning('Heartbeat of task %(task)s failed: %(error)s',
                        {'task': self.task_id, 'error': e})
        return not self.lost.is_set()


def _accepts_job(function):
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = [p for p in parameters if p.kind in (
        p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(
        p.kind == p.VAR_POSITIONAL for p in parameters)


class Worker:
    """Claims work items of a queue and runs the registered functions.

    :param client: a :class:`convectionclient.v1.client.Client`.
    :param queue: the queue to claim from. Without one, the worker
        claims from the queue named after its only task type (the
        service's default queue of a type).
    :param name: the worker's name among the queue's live workers;
        ``host:pid`` by default.
    :param concurrency: items run at the same time, each in a thread.
    :param wait: seconds one claim request waits for an item. A stop
        request takes effect when the request in progress returns.
    :param heartbeat_fraction: heartbeat every this fraction of the
        claim's heartbeat timeout.
    """

    def __init__(self, client, queue=None, name=None, concurrency=1,
                 wait=DEFAULT_WAIT,
                 heartbeat_fraction=DEFAULT_HEARTBEAT_FRACTION):
        if concurrency < 1:
            raise exceptions.InvalidInput(
                f'concurrency must be at least 1, not {concurrency!r}.')
        if not 0 < heartbeat_fraction < 1:
            raise exceptions.InvalidInput(
                'heartbeat_fraction must be between 0 and 1, not '
                f'{heartbeat_fraction!r}.')
        self.client = client
        self.queue = queue
        self.name = name or f'{socket.gethostname()}:{os.getpid()}'
        self.concurrency = concurrency
        self.wait = wait
        self.heartbeat_fraction = heartbeat_fraction
        self.handlers = {}
        self.default_handler = None
        self._stop = threading.Event()
        self._count_lock = threading.Lock()
        self.completed = 0
        self.failed = 0

    def task(self, name_or_function=None):
        """Register a function for a task type.

        ``@worker.task`` uses the function's name as the task type,
        ``@worker.task('resize')`` the given one, and ``@worker.task('*')``
        makes it run items of any type this worker has no function for.
        """
        if callable(name_or_function):
            return self._register(name_or_function.__name__,
                                  name_or_function)

        def decorator(function):
            return self._register(name_or_function or function.__name__,
                                  function)
        return decorator

    def _register(self, task_type, function):
        if task_type == '*':
            self.default_handler = function
        else:
            self.handlers[task_type] = function
        return function

    @property
    def queue_name(self):
        if self.queue:
            return self.queue
        if len(self.handlers) == 1 and self.default_handler is None:
            return next(iter(self.handlers))
        raise exceptions.InvalidInput(
            'Give the Worker a queue: it has no single task type whose '
            'name is its queue.')

    def stop(self):
        """Claim no more items; :meth:`run` returns once the running ones
        are done.
        """
        self._stop.set()

    @property
    def stopping(self):
        return self._stop.is_set()

    def run(self, max_items=None, install_signal_handlers=True):
        """Claim and run items until :meth:`stop`, SIGTERM or Ctrl-C.

        :param max_items: return after claiming this many items (tests,
            batch jobs); forever when ``None``.
        :param install_signal_handlers: stop on SIGTERM and SIGINT (only
            possible in the main thread). A second Ctrl-C interrupts the
            running items.
        """
        queue = self.queue_name
        restore = self._install_signal_handlers() \
            if install_signal_handlers else {}
        LOG.info('Worker %(name)s claiming from queue %(queue)s',
                 {'name': self.name, 'queue': queue})
        slots = threading.Semaphore(self.concurrency)
        claimed = 0
        pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=self.concurrency,
            thread_name_prefix='convection-worker')
        try:
            while not self._stop.is_set():
                if max_items is not None and claimed >= max_items:
                    break
                slots.acquire()
                if self._stop.is_set():
                    # Stopped while every slot was busy.
                    slots.release()
                    break
                free = 1
                wanted = self.concurrency if max_items is None else min(
                    self.concurrency, max_items - claimed)
                while free < wanted and slots.acquire(blocking=False):
                    free += 1
                try:
                    claims = self._claim(queue, free)
                except BaseException:
                    slots.release(free)
                    raise
                if free > len(claims):
                    slots.release(free - len(claims))
                for claim in claims:
                    claimed += 1
                    future = pool.submit(self.process, claim)
                    future.add_done_callback(lambda _: slots.release())
        except KeyboardInterrupt:
            LOG.info('Interrupted: waiting for the running items')
            self._stop.set()
        finally:
            pool.shutdown(wait=True)
            for signum, handler in restore.items():
                signal.signal(signum, handler)
        LOG.info('Worker %(name)s stopped: %(ok)d completed, %(failed)d '
                 'failed', {'name': self.name, 'ok': self.completed,
                            'failed': self.failed})

    def _install_signal_handlers(self):
        if threading.current_thread() is not threading.main_thread():
            return {}
        previous = {}

        def on_signal(signum, frame):
            LOG.info('Signal %d: stopping after the running items', signum)
            self._stop.set()
            # A second Ctrl-C interrupts for real.
            signal.signal(signal.SIGINT, signal.default_int_handler)

        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, on_signal)
        return previous

    def _claim(self, queue, limit):
        try:
            return self.client.queues.claim(queue, limit=limit,
                                            wait=self.wait,
                                            worker=self.name)
        except exceptions.ClientError as e:
            if isinstance(e, (exceptions.Unauthorized,
                              exceptions.Forbidden, exceptions.BadRequest)):
                raise
            LOG.warning('Cannot claim from queue %(queue)s: %(error)s',
                        {'queue': queue, 'error': e})
            self._stop.wait(ERROR_BACKOFF)
            return []

    def heartbeat_interval(self, claim):
        timeout = claim.get('heartbeat_timeout') or \
            FALLBACK_HEARTBEAT_TIMEOUT
        return max(MIN_HEARTBEAT_INTERVAL, timeout * self.heartbeat_fraction)

    def process(self, claim):
        """Run one claimed item to its completion or failure."""
        job = Job(self, claim)
        function = self.handlers.get(claim.get('task_type')) or \
            self.default_handler
        done = threading.Event()
        beater = threading.Thread(
            target=self._beat, args=(job, done),
            name=f'heartbeat-{job.task_id}', daemon=True)
        beater.start()
        try:
            if function is None:
                raise TaskFailure(
                    f'Worker {self.name} has no function for task type '
                    f'{job.task_type!r}.', error_type='UnknownTaskType')
            args = (claim.get('input'), job) if _accepts_job(function) \
                else (claim.get('input'),)
            output = function(*args)
        except Exception as e:
            done.set()
            beater.join()
            self._report_failure(job, e)
        else:
            done.set()
            beater.join()
            self._report(job, 'complete', output=output)

    def _beat(self, job, done):
        interval = self.heartbeat_interval(job.claim)
        while not done.wait(interval):
            if not job.heartbeat():
                return

    def _report_failure(self, job, error):
        LOG.info('Task %(task)s (%(type)s) failed: %(error)s',
                 {'task': job.task_id, 'type': job.task_type,
                  'error': error})
        self._report(
            job, 'fail', message=str(error) or type(error).__name__,
            error_type=getattr(error, 'error_type', None) or
            type(error).__name__,
            retryable=getattr(error, 'retryable', True),
            details=getattr(error, 'details', None))

    def _report(self, job, verb, **kwargs):
        try:
            getattr(self.client.claims, verb)(job.claim, **kwargs)
        except (exceptions.Conflict, exceptions.NotFound) as e:
            # Expired, superseded or cancelled: another attempt or the
            # engine has the last word; nothing to undo here.
            LOG.warning('The result of task %(task)s was refused: '
                        '%(error)s', {'task': job.task_id, 'error': e})
            self._count('failed')
            return
        except exceptions.BadRequest as e:
            # An output that does not match the type's output schema.
            # The item stays claimed: fail it so it does not wait for
            # its lease to run out.
            LOG.warning('The output of task %(task)s was refused: '
                        '%(error)s', {'task': job.task_id, 'error': e})
            if verb == 'complete':
                self._report(job, 'fail', message=str(e),
                             error_type='InvalidOutput', retryable=False)
                return
            self._count('failed')
            return
        except exceptions.ClientError as e:
            # The lease runs out and another attempt runs the item.
            LOG.error('Cannot report task %(task)s: %(error)s',
                      {'task': job.task_id, 'error': e})
            self._count('failed')
            return
        self._count('completed' if verb == 'complete' else 'failed')

    def _count(self, outcome):
        with self._count_lock:
            setattr(self, outcome, getattr(self, outcome) + 1)
