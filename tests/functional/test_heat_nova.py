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

"""heat.stack and nova.server against the real loopback peers.

The tests act as alice and bob with real Keystone tokens, create real
trusts to the Convection service user, and drive the task types exactly as
the conductor does: call ``run``, and while it answers ``Wait``, sleep the
delay and call ``run`` again with the run state it handed over. Nothing of
Keystone, Heat or Nova is mocked. Start the peers with
``tools/peers/start_heat.sh`` and ``tools/peers/start_nova.sh``.
"""

import dataclasses
import os
import time
import uuid

import fixtures
from keystoneauth1 import adapter
from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import loading
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from convection.common import clients
from convection.common import context as convection_context
from convection.common import exception
from convection.common import keystone
from convection.conf import CONF
from convection.tasks import base as task_base
from convection.tasks import heat_stack
from convection.tasks import nova_server
from tests import base
from tests.functional import base as functional_base

KEYSTONE_URL = functional_base.KEYSTONE_URL
IMAGE = os.environ.get('CONVECTION_TEST_NOVA_IMAGE',
                       '155d900f-4e14-4e4c-a73d-069cbf4541e6')
# m1.large: the fake compute host has no room for it -> NoValidHost.
TOO_BIG_FLAVOR = '4'
TINY_FLAVOR = '1'

TEMPLATE = {
    'heat_template_version': '2018-08-31',
    'parameters': {'value': {'type': 'string', 'default': 'one'}},
    'resources': {
        'secret': {'type': 'OS::Heat::RandomString',
                   'properties': {'length': 12}},
        'thing': {'type': 'OS::Heat::TestResource',
                  'properties': {'value': {'get_param': 'value'}}},
    },
    'outputs': {
        'secret': {'value': {'get_attr': ['secret', 'value']}},
        'value': {'value': {'get_attr': ['thing', 'output']}},
    },
}

FAILING_TEMPLATE = {
    'heat_template_version': '2018-08-31',
    'resources': {
        'broken': {'type': 'OS::Heat::TestResource',
                   'properties': {'fail': True}},
    },
}


def unique(prefix):
    return f'{prefix}-{uuid.uuid4().hex[:8]}'


class User:
    """A tenant user with a real Keystone token."""

    def __init__(self, name):
        password, project = functional_base.USERS[name]
        self.auth = v3.Password(auth_url=KEYSTONE_URL, username=name,
                                password=password, user_domain_id='default',
                                project_name=project,
                                project_domain_id='default')
        self.session = ks_session.Session(auth=self.auth)
        access = self.auth.get_access(self.session)
        self.user_id = access.user_id
        self.project_id = access.project_id
        self.roles = access.role_names

    def context(self):
        """What keystonemiddleware gives the API for this user."""
        return convection_context.RequestContext(
            auth_token=self.session.get_token(), user_id=self.user_id,
            project_id=self.project_id, roles=self.roles)

    def heat(self):
        return clients.heat(self.session)

    def nova(self):
        return clients.nova(self.session)


class PeersTestCase(base.TestCase):
    """Needs Keystone, Heat and Nova on loopback; no database."""

    use_database = False
    # Whether the tests of the class need Nova (Heat is always needed).
    needs_nova = False
    TIMEOUT = 90

    def setUp(self):
        super().setUp()
        self._require_peers()
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'convection.conf')
        with open(path, 'w') as conf_file:
            conf_file.write(f"""
[service_credentials]
auth_type = password
auth_url = {KEYSTONE_URL}
username = convection
password = convection-secret
user_domain_id = default
project_name = service
project_domain_id = default

[keystone]
interface = public

[heat]
interface = public
poll_interval = 0.5
max_poll_interval = 2

[nova]
interface = public
poll_interval = 0.3
max_poll_interval = 2
""")
        # Register the password plugin's options through the fixture, so
        # that they are gone again after the test.
        self.conf_fixture.register_opts(
            loading.get_auth_plugin_conf_options('password'),
            group='service_credentials')
        CONF([], project='convection', default_config_files=[path])
        keystone.reset()
        self.addCleanup(keystone.reset)
        self.alice = User('alice')

    def _require_peers(self):
        functional_base.require_cloud(
            self, 'heat', *(('nova',) if self.needs_nova else ()))

    # Helpers.

    def trust_for(self, user):
        trust_id = keystone.create_trust_for(user.context())
        self.addCleanup(keystone.delete_trust, trust_id)
        return trust_id

    def run_context(self, user, trust_id, task_name='task', **kwargs):
        return task_base.RunContext(
            execution_id=str(uuid.uuid4()), task_id=str(uuid.uuid4()),
            task_name=task_name, attempt=1, project_id=user.project_id,
            user_id=user.user_id, trust_id=trust_id, **kwargs)

    def drive(self, task, context, inputs, max_runs=None):
        """Run a task as the conductor does until it stops waiting.

        :returns: (the final result, the run states handed over).
        """
        task.validate_input(inputs)
        states = []
        deadline = time.monotonic() + self.TIMEOUT
        result = task.run(context, inputs)
        while isinstance(result, task_base.Wait):
            states.append(result.run_state)
            if max_runs is not None and len(states) >= max_runs:
                break
            self.assertLess(time.monotonic(), deadline,
                            f'{task.__class__.__name__} still waiting')
            time.sleep(result.delay)
            context = dataclasses.replace(context,
                                          run_state=result.run_state)
            result = task.run(context, inputs)
        return result, states

    def assertSucceeded(self, result):
        self.assertIsInstance(result, task_base.Succeeded, result)
        return result.output

    def assertFailed(self, result, error_type, retryable=False):
        self.assertIsInstance(result, task_base.Failed, result)
        self.assertEqual(error_type, result.error_type, result)
        self.assertEqual(retryable, result.retryable, result)
        return result

    def delete_stack_later(self, user, stack_id):
        def delete():
            try:
                user.heat().stacks.delete(stack_id)
            except Exception:  # noqa: S110  best effort cleanup
                pass
        self.addCleanup(delete)

    def delete_server_later(self, user, server_id):
        def delete():
            try:
                user.nova().delete(f'/servers/{server_id}')
            except ks_exc.NotFound:
                pass
        self.addCleanup(delete)

    def stacks_named(self, user, name):
        # Heat lists a deleted stack for a moment after DELETE_COMPLETE.
        return [s for s in user.heat().stacks.list()
                if s.stack_name == name
                and s.stack_status != 'DELETE_COMPLETE']


class HeatStackTest(PeersTestCase):

    def test_create_read_update_delete(self):
        trust_id = self.trust_for(self.alice)
        task = heat_stack.HeatStackTask()
        name = unique('conv-crud')
        context = self.run_context(self.alice, trust_id)
        result, states = self.drive(task, context, {
            'action': 'create', 'stack_name': name, 'template': TEMPLATE,
            'parameters': {'value': 'first'}})
        created = self.assertSucceeded(result)
        self.delete_stack_later(self.alice, created['stack_id'])
        # The stack id was handed over on the very first Wait.
        self.assertEqual(created['stack_id'], states[0]['stack_id'])
        self.assertEqual('CREATE_COMPLETE', created['status'])
        self.assertEqual(name, created['stack_name'])
        self.assertEqual('first', created['outputs']['value'])
        self.assertEqual(12, len(created['outputs']['secret']))
        # Alice sees, with her own token, the stack made through the trust.
        stack = self.alice.heat().stacks.get(created['stack_id'])
        self.assertEqual('CREATE_COMPLETE', stack.stack_status)
        # Owned by alice in her project: the trust impersonates her.
        self.assertEqual('alice', stack.stack_owner)
        self.assertIn(f'/{self.alice.project_id}/', stack.links[0]['href'])

        # Another task may not take the name: waiting would not help.
        result, _ = self.drive(task, self.run_context(self.alice, trust_id), {
            'stack_name': name, 'template': TEMPLATE})
        self.assertIn(name, self.assertFailed(result, 'StackExists').message)

        # A later task reads the outputs and patches the stack.
        result, _ = self.drive(task, self.run_context(self.alice, trust_id), {
            'action': 'update', 'stack': name, 'existing': True,
            'parameters': {'value': 'second'}})
        updated = self.assertSucceeded(result)
        self.assertEqual('UPDATE_COMPLETE', updated['status'])
        self.assertEqual(created['stack_id'], updated['stack_id'])
        self.assertEqual('second', updated['outputs']['value'])
        self.assertEqual(created['outputs']['secret'],
                         updated['outputs']['secret'])

        result, _ = self.drive(task, self.run_context(self.alice, trust_id), {
            'action': 'delete', 'stack': created['stack_id']})
        deleted = self.assertSucceeded(result)
        self.assertEqual('DELETE_COMPLETE', deleted['status'])
        self.assertEqual([], self.stacks_named(self.alice, name))

    def test_failing_stack_fails_with_heats_reason(self):
        trust_id = self.trust_for(self.alice)
        name = unique('conv-fail')
        result, states = self.drive(
            heat_stack.HeatStackTask(), self.run_context(self.alice,
                                                         trust_id),
            {'stack_name': name, 'template': FAILING_TEMPLATE})
        self.delete_stack_later(self.alice, states[0]['stack_id'])
        failure = self.assertFailed(result, 'StackFailed')
        stack = self.alice.heat().stacks.get(states[0]['stack_id'])
        self.assertEqual('CREATE_FAILED', stack.stack_status)
        self.assertIn('Test Resource failed', stack.stack_status_reason)
        self.assertIn(stack.stack_status_reason, failure.message)
        self.assertEqual('CREATE_FAILED', failure.details['status'])

    def test_restart_resumes_the_same_stack(self):
        trust_id = self.trust_for(self.alice)
        name = unique('conv-resume')
        inputs = {'stack_name': name, 'template': TEMPLATE}
        context = self.run_context(self.alice, trust_id)
        first, states = self.drive(heat_stack.HeatStackTask(), context,
                                   inputs, max_runs=1)
        self.assertIsInstance(first, task_base.Wait)
        stack_id = states[0]['stack_id']
        self.delete_stack_later(self.alice, stack_id)

        # A run that was interrupted before its Wait was stored: the
        # engine calls run again without run state, for the same attempt.
        again = heat_stack.HeatStackTask().run(context, inputs)
        self.assertIsInstance(again, task_base.Wait)
        self.assertEqual(stack_id, again.run_state['stack_id'])

        # A restarted conductor: a new task object, the stored run state.
        keystone.reset()
        result, _ = self.drive(
            heat_stack.HeatStackTask(),
            dataclasses.replace(context, run_state=states[0]), inputs)
        output = self.assertSucceeded(result)
        self.assertEqual(stack_id, output['stack_id'])
        self.assertEqual([stack_id],
                         [s.id for s in self.stacks_named(self.alice, name)])

    def test_cancel_deletes_the_stack_it_created(self):
        trust_id = self.trust_for(self.alice)
        name = unique('conv-cancel')
        inputs = {'stack_name': name, 'template': TEMPLATE,
                  'on_cancel': 'delete'}
        context = self.run_context(self.alice, trust_id)
        task = heat_stack.HeatStackTask()
        _, states = self.drive(task, context, inputs, max_runs=1)
        self.delete_stack_later(self.alice, states[0]['stack_id'])
        task.cancel(dataclasses.replace(context, run_state=states[0]),
                    inputs)
        deadline = time.monotonic() + 30
        while self.stacks_named(self.alice, name):
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.5)

    def test_bob_cannot_touch_alices_stack(self):
        alice_trust = self.trust_for(self.alice)
        name = unique('conv-private')
        result, _ = self.drive(
            heat_stack.HeatStackTask(),
            self.run_context(self.alice, alice_trust),
            {'stack_name': name, 'template': TEMPLATE})
        stack_id = self.assertSucceeded(result)['stack_id']
        self.delete_stack_later(self.alice, stack_id)

        bob = User('bob')
        bob_trust = self.trust_for(bob)
        for inputs in ({'action': 'delete', 'stack': stack_id},
                       {'action': 'delete', 'stack': name},
                       {'action': 'update', 'stack': stack_id,
                        'existing': True, 'parameters': {'value': 'x'}}):
            result, _ = self.drive(heat_stack.HeatStackTask(),
                                   self.run_context(bob, bob_trust), inputs)
            self.assertFailed(result, 'NotFound')
        self.assertEqual([], self.stacks_named(bob, name))
        stack = self.alice.heat().stacks.get(stack_id)
        self.assertEqual('CREATE_COMPLETE', stack.stack_status)


class TrustTest(PeersTestCase):

    def _trust_ids(self, user):
        identity = adapter.Adapter(user.session, service_type='identity',
                                   interface='public')
        trusts = identity.get('/OS-TRUST/trusts', params={
            'trustor_user_id': user.user_id}).json()['trusts']
        return {trust['id'] for trust in trusts}

    def test_trust_outlives_the_token_and_goes_with_delete_trust(self):
        # A token no middleware has seen (so no cache keeps it alive).
        user = User('alice')
        context = user.context()
        trust_id = keystone.create_trust_for(context)
        self.assertIn(trust_id, self._trust_ids(self.alice))

        # The user logs out: Keystone revokes the token.
        service = keystone.get_service_session()
        identity = adapter.Adapter(service, service_type='identity',
                                   interface='public')
        identity.delete('/auth/tokens',
                        headers={'X-Subject-Token': context.auth_token})
        self.assertRaises(ks_exc.NotFound, identity.get, '/auth/tokens',
                          headers={'X-Subject-Token': context.auth_token})

        name = unique('conv-trust')
        result, states = self.drive(
            heat_stack.HeatStackTask(), self.run_context(user, trust_id),
            {'stack_name': name, 'template': TEMPLATE})
        self.delete_stack_later(self.alice, states[0]['stack_id'])
        self.assertSucceeded(result)
        stack = self.alice.heat().stacks.get(states[0]['stack_id'])
        self.assertEqual('alice', stack.stack_owner)

        keystone.delete_trust(trust_id)
        self.assertNotIn(trust_id, self._trust_ids(self.alice))
        # Deleting again is fine (the engine may retry).
        keystone.delete_trust(trust_id)
        # And the task can no longer act through it.
        result, _ = self.drive(
            heat_stack.HeatStackTask(), self.run_context(user, trust_id),
            {'action': 'delete', 'stack': states[0]['stack_id']})
        self.assertFailed(result, 'Unauthorized')

    def test_trust_needs_a_token(self):
        context = self.alice.context()
        context.auth_token = None
        self.assertRaises(exception.NotAuthorized,
                          keystone.create_trust_for, context)

    def test_trust_for_a_revoked_token_is_refused(self):
        user = User('alice')
        context = user.context()
        identity = adapter.Adapter(keystone.get_service_session(),
                                   service_type='identity',
                                   interface='public')
        identity.delete('/auth/tokens',
                        headers={'X-Subject-Token': context.auth_token})
        self.assertRaises(exception.TrustNotCreated,
                          keystone.create_trust_for, context)


class NovaServerTest(PeersTestCase):

    needs_nova = True

    def test_boot_stop_start_reboot_delete(self):
        trust_id = self.trust_for(self.alice)
        task = nova_server.NovaServerTask()
        name = unique('conv-vm')
        result, states = self.drive(
            task, self.run_context(self.alice, trust_id), {
                'name': name, 'flavor': 'm1.tiny', 'image': IMAGE,
                'networks': 'none', 'metadata': {'purpose': 'test'},
                'user_data': '#!/bin/sh\necho hi\n'})
        booted = self.assertSucceeded(result)
        server_id = booted['id']
        self.delete_server_later(self.alice, server_id)
        self.assertEqual([server_id], states[0]['server_ids'])
        self.assertEqual('ACTIVE', booted['status'])
        self.assertEqual(name, booted['name'])
        self.assertIn('addresses', booted)
        server = self.alice.nova().get(
            f'/servers/{server_id}').json()['server']
        self.assertEqual('ACTIVE', server['status'])
        self.assertEqual('test', server['metadata']['purpose'])
        self.assertEqual(self.alice.project_id, server['tenant_id'])

        for action, status in (('stop', 'SHUTOFF'), ('start', 'ACTIVE'),
                               ('reboot', 'ACTIVE'),
                               # Already running: nothing to do.
                               ('start', 'ACTIVE')):
            result, _ = self.drive(task, self.run_context(self.alice,
                                                          trust_id),
                                   {'action': action, 'server': name})
            self.assertEqual(status, self.assertSucceeded(result)['status'],
                             action)

        result, _ = self.drive(task, self.run_context(self.alice, trust_id),
                               {'action': 'delete', 'server': server_id})
        self.assertEqual('DELETED', self.assertSucceeded(result)['status'])
        self.assertRaises(ks_exc.NotFound, self.alice.nova().get,
                          f'/servers/{server_id}')

    def test_no_valid_host_fails_with_novas_fault(self):
        trust_id = self.trust_for(self.alice)
        result, states = self.drive(
            nova_server.NovaServerTask(),
            self.run_context(self.alice, trust_id),
            {'name': unique('conv-big'), 'flavor': TOO_BIG_FLAVOR,
             'image': IMAGE, 'networks': 'none'})
        server_id = states[0]['server_ids'][0]
        self.delete_server_later(self.alice, server_id)
        failure = self.assertFailed(result, 'NoValidHost')
        self.assertIn('No valid host was found', failure.message)
        server = self.alice.nova().get(
            f'/servers/{server_id}').json()['server']
        self.assertEqual('ERROR', server['status'])
        self.assertEqual(server['fault']['message'],
                         failure.details['fault']['message'])

    def test_unknown_flavor_and_server(self):
        trust_id = self.trust_for(self.alice)
        task = nova_server.NovaServerTask()
        result, _ = self.drive(task, self.run_context(self.alice, trust_id),
                               {'name': unique('conv-x'),
                                'flavor': 'no-such-flavor', 'image': IMAGE,
                                'networks': 'none'})
        self.assertIn('no-such-flavor',
                      self.assertFailed(result, 'NotFound').message)
        result, _ = self.drive(task, self.run_context(self.alice, trust_id),
                               {'action': 'stop', 'server': unique('nope')})
        self.assertFailed(result, 'NotFound')

    def test_cancel_deletes_booted_servers(self):
        trust_id = self.trust_for(self.alice)
        name = unique('conv-two')
        inputs = {'name': name, 'flavor': TINY_FLAVOR, 'image': IMAGE,
                  'networks': 'none', 'count': 2, 'on_cancel': 'delete'}
        context = self.run_context(self.alice, trust_id)
        task = nova_server.NovaServerTask()
        result, states = self.drive(task, context, inputs)
        ids = self.assertSucceeded(result)['ids']
        for server_id in ids:
            self.delete_server_later(self.alice, server_id)
        self.assertEqual(2, len(ids))
        task.cancel(dataclasses.replace(context, run_state=states[-1]),
                    inputs)
        deadline = time.monotonic() + 30
        for server_id in ids:
            while True:
                try:
                    self.alice.nova().get(f'/servers/{server_id}')
                except ks_exc.NotFound:
                    break
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.3)
