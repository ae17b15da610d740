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

"""External workers, webhooks and notifications with real processes.

The workers are ``examples/workers/shell-worker.sh`` (POSIX shell, curl and
jq: no Python) run as separate processes against gunicorn, the engine and
the conductor; webhooks go to a receiver on 127.0.0.1 that checks their
signatures; notifications are read from the class's RabbitMQ vhost by a
real oslo.messaging notification listener.
"""

import os
import queue
import shutil
import signal
import time
import uuid

from oslo_config import cfg
import oslo_messaging as messaging
from oslo_serialization import jsonutils

from convection.webhooks import signing
from tests.functional import base
from tests.unit.webhooks import receiver

WORKER = os.path.join(base.REPO, 'examples', 'workers', 'shell-worker.sh')
TERMINAL = ('SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT')

# What the deployments of this module add to the harness's configuration.
EXTRA_CONFIG = """
[webhooks]
allowed_hosts = 127.0.0.1
delivery_interval = 0.2
backoff_base = 0.5

[queues]
claim_poll_interval = 0.1
"""

# The command the workers run per item: echo the input's n, say who did
# it and on which attempt.
ECHO_COMMAND = ['sh', '-c', 'sleep "${DELAY:-0}"; jq -c '
                '"{n: .n, worker: env.WORKER_NAME, '
                'attempt: (env.CONVECTION_ATTEMPT | tonumber)}"']


class _WorkerTests:
    """Mixed into one test class per backend below."""

    @classmethod
    def setUpClass(cls):
        template = base.CONFIG_TEMPLATE
        base.CONFIG_TEMPLATE = template.replace(
            'driver = noop', 'driver = messagingv2') + EXTRA_CONFIG
        try:
            super().setUpClass()
        finally:
            base.CONFIG_TEMPLATE = template

    def setUp(self):
        super().setUp()
        for tool in ('curl', 'jq'):
            if shutil.which(tool) is None:
                base.unavailable(self, tool, 'the shell worker needs it')

    # Helpers

    def register_type(self, **values):
        name = base.unique_name('tt')
        body = dict({'name': name, 'queue': name,
                     'output_schema': {'type': 'object',
                                       'required': ['n']}}, **values)
        self.post('/v1/task-types', body, expect=201)
        return name

    def run_flow(self, tasks, **extra):
        name = base.unique_name('flow')
        self.post('/v1/flows', {'definition': dict(
            {'version': 1, 'name': name, 'tasks': tasks}, **extra)},
            expect=201)
        return self.post('/v1/executions', {'flow': name},
                         expect=202).json()

    def start_worker(self, queue_name, name, command=ECHO_COMMAND, **env):
        process = base.Process(
            f'worker-{name}-{uuid.uuid4().hex[:6]}',
            ['sh', WORKER, queue_name, *command],
            self.deployment.workdir,
            env=dict({'CONVECTION_URL': self.deployment.url,
                      'OS_TOKEN': base.get_token('alice'),
                      'WORKER_NAME': name, 'CLAIM_WAIT': '2'}, **env))
        self.addCleanup(process.stop)
        self.addDetail(f'{process.name}-log', base.content.content_from_file(
            process.log_path, buffer_now=False))
        return process

    def tasks(self, execution_id):
        return {t['name']: t for t in self.get(
            f'/v1/executions/{execution_id}/tasks', expect=200).json()[
                'tasks']}

    # Tests

    def test_two_shell_workers_share_a_queue(self):
        queue_name = self.register_type()
        tasks = {f't{n}': {'type': queue_name, 'with': {'n': n}}
                 for n in range(8)}
        execution = self.run_flow(tasks)
        for name in ('w1', 'w2'):
            self.start_worker(queue_name, name, DELAY='0.3')
        execution = self.wait_for_execution(execution['id'], TERMINAL)
        self.assertEqual('SUCCEEDED', execution['state'], execution)
        tasks = self.tasks(execution['id'])
        self.assertEqual(set(range(8)),
                         {t['output']['n'] for t in tasks.values()})
        # No item was done twice: each task ran once, on attempt 1.
        self.assertEqual({1}, {t['attempt'] for t in tasks.values()})
        self.assertEqual({1}, {t['output']['attempt']
                               for t in tasks.values()})
        events = self.get(f"/v1/executions/{execution['id']}/events",
                          expect=200).json()['events']
        succeeded = [e['task_name'] for e in events
                     if e['kind'] == 'task' and e['to_state'] == 'SUCCEEDED']
        self.assertEqual(sorted(tasks), sorted(succeeded))
        stats = self.get(f'/v1/queues/{queue_name}', expect=200).json()
        self.assertEqual((0, 0), (stats['backlog'], stats['in_flight']))
        self.assertEqual({'w1', 'w2'}, set(stats['workers']))

    def test_killed_worker_item_is_redelivered(self):
        queue_name = self.register_type(heartbeat_timeout=2,
                                        retry={'count': 2})
        execution = self.run_flow({'t': {'type': queue_name,
                                         'with': {'n': 7}}})
        doomed = self.start_worker(queue_name, 'doomed', DELAY='600')
        self.wait_until('the item to be claimed', lambda: self.get(
            f'/v1/queues/{queue_name}', expect=200).json()['in_flight'])
        os.killpg(doomed.popen.pid, signal.SIGKILL)
        doomed.popen.wait(10)
        self.start_worker(queue_name, 'rescuer')
        execution = self.wait_for_execution(execution['id'], TERMINAL)
        self.assertEqual('SUCCEEDED', execution['state'], execution)
        output = self.tasks(execution['id'])['t']['output']
        self.assertEqual({'n': 7, 'worker': 'rescuer', 'attempt': 2},
                         output)

    def test_failing_command_fails_the_task(self):
        queue_name = self.register_type()
        execution = self.run_flow({'t': {'type': queue_name,
                                         'with': {'n': 1}}})
        self.start_worker(queue_name, 'grumpy',
                          command=['sh', '-c', 'echo no disk >&2; exit 3'])
        execution = self.wait_for_execution(execution['id'], TERMINAL)
        self.assertEqual('FAILED', execution['state'], execution)
        error = self.tasks(execution['id'])['t']['error']
        self.assertEqual('CommandFailed', error['type'])
        self.assertIn('exit status 3: no disk', error['message'])

    def test_heartbeats_keep_a_long_item(self):
        queue_name = self.register_type(heartbeat_timeout=2)
        execution = self.run_flow({'t': {'type': queue_name,
                                         'with': {'n': 1}}})
        # Three lease lengths of work, kept alive by heartbeats.
        self.start_worker(queue_name, 'slow', DELAY='6')
        execution = self.wait_for_execution(execution['id'], TERMINAL)
        self.assertEqual('SUCCEEDED', execution['state'], execution)
        self.assertEqual(1, self.tasks(execution['id'])['t']['output'][
            'attempt'])

    def test_schema_invalid_output_is_rejected(self):
        queue_name = self.register_type()
        execution = self.run_flow({'t': {'type': queue_name,
                                         'with': {'n': 3}}})
        items = self.wait_until('an item', lambda: self.post(
            f'/v1/queues/{queue_name}/claims',
            {'wait': 2, 'worker': 'manual'}, expect=200).json()['items'])
        token = items[0]['claim_token']
        error = self.post(f'/v1/claims/{token}/complete',
                          {'output': {'m': 3}}, expect=400).json()['error']
        self.assertIn("'n' is a required property", error['message'])
        self.post(f'/v1/claims/{token}/complete', {'output': {'m': 3}},
                  user='bob', expect=404)
        self.post(f'/v1/claims/{token}/complete', {'output': {'n': 3}},
                  expect=200)
        self.post(f'/v1/claims/{token}/complete', {'output': {'n': 4}},
                  expect=409)
        execution = self.wait_for_execution(execution['id'], TERMINAL)
        self.assertEqual('SUCCEEDED', execution['state'], execution)
        self.assertEqual({'n': 3},
                         self.tasks(execution['id'])['t']['output'])

    def test_signal_resumes_a_waiting_flow(self):
        execution = self.run_flow(
            {'approval': {'type': 'wait',
                          'with': {'signal': 'approved', 'timeout': 120}},
             'after': {'type': 'echo', 'requires': ['approval'],
                       'with': {'by': '{{ tasks.approval.output.payload'
                                      '.by }}'}}},
            output={'by': '{{ tasks.after.output.by }}'})
        self.wait_until('the wait task to wait', lambda: self.tasks(
            execution['id']).get('approval', {}).get('state') == 'WAITING')
        self.post(f"/v1/executions/{execution['id']}/signals/approved",
                  {'payload': {'by': 'rita'}}, user='bob', expect=404)
        self.post(f"/v1/executions/{execution['id']}/signals/approved",
                  {'payload': {'by': 'rita'}}, expect=202)
        execution = self.wait_for_execution(execution['id'], TERMINAL,
                                            timeout=30)
        self.assertEqual('SUCCEEDED', execution['state'], execution)
        self.assertEqual({'by': 'rita'}, execution['output'])
        self.post(f"/v1/executions/{execution['id']}/signals/approved",
                  {'payload': None}, expect=409)

    def test_signed_webhooks_reach_a_local_receiver(self):
        rcv = self.useFixture(receiver.Receiver())
        name = base.unique_name('hooked')
        hook = self.post('/v1/webhooks', {
            'url': rcv.url + '/events', 'events': ['execution.*'],
            'flows': [name]}, expect=201).json()
        self.post('/v1/flows', {'definition': {
            'version': 1, 'name': name,
            'tasks': {'a': {'type': 'echo'}}}}, expect=201)
        execution = self.post('/v1/executions', {'flow': name},
                              expect=202).json()
        self.wait_for_execution(execution['id'], TERMINAL)
        seen = []
        deadline = time.monotonic() + 30
        while 'execution.SUCCEEDED' not in [p['event'] for p in seen]:
            self.assertLess(time.monotonic(), deadline, seen)
            try:
                path, headers, body = rcv.requests.get(timeout=1)
            except queue.Empty:
                continue
            self.assertEqual('/events', path)
            self.assertTrue(signing.verify(
                hook['secret'], headers[signing.TIMESTAMP_HEADER], body,
                headers[signing.SIGNATURE_HEADER], now=time.time()))
            seen.append(jsonutils.loads(body))
        self.assertEqual({execution['id']},
                         {p['execution_id'] for p in seen})
        self.assertEqual({'execution.RUNNING', 'execution.SUCCEEDED'},
                         {p['event'] for p in seen})
        deliveries = self.get(f"/v1/webhooks/{hook['id']}/deliveries",
                              expect=200).json()['deliveries']
        self.assertIn('delivered', {d['status'] for d in deliveries})

    def test_notifications_on_rabbitmq(self):
        seen = queue.Queue()

        class Endpoint:
            def info(self, ctxt, publisher_id, event_type, payload,
                     metadata):
                seen.put((event_type, payload))

        conf = cfg.ConfigOpts()
        conf([], project='convection-tests', default_config_files=[])
        transport = messaging.get_notification_transport(
            conf, url=self.deployment.vhost.url)
        self.addCleanup(transport.cleanup)
        listener = messaging.get_notification_listener(
            transport, [messaging.Target(topic='notifications',
                                         exchange='convection')],
            [Endpoint()], executor='threading')
        listener.start()
        self.addCleanup(listener.wait)
        self.addCleanup(listener.stop)
        name = base.unique_name('notified')
        self.post('/v1/flows', {'definition': {
            'version': 1, 'name': name,
            'tasks': {'a': {'type': 'echo'}}}}, expect=201)
        execution = self.post('/v1/executions', {'flow': name},
                              expect=202).json()
        event_types = []
        deadline = time.monotonic() + 30
        while 'convection.execution.succeeded' not in event_types:
            self.assertLess(time.monotonic(), deadline, event_types)
            try:
                event_type, payload = seen.get(timeout=1)
            except queue.Empty:
                continue
            if payload.get('execution_id') == execution['id']:
                event_types.append(event_type)
        self.assertIn('convection.task.succeeded', event_types)
        self.assertIn('convection.execution.running', event_types)


class SQLiteWorkersTest(_WorkerTests, base.FunctionalTestCase):
    backend = 'sqlite'


class PostgreSQLWorkersTest(_WorkerTests, base.FunctionalTestCase):
    backend = 'postgresql'


class MariaDBWorkersTest(_WorkerTests, base.FunctionalTestCase):
    backend = 'mariadb'
