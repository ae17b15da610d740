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


def task_type(name='resize', version=1, **extra):
    return dict({'id': f'id-{name}', 'name': name, 'version': version,
                 'queue': 'images', 'description': None, 'timeout': 600,
                 'heartbeat_timeout': 30, 'retry': {'count': 2},
                 'input_schema': {'type': 'object'}, 'output_schema': None,
                 'project_id': 'p1', 'created_at': '2026-12-04T21:00:00',
                 'links': []}, **extra)


class TestTaskTypeCommands(base.CLITestCase):

    def test_create_from_options(self):
        self.requests.post(self.url('/v1/task-types'), status_code=201,
                           json=task_type())
        out, err = self.run_ok(
            'taskflow', 'task-type', 'create', 'resize', '--queue',
            'images', '--timeout', '600', '--heartbeat-timeout', '30',
            '--retry-count', '2', '--input-schema', '{type: object}',
            '-f', 'json')
        self.assertEqual({'name': 'resize', 'queue': 'images',
                          'timeout': 600, 'heartbeat_timeout': 30,
                          'retry': {'count': 2},
                          'input_schema': {'type': 'object'}},
                         self.requests.last_request.json())
        shown = json.loads(out)
        self.assertEqual({'count': 2}, shown['retry'])
        self.assertNotIn('links', shown)
        self.assertEqual('', err)

    def test_create_from_file_with_overrides(self):
        self.requests.post(self.url('/v1/task-types'), status_code=200,
                           json=task_type())
        _, err = self.run_ok(
            'taskflow', 'task-type', 'create', 'resize', '--file', '-',
            '--retry-delay', '5',
            stdin='name: ignored\nqueue: images\nretry: {count: 1}\n')
        self.assertEqual({'name': 'resize', 'queue': 'images',
                          'retry': {'count': 1, 'delay': 5.0}},
                         self.requests.last_request.json())
        self.assertIn('already has this document', err)

    def test_create_refuses_unknown_file_keys(self):
        rc, _, err = self.run_cli('taskflow', 'task-type', 'create', 'x',
                                  '--file', '-', stdin='queeue: q\n')
        self.assertEqual(1, rc)
        self.assertIn('Unknown task type field(s): queeue', err)
        self.assertEqual(0, self.requests.call_count)

    def test_list_sorts_and_pages_locally(self):
        self.requests.get(self.url('/v1/task-types'), json={'task_types': [
            task_type('b'), task_type('c'), task_type('a')]})
        out, _ = self.run_ok('taskflow', 'task-type', 'list', '-f', 'json')
        self.assertEqual(['a', 'b', 'c'],
                         [t['Name'] for t in json.loads(out)])
        out, _ = self.run_ok('taskflow', 'task-type', 'list', '--sort',
                             'name:desc', '--marker', 'c', '--limit', '1',
                             '-f', 'value', '-c', 'Name')
        self.assertEqual('b\n', out)
        rc, _, err = self.run_cli('taskflow', 'task-type', 'list',
                                  '--marker', 'zz')
        self.assertEqual(1, rc)
        self.assertIn('--marker zz is not in the list', err)

    def test_show_version(self):
        self.requests.get(self.url('/v1/task-types/resize'),
                          json=task_type(version=1))
        out, _ = self.run_ok('taskflow', 'task-type', 'show', 'resize',
                             '--type-version', '1', '-f', 'value', '-c',
                             'version')
        self.assertEqual('1\n', out)
        self.assertEqual({'version': ['1']}, self.requests.last_request.qs)

    def test_delete_reports_each_failure(self):
        self.requests.delete(self.url('/v1/task-types/a'), status_code=204)
        self.requests.delete(
            self.url('/v1/task-types/b'), status_code=409,
            json={'error': {'code': 409, 'title': 'Conflict',
                            'message': 'Task type b is in use.'}})
        rc, _, err = self.run_cli('taskflow', 'task-type', 'delete', 'a',
                                  'b')
        self.assertEqual(1, rc)
        self.assertIn('Task type b is in use.', err)
        self.assertIn('1 of 2 task types could not be deleted', err)


class TestQueueShow(base.CLITestCase):

    def test_show(self):
        self.requests.get(self.url('/v1/queues/images'), json={
            'queue': 'images', 'backlog': 4, 'delayed': 1,
            'oldest_waiting_age': 75.0, 'in_flight': 2, 'live_workers': 2,
            'workers': ['host-1:10', 'host-2:11']})
        out, _ = self.run_ok('taskflow', 'queue', 'show', 'images')
        self.assertIn('| oldest_waiting_age | 1m15s ', out)
        self.assertIn('| workers            | host-1:10, host-2:11 |', out)
        out, _ = self.run_ok('taskflow', 'queue', 'show', 'images', '-f',
                             'json')
        self.assertEqual(['host-1:10', 'host-2:11'],
                         json.loads(out)['workers'])
        self.assertEqual(75.0, json.loads(out)['oldest_waiting_age'])
