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

from convection.common import states
from tests.unit.engine import base


class TestFlows(base.EngineTestCase):

    def test_chain_succeeds_with_output(self):
        execution = self.run_flow(
            {'a': {'type': 'echo', 'with': {'x': '{{ input.x }}'}},
             'b': {'type': 'echo', 'requires': ['a'],
                   'with': {'y': '{{ tasks.a.output.x }}-b'}}},
            input={'x': 'hello'},
            output={'result': '{{ tasks.b.output.y }}'})
        self.assertEqual(states.SUCCEEDED, execution['state'])
        self.assertEqual({'result': 'hello-b'}, execution['output'])
        tasks = self.tasks(execution['id'])
        self.assertEqual({'y': 'hello-b'}, tasks['b']['output'])
        self.assertEqual(1, tasks['a']['attempt'])
