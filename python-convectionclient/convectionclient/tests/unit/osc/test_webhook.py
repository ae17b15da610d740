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

HOOK = '9f0e8d7c-0000-0000-0000-000000000001'
SECRET = 'Zm9vYmFyYmF6cXV4cXV1eA'


def webhook(**extra):
    return dict({'id': HOOK, 'url': 'https://ci.example.com/hook',
                 'events': ['execution.*', 'task.FAILED'], 'flows': None,
                 'enabled': True, 'project_id': 'p1',
                 'created_at': '2026-12-04T21:00:00', 'links': []}, **extra)


class TestWebhookCommands(base.CLITestCase):

    def test_create_shows_the_secret_once(self):
        self.requests.post(self.url('/v1/webhooks'), status_code=201,
                           json=webhook(secret=SECRET))
        out, err = self.run_ok(
            'taskflow', 'webhook', 'create', 'https://ci.example.com/hook',
            '--event', 'execution.*', '--event', 'task.FAILED', '--flow',
            'deploy', '--disable', '-f', 'json')
        self.assertEqual({'url': 'https://ci.example.com/hook',
                          'events': ['execution.*', 'task.FAILED'],
                          'flows': ['deploy'], 'enabled': False},
                         self.requests.last_request.json())
        self.assertEqual(SECRET, json.loads(out)['secret'])
        self.assertIn('not shown again', err)

    def test_show_and_list_never_print_a_secret(self):
        # Even from a service that sends it where it should not.
        self.requests.get(self.url(f'/v1/webhooks/{HOOK}'),
                          json=webhook(secret=SECRET))
        self.requests.get(self.url('/v1/webhooks'),
                          json={'webhooks': [webhook(secret=SECRET)]})
        for args in (('show', HOOK), ('list', '--long'),
                     ('show', HOOK, '-f', 'json'),
                     ('list', '-f', 'yaml')):
            out, _ = self.run_ok('taskflow', 'webhook', *args)
            self.assertNotIn(SECRET, out)
        out, _ = self.run_ok('taskflow', 'webhook', 'show', HOOK)
        self.assertIn('| events     | execution.*, task.FAILED', out)
        self.assertIn('| flows      | (all)', out)

    def test_delete(self):
        self.requests.delete(self.url(f'/v1/webhooks/{HOOK}'),
                             status_code=204)
        self.run_ok('taskflow', 'webhook', 'delete', HOOK)
        self.requests.delete(
            self.url('/v1/webhooks/nope'), status_code=404,
            json={'error': {'code': 404, 'title': 'Not Found',
                            'message': 'Webhook nope not found.'}})
        rc, _, err = self.run_cli('taskflow', 'webhook', 'delete', 'nope')
        self.assertEqual(1, rc)
        self.assertIn('Webhook nope not found.', err)

    def test_deliveries(self):
        self.requests.get(
            self.url(f'/v1/webhooks/{HOOK}/deliveries'),
            json={'deliveries': [
                {'id': 7, 'webhook_id': HOOK, 'event': 'task.FAILED',
                 'payload': {'task_name': 'boot'}, 'status': 'pending',
                 'attempts': 2, 'response_code': 502,
                 'last_error': 'HTTP 502', 'created_at': '2026-12-04T21:00',
                 'next_attempt_at': '2026-12-04T21:01',
                 'delivered_at': None}]})
        out, _ = self.run_ok('taskflow', 'webhook', 'deliveries', HOOK,
                             '--limit', '10', '--long', '-f', 'json')
        self.assertEqual({'limit': ['10']}, self.requests.last_request.qs)
        row, = json.loads(out)
        self.assertEqual((7, 'pending', 502, {'task_name': 'boot'}),
                         (row['ID'], row['Status'], row['Response Code'],
                          row['Payload']))
        rc, _, err = self.run_cli('taskflow', 'webhook', 'deliveries', HOOK,
                                  '--limit', '0')
        self.assertEqual(1, rc)
        self.assertIn('--limit must be a positive number', err)
