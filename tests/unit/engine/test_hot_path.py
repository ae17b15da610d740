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

from convection.common import notifications
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

