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

from oslo_middleware import request_id

from tests.unit.api import base


class VersionDiscoveryTestCase(base.APITestCase):

    def test_root_lists_v1(self):
        response = self.get('/', persona=None)
        self.assertEqual(200, response.status_int)
        self.assertEqual('application/json', response.content_type)
        version = response.json['default_version']
        self.assertEqual('v1', version['id'])
        self.assertEqual('CURRENT', version['status'])
        self.assertEqual('1.0', version['min_version'])
        self.assertEqual('1.0', version['version'])
        self.assertEqual([{'href': 'http://localhost/v1/', 'rel': 'self'}],
                         version['links'])
        self.assertEqual([version], response.json['versions'])

    def test_v1_document_links_resources(self):
        for path in ('/v1', '/v1/'):
            response = self.get(path, persona=None)
            self.assertEqual(200, response.status_int, path)
            body = response.json
            self.assertEqual('v1', body['id'])
            self.assertEqual('http://localhost/v1/flows',
                             body['flows'][0]['href'])
            self.assertEqual('http://localhost/v1/executions',
                             body['executions'][0]['href'])
            self.assertEqual('http://localhost/v1/task-types',
                             body['task_types'][0]['href'])
            self.assertEqual('http://localhost/v1/webhooks',
                             body['webhooks'][0]['href'])
            self.assertEqual('application/json',
                             body['media_types'][0]['base'])

    def test_links_use_public_endpoint(self):
        self.config(public_endpoint='https://cloud.example.com/flow',
                    group='api')
        response = self.get('/', persona=None)
        self.assertEqual('https://cloud.example.com/flow/v1/',
                         response.json['versions'][0]['links'][0]['href'])

    def test_links_follow_forwarded_headers(self):
        self.config(enable_proxy_headers_parsing=True,
                    group='oslo_middleware')
        app = self.make_app()
        response = app.get('/', headers={
            'X-Forwarded-Proto': 'https',
            'X-Forwarded-Host': 'api.example.com'})
        self.assertEqual('https://api.example.com/v1/',
                         response.json['versions'][0]['links'][0]['href'])

    def test_healthcheck(self):
        response = self.get('/healthcheck', persona=None)
        self.assertEqual(200, response.status_int)

    def test_request_id_on_success_and_error(self):
        for path, status in (('/', 200), ('/nowhere', 404)):
            response = self.get(path)
            self.assertEqual(status, response.status_int)
            self.assertTrue(response.headers[request_id.HTTP_RESP_HEADER_REQUEST_ID]
                            .startswith('req-'))


class MicroversionTestCase(base.APITestCase):

    def test_no_header_gets_minimum(self):
        response = self.get('/v1/flows')
        self.assertEqual(200, response.status_int)
        self.assertEqual('taskflow 1.0',
                         response.headers['OpenStack-API-Version'])
        self.assertIn('OpenStack-API-Version', response.headers['Vary'])

    def test_supported_versions(self):
        for value in ('taskflow 1.0', 'TASKFLOW latest',
                      'compute 2.90, taskflow 1.0', 'compute 2.1'):
            response = self.get('/v1/flows',
                                headers={'OpenStack-API-Version': value})
            self.assertEqual(200, response.status_int, value)
            self.assertEqual('taskflow 1.0',
                             response.headers['OpenStack-API-Version'])

    def test_unsupported_version_is_406(self):
        for value in ('taskflow 1.1', 'taskflow 2.0', 'taskflow 0.9'):
            response = self.get('/v1/flows',
                                headers={'OpenStack-API-Version': value})
            self.assertError(response, 406, 'supports taskflow 1.0 to 1.0')

    def test_malformed_version_is_400(self):
        for value in ('taskflow', 'taskflow one', 'taskflow 1'):
            response = self.get('/v1/flows',
                                headers={'OpenStack-API-Version': value})
            self.assertError(response, 400, 'OpenStack-API-Version')


class CORSTestCase(base.APITestCase):

    def setUp(self):
        super().setUp()
        self.config(allowed_origin=['https://dash.example'], group='cors')
        self.app = self.make_app()

    def test_errors_carry_cors_headers(self):
        response = self.get('/v1/nowhere',
                            headers={'Origin': 'https://dash.example'})
        self.assertError(response, 404)
        self.assertEqual('https://dash.example',
                         response.headers['Access-Control-Allow-Origin'])
        self.assertIn('X-OpenStack-Request-ID',
                      response.headers['Access-Control-Expose-Headers'])

    def test_preflight_allows_microversion_header(self):
        response = self.app.options(
            '/v1/flows', headers={
                'Origin': 'https://dash.example',
                'Access-Control-Request-Method': 'POST',
                'Access-Control-Request-Headers':
                    'OpenStack-API-Version,Content-Type'})
        self.assertEqual(200, response.status_int)
        self.assertEqual('https://dash.example',
                         response.headers['Access-Control-Allow-Origin'])
        allowed = response.headers['Access-Control-Allow-Headers'].lower()
        self.assertIn('openstack-api-version', allowed)
