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

import fixtures
from requests_mock.contrib import fixture as rm_fixture
import testtools

from convectionclient.v1 import client

ENDPOINT = 'http://convection.test:8989'


class TestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.EnvironmentVariable('OS_CLOUD'))
        self.requests = self.useFixture(
            rm_fixture.Fixture(case_sensitive=True))


class ClientTestCase(TestCase):
    """A client without Keystone bound to a mocked endpoint."""

    def setUp(self):
        super().setUp()
        self.client = client.Client(endpoint_override=ENDPOINT)

    def url(self, path):
        return ENDPOINT + path

    def last_json(self):
        return self.requests.last_request.json()
