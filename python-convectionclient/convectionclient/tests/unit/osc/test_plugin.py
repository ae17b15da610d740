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

import json

from convectionclient.tests.unit.osc import base

KEYSTONE = 'http://keystone.test/v3'


class TestPluginEndpoint(base.CLITestCase):

    def test_endpoint_option_and_microversion(self):
        self.requests.get(self.url('/v1/flows'), json={'flows': []})
        self.run_ok('taskflow', 'list')
        headers = self.requests.last_request.headers
        self.assertEqual('taskflow 1.0', headers['OpenStack-API-Version'])

    def test_api_version_option(self):
        self.requests.get(self.url('/v1/flows'), json={'flows': []})
        self.run_ok('--os-taskflow-api-version', '1.2', 'taskflow', 'list')
        self.assertEqual(
            'taskflow 1.2',
            self.requests.last_request.headers['OpenStack-API-Version'])

    def test_unsupported_major_version(self):
        rc, _, err = self.run_cli('--os-taskflow-api-version', '2.0',
                                  'taskflow', 'list')
        self.assertNotEqual(0, rc)
        self.assertEqual(0, self.requests.call_count)

    def test_endpoint_from_environment(self):
        self.useFixture(base.fixtures.EnvironmentVariable(
            'OS_TASKFLOW_ENDPOINT', 'http://env.test:1234/v1'))
        self.requests.get('http://env.test:1234/v1/flows',
                          json={'flows': []})
        self.run_ok('taskflow', 'list', auth=['--os-auth-type', 'none'])

    def test_noauth_endpoint_option(self):
        self.requests.get(self.url('/v1/flows'), json={'flows': []})
        self.run_ok('taskflow', 'list',
                    auth=['--os-auth-type', 'none', '--os-endpoint',
                          base.base.ENDPOINT])

    def test_noauth_without_endpoint(self):
        rc, _, err = self.run_cli('taskflow', 'list',
                                  auth=['--os-auth-type', 'none'])
        self.assertEqual(1, rc)
        self.assertIn('give --os-taskflow-endpoint', err)
        self.assertEqual(0, self.requests.call_count)


class TestPluginCatalog(base.CLITestCase):

    AUTH = ['--os-auth-url', KEYSTONE, '--os-username', 'u',
            '--os-password', 'p', '--os-project-id', 'p1',
            '--os-user-domain-id', 'default', '--os-region-name', 'R1']

    def token(self, catalog):
        self.requests.get(KEYSTONE, json={'version': {
            'id': 'v3.14', 'status': 'stable',
            'links': [{'rel': 'self', 'href': KEYSTONE + '/'}]}})
        self.requests.post(KEYSTONE + '/auth/tokens',
                           headers={'X-Subject-Token': 'tok'},
                           json={'token': {
                               'methods': ['password'],
                               'expires_at': '2099-01-01T00:00:00Z',
                               'project': {'id': 'p1', 'name': 'demo',
                                           'domain': {'id': 'default',
                                                      'name': 'D'}},
                               'user': {'id': 'u', 'name': 'u',
                                        'domain': {'id': 'default',
                                                   'name': 'D'}},
                               'catalog': catalog}})

    def test_catalog_service_type_taskflow(self):
        self.token([{'type': 'taskflow', 'name': 'convection',
                     'endpoints': [{'interface': 'public', 'region': 'R1',
                                    'region_id': 'R1',
                                    'url': 'http://cat.test:8989'}]}])
        self.requests.get('http://cat.test:8989/v1/flows',
                          json={'flows': [{'id': 'f', 'name': 'n'}]})
        out, _ = self.run_ok('taskflow', 'list', '-f', 'json',
                             auth=self.AUTH)
        self.assertEqual('n', json.loads(out)[0]['Name'])
        self.assertEqual('tok',
                         self.requests.last_request.headers['X-Auth-Token'])

    def test_catalog_without_taskflow(self):
        self.token([])
        rc, _, err = self.run_cli('taskflow', 'list', auth=self.AUTH)
        self.assertEqual(1, rc)
        self.assertIn('--os-taskflow-endpoint', err)
