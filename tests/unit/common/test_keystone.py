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

import socket
import time

import fixtures
from keystoneauth1 import loading
from keystoneauth1 import service_token

from convection.common import context
from convection.common import exception
from convection.common import keystone
from tests import base


def closed_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class KeystoneTest(base.TestCase):

    use_database = False

    def setUp(self):
        super().setUp()
        # The plugin's options, registered through the fixture so that they
        # are unregistered after the test.
        self.conf_fixture.register_opts(
            loading.get_auth_plugin_conf_options('password'),
            group='service_credentials')
        # Nothing listens there: Keystone is away.
        self.auth_url = f'http://127.0.0.1:{closed_port()}/v3'
        self.config(auth_type='password', auth_url=self.auth_url,
                    username='convection', password='secret',
                    user_domain_id='default', project_name='service',
                    project_domain_id='default',
                    group='service_credentials')
        keystone.reset()
        self.addCleanup(keystone.reset)

    def test_trust_session_is_scoped_to_the_trust_only(self):
        session = keystone.session_for_trust('trust-1')
        self.assertIsInstance(session.auth,
                              service_token.ServiceTokenAuthWrapper)
        scope = session.auth.user_auth.get_cache_id_elements()
        self.assertEqual('trust-1', scope['trust_id'])
        self.assertEqual('convection', scope['username'])
        # Keystone refuses a token scoped to a project and a trust at once.
        self.assertIsNone(scope['project_name'])
        self.assertIsNone(scope['project_domain_id'])
        # Cached: every poll of the execution reuses one token.
        self.assertIs(session, keystone.session_for_trust('trust-1'))
        self.assertIsNot(session, keystone.session_for_trust('trust-2'))

    def test_trust_session_without_service_token(self):
        self.config(send_service_token=False, group='keystone')
        session = keystone.session_for_trust('trust-1')
        self.assertNotIsInstance(session.auth,
                                 service_token.ServiceTokenAuthWrapper)

    def test_missing_credentials(self):
        self.config(auth_type=None, group='service_credentials')
        keystone.reset()
        self.assertRaises(exception.ConfigInvalid,
                          keystone.get_service_session)

    def test_create_trust_for_needs_a_token(self):
        ctx = context.RequestContext(user_id='u', project_id='p',
                                     roles=['member'])
        self.assertRaises(exception.NotAuthorized,
                          keystone.create_trust_for, ctx)

    def test_create_trust_when_keystone_is_away(self):
        ctx = context.RequestContext(auth_token='tok', user_id='u',
                                     project_id='p', roles=['member'])
        self.assertRaises(exception.ServiceUnavailable,
                          keystone.create_trust_for, ctx)

    def test_delete_trust_retries_then_gives_up(self):
        self.config(trust_delete_retries=3, trust_delete_retry_delay=0.5,
                    group='keystone')
        sleeps = []
        self.useFixture(fixtures.MockPatchObject(time, 'sleep',
                                                 sleeps.append))
        error = self.assertRaises(exception.ServiceUnavailable,
                                  keystone.delete_trust, 'trust-1')
        self.assertIn(self.auth_url, str(error))
        self.assertEqual([0.5, 1.0, 2.0], sleeps)
