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

"""Task types, workers, signals, lifecycle actions and webhooks from the
``openstack`` command against one ``convection-all``.
"""

import hashlib
import hmac
import http.server
import json
import sys
import threading
import time

from convectionclient import worker as worker_lib
from convectionclient.tests.functional import base
from convectionclient.v1 import client as v1_client

# A worker in "another language": any program reading JSON on stdin.
UPPER = ('import json, sys; d = json.load(sys.stdin); '
         'print(json.dumps({"text": d["text"].upper()}))')
# Fails (retryably) until the file named by its input exists.
FLAKY = ('import json, os, sys; d = json.load(sys.stdin); p = d["marker"]\n'
         'if not os.path.exists(p):\n'
         '    open(p, "w").close()\n'
         '    sys.exit("first attempt: disk full")\n'
         'print(json.dumps({"attempt": os.environ["CONVECTION_ATTEMPT"]}))')


def flow_of(name, task_type, params):
    return json.dumps({
        'version': 1, 'name': name,
        'input': {'type': 'object'},
        'tasks': {'work': {'type': task_type, 'with': params}},
        'output': {'result': '{{ tasks.work.output }}'}})


class Receiver(http.server.BaseHTTPRequestHandler):
    """Records the webhook deliveries it is sent."""

    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers['Content-Length']))
        self.received.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


class TestWorkersCLI(base.ServerTestCase):

    extra_config = ('[webhooks]\nallowed_networks = 127.0.0.0/8\n'
                    'delivery_interval = 0.2\n')

    def start_flow(self, name, task_type, params, queue=None):
        self.cli('task-type', 'create', task_type, '--queue',
                 queue or task_type, '--heartbeat-timeout', '5')
        self.cli('create', '--file', '-',
                 stdin=flow_of(name, task_type, params))
        return self.cli_json('execution', 'start', name)['id']

    def run_worker(self, queue, code, items=1, *extra):
        return self.cli('worker', 'run', '--queue', queue, '--max-items',
                        str(items), '--wait', '2', *extra, '--',
                        sys.executable, '-c', code)

    def test_worker_run_completes_a_tenant_task(self):
        execution = self.start_flow('ft-upper', 'upper',
                                    {'text': 'hello'}, queue='text')
        shown = self.cli_json('task-type', 'show', 'upper')
        self.assertEqual(('text', 5), (shown['queue'],
                                       shown['heartbeat_timeout']))
        listed = self.cli_json('task-type', 'list')
        self.assertIn('upper', [t['Name'] for t in listed])
        queue = self.wait_for('the item to be queued', lambda: (
            lambda q: q if q['backlog'] == 1 else None)(
                self.cli_json('queue', 'show', 'text')))
        self.assertEqual(0, queue['in_flight'])

        _, err = self.run_worker('text', UPPER, 1, '--name', 'ft-worker')
        self.assertIn('1 completed, 0 failed', err)
        final = self.cli_json('execution', 'wait', execution,
                              '--poll-interval', '0.2', '--timeout', '60')
        self.assertEqual('SUCCEEDED', final['state'])
        self.assertEqual({'result': {'text': 'HELLO'}}, final['output'])
        queue = self.cli_json('queue', 'show', 'text')
        self.assertEqual((0, 0), (queue['backlog'], queue['in_flight']))
        self.assertIn('ft-worker', queue['workers'])
        # Deleting a task type no unfinished execution uses.
        self.cli('task-type', 'delete', 'upper')
        self.cli('task-type', 'show', 'upper', expect=1)

    def test_python_worker_heartbeats_past_its_lease(self):
        tf = v1_client.Client(endpoint_override=self.endpoint)
        tf.task_types.create('slow-sum', heartbeat_timeout=2)
        self.cli('create', '--file', '-', stdin=flow_of(
            'ft-sum', 'slow-sum', {'numbers': [1, 2, 3]}))
        execution = tf.executions.create('ft-sum')
        worker = worker_lib.Worker(tf, name='py-worker', wait=2)
        progress = []

        @worker.task('slow-sum')
        def add(params, job):
            job.progress({'step': 'adding'})
            progress.append(tf.tasks.get(execution, 'work').get('progress'))
            # Twice the claim's lease: only the heartbeats keep it.
            time.sleep(4)
            return {'sum': sum(params['numbers']),
                    'attempt': job.attempt}

        worker.run(max_items=1, install_signal_handlers=False)
        self.assertEqual((1, 0), (worker.completed, worker.failed))
        self.assertEqual([{'step': 'adding'}], progress)
        final = tf.executions.wait(execution, timeout=60,
                                   poll_interval=0.2)
        self.assertEqual({'result': {'sum': 6, 'attempt': 1}},
                         final.output)

    def test_failing_command_and_retry(self):
        marker = f'{self.workdir}/flaky-marker'
        execution = self.start_flow('ft-flaky', 'flaky', {'marker': marker})
        _, err = self.run_worker('flaky', FLAKY)
        self.assertIn('exit 1', err)
        failed = self.cli_json('execution', 'wait', execution,
                               '--poll-interval', '0.2', '--timeout', '60',
                               expect=1)
        self.assertEqual('FAILED', failed['state'])
        self.assertIn('first attempt: disk full',
                      failed['error']['message'])
        task = self.cli_json('task', 'show', execution, 'work')
        self.assertEqual('CommandFailed', task['error']['type'])

        retried = self.cli_json('execution', 'retry', execution)
        self.assertEqual(execution, retried['id'])
        self.run_worker('flaky', FLAKY)
        final = self.cli_json('execution', 'wait', execution,
                              '--poll-interval', '0.2', '--timeout', '60')
        self.assertEqual('SUCCEEDED', final['state'])
        self.assertEqual({'result': {'attempt': '1'}}, final['output'])
        _, err = self.cli('execution', 'retry', execution, expect=1)
        self.assertIn('(HTTP 409)', err)

    def test_signal_pause_and_resume(self):
        self.cli('create', '--file', '-', stdin=json.dumps({
            'version': 1, 'name': 'ft-gate',
            'tasks': {
                'gate': {'type': 'wait',
                         'with': {'signal': 'approved', 'timeout': 60}},
                'after': {'type': 'echo', 'requires': ['gate'],
                          'with': {'message': 'go'}}}}))
        execution = self.cli_json('execution', 'start', 'ft-gate')['id']
        self.wait_for('the gate to wait', lambda: self.cli_json(
            'task', 'list', execution, '--state', 'WAITING'))
        self.cli('execution', 'pause', execution)
        self.wait_for('the pause', lambda: self.cli_json(
            'execution', 'show', execution)['state'] == 'PAUSED')

        signal = self.cli_json('execution', 'signal', execution,
                               'approved', '--payload', '{by: rita}')
        self.assertEqual(('approved', {'by': 'rita'}),
                         (signal['name'], signal['payload']))
        # Paused: the next task does not start.
        shown = self.cli_json('execution', 'show', execution)
        self.assertEqual('PAUSED', shown['state'])
        self.assertNotIn('SUCCEEDED', shown['task_counts'])

        self.cli('execution', 'resume', execution)
        final = self.cli_json('execution', 'wait', execution,
                              '--poll-interval', '0.2', '--timeout', '60')
        self.assertEqual({'SUCCEEDED': 2}, final['task_counts'])
        gate = self.cli_json('task', 'show', execution, 'gate')
        self.assertEqual({'by': 'rita'}, gate['output']['payload'])
        _, err = self.cli('execution', 'signal', execution, 'approved',
                          expect=1)
        self.assertIn('(HTTP 409)', err)

    def test_webhook_delivers_signed_events(self):
        Receiver.received = []
        server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Receiver)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        url = f'http://127.0.0.1:{server.server_address[1]}/hook'

        created = self.cli_json('webhook', 'create', url, '--event',
                                'execution.SUCCEEDED', '--flow', 'ft-hook',
                                '--secret', 's3cret-s3cret-s3cret')
        self.assertEqual('s3cret-s3cret-s3cret', created['secret'])
        shown = self.cli_json('webhook', 'show', created['id'])
        self.assertNotIn('secret', shown)
        self.assertEqual(['execution.SUCCEEDED'], shown['events'])
        self.assertIn(created['id'],
                      [w['ID'] for w in self.cli_json('webhook', 'list')])

        self.cli('create', '--file', '-', stdin=json.dumps({
            'version': 1, 'name': 'ft-hook',
            'tasks': {'one': {'type': 'noop'}}}))
        execution = self.cli_json('execution', 'start', 'ft-hook')['id']
        deliveries = self.wait_for('the delivery', lambda: [
            d for d in self.cli_json('webhook', 'deliveries', created['id'])
            if d['Status'] == 'delivered'])
        self.assertEqual('execution.SUCCEEDED', deliveries[0]['Event'])
        headers, body = Receiver.received[-1]
        self.assertEqual(execution, json.loads(body)['execution_id'])
        signed = headers['X-Convection-Timestamp'].encode() + b'.' + body
        self.assertEqual(
            'sha256=' + hmac.new(b's3cret-s3cret-s3cret', signed,
                                 hashlib.sha256).hexdigest(),
            headers['X-Convection-Signature'])
        self.cli('webhook', 'delete', created['id'])
        self.cli('webhook', 'show', created['id'], expect=1)
