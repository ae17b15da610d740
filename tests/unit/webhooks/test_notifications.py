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

"""Notifications and webhook deliveries of a flow run by the real engine."""

import queue
import time

from oslo_config import cfg
import oslo_messaging as messaging

from convection.common import notifications
from convection.common import states
from convection.webhooks import api as webhooks_api
from tests import base as test_base
from tests.unit.engine import base

CONF = cfg.CONF


class Endpoint:

    def __init__(self):
        self.seen = queue.Queue()

    def info(self, ctxt, publisher_id, event_type, payload, metadata):
        self.seen.put((publisher_id, event_type, payload))


class EngineNotificationsTest(base.EngineTestCase):

    def setUp(self):
        self.endpoint = Endpoint()
        super().setUp()
        self.config(driver=['messagingv2'],
                    group='oslo_messaging_notifications')
        notifications.reset()
        self.addCleanup(notifications.reset)
        transport = messaging.get_notification_transport(CONF)
        listener = messaging.get_notification_listener(
            transport, [messaging.Target(topic='notifications')],
            [self.endpoint], executor='threading')
        listener.start()
        self.addCleanup(listener.wait)
        self.addCleanup(listener.stop)

    def _collect(self, until, timeout=10):
        seen = []
        deadline = time.monotonic() + timeout
        while until not in [e for _p, e, _pl in seen]:
            self.assertLess(time.monotonic(), deadline, seen)
            try:
                seen.append(self.endpoint.seen.get(timeout=0.2))
            except queue.Empty:
                pass
        return seen

    def test_every_transition_is_notified_and_delivered(self):
        self.config(allowed_hosts=['127.0.0.1'], group='webhooks')
        hook = webhooks_api.create_webhook(
            base.PROJECT, base.USER, 'http://127.0.0.1:9/', events=['*'],
            secret='0123456789abcdef', enabled=True)
        execution = self.run_flow({'a': {'type': 'echo'}}, name='notified')
        self.assertEqual(states.SUCCEEDED, execution['state'])
        seen = self._collect('convection.execution.succeeded')
        event_types = [e for _p, e, _pl in seen]
        for expected in ('convection.execution.running',
                         'convection.task.running',
                         'convection.task.succeeded',
                         'convection.execution.succeeded'):
            self.assertIn(expected, event_types)
        publisher, _e, payload = seen[-1]
        self.assertTrue(publisher.startswith('convection.'))
        self.assertEqual({'event': 'execution.SUCCEEDED',
                          'execution_id': execution['id'],
                          'project_id': base.PROJECT,
                          'flow_name': 'notified', 'to_state': 'SUCCEEDED'},
                         {k: payload[k] for k in (
                             'event', 'execution_id', 'project_id',
                             'flow_name', 'to_state')})
        events = {d['event'] for d in webhooks_api.list_deliveries(
            base.PROJECT, hook['id'])}
        self.assertEqual({'execution.RUNNING', 'task.RUNNING',
                          'task.SUCCEEDED', 'execution.SUCCEEDED'}, events)


class NotifierRetryTest(test_base.TestCase):

    use_database = False

    def setUp(self):
        super().setUp()
        notifications.reset()
        self.addCleanup(notifications.reset)

    def test_broker_outage_does_not_stall_transitions(self):
        self.assertEqual(1, notifications.get_notifier().retry)

    def test_operator_setting_wins(self):
        messaging.get_notification_transport(CONF)
        self.config(retry=5, group='oslo_messaging_notifications')
        self.assertEqual(5, notifications.get_notifier().retry)
