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

"""OS::Convection::Execution (contrib/heat) run by the real Heat.

tools/peers/start_heat.sh lists contrib/heat in heat.conf's plugin_dirs,
so the loopback heat-engine has the resource type. As in a real cloud,
heat-engine finds Convection in the Keystone catalog: the class registers
its deployment's API as the ``taskflow`` service (public endpoint, region
RegionOne) with the peers' admin identity, and removes it afterwards.
Stacks are created by alice with her own token; the resource acts for her.

heat-engine takes the first ``taskflow`` endpoint of the catalog, so only
one deployment may be registered at a time: this is the only class that
registers one, and stestr runs a class in one worker (``--parallel-class``,
as tox does).
"""

import contextlib
import os
import time

from heatclient import exc as heat_exc
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
import yaml

from convection.common import clients
from tests.functional import base

SERVICE_TYPE = 'taskflow'
REGION = 'RegionOne'
# Services this class registers are named <prefix><pid>-<random>, so that a
# later run can tell the leftovers of a killed run from a live one.
SERVICE_PREFIX = 'cvft-heat-resource-'
TERMINAL = ('SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT')


def _peers_cloud(name):
    """A keystoneauth session for one cloud of the peers' clouds.yaml."""
    path = os.path.join(
        os.environ.get('CONVECTION_PEERS_DIR', '/tmp/convection-peers'),
        'clouds.yaml')
    with open(path) as f:
        cloud = yaml.safe_load(f)['clouds'][name]
    return ks_session.Session(auth=v3.Password(**cloud['auth']))


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Catalog:
    """The ``taskflow`` service and endpoint of one test class."""

    def __init__(self, url):
        self.url = url
        self.admin = _peers_cloud('admin')
        self.service_id = None

    def _call(self, method, path, **kwargs):
        return self.admin.request(base.KEYSTONE_URL + path, method,
                                  **kwargs)

    def remove_leftovers(self):
        """Remove services of killed runs: heat-engine would use them."""
        services = self._call('GET', '/services', params={
            'type': SERVICE_TYPE}).json()['services']
        for service in services:
            name = service.get('name') or ''
            if not name.startswith(SERVICE_PREFIX):
                continue
            pid = name[len(SERVICE_PREFIX):].split('-', 1)[0]
            if pid.isdigit() and not _pid_alive(int(pid)):
                self._delete(service['id'])

    def register(self):
        name = base.unique_name(f'{SERVICE_PREFIX}{os.getpid()}-')
        self.service_id = self._call('POST', '/services', json={
            'service': {'type': SERVICE_TYPE, 'name': name,
                        'enabled': True}}).json()['service']['id']
        self._call('POST', '/endpoints', json={'endpoint': {
            'service_id': self.service_id, 'interface': 'public',
            'url': self.url, 'region_id': REGION}})

    def remove(self):
        if self.service_id is not None:
            self._delete(self.service_id)

    def _delete(self, service_id):
        endpoints = self._call('GET', '/endpoints', params={
            'service_id': service_id}).json()['endpoints']
        for endpoint in endpoints:
            self._call('DELETE', f"/endpoints/{endpoint['id']}",
                       raise_exc=False)
        self._call('DELETE', f'/services/{service_id}', raise_exc=False)


def execution_template(**properties):
    return {
        'heat_template_version': '2018-08-31',
        'resources': {'run': {'type': 'OS::Convection::Execution',
                              'properties': properties}},
        'outputs': {
            'execution_id': {'value': {'get_attr': ['run',
                                                    'execution_id']}},
            'state': {'value': {'get_attr': ['run', 'state']}},
            'output': {'value': {'get_attr': ['run', 'output']}},
            'error': {'value': {'get_attr': ['run', 'error']}},
        },
    }


class HeatResourceTest(base.FunctionalTestCase):

    backend = 'postgresql'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if cls.deployment is None:
            return
        try:
            catalog = Catalog(cls.deployment.url)
            catalog.remove_leftovers()
            cls._stack.callback(catalog.remove)
            catalog.register()
        except Exception as e:
            cls._setup_error = f'cannot register Convection in Keystone: {e}'
            cls._stack.close()

    def setUp(self):
        super().setUp()
        base.require_cloud(self, 'heat')
        # A token issued after the registration: Heat acts with the
        # catalog of the token it is given.
        password, project = base.USERS['alice']
        self.alice = ks_session.Session(auth=v3.Password(
            auth_url=base.KEYSTONE_URL, username='alice', password=password,
            project_name=project, user_domain_id='default',
            project_domain_id='default'))
        self.heat = clients.heat(self.alice)
        self.alice_token = self.alice.get_token()
        try:
            self.heat.resource_types.get('OS::Convection::Execution')
        except heat_exc.HTTPNotFound:
            self.fail('the running Heat has no OS::Convection::Execution: '
                      'run tools/peers/start_heat.sh of this checkout, '
                      'which restarts Heat with contrib/heat in its '
                      'plugin_dirs')

    # Helpers.

    def register_flow(self, definition):
        self.post('/v1/flows', json={'definition': definition},
                  token=self.alice_token, expect=201)

    def create_stack(self, template):
        name = base.unique_name('cvft-heat-resource')
        stack_id = self.heat.stacks.create(
            stack_name=name, template=template,
            timeout_mins=5)['stack']['id']
        self.addCleanup(self.delete_stack, stack_id)
        return stack_id

    def delete_stack(self, stack_id):
        with contextlib.suppress(heat_exc.HTTPNotFound):
            if not self.heat.stacks.get(stack_id).stack_status.startswith(
                    'DELETE_'):
                self.heat.stacks.delete(stack_id)
            self.wait_for_stack(stack_id, ('DELETE_COMPLETE',
                                           'DELETE_FAILED'))

    def wait_for_stack(self, stack_id, statuses, timeout=120):
        deadline = time.monotonic() + timeout
        while True:
            try:
                stack = self.heat.stacks.get(stack_id)
            except heat_exc.HTTPNotFound:
                if 'DELETE_COMPLETE' in statuses:
                    return None
                raise
            if stack.stack_status in statuses:
                return stack
            if time.monotonic() > deadline:
                self.fail(f'stack {stack_id} still {stack.stack_status} '
                          f'after {timeout}s, wanted {statuses}: '
                          f'{stack.stack_status_reason}')
            time.sleep(0.5)

    def outputs(self, stack):
        return {o['output_key']: o.get('output_value')
                for o in stack.outputs}

    def execution(self, execution_id):
        return self.get(f'/v1/executions/{execution_id}',
                        token=self.alice_token, expect=200).json()

    # Tests.

    def test_stack_waits_for_the_flow_and_outputs_its_result(self):
        flow = base.unique_name('heat-hello')
        self.register_flow({
            'version': 1, 'name': flow,
            'tasks': {
                'greet': {'type': 'echo',
                          'with': {'greeting': 'Hello, {{ input.who }}!'}},
                'done': {'type': 'noop', 'requires': ['greet']},
            },
            'output': {'greeting': '{{ tasks.greet.output.greeting }}',
                       'who': '{{ input.who }}'},
        })
        template = execution_template(flow=flow, input={'who': 'Heat'})
        # A path into a map attribute, and Heat's "show" of the resource.
        template['outputs'].update({
            'greeting': {'value': {'get_attr': ['run', 'output',
                                                'greeting']}},
            'shown_flow': {'value': {'get_attr': ['run', 'show',
                                                  'flow_name']}},
        })
        stack_id = self.create_stack(template)

        stack = self.wait_for_stack(stack_id, ('CREATE_COMPLETE',
                                               'CREATE_FAILED'))

        self.assertEqual('CREATE_COMPLETE', stack.stack_status,
                         stack.stack_status_reason)
        outputs = self.outputs(stack)
        self.assertEqual({'greeting': 'Hello, Heat!', 'who': 'Heat'},
                         outputs['output'])
        self.assertEqual('Hello, Heat!', outputs['greeting'])
        self.assertEqual(flow, outputs['shown_flow'])
        self.assertEqual('SUCCEEDED', outputs['state'])
        self.assertIsNone(outputs['error'])
        execution = self.execution(outputs['execution_id'])
        self.assertEqual('SUCCEEDED', execution['state'])
        self.assertEqual(flow, execution['flow_name'])
        self.assertEqual({'who': 'Heat'}, execution['input'])
        self.assertEqual(outputs['output'], execution['output'])
        # Started by alice, in her project: she created the stack.
        self.assertEqual(base.project_id('alice'), execution['project_id'])
        self.assertEqual(self.alice.get_user_id(), execution['user_id'])
        resource = self.heat.resources.get(stack_id, 'run')
        self.assertEqual(outputs['execution_id'],
                         resource.physical_resource_id)

    def test_changed_input_replaces_the_execution(self):
        flow = base.unique_name('heat-echo')
        self.register_flow({
            'version': 1, 'name': flow,
            'tasks': {'say': {'type': 'echo',
                              'with': {'said': '{{ input.word }}'}}},
            'output': {'said': '{{ tasks.say.output.said }}'},
        })
        stack_id = self.create_stack(execution_template(
            flow=flow, input={'word': 'first'}))
        stack = self.wait_for_stack(stack_id, ('CREATE_COMPLETE',
                                               'CREATE_FAILED'))
        self.assertEqual('CREATE_COMPLETE', stack.stack_status,
                         stack.stack_status_reason)
        first = self.outputs(stack)

        self.heat.stacks.update(stack_id, template=execution_template(
            flow=flow, input={'word': 'second'}))
        stack = self.wait_for_stack(stack_id, ('UPDATE_COMPLETE',
                                               'UPDATE_FAILED'))

        self.assertEqual('UPDATE_COMPLETE', stack.stack_status,
                         stack.stack_status_reason)
        second = self.outputs(stack)
        self.assertEqual({'said': 'first'}, first['output'])
        self.assertEqual({'said': 'second'}, second['output'])
        self.assertNotEqual(first['execution_id'], second['execution_id'])
        # The first execution had ended: replacing it left it as it was.
        self.assertEqual('SUCCEEDED',
                         self.execution(first['execution_id'])['state'])

    def test_failed_flow_fails_the_stack_with_its_error(self):
        flow = base.unique_name('heat-fails')
        message = f'the disk is full ({base.unique_name("why")})'
        self.register_flow({
            'version': 1, 'name': flow,
            'tasks': {'boom': {'type': 'fail', 'with': {
                'message': message, 'retryable': False}}},
        })
        stack_id = self.create_stack(execution_template(flow=flow))

        stack = self.wait_for_stack(stack_id, ('CREATE_COMPLETE',
                                               'CREATE_FAILED'))

        self.assertEqual('CREATE_FAILED', stack.stack_status)
        self.assertIn(message, stack.stack_status_reason)
        self.assertIn('FAILED', stack.stack_status_reason)
        resource = self.heat.resources.get(stack_id, 'run')
        self.assertEqual('CREATE_FAILED', resource.resource_status)
        self.assertIn(message, resource.resource_status_reason)
        execution = self.execution(resource.physical_resource_id)
        self.assertEqual('FAILED', execution['state'])

    def test_unknown_flow_fails_the_stack_with_convections_answer(self):
        flow = base.unique_name('heat-missing')
        stack_id = self.create_stack(execution_template(flow=flow))

        stack = self.wait_for_stack(stack_id, ('CREATE_COMPLETE',
                                               'CREATE_FAILED'))

        self.assertEqual('CREATE_FAILED', stack.stack_status)
        reason = stack.stack_status_reason
        self.assertIn(f'Flow {flow} could not be found', reason)
        self.assertIn('HTTP 404', reason)

    def test_bad_input_fails_the_stack_with_convections_answer(self):
        flow = base.unique_name('heat-typed')
        self.register_flow({
            'version': 1, 'name': flow,
            'input': {'type': 'object',
                      'properties': {'count': {'type': 'integer'}},
                      'required': ['count']},
            'tasks': {'done': {'type': 'noop'}},
        })
        stack_id = self.create_stack(execution_template(
            flow=flow, input={'count': 'many'}))

        stack = self.wait_for_stack(stack_id, ('CREATE_COMPLETE',
                                               'CREATE_FAILED'))

        self.assertEqual('CREATE_FAILED', stack.stack_status)
        self.assertIn('HTTP 400', stack.stack_status_reason)
        self.assertIn('count', stack.stack_status_reason)

    def test_deleting_the_stack_cancels_a_running_execution(self):
        flow = base.unique_name('heat-sleepy')
        self.register_flow({
            'version': 1, 'name': flow,
            'tasks': {'nap': {'type': 'sleep', 'with': {'seconds': 600}}},
        })
        stack_id = self.create_stack(execution_template(flow=flow,
                                                        wait=False))
        stack = self.wait_for_stack(stack_id, ('CREATE_COMPLETE',
                                               'CREATE_FAILED'))
        self.assertEqual('CREATE_COMPLETE', stack.stack_status,
                         stack.stack_status_reason)
        outputs = self.outputs(stack)
        self.assertIn(outputs['state'], ('PENDING', 'RUNNING'))
        self.assertIsNone(outputs['output'])
        execution_id = outputs['execution_id']
        self.wait_for_execution(execution_id, ('RUNNING',) + TERMINAL)
        self.assertEqual('RUNNING', self.execution(execution_id)['state'])

        self.heat.stacks.delete(stack_id)
        stack = self.wait_for_stack(stack_id, ('DELETE_COMPLETE',
                                               'DELETE_FAILED'))
        # Heat shows a deleted stack by its id for a while, or not at all.
        if stack is not None:
            self.assertEqual('DELETE_COMPLETE', stack.stack_status,
                             stack.stack_status_reason)

        cancelled = self.wait_for_execution(execution_id, TERMINAL,
                                            timeout=30)
        self.assertEqual('CANCELLED', cancelled['state'], cancelled)
