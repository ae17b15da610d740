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

from convectionclient import exceptions
from convectionclient.tests.unit import base


def task_type(version=1, **extra):
    return dict({'id': 'tt-1', 'name': 'resize', 'version': version,
                 'queue': 'images', 'heartbeat_timeout': 30}, **extra)


class TestTaskTypes(base.ClientTestCase):

    def test_create_new_and_identical(self):
        self.requests.post(self.url('/v1/task-types'), [
            {'status_code': 201, 'json': task_type()},
            {'status_code': 200, 'json': task_type()}])
        created, is_new = self.client.task_types.create(
            'resize', queue='images', retry={'count': 2}, description=None)
        self.assertEqual({'name': 'resize', 'queue': 'images',
                          'retry': {'count': 2}}, self.last_json())
        self.assertEqual(('resize', True), (created.name, is_new))
        _, is_new = self.client.task_types.create('resize', queue='images')
        self.assertFalse(is_new)

    def test_create_refuses_unknown_fields(self):
        e = self.assertRaises(exceptions.InvalidInput,
                              self.client.task_types.create, 'resize',
                              queues='x')
        self.assertIn('queues', str(e))
        self.assertEqual(0, self.requests.call_count)

    def test_list_get_delete(self):
        self.requests.get(self.url('/v1/task-types'),
                          json={'task_types': [task_type()]})
        self.assertEqual(['resize'],
                         [t.name for t in self.client.task_types.list()])
        self.requests.get(self.url('/v1/task-types/resize'),
                          json=task_type(version=2))
        self.assertEqual(2, self.client.task_types.get('resize').version)
        self.client.task_types.get('resize', version=1)
        self.assertEqual({'version': ['1']}, self.requests.last_request.qs)
        self.requests.delete(self.url('/v1/task-types/resize'),
                             status_code=204)
        self.client.task_types.delete('resize')
        self.assertEqual('DELETE', self.requests.last_request.method)

    def test_delete_in_use(self):
        self.requests.delete(
            self.url('/v1/task-types/resize'), status_code=409,
            json={'error': {'code': 409, 'title': 'Conflict',
                            'message': 'Task type resize is used by 2 '
                                       'tasks.'}})
        self.assertRaises(exceptions.Conflict,
                          self.client.task_types.delete, 'resize')
