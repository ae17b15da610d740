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

"""The REST API of task types, queues, claims and webhooks."""

from convection.db import queues_api
from tests.unit.api import base
from tests.unit.queues import base as queue_base

TASK_TYPE = {
    'name': 'resize', 'queue': 'images', 'heartbeat_timeout': 30,
    'input_schema': {'type': 'object'},
    'output_schema': {'type': 'object', 'required': ['size']},
}


class WorkerAPITestCase(base.APITestCase):

    def setUp(self):
        super().setUp()

        def report_task_results(context, results):
            self.engine.casts.put(('report_task_results',
                                   context.project_id, results))

        self.engine.report_task_results = report_task_results


class TaskTypesAPITest(WorkerAPITestCase):

    def test_register_show_list_delete(self):
        response = self.post('/v1/task-types', TASK_TYPE)
        self.assertEqual(201, response.status_int, response.text)
        self.assertEqual(1, response.json['version'])
        self.assertTrue(response.location.endswith('/v1/task-types/resize'))
        self.assertEqual(200, self.post('/v1/task-types',
                                        TASK_TYPE).status_int)
        changed = dict(TASK_TYPE, heartbeat_timeout=60)
        self.assertEqual(2, self.post('/v1/task-types',
                                      changed).json['version'])
        listed = self.get('/v1/task-types', persona='reader').json
        self.assertEqual([('resize', 2)], [(t['name'], t['version'])
                                           for t in listed['task_types']])
        self.assertEqual(30, self.get('/v1/task-types/resize?version=1')
                         .json['heartbeat_timeout'])
        self.assertEqual([], self.get('/v1/task-types',
                                      persona='other').json['task_types'])
        self.assertError(self.get('/v1/task-types/resize', persona='other'),
                         404)
        self.assertEqual(204, self.delete('/v1/task-types/resize')
                         .status_int)
        self.assertError(self.get('/v1/task-types/resize'), 404)

    def test_bad_registrations(self):
        self.assertError(self.post('/v1/task-types', {'queue': 'q'}), 400)
        self.assertError(
            self.post('/v1/task-types', {'name': 'x', 'input_schema': 3}),
            400)
        self.assertError(
            self.post('/v1/task-types',
                      {'name': 'x', 'input_schema': {'type': 'bogus'}}),
            400, 'input_schema')
        self.assertError(self.post('/v1/task-types', {'name': 'echo'}), 409)
        self.assertError(
            self.post('/v1/task-types', TASK_TYPE, persona='reader'), 403)

    def test_delete_refused_while_used(self):
        self.post('/v1/task-types', TASK_TYPE)
        self.create_flow(base.flow_document(
            name='uses-resize', tasks={'r': {'type': 'resize'}}))
        self.start_execution('uses-resize')
        self.assertEqual('start_execution', self.next_cast()[0])
        # The engine that would start it is a recorder: make its task.
        execution_id = self.get('/v1/executions').json['executions'][0][
            'id']
        queue_base.make_task(execution_id, 'resize')
        self.assertError(self.delete('/v1/task-types/resize'), 409,
                         'not finished')

    def test_flow_with_an_unknown_type_is_refused(self):
        response = self.post('/v1/flows', {'definition': base.flow_document(
            tasks={'r': {'type': 'resize'}})})
        self.assertError(response, 400, 'resize')


class ClaimsAPITest(WorkerAPITestCase):

    def setUp(self):
        super().setUp()
        self.post('/v1/task-types', TASK_TYPE)
        self.task_type = queues_api.get_task_type(base.PROJECT, 'resize')

    def claim(self, **body):
        response = self.post('/v1/queues/images/claims',
                             dict({'worker': 'w1'}, **body))
        self.assertEqual(200, response.status_int, response.text)
        return response.json['items']

    def test_claim_heartbeat_complete(self):
        task_id = queue_base.enqueue(self.task_type, {'image': 'x'},
                                     project_id=base.PROJECT)
        [item] = self.claim(limit=5)
        self.assertEqual(task_id, item['task_id'])
        self.assertEqual({'image': 'x'}, item['input'])
        self.assertEqual(1, item['attempt'])
        for key in ('claim_token', 'execution_id', 'task_type',
                    'lease_expires_at'):
            self.assertIn(key, item)
        self.assertEqual([], self.claim())
        token = item['claim_token']

        response = self.post(f'/v1/claims/{token}/heartbeat',
                             {'progress': {'percent': 50}})
        self.assertEqual(200, response.status_int, response.text)
        self.assertEqual({'percent': 50}, response.json['progress'])

        tasks = self.get(f"/v1/executions/{item['execution_id']}/tasks",
                         persona='reader').json['tasks']
        self.assertEqual([{'percent': 50}], [t['progress'] for t in tasks])

        stats = self.get('/v1/queues/images', persona='reader').json
        self.assertEqual((0, 1, ['w1']), (stats['backlog'],
                                          stats['in_flight'],
                                          stats['workers']))

        self.assertError(self.post(f'/v1/claims/{token}/complete',
                                   {'output': {'no': 'size'}}), 400, 'size')
        self.assertNoCast()
        self.assertError(self.post(f'/v1/claims/{token}/complete',
                                   {'output': {'size': 1}},
                                   persona='other'), 404)
        response = self.post(f'/v1/claims/{token}/complete',
                             {'output': {'size': 1}})
        self.assertEqual(200, response.status_int, response.text)
        self.assertEqual('done', response.json['state'])
        kind, project, results = self.next_cast()
        self.assertEqual(('report_task_results', base.PROJECT),
                         (kind, project))
        self.assertEqual([{'task_id': task_id,
                           'execution_id': item['execution_id'],
                           'attempt': 1, 'status': 'succeeded',
                           'output': {'size': 1}}], results)
        self.assertError(self.post(f'/v1/claims/{token}/complete',
                                   {'output': {'size': 2}}), 409,
                         'already completed')
        self.assertNoCast()

    def test_fail(self):
        queue_base.enqueue(self.task_type, project_id=base.PROJECT)
        [item] = self.claim()
        token = item['claim_token']
        self.assertError(self.post(f'/v1/claims/{token}/fail', {}), 400)
        response = self.post(f'/v1/claims/{token}/fail',
                             {'message': 'disk full',
                              'error_type': 'DiskFull',
                              'retryable': False})
        self.assertEqual(200, response.status_int, response.text)
        _kind, _project, [result] = self.next_cast()
        self.assertEqual('failed', result['status'])
        self.assertEqual({'message': 'disk full', 'type': 'DiskFull',
                          'retryable': False, 'details': None},
                         result['error'])

    def test_unknown_token_and_bad_claims(self):
        self.assertError(self.post('/v1/claims/abc/heartbeat', {}), 404)
        self.assertError(self.post('/v1/claims/' + 'a' * 72 + '/complete',
                                   {'output': {}}), 404)
        self.assertError(self.post('/v1/queues/images/claims',
                                   {'limit': 0}), 400, 'limit')
        self.assertError(self.post('/v1/queues/images/claims', {},
                                   persona='reader'), 403)


class WebhooksAPITest(WorkerAPITestCase):

    def test_unsafe_urls_are_refused(self):
        for url in ('http://127.0.0.1:8080/hook',
                    'http://169.254.169.254/latest/meta-data',
                    'http://10.1.2.3/', 'http://[::1]/', 'ftp://x/',
                    'http://user:pw@example.com/'):
            self.assertError(self.post('/v1/webhooks', {'url': url}), 400,
                             'is not allowed')

    def test_register_list_show_delete(self):
        self.config(allowed_hosts=['127.0.0.1'], group='webhooks')
        response = self.post('/v1/webhooks', {
            'url': 'http://127.0.0.1:9/hook', 'events': ['execution.*'],
            'flows': ['hello']})
        self.assertEqual(201, response.status_int, response.text)
        webhook = response.json
        self.assertGreaterEqual(len(webhook['secret']), 32)
        listed = self.get('/v1/webhooks', persona='reader').json['webhooks']
        self.assertEqual([webhook['id']], [w['id'] for w in listed])
        self.assertNotIn('secret', listed[0])
        shown = self.get(f"/v1/webhooks/{webhook['id']}").json
        self.assertEqual(['execution.*'], shown['events'])
        self.assertNotIn('secret', shown)
        self.assertError(self.get(f"/v1/webhooks/{webhook['id']}",
                                  persona='other'), 404)
        self.assertEqual([], self.get(
            f"/v1/webhooks/{webhook['id']}/deliveries").json['deliveries'])
        self.assertError(self.delete(f"/v1/webhooks/{webhook['id']}",
                                     persona='other'), 404)
        # Admins reach any project's webhook by id.
        self.assertEqual(webhook['id'], self.get(
            f"/v1/webhooks/{webhook['id']}", persona='admin').json['id'])
        self.assertError(self.delete(f"/v1/webhooks/{webhook['id']}",
                                     persona='reader'), 403)
        self.assertEqual(204, self.delete(
            f"/v1/webhooks/{webhook['id']}").status_int)
        self.assertEqual([], self.get('/v1/webhooks').json['webhooks'])

    def test_bad_filters(self):
        self.config(allowed_hosts=['127.0.0.1'], group='webhooks')
        for body in ({'events': ['execution.DONE']},
                     {'events': ['nothing']}, {'events': []},
                     {'secret': 'short'}):
            self.assertError(self.post('/v1/webhooks', dict(
                body, url='http://127.0.0.1/')), 400)
