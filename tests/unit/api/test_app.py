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

from pecan import util as pecan_util

from convection.api import app
from tests.unit.api import base


class ControllerSignaturesTestCase(base.APITestCase):
    """Pecan reads a controller's signature once, not per request."""

    def test_second_request_reads_no_signature(self):
        self.create_flow()
        self.assertEqual(200, self.get('/v1/flows/hello').status_int)
        misses = pecan_util._getargspec.cache_info().misses

        response = self.get('/v1/flows/hello')

        self.assertEqual(200, response.status_int)
        self.assertEqual('hello', response.json['name'])
        self.assertEqual(misses, pecan_util._getargspec.cache_info().misses)

    def test_building_the_app_again_keeps_one_cache(self):
        cached = pecan_util._getargspec
        app.setup_app(with_auth=False)
        self.assertIs(cached, pecan_util._getargspec)
