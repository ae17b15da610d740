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

"""What one task transition costs the engine, and that it stays so."""

import datetime
import json

import oslo_messaging as messaging
from oslo_serialization import jsonutils

from convection.common import notifications
from convection.engine import rpcapi
from tests import base


class TestNotificationDrivers(base.TestCase):

    use_database = False

    def setUp(self):
        super().setUp()
        notifications.reset()
        self.addCleanup(notifications.reset)

    def _sends(self, drivers):
        notifications.reset()
        self.config(driver=drivers, group='oslo_messaging_notifications')
        return notifications.sends()

    def test_no_driver_sends_nothing(self):
        self.assertFalse(notifications.sends())
        self.assertFalse(self._sends([]))
        self.assertFalse(self._sends(['noop']))

    def test_a_real_driver_sends(self):
        self.assertTrue(self._sends(['messagingv2']))
        self.assertTrue(self._sends(['noop', 'log']))


class TestJsonReadySerializer(base.TestCase):

    use_database = False

    def setUp(self):
        super().setUp()
        self.serializer = rpcapi.JsonReadySerializer()
        self.default = messaging.JsonPayloadSerializer()

    def _wire(self, entity):
        return json.loads(jsonutils.dumps(
            self.serializer.serialize_entity(None, entity)))

    def test_json_documents_go_as_they_are(self):
        run = {'id': 't', 'attempt': 1, 'input': {'x': [1, 2.5, None]},
               'run_state': None, 'ok': True, 'tuple': (1, 2)}
        self.assertIs(run, self.serializer.serialize_entity(None, run))
        self.assertEqual(json.loads(jsonutils.dumps(
            self.default.serialize_entity(None, run))), self._wire(run))

    def test_anything_else_takes_the_default_path(self):
        when = datetime.datetime(2026, 1, 2, 3, 4, 5)
        result = {'output': {'at': when, 'ids': {'a'}}}
        sent = self.serializer.serialize_entity(None, result)
        self.assertIsNot(result, sent)
        self.assertEqual(self.default.serialize_entity(None, result), sent)
        self.assertEqual(json.loads(jsonutils.dumps(
            self.default.serialize_entity(None, result))),
            self._wire(result))
