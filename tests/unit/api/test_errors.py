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

"""Every error answers {"error": {"code", "title", "message"}} in JSON."""

import http
import logging

import fixtures
from oslo_serialization import jsonutils
import sqlalchemy as sa
import webob

from convection.api import app
from convection.db.sqlalchemy import session
from tests.unit.api import base


class ErrorShapeTestCase(base.APITestCase):

    def test_unknown_path_is_404(self):
        for path in ('/nowhere', '/v1/nowhere', '/v1/flows/x/nowhere'):
            error = self.assertError(self.get(path), 404)
            self.assertEqual('Not Found', error['title'])

    def test_missing_resource_names_it(self):
        self.assertError(self.get('/v1/flows/nope'), 404,
                         'Flow nope could not be found.')
        self.assertError(self.get('/v1/executions/nope'), 404,
                         'Execution nope could not be found.')

    def test_wrong_method_is_405(self):
        response = self.request('put', '/v1/flows')
        error = self.assertError(response, 405, 'allowed methods')
        self.assertEqual('Method Not Allowed', error['title'])

    def test_invalid_definition_has_details(self):
        document = base.flow_document(
            tasks={'a': {'type': 'echo', 'requires': ['missing']}})
        error = self.assertError(
            self.post('/v1/flows', {'definition': document}), 400,
            'Invalid flow definition')
        self.assertIn({'path': 'tasks.a.requires[0]',
                       'message': "unknown task 'missing'"},
                      error['details'])
        self.assertEqual([], self.get('/v1/flows').json['flows'])

    def test_yaml_syntax_error_is_400(self):
        error = self.assertError(
            self.post('/v1/flows', {'definition': 'name: [x\n'}), 400)
        self.assertTrue(error['details'])

    def test_body_shape_errors_are_400(self):
        self.assertError(self.post('/v1/flows', {'definition': 3}), 400,
                         'JSON object or a YAML or JSON string')
        self.assertError(self.post('/v1/flows', {'definition': {},
                                                 'colour': 'red'}),
                         400, 'colour')
        self.assertError(self.post('/v1/flows', {}), 400, 'definition')
        self.assertError(self.post('/v1/flows', {'definition': base.FLOW,
                                                 'visibility': 'secret'}),
                         400, 'visibility')

    def test_malformed_json_is_400(self):
        response = self.post('/v1/flows', params='{"definition": ',
                             headers={'Content-Type': 'application/json'})
        self.assertError(response, 400)

    def test_bad_query_parameter_is_400(self):
        self.assertError(self.get('/v1/flows?limit=many'), 400, 'limit')

    def test_conflict_is_409(self):
        execution = self.start_execution_of_new_flow()
        error = self.assertError(self.delete('/v1/flows/hello'), 409,
                                 'have not finished')
        self.assertEqual('Conflict', error['title'])
        self.assertEqual(200, self.get('/v1/flows/hello').status_int)
        self.assertEqual(execution['flow_id'],
                         self.get('/v1/flows/hello').json['id'])

    def start_execution_of_new_flow(self):
        self.create_flow()
        return self.start_execution()

    def test_oversized_body_is_413(self):
        self.config(max_request_body_size=2048, group='api')
        self.app = self.make_app()
        document = base.flow_document(description='x' * 4096)
        error = self.assertError(
            self.post('/v1/flows', {'definition': document}), 413,
            'the limit is 2048 bytes')
        # The phrase changed in Python 3.13 ('Content Too Large').
        self.assertEqual(http.HTTPStatus(413).phrase, error['title'])

    def chunked_request(self, body):
        """POST /v1/flows/validate with a body of no declared length."""
        request = webob.Request.blank(
            '/v1/flows/validate', method='POST', body=body,
            headers=dict(self.identity('member'),
                         **{'Content-Type': 'application/json'}))
        del request.environ['CONTENT_LENGTH']
        request.environ['HTTP_TRANSFER_ENCODING'] = 'chunked'
        return request.get_response(app.setup_app(with_auth=False))

    def test_oversized_chunked_body_is_413(self):
        self.config(max_request_body_size=2048, group='api')
        response = self.chunked_request(b'{' + b' ' * 4096 + b'}')
        self.assertEqual(413, response.status_int)
        self.assertEqual(413, response.json['error']['code'])
        self.assertIn('the limit is 2048 bytes',
                      response.json['error']['message'])

    def test_small_chunked_body_is_read(self):
        self.config(max_request_body_size=2048, group='api')
        response = self.chunked_request(
            jsonutils.dump_as_bytes({'definition': base.FLOW}))
        self.assertEqual(200, response.status_int, response.text)
        self.assertEqual('hello', response.json['name'])

    def test_non_json_body_is_415(self):
        for content_type in ('application/xml', 'text/plain', ''):
            response = self.post(
                '/v1/flows', params='<flow/>',
                headers={'Content-Type': content_type})
            self.assertError(response, 415, 'application/json')

    def test_json_with_charset_is_accepted(self):
        response = self.post(
            '/v1/flows/validate',
            params='{"definition": {"version": 1, "name": "a", '
                   '"tasks": {"t": {"type": "noop"}}}}',
            headers={'Content-Type': 'application/json; charset=UTF-8'})
        self.assertEqual(200, response.status_int, response.text)

    def test_server_error_is_generic(self):
        # A real failure: the table the list reads is gone.
        with session.writer() as s:
            s.execute(sa.text('DROP TABLE task_executions'))
        self.create_flow()
        execution = self.start_execution()
        logged = self.useFixture(fixtures.FakeLogger(
            name='convection.api.middleware.errors', level=logging.ERROR))
        response = self.get(f'/v1/executions/{execution["id"]}/tasks')
        # The operator gets the cause, with its traceback.
        self.assertIn('Traceback', logged.output)
        self.assertIn('no such table: task_executions', logged.output)
        error = self.assertError(response, 500, 'request id req-')
        self.assertNotIn('task_executions', response.text)
        self.assertNotIn('sqlite', response.text.lower())
        self.assertIn(response.headers['x-openstack-request-id'],
                      error['message'])
