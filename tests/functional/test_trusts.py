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

"""Flows that act in the cloud for a tenant, end to end, through trusts.

Real Keystone, Heat, API, engine and conductor processes: the API creates
a trust when it stores an execution that uses OpenStack task types, the
conductor acts through it after the user's token is gone, and the engine
deletes it once the execution has finished.
"""

import time
import uuid

from keystoneauth1 import adapter
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
import sqlalchemy as sa

from convection.common import clients
from convection.db.sqlalchemy import models
from tests.functional import base
from tests.functional import test_heat_nova

TEMPLATE = test_heat_nova.TEMPLATE


def _session(user):
    password, project = base.USERS[user]
    auth = v3.Password(auth_url=base.KEYSTONE_URL, username=user,
                       password=password, project_name=project,
                       user_domain_id='default', project_domain_id='default')
    return ks_session.Session(auth=auth)


class TrustedFlowTest(base.FunctionalTestCase):

    backend = 'postgresql'

    def setUp(self):
        super().setUp()
        base.require_cloud(self, 'heat')
        self.alice = _session('alice')
        self.alice_id = self.alice.get_user_id()

    def _execution_trust(self, execution_id):
        """The trust id stored on an execution (None once released)."""
        executions = models.Execution.__table__
        with self.deployment.db().connect() as conn:
            return conn.execute(
                sa.select(executions.c.trust_id)
                .where(executions.c.id == execution_id)).scalar_one()

    def _alice_trust(self, trust_id):
        """Keystone's view of one trust, as its trustor; None if gone.

        One trust by id, not a diff of all of Alice's trusts: other test
        classes create and delete hers at the same time.
        """
        identity = adapter.Adapter(self.alice, service_type='identity',
                                   interface='public')
        response = identity.get(f'/OS-TRUST/trusts/{trust_id}',
                                raise_exc=False)
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return response.json()['trust']

    def _register(self, user, definition):
        self.post('/v1/flows', user=user, json={'definition': definition},
                  expect=201)

    def test_execution_outlives_its_token_and_its_trust_goes(self):
        name = f'trusted-{uuid.uuid4().hex[:8]}'
        self._register('alice', {
            'version': 1, 'name': name,
            'tasks': {
                # Long enough for the token to be revoked meanwhile.
                'pause': {'type': 'sleep', 'with': {'seconds': 2}},
                'stack': {'type': 'heat.stack', 'requires': ['pause'],
                          'with': {'stack_name': name,
                                   'template': TEMPLATE,
                                   'parameters': {'value': 'trusted'}}},
                'remove': {'type': 'heat.stack', 'requires': ['stack'],
                           'with': {'action': 'delete',
                                    'stack': '{{ tasks.stack.output'
                                             '.stack_id }}'}},
            },
            'output': {'value': '{{ tasks.stack.output.outputs.value }}',
                       'stack_id': '{{ tasks.stack.output.stack_id }}'},
        })

        # A token of its own, used once, then revoked: the user logged out.
        token = _session('alice').get_token()
        execution = self.post('/v1/executions', token=token,
                              json={'flow': name}, expect=202).json()
        self.alice.delete('/auth/tokens', endpoint_filter={
            'service_type': 'identity', 'interface': 'public'},
            headers={'X-Subject-Token': token})
        # Keystone no longer knows the token (the API's middleware may
        # still have it cached for a while, which does not matter here).
        response = self.alice.get('/auth/tokens', endpoint_filter={
            'service_type': 'identity', 'interface': 'public'},
            headers={'X-Subject-Token': token}, raise_exc=False)
        self.assertEqual(404, response.status_code)
        trust_id = self._execution_trust(execution['id'])
        self.assertIsNotNone(trust_id)
        trust = self._alice_trust(trust_id)
        self.assertEqual((self.alice_id, True, base.project_id('alice')),
                         (trust['trustor_user_id'], trust['impersonation'],
                          trust['project_id']))

        done = self.wait_for_execution(execution['id'], ('SUCCEEDED',
                                                        'FAILED'),
                                       timeout=120)
        self.assertEqual('SUCCEEDED', done['state'], done)
        self.assertEqual('trusted', done['output']['value'])
        # The stack was Alice's, and the flow's last task deleted it.
        heat = clients.heat(self.alice)
        stack = heat.stacks.get(done['output']['stack_id'])
        self.assertEqual(('alice', 'DELETE_COMPLETE'),
                         (stack.stack_owner, stack.stack_status))

        self._wait_until_released(execution['id'], trust_id)

    def _wait_until_released(self, execution_id, trust_id):
        deadline = time.monotonic() + 30
        while (self._alice_trust(trust_id) is not None
               or self._execution_trust(execution_id) is not None):
            if time.monotonic() > deadline:
                self.fail(f'trust {trust_id} of finished execution '
                          f'{execution_id} was kept')
            time.sleep(0.5)

    def test_retry_after_the_trust_was_released_gets_a_new_one(self):
        name = f'retried-{uuid.uuid4().hex[:8]}'

        def flow(last_step):
            return {
                'version': 1, 'name': name,
                'tasks': {
                    'stack': {'type': 'heat.stack',
                              'with': {'stack_name': name,
                                       'template': TEMPLATE}},
                    'check': dict(last_step, requires=['stack']),
                    'remove': {'type': 'heat.stack', 'requires': ['check'],
                               'with': {'action': 'delete',
                                        'stack': '{{ tasks.stack.output'
                                                 '.stack_id }}'}},
                },
                'output': {'stack_id': '{{ tasks.stack.output.stack_id }}'},
            }

        self._register('alice', flow({'type': 'fail',
                                      'with': {'message': 'not yet',
                                               'retryable': False}}))
        execution = self.post('/v1/executions', json={'flow': name},
                              expect=202).json()
        first_trust = self._execution_trust(execution['id'])
        failed = self.wait_for_execution(execution['id'], ('FAILED',),
                                         timeout=120)
        self.assertIn('not yet', failed['error']['message'])
        # The engine let go of the trust of the failed execution.
        self._wait_until_released(execution['id'], first_trust)

        self.post('/v1/flows', json={'definition': flow({'type': 'noop'})},
                  expect=201)
        self.post(f'/v1/executions/{execution["id"]}/retry',
                  json={'version': 2}, expect=202)
        deadline = time.monotonic() + 30
        while (second_trust := self._execution_trust(
                execution['id'])) is None:
            if time.monotonic() > deadline:
                self.fail('the retried execution got no trust')
            time.sleep(0.2)
        self.assertNotEqual(first_trust, second_trust)
        done = self.wait_for_execution(execution['id'], ('SUCCEEDED',
                                                        'FAILED'),
                                       timeout=120)
        # The stack task kept its result; the delete acted through the
        # new trust.
        self.assertEqual('SUCCEEDED', done['state'], done)
        stack = clients.heat(self.alice).stacks.get(
            done['output']['stack_id'])
        self.assertEqual('DELETE_COMPLETE', stack.stack_status)
        self._wait_until_released(execution['id'], second_trust)

    def test_another_tenant_cannot_touch_the_stack(self):
        heat = clients.heat(self.alice)
        name = f'alices-{uuid.uuid4().hex[:8]}'
        stack_id = heat.stacks.create(stack_name=name,
                                      template=TEMPLATE)['stack']['id']
        self.addCleanup(heat.stacks.delete, stack_id)

        flow = f'intruder-{uuid.uuid4().hex[:8]}'
        self._register('bob', {
            'version': 1, 'name': flow,
            'tasks': {'remove': {'type': 'heat.stack',
                                 'with': {'action': 'delete',
                                          'stack': stack_id}}},
        })
        execution = self.post('/v1/executions', user='bob',
                              json={'flow': flow}, expect=202).json()
        done = self.wait_for_execution(execution['id'],
                                       ('SUCCEEDED', 'FAILED'), user='bob',
                                       timeout=60)
        self.assertEqual('FAILED', done['state'])
        self.assertIn('not found', done['error']['message'].lower())
        # Alice sees neither Bob's execution nor lost her stack.
        self.get(f'/v1/executions/{execution["id"]}', user='alice',
                 expect=404)
        self.assertNotEqual('DELETE_COMPLETE',
                            heat.stacks.get(stack_id).stack_status)
