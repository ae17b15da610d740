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

import fixtures
import jsonschema

from convection.common import keystone
from convection.tasks import base as task_base
from convection.tasks import cloud
from convection.tasks import heat_stack
from tests import base
from tests.unit.tasks import stub_service

PROJECT = 'p1'
STACKS = f'/v1/{PROJECT}/stacks'
TEMPLATE = {'heat_template_version': '2018-08-31', 'resources': {}}


def heat_error(status, message, kind='Error'):
    return {'code': status, 'title': kind, 'explanation': message,
            'error': {'message': message, 'type': kind, 'traceback': None}}


def stack_body(status, reason='', updated_time=None, outputs=()):
    return {'stack': {'id': 'sid', 'stack_name': 'st',
                      'stack_status': status,
                      'stack_status_reason': reason,
                      'updated_time': updated_time,
                      'outputs': list(outputs),
                      'links': []}}


def context(run_state=None, trust_id='trust-1'):
    return task_base.RunContext(
        execution_id='e1', task_id='00000000-task', task_name='make it',
        attempt=1, project_id=PROJECT, user_id='u1', run_state=run_state,
        trust_id=trust_id)


class InputSchemaTest(base.TestCase):

    use_database = False

    def setUp(self):
        super().setUp()
        self.task = heat_stack.HeatStackTask()

    def test_valid(self):
        for inputs in (
                {'template': TEMPLATE},
                {'action': 'create', 'template': 'heat_template_version: x',
                 'parameters': {'a': 1}, 'environment': {},
                 'stack_name': 'web.1_a-b', 'timeout_mins': 5,
                 'on_cancel': 'delete', 'tags': ['x']},
                {'template_url': 'http://example.com/t.yaml'},
                {'action': 'update', 'stack': 'web', 'existing': True,
                 'parameters': {'a': 2}},
                {'action': 'delete', 'stack': 'web'}):
            self.task.validate_input(inputs)

    def test_invalid(self):
        for inputs in (
                {},
                {'template': TEMPLATE, 'template_url': 'http://x'},
                {'template': TEMPLATE, 'stack_name': '1bad'},
                {'template': TEMPLATE, 'on_cancel': 'explode'},
                {'template': TEMPLATE, 'stack': 'web'},
                {'template': ''},
                {'action': 'update', 'template': TEMPLATE},
                {'action': 'delete', 'stack': 'web', 'template': TEMPLATE},
                {'action': 'delete'},
                {'action': 'check', 'stack': 'web'}):
            self.assertRaises(jsonschema.ValidationError,
                              self.task.validate_input, inputs)


class HeatStackTaskTest(base.TestCase):
    """Heat's faults, from a stub server (the real Heat won't 503)."""

    use_database = False

    def setUp(self):
        super().setUp()
        self.task = heat_stack.HeatStackTask()

    def serve(self, *responses):
        stub = self.useFixture(stub_service.StubService(responses))
        self._use_session(stub.session(f'/v1/{PROJECT}'))
        return stub

    def _use_session(self, session):
        self.useFixture(fixtures.MockPatchObject(
            keystone, 'session_for_trust', lambda trust_id: session))

    def create(self):
        return self.task.run(context(), {'template': TEMPLATE})

    def test_no_trust(self):
        result = self.task.run(context(trust_id=None),
                               {'template': TEMPLATE})
        self.assertEqual('MissingTrust', result.error_type)
        self.assertFalse(result.retryable)

    def test_no_service_credentials(self):
        keystone.reset()
        self.addCleanup(keystone.reset)
        result = self.task.run(context(), {'template': TEMPLATE})
        self.assertEqual('ConfigInvalid', result.error_type)
        self.assertFalse(result.retryable)
        self.assertIn('[service_credentials] has no auth_type',
                      result.message)

    def test_create_returns_the_stack_id_at_once(self):
        stub = self.serve(('GET', STACKS, 200, {'stacks': []}),
                          ('POST', STACKS, 201,
                           {'stack': {'id': 'new-id', 'links': []}}))
        result = self.create()
        self.assertIsInstance(result, task_base.Wait)
        self.assertEqual({'stack_id': 'new-id',
                          'stack_name': 'convection-make-it-00000000',
                          'action': 'CREATE', 'polls': 1, 'poll_errors': 0},
                         result.run_state)
        self.assertEqual(2.0, result.delay)
        method, path, body, _ = stub.requests[-1]
        self.assertEqual(('POST', STACKS), (method, path))
        self.assertEqual('convection-task-00000000-task-1', body['tags'])
        self.assertEqual(TEMPLATE, body['template'])

    def test_create_resumes_a_stack_of_an_interrupted_run(self):
        stub = self.serve(('GET', STACKS, 200, {'stacks': [
            {'id': 'old-id', 'stack_name': 'st', 'links': []}]}))
        result = self.create()
        self.assertEqual('old-id', result.run_state['stack_id'])
        self.assertEqual(['GET'], [r[0] for r in stub.requests])

    def test_unavailable_is_retryable(self):
        self.serve(('GET', STACKS, 200, {'stacks': []}),
                   ('POST', STACKS, 503,
                    heat_error(503, 'Engine is busy')))
        result = self.create()
        self.assertEqual('ServiceUnavailable', result.error_type)
        self.assertTrue(result.retryable)
        self.assertIn('Engine is busy', result.message)
        self.assertEqual(503, result.details['status'])

    def test_busy_stack_is_retryable(self):
        self.serve(('PATCH', f'{STACKS}/st/sid', 409,
                    heat_error(409, 'Stack st already has an action '
                                    '(UPDATE) in progress.',
                               'ActionInProgress')),
                   ('GET', f'{STACKS}/st', 200, stack_body('CREATE_COMPLETE')))
        result = self.task.run(context(), {'action': 'update', 'stack': 'st',
                                           'existing': True})
        self.assertEqual('Conflict', result.error_type)
        self.assertTrue(result.retryable)
        self.assertIn('in progress', result.message)

    def test_existing_stack_name_is_final(self):
        self.serve(('GET', STACKS, 200, {'stacks': []}),
                   ('POST', STACKS, 409,
                    heat_error(409, 'The Stack (st) already exists.',
                               'StackExists')))
        result = self.create()
        self.assertEqual('StackExists', result.error_type)
        self.assertFalse(result.retryable)

    def test_validation_error_is_final(self):
        self.serve(('GET', STACKS, 200, {'stacks': []}),
                   ('POST', STACKS, 400,
                    heat_error(400, 'Property error: x', 'StackValidation')))
        result = self.create()
        self.assertEqual('BadRequest', result.error_type)
        self.assertFalse(result.retryable)
        self.assertEqual('Heat: Property error: x', result.message)

    def test_limit_exceeded_is_final(self):
        self.serve(('GET', STACKS, 200, {'stacks': []}),
                   ('POST', STACKS, 413,
                    heat_error(413, 'You have reached the maximum stacks '
                                    'per tenant, 100.')))
        result = self.create()
        self.assertEqual('QuotaExceeded', result.error_type)
        self.assertFalse(result.retryable)

    def test_unreachable_heat_names_the_endpoint(self):
        with socket.socket() as sock:
            sock.bind(('127.0.0.1', 0))
            port = sock.getsockname()[1]
        # Nothing listens on the port any more: a real refused connection.
        endpoint = f'http://127.0.0.1:{port}/v1/{PROJECT}'
        self._use_session(
            stub_service.session_for(endpoint))
        result = self.create()
        self.assertEqual('ServiceUnavailable', result.error_type)
        self.assertTrue(result.retryable)
        self.assertIn(f'Cannot reach Heat at {endpoint}', result.message)

    def test_poll_tolerates_transient_errors(self):
        state = {'stack_id': 'sid', 'stack_name': 'st', 'action': 'CREATE',
                 'polls': 3, 'poll_errors': 0}
        self.serve(('GET', f'{STACKS}/st/sid', 503,
                    heat_error(503, 'down')))
        result = self.task.run(context(state), {'template': TEMPLATE})
        self.assertIsInstance(result, task_base.Wait)
        self.assertEqual(1, result.run_state['poll_errors'])
        self.assertEqual('sid', result.run_state['stack_id'])

        state['poll_errors'] = cloud.MAX_POLL_ERRORS
        result = self.task.run(context(state), {'template': TEMPLATE})
        self.assertEqual('ServiceUnavailable', result.error_type)
        self.assertTrue(result.retryable)

    def test_poll_lost_stack_is_final(self):
        state = {'stack_id': 'sid', 'stack_name': 'st', 'action': 'CREATE'}
        self.serve(('GET', f'{STACKS}/st/sid', 404,
                    heat_error(404, 'The Stack (st) could not be found.')))
        result = self.task.run(context(state), {'template': TEMPLATE})
        self.assertEqual('NotFound', result.error_type)
        self.assertFalse(result.retryable)

    def test_poll_waits_for_the_update_to_start(self):
        state = {'stack_id': 'sid', 'stack_name': 'st', 'action': 'UPDATE',
                 'updated_time': '2026-01-01T00:00:00Z', 'polls': 0}
        self.serve(('GET', f'{STACKS}/st/sid', 200,
                    stack_body('UPDATE_COMPLETE',
                               updated_time='2026-01-01T00:00:00Z')))
        result = self.task.run(context(state), {'action': 'update',
                                                'stack': 'st'})
        self.assertIsInstance(result, task_base.Wait)

    def test_poll_complete(self):
        state = {'stack_id': 'sid', 'stack_name': 'st', 'action': 'UPDATE',
                 'updated_time': '2026-01-01T00:00:00Z', 'polls': 2}
        self.serve(('GET', f'{STACKS}/st/sid', 200,
                    stack_body('UPDATE_COMPLETE',
                               updated_time='2026-01-01T00:05:00Z',
                               outputs=[{'output_key': 'ip',
                                         'output_value': '10.0.0.1'}])))
        result = self.task.run(context(state), {'action': 'update',
                                                'stack': 'st'})
        self.assertEqual({'stack_id': 'sid', 'stack_name': 'st',
                          'status': 'UPDATE_COMPLETE',
                          'outputs': {'ip': '10.0.0.1'}}, result.output)

    def test_rollback_is_a_failure(self):
        state = {'stack_id': 'sid', 'stack_name': 'st', 'action': 'UPDATE',
                 'updated_time': None, 'polls': 2}
        self.serve(('GET', f'{STACKS}/st/sid', 200,
                    stack_body('ROLLBACK_COMPLETE', reason='boom')))
        result = self.task.run(context(state), {'action': 'update',
                                                'stack': 'st'})
        self.assertEqual('StackFailed', result.error_type)
        self.assertFalse(result.retryable)
        self.assertIn('boom', result.message)

    def test_poll_delay_grows_to_the_cap(self):
        self.config(poll_interval=2, poll_backoff=2, max_poll_interval=10,
                    group='heat')
        self.assertEqual([2, 4, 8, 10, 10],
                         [self.task.poll_delay(n) for n in range(5)])

    def test_cancel_deletes_only_when_asked(self):
        state = {'stack_id': 'sid', 'stack_name': 'st', 'action': 'CREATE'}
        stub = self.serve(('DELETE', f'{STACKS}/st/sid', 204, {}))
        self.task.cancel(context(state), {'template': TEMPLATE})
        self.task.cancel(context(state), {'template': TEMPLATE,
                                          'on_cancel': 'keep'})
        self.assertEqual([], stub.requests)
        self.task.cancel(context(state), {'template': TEMPLATE,
                                          'on_cancel': 'delete'})
        self.assertEqual([('DELETE', f'{STACKS}/st/sid')],
                         [r[:2] for r in stub.requests])
