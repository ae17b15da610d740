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

import jsonschema

from convection.common import states
from convection.tasks import base as task_base
from convection.tasks import http
from convection.tasks import registry
from tests import base
from tests.unit.engine import base as engine_base
from tests.unit.webhooks import receiver

CONTEXT = task_base.RunContext(execution_id='e', task_id='t',
                               task_name='call', attempt=1,
                               project_id='p', user_id='u')


class HttpTaskTest(base.TestCase):

    use_database = False

    def setUp(self):
        super().setUp()
        self.task = http.HttpTask()
        self.config(allowed_hosts=['127.0.0.1'], group='http')

    def run_task(self, **inputs):
        self.task.validate_input(inputs)
        return self.task.run(CONTEXT, inputs)

    def test_registered(self):
        self.assertIsInstance(registry.get_task_type('http'), http.HttpTask)

    def test_get_json(self):
        rcv = self.useFixture(receiver.Receiver())
        result = self.run_task(url=rcv.url + '/q', headers={'X-K': 'v'})
        self.assertIsInstance(result, task_base.Succeeded)
        self.assertEqual(200, result.output['status'])
        self.assertEqual({'hello': 'world'}, result.output['body'])
        self.assertEqual('42', result.output['headers']['x-answer'])
        jsonschema.validate(result.output, self.task.output_schema)
        _path, headers, _body = rcv.requests.get(timeout=5)
        self.assertEqual('v', headers['X-K'])

    def test_post_json_body(self):
        rcv = self.useFixture(receiver.Receiver(statuses=(201,)))
        result = self.run_task(method='POST', url=rcv.url,
                               json={'a': [1, 2]}, expected_status=[201])
        self.assertIsInstance(result, task_base.Succeeded)
        _path, headers, body = rcv.requests.get(timeout=5)
        self.assertEqual(b'{"a": [1, 2]}', body)
        self.assertEqual('application/json', headers['Content-Type'])

    def test_server_error_is_retryable(self):
        rcv = self.useFixture(receiver.Receiver(statuses=(503,)))
        result = self.run_task(method='POST', url=rcv.url, body='x')
        self.assertIsInstance(result, task_base.Failed)
        self.assertEqual(('HTTPServerError', True),
                         (result.error_type, result.retryable))
        self.assertEqual(503, result.details['status'])

    def test_unexpected_status_is_not_retryable(self):
        rcv = self.useFixture(receiver.Receiver())
        result = self.run_task(url=rcv.url, expected_status=[204])
        self.assertEqual(('UnexpectedStatus', False),
                         (result.error_type, result.retryable))

    def test_connection_failure_is_retryable(self):
        rcv = self.useFixture(receiver.Receiver())
        url = rcv.url
        rcv.server.server_close()
        rcv.server.shutdown()
        result = self.run_task(url=url, timeout=2)
        self.assertEqual(('ConnectionError', True),
                         (result.error_type, result.retryable))

    def test_unsafe_url_is_not_retryable(self):
        result = self.run_task(url='http://169.254.169.254/latest/')
        self.assertEqual(('UnsafeURL', False),
                         (result.error_type, result.retryable))
        self.assertIn('metadata', result.message)

    def test_bad_inputs(self):
        for inputs in ({}, {'url': 'x', 'method': 'TRACE'},
                       {'url': 'x', 'body': 'a', 'json': {}},
                       {'url': 'x', 'expected_status': [42]},
                       {'url': 'x', 'timeout': 0}):
            self.assertRaises(jsonschema.ValidationError,
                              self.task.validate_input, inputs)


class HttpTaskFlowTest(engine_base.EngineTestCase):

    def test_response_feeds_the_next_task(self):
        self.config(allowed_hosts=['127.0.0.1'], group='http')
        rcv = self.useFixture(receiver.Receiver())
        execution = self.run_flow(
            {'call': {'type': 'http', 'with': {'url': rcv.url + '/x'}},
             'use': {'type': 'echo', 'requires': ['call'],
                     'with': {'said': '{{ tasks.call.output.body.hello }}'}}},
            output={'said': '{{ tasks.use.output.said }}'})
        self.assertEqual(states.SUCCEEDED, execution['state'])
        self.assertEqual({'said': 'world'}, execution['output'])
