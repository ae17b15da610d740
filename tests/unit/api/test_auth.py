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

import webtest

from convection.api import app
from tests.unit.api import base


class KeystoneAuthTestCase(base.APITestCase):

    def make_app(self):
        self.config(auth_strategy='keystone')
        # Building the app registers [keystone_authtoken]; the URI in the
        # 401's WWW-Authenticate header then needs no Keystone to ask.
        app.setup_app()
        self.config(www_authenticate_uri='https://keystone.example/v3',
                    group='keystone_authtoken')
        return webtest.TestApp(app.setup_app())

    def test_anonymous_request_is_json_401(self):
        for method, path in (('get', '/v1/flows'),
                             ('get', '/v1/executions/x'),
                             ('post', '/v1/flows')):
            response = self.request(method, path, persona=None)
            error = self.assertError(response, 401)
            self.assertEqual('Unauthorized', error['title'])
            self.assertIn('uri="https://keystone.example/v3"',
                          response.headers['WWW-Authenticate'])
            self.assertTrue(response.headers['x-openstack-request-id'])

    def test_identity_headers_alone_do_not_authenticate(self):
        # keystonemiddleware drops identity headers a client forges.
        self.assertError(self.get('/v1/flows', persona='admin'), 401)

    def test_public_routes(self):
        for path in ('/', '/v1', '/v1/', '/healthcheck'):
            response = self.get(path, persona=None)
            self.assertEqual(200, response.status_int, path)


class NoAuthTestCase(base.APITestCase):

    def make_app(self):
        self.config(auth_strategy='noauth')
        self.config(noauth_project_id='solo', noauth_user_id='me',
                    group='api')
        return webtest.TestApp(app.setup_app())

    def test_requests_act_as_the_configured_project(self):
        flow = self.create_flow(persona=None)
        self.assertEqual('solo', flow['project_id'])
        execution = self.start_execution(persona=None)
        self.assertEqual('solo', execution['project_id'])
        self.assertEqual('me', execution['user_id'])
        self.assertEqual(('start_execution', 'solo', execution['id']),
                         self.next_cast())

    def test_forged_identity_is_replaced(self):
        flow = self.create_flow(persona='other')
        self.assertEqual('solo', flow['project_id'])

    def test_admin_apis_are_allowed(self):
        response = self.get('/v1/executions?all_projects=true',
                            persona=None)
        self.assertEqual(200, response.status_int, response.text)
