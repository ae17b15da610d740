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

from convectionclient.tests.unit import base

HOOK = '9f0e8d7c-0000-0000-0000-000000000001'


def webhook(**extra):
    return dict({'id': HOOK, 'url': 'https://ci.example.com/hook',
                 'events': ['execution.*'], 'flows': None,
                 'enabled': True}, **extra)


class TestWebhooks(base.ClientTestCase):

    def test_create(self):
        self.requests.post(self.url('/v1/webhooks'), status_code=201,
                           json=webhook(secret='k' * 32))
        created = self.client.webhooks.create(
            'https://ci.example.com/hook', events=('execution.*',),
            flows=['deploy'], enabled=False)
        self.assertEqual({'url': 'https://ci.example.com/hook',
                          'events': ['execution.*'], 'flows': ['deploy'],
                          'enabled': False}, self.last_json())
        self.assertEqual('k' * 32, created.secret)
        self.assertNotIn('k' * 32, repr(created))

    def test_list_show_delete(self):
        self.requests.get(self.url('/v1/webhooks'),
                          json={'webhooks': [webhook()]})
        self.assertEqual([HOOK], [w.id for w in self.client.webhooks.list()])
        self.requests.get(self.url(f'/v1/webhooks/{HOOK}'), json=webhook())
        self.assertEqual(['execution.*'],
                         self.client.webhooks.get(HOOK).events)
        self.requests.delete(self.url(f'/v1/webhooks/{HOOK}'),
                             status_code=204)
        self.client.webhooks.delete(HOOK)
        self.assertEqual('DELETE', self.requests.last_request.method)

    def test_deliveries(self):
        self.requests.get(self.url(f'/v1/webhooks/{HOOK}/deliveries'),
                          json={'deliveries': [
                              {'id': 2, 'event': 'execution.FAILED',
                               'status': 'pending', 'attempts': 3,
                               'last_error': 'HTTP 502'}]})
        deliveries = self.client.webhooks.deliveries(HOOK, limit=5)
        self.assertEqual({'limit': ['5']}, self.requests.last_request.qs)
        self.assertEqual([(2, 'HTTP 502')],
                         [(d.id, d.last_error) for d in deliveries])
