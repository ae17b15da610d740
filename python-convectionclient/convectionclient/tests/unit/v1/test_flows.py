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

import io
import json
import os
import tempfile

from convectionclient import exceptions
from convectionclient.tests.unit import base

YAML = """\
name: hello
tasks:
  greet:
    type: echo
    with: {message: hi}
"""


class TestFlows(base.ClientTestCase):

    def test_create_sends_text_as_is(self):
        self.requests.post(self.url('/v1/flows'), status_code=201,
                           json={'id': 'f1', 'name': 'hello', 'version': 1,
                                 'latest_version': 1})
        flow = self.client.flows.create(YAML, visibility='public')
        self.assertEqual({'definition': YAML, 'visibility': 'public'},
                         self.last_json())
        self.assertEqual(1, flow.version)
        self.assertTrue(flow.created)
        self.assertEqual('POST', self.requests.last_request.method)

    def test_create_from_dict_and_unchanged_answer(self):
        self.requests.post(self.url('/v1/flows'), status_code=200,
                           json={'id': 'f1', 'version': 3})
        flow = self.client.flows.create({'name': 'hello', 'tasks': {}})
        self.assertEqual({'definition': {'name': 'hello', 'tasks': {}}},
                         self.last_json())
        self.assertFalse(flow.created)

    def test_create_rejects_broken_yaml_locally(self):
        e = self.assertRaises(exceptions.InvalidDefinition,
                              self.client.flows.create, 'name: [unclosed')
        self.assertIn('not valid YAML', str(e))
        self.assertRaises(exceptions.InvalidDefinition,
                          self.client.flows.create, '- a list')
        self.assertEqual(0, self.requests.call_count)

    def test_create_from_file_and_stdin(self):
        self.requests.post(self.url('/v1/flows'), status_code=201,
                           json={'id': 'f1', 'version': 1})
        with tempfile.NamedTemporaryFile('w', suffix='.yaml',
                                         delete=False) as f:
            f.write(YAML)
        self.addCleanup(os.unlink, f.name)
        self.client.flows.create_from_file(f.name)
        self.assertEqual(YAML, self.last_json()['definition'])
        self.client.flows.create_from_file(
            '-', stdin=io.StringIO(json.dumps({'name': 'j'})))
        self.assertEqual('{"name": "j"}', self.last_json()['definition'])

    def test_create_from_missing_file(self):
        self.assertRaises(exceptions.InvalidDefinition,
                          self.client.flows.create_from_file,
                          '/nonexistent/flow.yaml')

    def test_create_invalid_definition_details(self):
        details = [{'path': 'tasks.greet.type',
                    'message': "unknown task type 'ech'"}]
        self.requests.post(self.url('/v1/flows'), status_code=400, json={
            'error': {'code': 400, 'title': 'Bad Request',
                      'message': 'The flow definition is invalid.',
                      'details': details}})
        e = self.assertRaises(exceptions.BadRequest,
                              self.client.flows.create, YAML)
        self.assertEqual(details, e.details)

    def test_get_quotes_the_name(self):
        self.requests.get(self.url('/v1/flows/a%2Fb%20c'),
                          json={'id': 'x', 'name': 'a/b c',
                                'definition': {'name': 'a/b c'}})
        flow = self.client.flows.get('a/b c')
        self.assertEqual({'name': 'a/b c'}, flow.definition)
        self.assertEqual('a/b c', flow.to_dict()['name'])

    def test_unknown_field_is_attribute_error(self):
        self.requests.get(self.url('/v1/flows/f'), json={'id': 'x'})
        flow = self.client.flows.get('f')
        self.assertRaises(AttributeError, getattr, flow, 'nope')
        self.assertIsNone(flow.get('nope'))

    def test_list_with_filters(self):
        self.requests.get(self.url('/v1/flows'),
                          json={'flows': [{'id': 'a', 'name': 'n'}]})
        flows = self.client.flows.list(visibility='public', limit=5)
        self.assertEqual(['n'], [f.name for f in flows])
        self.assertEqual({'visibility': ['public'], 'limit': ['5']},
                         self.requests.last_request.qs)

    def test_update_visibility(self):
        self.requests.patch(self.url('/v1/flows/hello'),
                            json={'id': 'f1', 'visibility': 'public'})
        flow = self.client.flows.update('hello', visibility='public')
        self.assertEqual({'visibility': 'public'}, self.last_json())
        self.assertEqual('public', flow.visibility)

    def test_delete_and_conflict(self):
        self.requests.delete(self.url('/v1/flows/hello'), status_code=204)
        self.assertIsNone(self.client.flows.delete('hello'))
        self.requests.delete(self.url('/v1/flows/busy'), status_code=409,
                             json={'error': {'code': 409,
                                             'title': 'Conflict',
                                             'message': 'busy'}})
        self.assertRaises(exceptions.Conflict, self.client.flows.delete,
                          'busy')

    def test_validate(self):
        self.requests.post(self.url('/v1/flows/validate'),
                           json={'valid': True})
        self.assertEqual({'valid': True}, self.client.flows.validate(YAML))
        self.assertEqual({'definition': YAML}, self.last_json())

    def test_versions(self):
        self.requests.get(self.url('/v1/flows/hello/versions'),
                          json={'versions': [{'version': 2},
                                             {'version': 1}]})
        self.requests.get(self.url('/v1/flows/hello/versions/2'),
                          json={'version': 2, 'checksum': 'abc'})
        self.assertEqual(
            [2, 1],
            [v.version for v in self.client.flow_versions.list('hello')])
        self.assertEqual('abc',
                         self.client.flow_versions.get('hello', '2').checksum)
