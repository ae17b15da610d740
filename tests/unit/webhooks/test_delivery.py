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

import time

from oslo_serialization import jsonutils
from oslo_utils import timeutils

from convection.common import notifications
from convection.db.sqlalchemy import session
from convection.webhooks import api
from convection.webhooks import delivery
from convection.webhooks import signing
from tests import base
from tests.unit.queues import base as queue_base
from tests.unit.webhooks import receiver

PROJECT = queue_base.PROJECT


def _event(kind='execution', to_state='SUCCEEDED', execution_id='e1'):
    return {'execution_id': execution_id, 'task_execution_id': None,
            'task_name': None, 'kind': kind, 'from_state': 'RUNNING',
            'to_state': to_state, 'attempt': None, 'details': None,
            'created_at': timeutils.utcnow()}


class SigningTest(base.TestCase):

    use_database = False

    def test_sign_and_verify(self):
        signature = signing.sign('s3cret', 1000, b'{"a": 1}')
        self.assertTrue(signature.startswith('sha256='))
        self.assertTrue(signing.verify('s3cret', '1000', b'{"a": 1}',
                                       signature, now=1100))
        for secret, stamp, body, now in (
                ('other', '1000', b'{"a": 1}', 1100),
                ('s3cret', '1001', b'{"a": 1}', 1100),
                ('s3cret', '1000', b'{"a": 2}', 1100),
                ('s3cret', '1000', b'{"a": 1}', 2000),
                ('s3cret', 'x', b'{"a": 1}', 1100)):
            self.assertFalse(signing.verify(secret, stamp, body, signature,
                                            now=now))


class MatchTest(base.TestCase):

    use_database = False

    def test_filters(self):
        payload = {'event': 'task.FAILED', 'flow_name': 'deploy'}
        for events, flows, expected in (
                (None, None, True), (['task.*'], None, True),
                (['task.failed'], None, True), (['*'], None, True),
                (['execution.*'], None, False), (None, ['deploy'], True),
                (None, ['other'], False), (['*.FAILED'], ['deploy'], True)):
            self.assertEqual(expected, api.matches(
                {'events': events, 'flows': flows}, payload),
                (events, flows))


class DeliveryTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.config(allowed_hosts=['127.0.0.1'], backoff_base=0.1,
                    max_attempts=3, group='webhooks')
        self.execution_id = queue_base.make_execution()

    def _hook(self, rcv, **kwargs):
        return api.create_webhook(PROJECT, 'u', rcv.url + '/hook',
                                  secret='0123456789abcdef', **kwargs)

    def _transition(self, *events):
        execution = {'id': self.execution_id, 'project_id': PROJECT,
                     'user_id': 'u'}
        with session.writer_connection() as conn:
            notifications.on_transitions(conn, execution, list(events))

    def test_signed_delivery(self):
        rcv = self.useFixture(receiver.Receiver())
        hook = self._hook(rcv, events=['execution.*'])
        self._transition(_event(execution_id=self.execution_id),
                         _event('task', 'RUNNING', self.execution_id))
        self.assertEqual(1, delivery.deliver_due())
        path, headers, body = rcv.requests.get(timeout=5)
        self.assertEqual('/hook', path)
        self.assertTrue(signing.verify(
            '0123456789abcdef', headers[signing.TIMESTAMP_HEADER], body,
            headers[signing.SIGNATURE_HEADER], now=time.time()))
        payload = jsonutils.loads(body)
        self.assertEqual('execution.SUCCEEDED', payload['event'])
        self.assertEqual('f', payload['flow_name'])
        self.assertEqual(PROJECT, payload['project_id'])
        self.assertEqual('execution.SUCCEEDED',
                         headers[signing.EVENT_HEADER])
        [logged] = api.list_deliveries(PROJECT, hook['id'])
        self.assertEqual((api.DELIVERED, 1, 200),
                         (logged['status'], logged['attempts'],
                          logged['response_code']))
        self.assertEqual(0, delivery.deliver_due())

    def test_retries_with_backoff_then_gives_up(self):
        rcv = self.useFixture(receiver.Receiver(statuses=(500,)))
        hook = self._hook(rcv)
        self._transition(_event(execution_id=self.execution_id))
        self.assertEqual(1, delivery.deliver_due())
        [logged] = api.list_deliveries(PROJECT, hook['id'])
        self.assertEqual((api.PENDING, 1, 500),
                         (logged['status'], logged['attempts'],
                          logged['response_code']))
        self.assertIn('500', logged['last_error'])
        # Not due before its backoff.
        self.assertEqual(0, delivery.deliver_due())
        for _attempt in range(2):
            time.sleep(0.25)
            self.assertEqual(1, delivery.deliver_due())
        [logged] = api.list_deliveries(PROJECT, hook['id'])
        self.assertEqual((api.FAILED, 3), (logged['status'],
                                            logged['attempts']))
        self.assertEqual(3, rcv.requests.qsize())

    def test_receiver_recovering(self):
        rcv = self.useFixture(receiver.Receiver(statuses=(503, 204)))
        hook = self._hook(rcv)
        self._transition(_event(execution_id=self.execution_id))
        delivery.deliver_due()
        time.sleep(0.15)
        delivery.deliver_due()
        [logged] = api.list_deliveries(PROJECT, hook['id'])
        self.assertEqual((api.DELIVERED, 2, 204),
                         (logged['status'], logged['attempts'],
                          logged['response_code']))

    def test_unreachable_receiver_is_logged(self):
        rcv = self.useFixture(receiver.Receiver())
        hook = self._hook(rcv)
        rcv.server.server_close()
        rcv.server.shutdown()
        self._transition(_event(execution_id=self.execution_id))
        delivery.deliver_due()
        [logged] = api.list_deliveries(PROJECT, hook['id'])
        self.assertEqual(api.PENDING, logged['status'])
        self.assertIsNone(logged['response_code'])
        self.assertTrue(logged['last_error'])

    def test_filters_and_disabled_hooks(self):
        rcv = self.useFixture(receiver.Receiver())
        self._hook(rcv, flows=['other-flow'])
        self._hook(rcv, enabled=False)
        other = api.create_webhook('project-b', 'u', rcv.url,
                                   secret='0123456789abcdef')
        self._transition(_event(execution_id=self.execution_id))
        self.assertEqual(0, delivery.deliver_due())
        self.assertEqual([], api.list_deliveries('project-b', other['id']))

    def test_rolled_back_transition_stores_nothing(self):
        rcv = self.useFixture(receiver.Receiver())
        hook = self._hook(rcv)
        execution = {'id': self.execution_id, 'project_id': PROJECT,
                     'user_id': 'u'}
        try:
            with session.writer_connection() as conn:
                notifications.on_transitions(
                    conn, execution, [_event(execution_id=self.execution_id)])
                raise RuntimeError('the transition failed')
        except RuntimeError:
            pass
        self.assertEqual([], api.list_deliveries(PROJECT, hook['id']))
