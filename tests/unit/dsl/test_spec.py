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

import glob
import os
import types

from convection import dsl
from convection.dsl import expressions
from convection.dsl import schema
from convection.dsl import spec
from tests import base

EXAMPLES = os.path.join(os.path.dirname(__file__), '..', '..', '..',
                        'examples', 'flows')

DIAMOND = """
version: 1
name: diamond
description: Two branches that join.
retry: {count: 2, interval: 1s, backoff: 2, max_interval: 3s}
timeout: 10m
output:
  left: "{{ tasks.left.output }}"
  right: "{{ tasks.right.output.seconds }}"
tasks:
  start:
    type: echo
    with: {who: "{{ input.who }}"}
  left:
    type: echo
    requires: [start]
    with: {greeting: "Hello {{ tasks.start.output.who }}"}
    retry: {count: 5}
    timeout: 30s
  right:
    type: sleep
    requires: [start]
    with: {seconds: 1}
  join:
    type: echo
    requires: [left, right]
    with:
      both: ["{{ tasks.left.output }}", "{{ tasks['start'].state }}"]
"""


class FlowSpecTestCase(base.TestCase):
    use_database = False

    def setUp(self):
        super().setUp()
        self.definition = dsl.validate(dsl.parse(DIAMOND))
        self.flow = spec.FlowSpec(self.definition)

    def test_flow_attributes(self):
        self.assertEqual('diamond', self.flow.name)
        self.assertEqual('Two branches that join.', self.flow.description)
        self.assertEqual(1, self.flow.version)
        self.assertEqual(600, self.flow.timeout)
        self.assertEqual({'type': 'object'}, self.flow.input_schema)
        self.assertEqual({'left': '{{ tasks.left.output }}',
                          'right': '{{ tasks.right.output.seconds }}'},
                         self.flow.output)
        self.assertEqual(spec.RetryPolicy(count=2, interval=1, backoff=2,
                                          max_interval=3), self.flow.retry)

    def test_graph(self):
        self.assertEqual(['start', 'left', 'right', 'join'],
                         list(self.flow.tasks))
        self.assertEqual(('start',), self.flow.roots)
        self.assertEqual(('left', 'right'), self.flow.dependants('start'))
        self.assertEqual(('join',), self.flow.dependants('left'))
        self.assertEqual((), self.flow.dependants('join'))
        self.assertRaises(KeyError, self.flow.dependants, 'nope')

    def test_task_specs(self):
        left = self.flow.tasks['left']
        self.assertEqual('left', left.name)
        self.assertEqual('echo', left.type)
        self.assertEqual({'greeting': 'Hello {{ tasks.start.output.who }}'},
                         left.with_)
        self.assertEqual(('start',), left.requires)
        self.assertEqual(30, left.timeout)
        self.assertEqual(spec.RetryPolicy(count=5, interval=0, backoff=1),
                         left.retry)
        right = self.flow.tasks['right']
        self.assertIsNone(right.timeout)
        # No retry of its own: the flow's default applies.
        self.assertEqual(self.flow.retry, right.retry)

    def test_references(self):
        self.assertEqual(frozenset(), self.flow.referenced_tasks('start'))
        self.assertEqual(frozenset(['start']),
                         self.flow.referenced_tasks('left'))
        self.assertEqual(frozenset(['left', 'start']),
                         self.flow.referenced_tasks('join'))
        self.assertEqual(frozenset(['left', 'right']),
                         self.flow.output_references)

    def test_immutable(self):
        self.assertRaises(AttributeError, setattr, self.flow, 'name', 'x')
        with self.assertRaises(TypeError):
            self.flow.tasks['x'] = None
        self.assertIsInstance(self.flow.tasks, types.MappingProxyType)
        self.assertRaises(AttributeError, setattr,
                          self.flow.tasks['left'], 'type', 'noop')

    def test_independent_of_the_definition(self):
        self.definition['tasks']['left']['with']['greeting'] = 'changed'
        self.assertEqual({'greeting': 'Hello {{ tasks.start.output.who }}'},
                         self.flow.tasks['left'].with_)

    def test_no_retry_anywhere(self):
        flow = spec.FlowSpec(dsl.validate(
            {'version': 1, 'name': 'n', 'tasks': {'a': {'type': 'noop'}}}))
        self.assertIsNone(flow.retry)
        self.assertIsNone(flow.tasks['a'].retry)
        self.assertIsNone(flow.timeout)
        self.assertIsNone(flow.output)
        self.assertEqual(frozenset(), flow.output_references)


class RetryPolicyTestCase(base.TestCase):
    use_database = False

    def test_delay_backs_off_up_to_the_maximum(self):
        policy = spec.RetryPolicy(count=5, interval=1, backoff=2,
                                  max_interval=5)
        self.assertEqual([1, 2, 4, 5, 5],
                         [policy.delay(n) for n in range(1, 6)])

    def test_constant_delay(self):
        policy = spec.RetryPolicy(count=3, interval=2)
        self.assertEqual([2, 2, 2], [policy.delay(n) for n in range(1, 4)])


class DurationTestCase(base.TestCase):
    use_database = False

    def test_to_seconds(self):
        for text, seconds in (('30s', 30), ('5m', 300), ('2h', 7200),
                              ('1d', 86400), ('1h30m', 5400),
                              ('300ms', 0.3), ('1.5s', 1.5), (12, 12),
                              (2.0, 2), (0.25, 0.25)):
            self.assertEqual(seconds, schema.to_seconds(text), text)
            self.assertEqual(type(seconds), type(schema.to_seconds(text)))


class ExampleFlowsTestCase(base.TestCase):
    """The flows under examples/flows, shown in the docs, stay valid."""

    use_database = False

    def test_examples_are_valid(self):
        paths = sorted(glob.glob(os.path.join(EXAMPLES, '*.yaml')))
        self.assertIn('hello.yaml', [os.path.basename(p) for p in paths])
        for path in paths:
            with open(path, 'rb') as f:
                definition = dsl.validate(dsl.parse(f.read()))
            spec.FlowSpec(definition)

    def test_hello_greets_who(self):
        with open(os.path.join(EXAMPLES, 'hello.yaml'), 'rb') as f:
            definition = dsl.validate(dsl.parse(f.read()))
        flow_input = dsl.validate_input(definition, {'who': 'Ann'})
        greet = spec.FlowSpec(definition).tasks['greet']
        self.assertEqual({'message': 'Hello Ann!'}, expressions.render(
            greet.with_, {'input': flow_input, 'tasks': {}}))
        self.assertEqual({'who': 'world'},
                         dsl.validate_input(definition, {}))
