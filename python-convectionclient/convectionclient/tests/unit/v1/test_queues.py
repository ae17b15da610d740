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

TOKEN = 'abcdef0123456789abcdef0123456789.secret'


def claim(**extra):
    return dict({'claim_token': TOKEN, 'task_id': 't1',
                 'execution_id': 'e1', 'task_type': 'resize',
                 'input': {'w': 10}, 'attempt': 1, 'heartbeat_timeout': 30,
                 'lease_expires_at': '2026-12-04T21:00:30'}, **extra)


class TestQueues(base.ClientTestCase):

    def test_get(self):
        self.requests.get(self.url('/v1/queues/images'), json={
            'queue': 'images', 'backlog': 3, 'oldest_waiting_age': 12.5,
            'in_flight': 1, 'live_workers': 2, 'workers': ['a', 'b']})
        queue = self.client.queues.get('images')
        self.assertEqual((3, ['a', 'b']), (queue.backlog, queue.workers))

    def test_claim(self):
        self.requests.post(self.url('/v1/queues/images/claims'),
                           json={'items': [claim()]})
        claims = self.client.queues.claim('images', limit=2, wait=20,
                                          worker='w1')
        self.assertEqual({'limit': 2, 'wait': 20.0, 'worker': 'w1'},
                         self.last_json())
        self.assertEqual([('t1', {'w': 10})],
                         [(c.task_id, c.input) for c in claims])

    def test_claim_nothing_came(self):
        self.requests.post(self.url('/v1/queues/images/claims'),
                           json={'items': []})
        self.assertEqual([], self.client.queues.claim('images'))
        self.assertEqual({'limit': 1}, self.last_json())
        self.assertRaises(exceptions.InvalidInput,
                          self.client.queues.claim, 'images', limit=0)


class TestClaims(base.ClientTestCase):

    def url_of(self, verb):
        return self.url(f'/v1/claims/{TOKEN}/{verb}')

    def test_heartbeat_complete_fail(self):
        for verb in ('heartbeat', 'complete', 'fail'):
            self.requests.post(self.url_of(verb), json=claim())
        claimed = self.client.claims._resource(claim())
        self.client.claims.heartbeat(claimed, progress={'percent': 40})
        self.assertEqual({'progress': {'percent': 40}}, self.last_json())
        self.client.claims.heartbeat(TOKEN)
        self.assertEqual({}, self.last_json())
        self.client.claims.complete(claimed, output={'path': '/x'})
        self.assertEqual({'output': {'path': '/x'}}, self.last_json())
        self.client.claims.fail(claimed, 'Disk full', error_type='DiskFull',
                                retryable=False, details={'free': 0})
        self.assertEqual({'message': 'Disk full', 'error_type': 'DiskFull',
                          'retryable': False, 'details': {'free': 0}},
                         self.last_json())

    def test_expired_claim(self):
        self.requests.post(
            self.url_of('complete'), status_code=409,
            json={'error': {'code': 409, 'title': 'Conflict',
                            'message': 'Claim is no longer valid: its '
                                       'lease expired.'}})
        self.assertRaises(exceptions.Conflict, self.client.claims.complete,
                          TOKEN, output={})
