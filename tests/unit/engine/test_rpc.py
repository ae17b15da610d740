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

"""The versioned RPC APIs and the in-process fake:// bus."""

import datetime
import json
import threading

import oslo_messaging as messaging
from oslo_serialization import jsonutils

from convection.common import context
from convection.common import rpc
from convection.common import states
from convection.conductor import manager as conductor_manager
from convection.conductor import rpcapi as conductor_rpcapi
from convection.engine import manager as engine_manager
from convection.engine import rpcapi as engine_rpcapi
from convection.engine import transitions
from tests import base


class TestSerializer(base.TestCase):

    use_database = False

    def setUp(self):
        super().setUp()
        self.serializer = rpc.RequestContextSerializer()
        self.default = messaging.JsonPayloadSerializer()

    def _wire(self, entity):
        return json.loads(jsonutils.dumps(
            self.serializer.serialize_entity(None, entity)))

    def test_json_documents_go_as_they_are(self):
        run = {'id': 't', 'attempt': 1, 'input': {'x': [1, 2.5, None]},
               'run_state': None, 'ok': True, 'tuple': (1, 2)}
        self.assertIs(run, self.serializer.serialize_entity(None, run))
        self.assertEqual(json.loads(jsonutils.dumps(
            self.default.serialize_entity(None, run))), self._wire(run))

    def test_anything_else_takes_the_default_path(self):
        when = datetime.datetime(2026, 1, 2, 3, 4, 5)
        result = {'output': {'at': when, 'ids': {'a'}}}
        sent = self.serializer.serialize_entity(None, result)
        self.assertIsNot(result, sent)
        self.assertEqual(self.default.serialize_entity(None, result), sent)
        self.assertEqual(json.loads(jsonutils.dumps(
            self.default.serialize_entity(None, result))),
            self._wire(result))


class TestVersions(base.TestCase):

    use_database = False

    def test_engine_versions_match(self):
        self.assertEqual(engine_rpcapi.EngineAPI.RPC_API_VERSION,
                         engine_manager.EngineManager.RPC_API_VERSION)
        self.assertEqual(engine_manager.EngineManager.RPC_API_VERSION,
                         engine_manager.EngineManager.target.version)

    def test_conductor_versions_match(self):
        self.assertEqual(conductor_rpcapi.ConductorAPI.RPC_API_VERSION,
                         conductor_manager.ConductorManager.RPC_API_VERSION)
        self.assertEqual(
            conductor_manager.ConductorManager.RPC_API_VERSION,
            conductor_manager.ConductorManager.target.version)

    def test_topics(self):
        self.assertEqual('convection-engine',
                         engine_manager.EngineManager.topic)
        self.assertEqual('convection-conductor',
                         conductor_manager.ConductorManager.topic)


class Endpoint:
    target = messaging.Target(version='1.2')

    def __init__(self):
        self.calls = []
        self.called = threading.Event()

    def hello(self, ctx, name):
        self.calls.append((ctx, name))
        self.called.set()
        return f'hello {name}'

    def _private(self, ctx):
        self.calls.append('private')


class TestLocalBus(base.TestCase):

    use_database = False

    def setUp(self):
        super().setUp()
        rpc.init(base.CONF)
        self.addCleanup(rpc.cleanup)
        self.ctx = context.RequestContext(project_id='p', user_id='u')
        self.endpoint = Endpoint()

    def serve(self):
        server = rpc.get_server(messaging.Target(topic='t', server='s'),
                                [self.endpoint])
        server.start()
        self.addCleanup(server.wait)
        self.addCleanup(server.stop)

    def client(self, version_cap=None):
        return rpc.get_client(messaging.Target(topic='t', version='1.0'),
                              version_cap=version_cap)

    def test_call_and_cast_carry_the_context(self):
        self.serve()
        client = self.client()
        self.assertEqual('hello a', client.call(self.ctx, 'hello', name='a'))
        client.cast(self.ctx, 'hello', name='b')
        self.assertTrue(self.endpoint.called.wait(5))
        ctx, name = self.endpoint.calls[-1]
        self.assertIsInstance(ctx, context.RequestContext)
        self.assertEqual(('p', 'u'), (ctx.project_id, ctx.user_id))

    def test_casts_wait_for_a_server(self):
        self.client().cast(self.ctx, 'hello', name='early')
        self.serve()
        self.assertTrue(self.endpoint.called.wait(5))
        self.assertEqual('early', self.endpoint.calls[0][1])

    def test_private_methods_are_not_reachable(self):
        self.serve()
        self.assertRaises(messaging.NoSuchMethod, self.client().call,
                          self.ctx, '_private')

    def test_newer_version_than_the_server(self):
        self.serve()
        client = self.client().prepare(version='1.3')
        self.assertRaises(messaging.UnsupportedVersion, client.call,
                          self.ctx, 'hello', name='x')

    def test_version_cap(self):
        client = self.client(version_cap='1.1')
        self.assertTrue(client.can_send_version('1.1'))
        self.assertFalse(client.can_send_version('1.2'))
        self.assertFalse(client.can_send_version('2.0'))
        self.assertRaises(messaging.RPCVersionCapError,
                          client.prepare(version='1.2').cast,
                          self.ctx, 'hello', name='x')

    def test_payload_must_survive_json(self):
        self.serve()
        self.assertEqual('hello 1', self.client().call(self.ctx, 'hello',
                                                       name=1))
        self.assertRaises(ValueError, self.client().cast, self.ctx, 'hello',
                          name=object())


class TestTransitions(base.TestCase):

    use_database = False

    def test_terminal_states_have_no_way_out(self):
        for state in states.TASK_TERMINAL_STATES:
            self.assertRaises(transitions.IllegalTransition,
                              transitions.check_task, state, states.RUNNING)
        for state in states.EXECUTION_TERMINAL_STATES:
            self.assertRaises(transitions.IllegalTransition,
                              transitions.check_execution, state,
                              states.RUNNING)

    def test_allowed(self):
        transitions.check_task(states.PENDING, states.RUNNING)
        transitions.check_task(states.RUNNING, states.WAITING)
        transitions.check_task(states.WAITING, states.RUNNING)
        transitions.check_execution(states.PENDING, states.RUNNING)
        self.assertRaises(transitions.IllegalTransition,
                          transitions.check_task, states.PENDING,
                          states.SUCCEEDED)
