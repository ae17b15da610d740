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

"""repeat: flows that run their tasks again and again."""

from convection.common import states
from tests.unit.engine import base

COUNTER = {'a': {'type': 'echo',
                 'with': {'i': '{{ ctx.repeat.iteration }}'}},
           'b': {'type': 'noop', 'requires': ['a']}}


class TestRepeat(base.EngineTestCase):

    def test_max_iterations_ends_succeeded(self):
        execution = self.run_flow(
            COUNTER, repeat={'every': '100ms', 'max_iterations': 3},
            output={'last': '{{ tasks.a.output.i }}'})
        self.assertEqual(states.SUCCEEDED, execution['state'])
        self.assertEqual('max_iterations', execution['stop_reason'])
        self.assertEqual({'last': 3}, execution['output'])
        self.assertEqual(3, execution['context']['repeat']['iteration'])
        runs = [e for e in self.events(execution['id'], 'a')
                if e['to_state'] == 'SUCCEEDED']
        self.assertEqual(3, len(runs))
        # Iterations are at least `every` apart.
        starts = [e['created_at'] for e in self.events(execution['id'], 'a')
                  if e['to_state'] == 'RUNNING']
        self.assertGreaterEqual((starts[2] - starts[1]).total_seconds(),
                                0.09)

    def test_until_stops_the_loop(self):
        execution = self.run_flow(
            COUNTER, repeat={'every': '50ms',
                             'until': '{{ tasks.a.output.i >= 2 }}'})
        self.assertEqual(states.SUCCEEDED, execution['state'])
        self.assertEqual('until', execution['stop_reason'])
        self.assertEqual(2, execution['context']['repeat']['iteration'])

    def test_history_keeps_the_last_iterations(self):
        execution = self.run_flow(
            COUNTER, repeat={'every': '20ms', 'max_iterations': 6,
                             'keep': 2})
        self.assertEqual(states.SUCCEEDED, execution['state'])
        loop = execution['context']['repeat']
        self.assertEqual(6, loop['iteration'])
        self.assertGreater(loop['pruned_events'], 0)
        ran = [e for e in self.events(execution['id'], 'a')
               if e['to_state'] == 'SUCCEEDED']
        # Only iterations 5 and 6 keep their task events.
        self.assertEqual(2, len(ran))
        executions = [e for e in self.events(execution['id'])
                      if e['kind'] == 'execution']
        self.assertEqual(['PENDING', 'RUNNING', 'SUCCEEDED'],
                         [e['to_state'] for e in executions])

    def test_persistent_loop_runs_until_cancelled(self):
        execution = self.create_execution(
            COUNTER, repeat={'every': '20ms'})
        self.engine_api.start_execution(self.context(), execution['id'])
        self.wait_until(lambda: (self.tasks(execution['id']).get(
            'a', {}).get('output') or {}).get('i', 0) >= 3)
        self.engine_api.cancel_execution(self.context(), execution['id'])
        execution = self.wait_for(execution['id'])
        self.assertEqual(states.CANCELLED, execution['state'])


class TestRepeatMySQL(TestRepeat):
    backend = 'mysql'
