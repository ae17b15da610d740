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

"""Drives the real API application with webtest."""

import queue

from oslo_config import cfg
import oslo_messaging as messaging
import webtest

from convection.api import app
from convection.common import policy
from convection.common import rpc
from tests import base

CONF = cfg.CONF

PROJECT = 'project-a'
OTHER_PROJECT = 'project-b'
ADMIN_PROJECT = 'project-admin'

# The identity keystonemiddleware would pass on, with Keystone's implied
# roles expanded (admin implies member implies reader).
PERSONAS = {
    'reader': (PROJECT, 'user-reader', 'reader'),
    'member': (PROJECT, 'user-member', 'member,reader'),
    'other': (OTHER_PROJECT, 'user-other', 'member,reader'),
    'admin': (ADMIN_PROJECT, 'user-admin', 'admin,member,reader'),
}

FLOW = {
    'version': 1,
    'name': 'hello',
    'description': 'Says hello.',
    'input': {
        'type': 'object',
        'properties': {'who': {'type': 'string', 'default': 'world'}},
        'additionalProperties': False,
    },
    'tasks': {'greet': {'type': 'echo'}},
}


def flow_document(name='hello', **changes):
    return dict(FLOW, name=name, **changes)


class RecordingEngine:
    """An engine RPC endpoint that records what the API casts to it."""

    target = messaging.Target(version='1.0')

    def __init__(self):
        self.casts = queue.Queue()

    def start_execution(self, context, execution_id):
        self.casts.put(('start_execution', context.project_id,
                        execution_id))

    def cancel_execution(self, context, execution_id):
        self.casts.put(('cancel_execution', context.project_id,
                        execution_id))


class APITestCase(base.TestCase):
    """The whole application, minus the auth middleware.

    Requests carry the identity headers keystonemiddleware would set for
    the persona they name; a real RPC server on the engine topic records
    the casts.
    """

    def setUp(self):
        super().setUp()
        self.addCleanup(policy.reset)
        self.addCleanup(rpc.cleanup)
        rpc.init(CONF)
        self.engine = RecordingEngine()
        server = rpc.get_server(
            messaging.Target(topic=rpc.ENGINE_TOPIC, server='test-engine'),
            [self.engine])
        server.start()
        self.addCleanup(server.wait)
        self.addCleanup(server.stop)
        self.app = self.make_app()

    def make_app(self):
        return webtest.TestApp(app.setup_app(with_auth=False))

    @staticmethod
    def identity(persona):
        project_id, user_id, roles = PERSONAS[persona]
        return {'X-Identity-Status': 'Confirmed',
                'X-Project-Id': project_id,
                'X-User-Id': user_id,
                'X-Roles': roles}

    def request(self, method, path, persona='member', body=None,
                headers=None, **kwargs):
        """Send a request; never raises on an error status."""
        all_headers = self.identity(persona) if persona else {}
        all_headers.update(headers or {})
        kwargs.setdefault('expect_errors', True)
        if body is not None:
            return getattr(self.app, f'{method}_json')(
                path, body, headers=all_headers, **kwargs)
        return getattr(self.app, method)(path, headers=all_headers,
                                          **kwargs)

    def get(self, path, persona='member', **kwargs):
        return self.request('get', path, persona, **kwargs)

    def post(self, path, body=None, persona='member', **kwargs):
        if body is None:
            kwargs.setdefault('params', '')
        return self.request('post', path, persona, body=body, **kwargs)

    def patch(self, path, body, persona='member', **kwargs):
        return self.request('patch', path, persona, body=body, **kwargs)

    def delete(self, path, persona='member', **kwargs):
        return self.request('delete', path, persona, **kwargs)

    def create_flow(self, document=None, persona='member', **body):
        response = self.post('/v1/flows',
                             dict(body, definition=document or FLOW),
                             persona=persona)
        self.assertIn(response.status_int, (200, 201), response.text)
        return response.json

    def start_execution(self, flow='hello', persona='member', **body):
        response = self.post('/v1/executions', dict(body, flow=flow),
                             persona=persona)
        self.assertEqual(202, response.status_int, response.text)
        return response.json

    def next_cast(self, timeout=5):
        return self.engine.casts.get(timeout=timeout)

    def assertNoCast(self, wait=0.2):
        self.assertRaises(queue.Empty, self.engine.casts.get, timeout=wait)

    def assertError(self, response, code, message_part=None):
        """Check the documented error shape and status."""
        self.assertEqual(code, response.status_int, response.text)
        self.assertEqual('application/json', response.content_type)
        error = response.json['error']
        self.assertEqual(code, error['code'])
        self.assertTrue(error['title'])
        self.assertTrue(error['message'])
        self.assertNotIn('Traceback', response.text)
        if message_part is not None:
            self.assertIn(message_part, error['message'])
        return error
