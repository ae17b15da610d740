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

import os
import signal
import threading
import time

import fixtures

from convectionclient import exceptions
from convectionclient import worker as worker_lib
from convectionclient.tests.unit import base

TOKEN = 'abcdef0123456789abcdef0123456789.secret'


def item(task_type='resize', heartbeat_timeout=30, **extra):
    return dict({'claim_token': TOKEN, 'task_id': 't1',
                 'execution_id': 'e1', 'task_type': task_type,
                 'input': {'w': 10}, 'attempt': 2,
                 'heartbeat_timeout': heartbeat_timeout}, **extra)


class WorkerTestCase(base.ClientTestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.MonkeyPatch(
            'convectionclient.worker.ERROR_BACKOFF', 0.01))
        self.worker = worker_lib.Worker(self.client, queue='images',
                                        name='w1', wait=5)
        for verb in ('heartbeat', 'complete', 'fail'):
            self.requests.post(self.url(f'/v1/claims/{TOKEN}/{verb}'),
                               json={'claim_token': TOKEN})

    def queue_items(self, *items):
        """Claims answer ``items`` one by one, then nothing."""
        answers = [{'json': {'items': [i]}} for i in items]
        self.requests.post(self.url('/v1/queues/images/claims'),
                           answers + [{'json': {'items': []}}])

    def posted(self, verb):
        return [r.json() for r in self.requests.request_history
                if r.path == f'/v1/claims/{TOKEN}/{verb}']

    def run_worker(self, items=1):
        self.worker.run(max_items=items, install_signal_handlers=False)


class TestRegistration(WorkerTestCase):

    def test_decorator_forms(self):
        worker = worker_lib.Worker(self.client)

        @worker.task
        def resize(params):
            return params

        self.assertEqual('resize', worker.queue_name)

        @worker.task('thumbnail')
        def thumb(params):
            return params

        self.assertIs(thumb, worker.handlers['thumbnail'])
        self.assertIs(resize, worker.handlers['resize'])
        # Two types and no queue: which one to claim from is unclear.
        self.assertRaises(exceptions.InvalidInput, getattr, worker,
                          'queue_name')

    def test_bad_settings(self):
        self.assertRaises(exceptions.InvalidInput, worker_lib.Worker,
                          self.client, concurrency=0)
        self.assertRaises(exceptions.InvalidInput, worker_lib.Worker,
                          self.client, heartbeat_fraction=1.5)


class TestRun(WorkerTestCase):

    def test_return_value_completes(self):
        self.queue_items(item())
        seen = []

        @self.worker.task
        def resize(params):
            seen.append(params)
            return {'path': '/thumb.png'}

        self.run_worker()
        self.assertEqual([{'w': 10}], seen)
        self.assertEqual([{'output': {'path': '/thumb.png'}}],
                         self.posted('complete'))
        claim_request = self.requests.request_history[0]
        self.assertEqual({'limit': 1, 'wait': 5.0, 'worker': 'w1'},
                         claim_request.json())
        self.assertEqual((1, 0), (self.worker.completed, self.worker.failed))

    def test_exception_fails_retryably(self):
        self.queue_items(item())

        @self.worker.task('resize')
        def broken(params):
            raise ValueError('width must be even')

        self.run_worker()
        self.assertEqual([{'message': 'width must be even',
                           'error_type': 'ValueError', 'retryable': True}],
                         self.posted('fail'))
        self.assertEqual([], self.posted('complete'))

    def test_exception_may_refuse_retries(self):
        class Fatal(Exception):
            retryable = False

        self.queue_items(item(), item())
        errors = iter([
            worker_lib.TaskFailure('Disk full', error_type='DiskFull',
                                   retryable=False, details={'free': 0}),
            Fatal('corrupt image')])

        @self.worker.task('resize')
        def broken(params):
            raise next(errors)

        self.run_worker(items=2)
        self.assertEqual(
            [{'message': 'Disk full', 'error_type': 'DiskFull',
              'retryable': False, 'details': {'free': 0}},
             {'message': 'corrupt image', 'error_type': 'Fatal',
              'retryable': False}], self.posted('fail'))

    def test_unknown_task_type_fails(self):
        self.queue_items(item(task_type='rotate'))

        @self.worker.task
        def resize(params):
            return None

        self.run_worker()
        failure, = self.posted('fail')
        self.assertEqual(('UnknownTaskType', True),
                         (failure['error_type'], failure['retryable']))
        self.assertIn("no function for task type 'rotate'",
                      failure['message'])

    def test_wildcard_runs_any_type(self):
        self.queue_items(item(task_type='rotate'))
        self.worker.task('*')(lambda params, job: job.task_type)
        self.run_worker()
        self.assertEqual([{'output': 'rotate'}], self.posted('complete'))

    def test_heartbeats_at_a_fraction_of_the_lease(self):
        self.queue_items(item(heartbeat_timeout=0.9))

        @self.worker.task
        def resize(params):
            time.sleep(1.05)
            return 'done'

        self.run_worker()
        paths = [r.path.rsplit('/', 1)[-1]
                 for r in self.requests.request_history[1:]]
        # Every 0.3 s while it runs (three, give or take a slow
        # machine), then the completion, and no heartbeat after it.
        self.assertEqual('complete', paths[-1])
        self.assertEqual({'heartbeat'}, set(paths[:-1]))
        self.assertIn(len(paths) - 1, (2, 3, 4))

    def test_progress_is_sent_with_heartbeats(self):
        self.queue_items(item())

        @self.worker.task
        def resize(params, job):
            self.assertEqual((2, 'e1'), (job.attempt, job.execution_id))
            job.progress({'percent': 50})
            return None

        self.run_worker()
        self.assertEqual([{'progress': {'percent': 50}}],
                         self.posted('heartbeat'))
        self.assertEqual([{}], self.posted('complete'))

    def test_lost_claim_is_noticed_and_result_refused(self):
        conflict = {'status_code': 409, 'json': {'error': {
            'code': 409, 'title': 'Conflict',
            'message': 'Claim is no longer valid: superseded.'}}}
        self.requests.post(self.url(f'/v1/claims/{TOKEN}/heartbeat'),
                           **conflict)
        self.requests.post(self.url(f'/v1/claims/{TOKEN}/complete'),
                           **conflict)
        self.queue_items(item(heartbeat_timeout=0.6))
        noticed = []

        @self.worker.task
        def resize(params, job):
            noticed.append(job.lost.wait(5))
            return 'too late'

        self.run_worker()
        self.assertEqual([True], noticed)
        self.assertEqual((0, 1), (self.worker.completed, self.worker.failed))

    def test_output_refused_by_the_schema_fails_the_item(self):
        self.requests.post(
            self.url(f'/v1/claims/{TOKEN}/complete'), status_code=400,
            json={'error': {'code': 400, 'title': 'Bad Request',
                            'message': 'Output of task type resize: 3 is '
                                       'not of type object'}})
        self.queue_items(item())
        self.worker.task('resize')(lambda params: 3)
        self.run_worker()
        failure, = self.posted('fail')
        self.assertEqual(('InvalidOutput', False),
                         (failure['error_type'], failure['retryable']))
        self.assertIn('not of type object', failure['message'])

    def test_claim_outage_is_waited_out_but_auth_errors_stop(self):
        self.requests.post(self.url('/v1/queues/images/claims'), [
            {'status_code': 503, 'json': {'error': {
                'code': 503, 'title': 'Service Unavailable',
                'message': 'down'}}},
            {'json': {'items': [item()]}}])
        self.worker.task('resize')(lambda params: 'ok')
        self.run_worker()
        self.assertEqual([{'output': 'ok'}], self.posted('complete'))

        self.requests.post(self.url('/v1/queues/images/claims'),
                           status_code=401, json={'error': {
                               'code': 401, 'title': 'Unauthorized',
                               'message': 'token expired'}})
        worker = worker_lib.Worker(self.client, queue='images')
        self.assertRaises(exceptions.Unauthorized, worker.run,
                          install_signal_handlers=False)

    def test_concurrency_claims_for_free_slots(self):
        worker = worker_lib.Worker(self.client, queue='images',
                                   concurrency=3, wait=1)
        both = threading.Barrier(2, timeout=5)
        second = item(claim_token=TOKEN, task_id='t2')
        self.requests.post(self.url('/v1/queues/images/claims'), [
            {'json': {'items': [item(), second]}},
            {'json': {'items': []}}])
        # Both run at the same time, or the barrier breaks.
        worker.task('resize')(lambda params: both.wait())
        worker.run(max_items=2, install_signal_handlers=False)
        # Three free slots, but only two items left to take.
        self.assertEqual(2, self.requests.request_history[0].json()['limit'])
        self.assertEqual(2, worker.completed)


class TestStop(WorkerTestCase):

    def test_sigterm_stops_after_the_running_item(self):
        started = threading.Event()

        def claims(request, context):
            # A short long-poll, so the loop comes back to look at the
            # stop flag.
            time.sleep(0.05)
            if not started.is_set():
                return {'items': [item()]}
            return {'items': []}

        self.requests.post(self.url('/v1/queues/images/claims'),
                           json=claims)

        @self.worker.task
        def resize(params):
            started.set()
            time.sleep(0.3)
            return 'finished'

        previous = signal.getsignal(signal.SIGTERM)
        threading.Timer(0.15, os.kill,
                        (os.getpid(), signal.SIGTERM)).start()
        self.worker.run()
        self.assertTrue(self.worker.stopping)
        self.assertEqual([{'output': 'finished'}], self.posted('complete'))
        self.assertIs(previous, signal.getsignal(signal.SIGTERM))

    def test_keyboard_interrupt_stops(self):
        def claims(request, context):
            raise KeyboardInterrupt

        self.requests.post(self.url('/v1/queues/images/claims'),
                           json=claims)
        self.worker.task('resize')(lambda params: None)
        self.worker.run(install_signal_handlers=False)
        self.assertTrue(self.worker.stopping)

    def test_stop_while_busy_claims_no_more(self):
        self.queue_items(item(), item())

        @self.worker.task
        def resize(params):
            # Long enough for the claim loop to wait for this slot.
            time.sleep(0.2)
            self.worker.stop()
            return 'last'

        self.worker.run(install_signal_handlers=False)
        claims = [r for r in self.requests.request_history
                  if r.path.endswith('/claims')]
        self.assertEqual(1, len(claims))
        self.assertEqual([{'output': 'last'}], self.posted('complete'))
