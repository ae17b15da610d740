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
import os
import tempfile

import yaml

from convectionclient.tests.unit.osc import base

DEFINITION = {
    'version': 1, 'name': 'deploy',
    'tasks': {
        'net': {'type': 'noop'},
        'volume': {'type': 'noop'},
        'boot': {'type': 'echo', 'requires': ['net', 'volume']},
        'notify': {'type': 'echo', 'requires': ['boot']},
    }}
TEXT = yaml.safe_dump(DEFINITION)
FLOW = {'id': 'f-1', 'name': 'deploy', 'project_id': 'p1',
        'visibility': 'private', 'latest_version': 2,
        'description': 'Deploys', 'created_at': '2026-12-04T20:00:00',
        'updated_at': '2026-12-04T21:00:00', 'links': []}


class TestCreateFlow(base.CLITestCase):

    def test_from_file(self):
        self.requests.post(self.url('/v1/flows'), status_code=201,
                           json=dict(FLOW, version=2))
        with tempfile.NamedTemporaryFile('w', suffix='.yaml',
                                         delete=False) as f:
            f.write(TEXT)
        self.addCleanup(os.unlink, f.name)
        out, err = self.run_ok('taskflow', 'create', '--file', f.name,
                               '--public', '-f', 'json')
        self.assertEqual({'definition': TEXT, 'visibility': 'public'},
                         self.requests.last_request.json())
        shown = json.loads(out)
        self.assertEqual(2, shown['version'])
        self.assertEqual('f-1', shown['id'])
        self.assertNotIn('links', shown)
        self.assertEqual('', err)

    def test_from_stdin_unchanged(self):
        self.requests.post(self.url('/v1/flows'), status_code=200,
                           json=dict(FLOW, version=2))
        out, err = self.run_ok('taskflow', 'create', '--file', '-',
                               '-f', 'value', '-c', 'version', stdin=TEXT)
        self.assertEqual({'definition': TEXT},
                         self.requests.last_request.json())
        self.assertEqual('2\n', out)
        self.assertIn('unchanged', err)

    def test_invalid_definition_details(self):
        self.requests.post(self.url('/v1/flows'), status_code=400, json={
            'error': {'code': 400, 'title': 'Bad Request',
                      'message': 'The flow definition is invalid.',
                      'details': [{'path': 'tasks.boot.requires[0]',
                                   'message': "'nett' is not a task"}]}})
        rc, out, err = self.run_cli('taskflow', 'create', '--file', '-',
                                    stdin=TEXT)
        self.assertEqual(1, rc)
        self.assertIn('The flow definition is invalid. (HTTP 400)', err)
        self.assertIn("tasks.boot.requires[0]: 'nett' is not a task", err)

    def test_unreadable_file_and_bad_yaml(self):
        rc, _, err = self.run_cli('taskflow', 'create', '--file',
                                  '/nonexistent.yaml')
        self.assertEqual(1, rc)
        self.assertIn('Cannot read /nonexistent.yaml', err)
        rc, _, err = self.run_cli('taskflow', 'create', '--file', '-',
                                  stdin='tasks: [')
        self.assertEqual(1, rc)
        self.assertIn('not valid YAML', err)
        self.assertEqual(0, self.requests.call_count)


class TestListFlow(base.CLITestCase):

    def test_default_columns(self):
        self.requests.get(self.url('/v1/flows'), json={'flows': [FLOW]})
        out, _ = self.run_ok('taskflow', 'list', '-f', 'json')
        self.assertEqual([{'ID': 'f-1', 'Name': 'deploy',
                           'Latest Version': 2, 'Visibility': 'private',
                           'Updated At': '2026-12-04T21:00:00'}],
                         json.loads(out))

    def test_long_and_all_projects(self):
        self.requests.get(self.url('/v1/flows'), json={'flows': [FLOW]})
        out, _ = self.run_ok('taskflow', 'list', '--long',
                             '--all-projects', '--sort', 'name:asc',
                             '--limit', '10', '--marker', 'f-0',
                             '--visibility', 'private', '-f', 'csv')
        header = out.splitlines()[0]
        self.assertEqual('"ID","Project ID","Name","Latest Version",'
                         '"Visibility","Updated At","Description",'
                         '"Created At"', header)
        self.assertEqual({'all_projects': ['true'], 'sort_key': ['name'],
                          'sort_dir': ['asc'], 'limit': ['10'],
                          'marker': ['f-0'], 'visibility': ['private']},
                         self.requests.last_request.qs)

    def test_bad_sort_direction(self):
        rc, _, err = self.run_cli('taskflow', 'list', '--sort', 'name:up')
        self.assertEqual(1, rc)
        self.assertIn('asc or desc', err)
        self.assertEqual(0, self.requests.call_count)

    def test_service_error_is_reported(self):
        self.requests.get(self.url('/v1/flows'), status_code=403, json={
            'error': {'code': 403, 'title': 'Forbidden',
                      'message': 'all_projects needs the admin role.'}})
        rc, _, err = self.run_cli('taskflow', 'list', '--all-projects')
        self.assertEqual(1, rc)
        self.assertIn('all_projects needs the admin role. (HTTP 403)', err)


class TestShowFlow(base.CLITestCase):

    def setUp(self):
        super().setUp()
        self.requests.get(self.url('/v1/flows/deploy'),
                          json=dict(FLOW, definition=DEFINITION))

    def test_json_keeps_definition_structure(self):
        out, _ = self.run_ok('taskflow', 'show', 'deploy', '-f', 'json')
        shown = json.loads(out)
        self.assertEqual(DEFINITION, shown['definition'])
        self.assertEqual(2, shown['latest_version'])

    def test_table_shows_definition_as_yaml(self):
        out, _ = self.run_ok('taskflow', 'show', 'deploy')
        self.assertIn('| definition     | version: 1', out)
        self.assertIn('|                | name: deploy', out)
        self.assertIn('requires:', out)

    def test_graph_text(self):
        out, _ = self.run_ok('taskflow', 'show', 'deploy', '--graph')
        self.assertEqual(
            'Flow deploy (version 2): 4 task(s)\n'
            'Stage 1\n'
            '  net     noop\n'
            '  volume  noop\n'
            'Stage 2\n'
            '  boot    echo  <- net, volume\n'
            'Stage 3\n'
            '  notify  echo  <- boot\n', out)

    def test_graph_dot(self):
        out, _ = self.run_ok('taskflow', 'show', 'deploy', '--graph',
                             '--graph-format', 'dot')
        self.assertTrue(out.startswith('digraph "deploy" {\n'))
        self.assertIn('  "net" -> "boot";\n', out)
        self.assertIn('  "boot" -> "notify";\n', out)
        self.assertIn('  "boot" [label="boot\\necho"];\n', out)

    def test_not_found(self):
        self.requests.get(self.url('/v1/flows/nope'), status_code=404,
                          json={'error': {'code': 404, 'title': 'Not Found',
                                          'message': 'Flow nope could not '
                                                     'be found.'}})
        rc, _, err = self.run_cli('taskflow', 'show', 'nope')
        self.assertEqual(1, rc)
        self.assertIn('Flow nope could not be found. (HTTP 404)', err)


class TestSetDeleteValidate(base.CLITestCase):

    def test_set_public(self):
        self.requests.patch(self.url('/v1/flows/deploy'),
                            json=dict(FLOW, visibility='public'))
        out, _ = self.run_ok('taskflow', 'set', 'deploy', '--public')
        self.assertEqual({'visibility': 'public'},
                         self.requests.last_request.json())
        self.assertEqual('', out)

    def test_set_needs_a_choice(self):
        rc, _, _ = self.run_cli('taskflow', 'set', 'deploy')
        self.assertNotEqual(0, rc)
        self.assertEqual(0, self.requests.call_count)

    def test_delete_reports_partial_failure(self):
        self.requests.delete(self.url('/v1/flows/a'), status_code=204)
        self.requests.delete(self.url('/v1/flows/b'), status_code=409,
                             json={'error': {'code': 409,
                                             'title': 'Conflict',
                                             'message': 'b has 2 active '
                                                        'executions.'}})
        self.requests.delete(self.url('/v1/flows/c'), status_code=204)
        rc, _, err = self.run_cli('taskflow', 'delete', 'a', 'b', 'c')
        self.assertEqual(1, rc)
        self.assertEqual(3, self.requests.call_count)
        self.assertIn('Failed to delete flow b: b has 2 active executions.',
                      err)
        self.assertIn('1 of 3 flows could not be deleted.', err)

    def test_validate(self):
        self.requests.post(self.url('/v1/flows/validate'), json={
            'valid': True, 'name': 'deploy', 'description': None,
            'checksum': 'abc', 'definition': DEFINITION})
        out, _ = self.run_ok('taskflow', 'validate', '--file', '-',
                             '-f', 'json', stdin=TEXT)
        self.assertEqual({'valid': True, 'name': 'deploy',
                          'description': None, 'checksum': 'abc'},
                         json.loads(out))


class TestVersions(base.CLITestCase):

    def test_list(self):
        self.requests.get(self.url('/v1/flows/deploy/versions'), json={
            'versions': [{'flow_name': 'deploy', 'version': 2,
                          'checksum': 'c2', 'description': 'd',
                          'created_at': 't2'}]})
        out, _ = self.run_ok('taskflow', 'version', 'list', 'deploy',
                             '--limit', '1', '-f', 'json')
        self.assertEqual([{'Version': 2, 'Description': 'd',
                           'Created At': 't2'}], json.loads(out))
        self.assertEqual({'limit': ['1']}, self.requests.last_request.qs)

    def test_show_with_graph(self):
        self.requests.get(self.url('/v1/flows/deploy/versions/1'), json={
            'flow_name': 'deploy', 'version': 1, 'definition': DEFINITION})
        out, _ = self.run_ok('taskflow', 'version', 'show', 'deploy', '1',
                             '--graph')
        self.assertTrue(out.startswith('Flow deploy (version 1)'))
        out, _ = self.run_ok('taskflow', 'version', 'show', 'deploy', '1',
                             '-f', 'yaml')
        self.assertEqual(DEFINITION, yaml.safe_load(out)['definition'])
