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

import fixtures
import jsonschema

from convection.common import keystone
from convection.tasks import base as task_base
from convection.tasks import nova_server
from tests import base
from tests.unit.tasks import stub_service

IMAGE = '155d900f-4e14-4e4c-a73d-069cbf4541e6'
BOOT = {'name': 'web', 'flavor': 'm1.tiny', 'image': IMAGE,
        'networks': 'none'}
FLAVORS = {'flavors': [{'id': '1', 'name': 'm1.tiny'},
                       {'id': '2', 'name': 'm1.small'}]}


def context(run_state=None):
    return task_base.RunContext(
        execution_id='e1', task_id='t1', task_name='boot', attempt=2,
        project_id='p1', user_id='u1', run_state=run_state,
        trust_id='trust-1')


def nova_error(status, key, message):
    return {key: {'code': status, 'message': message}}


def server(status, task_state=None, fault=None, server_id='s1'):
    body = {'id': server_id, 'name': 'web', 'status': status,
            'OS-EXT-STS:task_state': task_state, 'addresses': {},
            'metadata': {}}
    if fault:
        body['fault'] = fault
    return {'server': body}


class InputSchemaTest(base.TestCase):

    use_database = False

    def setUp(self):
        super().setUp()
        self.task = nova_server.NovaServerTask()

    def test_valid(self):
        for inputs in (
                BOOT,
                dict(BOOT, action='boot', flavor=1, count=3,
                     networks=[{'uuid': 'n1'}, {'port': 'p1'}],
                     key_name='k', user_data='#!/bin/sh',
                     metadata={'a': 'b'}, on_cancel='delete'),
                {'action': 'delete', 'server': 'web'},
                {'action': 'reboot', 'server': 'web', 'type': 'HARD'},
                {'action': 'stop', 'server': 'web'},
                {'action': 'start', 'server': 'web'}):
            self.task.validate_input(inputs)

    def test_invalid(self):
        for inputs in (
                {},
                {'name': 'web', 'flavor': '1'},
                dict(BOOT, count=0),
                dict(BOOT, networks='some'),
                dict(BOOT, networks=[]),
                dict(BOOT, metadata={'a': 1}),
                dict(BOOT, server='x'),
                {'action': 'stop', 'server': 'web', 'type': 'HARD'},
                {'action': 'reboot', 'server': 'web', 'type': 'GENTLE'},
                {'action': 'delete'},
                {'action': 'rebuild', 'server': 'web'}):
            self.assertRaises(jsonschema.ValidationError,
                              self.task.validate_input, inputs)


class NovaServerTaskTest(base.TestCase):
    """Nova's faults, from a stub server (the real Nova won't 503)."""

    use_database = False

    def setUp(self):
        super().setUp()
        self.task = nova_server.NovaServerTask()

    def serve(self, *responses):
        stub = self.useFixture(stub_service.StubService(responses))
        session = stub.session('/v2.1')
        self.useFixture(fixtures.MockPatchObject(
            keystone, 'session_for_trust', lambda trust_id: session))
        return stub

    def boot(self, post_status, post_body):
        return self.serve(('GET', '/v2.1/servers/detail', 200,
                           {'servers': []}),
                          ('GET', '/v2.1/flavors', 200, FLAVORS),
                          ('POST', '/v2.1/servers', post_status, post_body))

    def test_boot_request(self):
        stub = self.boot(202, {'server': {'id': 's1'}})
        result = self.task.run(context(), dict(BOOT, user_data='hi',
                                               metadata={'a': 'b'}))
        self.assertIsInstance(result, task_base.Wait)
        self.assertEqual(['s1'], result.run_state['server_ids'])
        _, _, body, headers = stub.requests[-1]
        self.assertEqual({'name': 'web', 'flavorRef': '1',
                          'imageRef': IMAGE, 'networks': 'none',
                          'metadata': {'a': 'b', 'convection_task': 't1-2'},
                          'min_count': 1, 'max_count': 1,
                          'user_data': 'aGk='}, body['server'])
        self.assertEqual('compute 2.79', headers['OpenStack-API-Version'])

    def test_boot_resumes_servers_of_an_interrupted_run(self):
        mine = dict(server('ACTIVE')['server'],
                    metadata={'convection_task': 't1-2'})
        other = dict(server('ACTIVE', server_id='s0')['server'],
                     metadata={'convection_task': 't1-1'})
        stub = self.serve(('GET', '/v2.1/servers/detail', 200,
                           {'servers': [other, mine]}))
        result = self.task.run(context(), BOOT)
        self.assertEqual(['s1'], result.run_state['server_ids'])
        self.assertEqual(['GET'], [r[0] for r in stub.requests])

    def test_quota_exceeded_is_final(self):
        message = ('Quota exceeded for instances: Requested 1, but already '
                   'used 10 of 10 instances')
        self.boot(403, nova_error(403, 'forbidden', message))
        result = self.task.run(context(), BOOT)
        self.assertEqual('QuotaExceeded', result.error_type)
        self.assertFalse(result.retryable)
        self.assertIn(message, result.message)

    def test_over_limit_is_final(self):
        self.boot(413, nova_error(413, 'overLimit', 'Quota exceeded'))
        result = self.task.run(context(), BOOT)
        self.assertEqual('QuotaExceeded', result.error_type)
        self.assertFalse(result.retryable)

    def test_server_error_is_retryable(self):
        self.boot(500, nova_error(500, 'computeFault', 'Unexpected API '
                                                       'Error.'))
        result = self.task.run(context(), BOOT)
        self.assertEqual('ServiceUnavailable', result.error_type)
        self.assertTrue(result.retryable)

    def test_rate_limit_is_retryable(self):
        self.boot(429, nova_error(429, 'overLimit', 'Slow down'))
        result = self.task.run(context(), BOOT)
        self.assertEqual('RateLimited', result.error_type)
        self.assertTrue(result.retryable)

    def test_conflict_is_retryable(self):
        self.serve(('GET', '/v2.1/servers/s1', 200, server('ACTIVE')),
                   ('POST', '/v2.1/servers/s1/action', 409,
                    nova_error(409, 'conflictingRequest',
                               "Cannot 'reboot' instance while it is in "
                               "task_state rebooting")))
        result = self.task.run(context(), {'action': 'reboot',
                                           'server': 's1'})
        self.assertEqual('Conflict', result.error_type)
        self.assertTrue(result.retryable)

    def test_error_state_fails_with_the_fault(self):
        self.serve(('GET', '/v2.1/servers/s1', 200,
                    server('ERROR', fault={'code': 500,
                                           'message': 'Build failed'})))
        result = self.task.run(context({'action': 'boot',
                                        'server_ids': ['s1']}), BOOT)
        self.assertEqual('ServerFailed', result.error_type)
        self.assertFalse(result.retryable)
        self.assertIn('Build failed', result.message)

    def test_waits_while_a_task_state_is_set(self):
        self.serve(('GET', '/v2.1/servers/s1', 200,
                    server('ACTIVE', task_state='rebooting')))
        result = self.task.run(context({'action': 'reboot',
                                        'server_ids': ['s1'], 'polls': 1}),
                               {'action': 'reboot', 'server': 's1'})
        self.assertIsInstance(result, task_base.Wait)
        self.assertEqual(2, result.run_state['polls'])

    def test_stop_of_a_stopped_server_does_nothing(self):
        stub = self.serve(('GET', '/v2.1/servers/s1', 200,
                           server('SHUTOFF')))
        result = self.task.run(context(), {'action': 'stop',
                                           'server': 's1'})
        self.assertEqual('SHUTOFF', result.output['status'])
        self.assertEqual(['GET'], [r[0] for r in stub.requests])

    def test_ambiguous_server_name(self):
        self.serve(('GET', '/v2.1/servers/web', 404,
                    nova_error(404, 'itemNotFound', 'not found')),
                   ('GET', '/v2.1/servers/detail', 200, {'servers': [
                       server('ACTIVE', server_id='a')['server'],
                       server('ACTIVE', server_id='b')['server']]}))
        result = self.task.run(context(), {'action': 'delete',
                                           'server': 'web'})
        self.assertEqual('Conflict', result.error_type)
        self.assertFalse(result.retryable)
