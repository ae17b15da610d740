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

import yaml

from convection.db import api as db_api
from tests.unit.api import base


class CreateFlowTestCase(base.APITestCase):

    def test_create_stores_version_one(self):
        response = self.post('/v1/flows', {'definition': base.FLOW})
        self.assertEqual(201, response.status_int, response.text)
        flow = response.json
        self.assertEqual('hello', flow['name'])
        self.assertEqual(base.PROJECT, flow['project_id'])
        self.assertEqual('private', flow['visibility'])
        self.assertEqual(1, flow['version'])
        self.assertEqual(1, flow['latest_version'])
        self.assertEqual('Says hello.', flow['description'])
        self.assertNotIn('definition', flow)
        href = f'http://localhost/v1/flows/{flow["id"]}'
        self.assertEqual([{'href': href, 'rel': 'self'}], flow['links'])
        self.assertEqual(href, response.headers['Location'])
        stored = db_api.get_flow(base.PROJECT, flow['id'])
        self.assertEqual('echo', stored['definition']['tasks']['greet']
                         ['type'])

    def test_identical_document_returns_existing_version(self):
        first = self.post('/v1/flows', {'definition': base.FLOW})
        again = self.post('/v1/flows', {'definition': base.FLOW})
        self.assertEqual(200, again.status_int)
        self.assertEqual(first.json['id'], again.json['id'])
        self.assertEqual(1, again.json['version'])

    def test_changed_document_is_new_version(self):
        self.create_flow()
        response = self.post('/v1/flows', {
            'definition': base.flow_document(description='Changed.')})
        self.assertEqual(201, response.status_int)
        self.assertEqual(2, response.json['version'])
        self.assertEqual(2, response.json['latest_version'])
        self.assertEqual('Changed.', response.json['description'])

    def test_yaml_text_definition(self):
        response = self.post('/v1/flows',
                             {'definition': yaml.safe_dump(base.FLOW)})
        self.assertEqual(201, response.status_int, response.text)
        self.assertEqual('hello', response.json['name'])

    def test_public_on_create(self):
        flow = self.create_flow(visibility='public')
        self.assertEqual('public', flow['visibility'])

    def test_validate_only_stores_nothing(self):
        response = self.post('/v1/flows/validate', {'definition': base.FLOW})
        self.assertEqual(200, response.status_int, response.text)
        body = response.json
        self.assertTrue(body['valid'])
        self.assertEqual('hello', body['name'])
        self.assertEqual(64, len(body['checksum']))
        self.assertEqual([], body['definition']['tasks']['greet']
                         ['requires'])
        self.assertEqual([], self.get('/v1/flows').json['flows'])

    def test_validate_reports_problems(self):
        document = base.flow_document(tasks={'a': {'type': 'nope'}})
        error = self.assertError(
            self.post('/v1/flows/validate', {'definition': document}), 400)
        self.assertEqual(['tasks.a.type'],
                         [d['path'] for d in error['details']])


class ReadFlowTestCase(base.APITestCase):

    def test_get_by_name_and_id_has_definition(self):
        flow = self.create_flow()
        for ident in ('hello', flow['id']):
            body = self.get(f'/v1/flows/{ident}').json
            self.assertEqual(flow['id'], body['id'])
            self.assertEqual('echo',
                             body['definition']['tasks']['greet']['type'])
            self.assertNotIn('version', body)

    def test_list_and_pages(self):
        for name in ('a', 'b', 'c'):
            self.create_flow(base.flow_document(name))
        body = self.get('/v1/flows?limit=2&sort_key=name&sort_dir=asc').json
        self.assertEqual(['a', 'b'], [f['name'] for f in body['flows']])
        self.assertNotIn('definition', body['flows'][0])
        self.assertIn('limit=2', body['next'])
        self.assertIn(f'marker={body["flows"][1]["id"]}', body['next'])
        self.assertIn('sort_key=name', body['next'])
        self.assertTrue(body['next'].startswith('http://localhost/v1/flows?'))
        last = self.get(body['next'].replace('http://localhost', '')).json
        self.assertEqual(['c'], [f['name'] for f in last['flows']])
        self.assertNotIn('next', last)

    def test_list_limit_capped_by_max_limit(self):
        self.config(max_limit=2, group='api')
        for name in ('a', 'b', 'c'):
            self.create_flow(base.flow_document(name))
        body = self.get('/v1/flows?limit=50').json
        self.assertEqual(2, len(body['flows']))
        self.assertIn('limit=2', body['next'])

    def test_list_filters(self):
        self.create_flow(base.flow_document('a'))
        self.create_flow(base.flow_document('b'), visibility='public')
        self.assertEqual(['b'], [f['name'] for f in self.get(
            '/v1/flows?visibility=public').json['flows']])
        self.assertEqual(['a'], [f['name'] for f in self.get(
            '/v1/flows?name=a').json['flows']])

    def test_list_bad_parameters_are_400(self):
        for query, word in (('limit=0', 'limit'),
                            ('limit=-3', 'limit'),
                            ('sort_key=checksum', 'sort_key'),
                            ('sort_dir=up', 'sort_dir'),
                            ('visibility=secret', 'visibility'),
                            ('marker=nope', 'marker')):
            self.assertError(self.get(f'/v1/flows?{query}'), 400, word)

    def test_versions_newest_first_with_pages(self):
        self.create_flow()
        for n in (2, 3):
            self.create_flow(base.flow_document(description=f'v{n}'))
        body = self.get('/v1/flows/hello/versions?limit=2').json
        self.assertEqual([3, 2], [v['version'] for v in body['versions']])
        self.assertEqual('hello', body['versions'][0]['flow_name'])
        self.assertIn('marker=2', body['next'])
        rest = self.get(body['next'].replace('http://localhost', '')).json
        self.assertEqual([1], [v['version'] for v in rest['versions']])
        self.assertNotIn('next', rest)

    def test_one_version(self):
        flow = self.create_flow()
        self.create_flow(base.flow_document(description='v2'))
        body = self.get(f'/v1/flows/{flow["id"]}/versions/1').json
        self.assertEqual(1, body['version'])
        self.assertEqual('Says hello.', body['description'])
        self.assertEqual(flow['id'], body['flow_id'])
        self.assertError(self.get('/v1/flows/hello/versions/9'), 404,
                         'has no version 9')
        self.assertError(self.get('/v1/flows/nope/versions'), 404)


class ChangeFlowTestCase(base.APITestCase):

    def test_patch_visibility(self):
        self.create_flow()
        response = self.patch('/v1/flows/hello', {'visibility': 'public'})
        self.assertEqual(200, response.status_int, response.text)
        self.assertEqual('public', response.json['visibility'])
        self.assertEqual('public',
                         self.get('/v1/flows/hello').json['visibility'])

    def test_patch_bad_body_is_400(self):
        self.create_flow()
        self.assertError(self.patch('/v1/flows/hello',
                                    {'visibility': 'everyone'}), 400)
        self.assertError(self.patch('/v1/flows/hello', {'name': 'x'}), 400)

    def test_delete(self):
        self.create_flow()
        response = self.delete('/v1/flows/hello')
        self.assertEqual(204, response.status_int)
        self.assertEqual(b'', response.body)
        self.assertError(self.get('/v1/flows/hello'), 404)
        self.assertError(self.delete('/v1/flows/hello'), 404)


class FlowVisibilityTestCase(base.APITestCase):

    def test_private_flow_of_another_project_is_hidden(self):
        flow = self.create_flow()
        for path in ('/v1/flows/hello', f'/v1/flows/{flow["id"]}',
                     '/v1/flows/hello/versions'):
            self.assertError(self.get(path, persona='other'), 404)
        self.assertEqual([], self.get('/v1/flows',
                                      persona='other').json['flows'])

    def test_public_flow_is_readable_not_writable(self):
        flow = self.create_flow(visibility='public')
        body = self.get(f'/v1/flows/{flow["id"]}', persona='other').json
        self.assertEqual(base.PROJECT, body['project_id'])
        self.assertEqual(['hello'], [f['name'] for f in self.get(
            '/v1/flows', persona='other').json['flows']])
        self.assertError(self.patch(f'/v1/flows/{flow["id"]}',
                                    {'visibility': 'private'},
                                    persona='other'),
                         403, 'only that project')
        self.assertError(self.delete(f'/v1/flows/{flow["id"]}',
                                     persona='other'), 403)
        self.assertEqual('public', self.get(
            f'/v1/flows/{flow["id"]}').json['visibility'])

    def test_admin_reads_every_project(self):
        flow = self.create_flow()
        self.assertEqual(flow['id'], self.get(
            f'/v1/flows/{flow["id"]}', persona='admin').json['id'])
        names = [f['name'] for f in self.get(
            '/v1/flows?all_projects=true', persona='admin').json['flows']]
        self.assertEqual(['hello'], names)
        self.assertEqual([], self.get('/v1/flows',
                                      persona='admin').json['flows'])

    def test_all_projects_needs_admin(self):
        self.assertError(self.get('/v1/flows?all_projects=true'), 403)
