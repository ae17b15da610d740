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

"""The flow engine's constructs through the REST API, on real processes.

Conditions, fan-out, child flows, publish, secrets, pause/resume, retry of
a failed execution, run_for and repeat (across an engine restart), each
run to its terminal state and checked in its events.
"""

import time

from tests.functional import base

TERMINAL = ('SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT')


class _ConstructTests:

    def register(self, name, tasks, **extra):
        definition = dict({'version': 1, 'name': name, 'tasks': tasks},
                          **extra)
        response = self.post('/v1/flows', {'definition': definition})
        self.assertIn(response.status_code, (200, 201), response.text)
        return response.json()

    def start(self, flow, **body):
        return self.post('/v1/executions', dict(body, flow=flow),
                         expect=202).json()

    def run_flow(self, flow, timeout=90, **body):
        execution = self.start(flow, **body)
        return self.wait_for_execution(execution['id'], TERMINAL,
                                       timeout=timeout)

    def tasks(self, execution_id):
        return self.get(f'/v1/executions/{execution_id}/tasks?limit=1000',
                        expect=200).json()['tasks']

    def events(self, execution_id):
        return self.get(f'/v1/executions/{execution_id}/events?limit=1000',
                        expect=200).json()['events']

    def test_branching_fan_out_child_flow_and_secrets(self):
        name = base.unique_name('child')
        self.register(name, {'hash': {'type': 'echo', 'with': {
            'h': '{{ input.word | upper }}'}}},
            output='{{ tasks.hash.output.h }}')
        parent = base.unique_name('parent')
        self.register(parent, {
            'words': {'type': 'echo', 'with': {'w': '{{ input.words }}'},
                      'publish': {'count': '{{ result.w | length }}'}},
            'each': {'type': 'flow', 'requires': ['words'],
                     'with': {'name': name, 'input': {'word': 'ok'}}},
            'fan': {'type': 'echo', 'requires': ['words'],
                    'with_items': '{{ tasks.words.output.w }}',
                    'concurrency': 2,
                    'with': {'w': '{{ item }}-{{ item_index }}'}},
            'never': {'type': 'noop', 'when': False},
            'after_never': {'type': 'noop', 'requires': ['never', 'fan'],
                            'join': 'any'},
            'login': {'type': 'echo',
                      'with': {'cmd': 'login {{ input.password }}'}}},
            input={'type': 'object', 'properties': {
                'words': {'type': 'array'},
                'password': {'type': 'string', 'secret': True}}},
            output={'fan': '{{ tasks.fan.output }}',
                    'child': '{{ tasks.each.output }}',
                    'count': '{{ ctx.count }}'})
        execution = self.run_flow(parent, input={'words': ['a', 'b', 'c'],
                                            'password': 's3cr3t'})
        self.assertEqual('SUCCEEDED', execution['state'], execution)
        self.assertEqual({'fan': [{'w': 'a-0'}, {'w': 'b-1'}, {'w': 'c-2'}],
                          'child': 'OK', 'count': 3}, execution['output'])
        self.assertEqual('***', execution['input']['password'])
        tasks = self.tasks(execution['id'])
        states = {(t['name'], t['item_index']): t['state'] for t in tasks}
        self.assertEqual('SKIPPED', states[('never', -1)])
        self.assertEqual('SUCCEEDED', states[('after_never', -1)])
        self.assertEqual(['SUCCEEDED'] * 3, [states[('fan', i)]
                                             for i in range(3)])
        login = next(t for t in tasks if t['name'] == 'login')
        self.assertEqual({'cmd': 'login ***'}, login['input'])
        children = self.get(f'/v1/executions?parent_id={execution["id"]}',
                            expect=200).json()['executions']
        self.assertEqual([name], [c['flow_name'] for c in children])

    def test_pause_resume_and_retry(self):
        flow = base.unique_name('lifecycle')
        self.register(flow, {
            'nap': {'type': 'sleep', 'with': {'seconds': 2}},
            'check': {'type': 'fail', 'requires': ['nap'],
                      'with': {'message': 'not yet'}}})
        execution = self.start(flow)
        path = f'/v1/executions/{execution["id"]}'
        self.wait_for_execution(execution['id'], ('RUNNING',))
        self.post(f'{path}/resume', expect=409)
        self.post(f'{path}/pause', expect=202)
        self.wait_for_execution(execution['id'], ('PAUSED',))
        time.sleep(3)
        # The sleep's wake-up waits for the resume.
        self.assertEqual('PAUSED', self.get(path, expect=200).json()['state'])
        self.post(f'{path}/resume', expect=202)
        failed = self.wait_for_execution(execution['id'], TERMINAL)
        self.assertEqual('FAILED', failed['state'])
        # Version 2 makes the failed task pass; nap is kept as it is.
        self.register(flow, {
            'nap': {'type': 'sleep', 'with': {'seconds': 2}},
            'check': {'type': 'noop', 'requires': ['nap']}})
        self.post(f'{path}/retry', {'version': 2}, expect=202)
        retried = self._until_terminal_after_retry(execution['id'])
        self.assertEqual(2, retried['flow_version'])
        nap = [e for e in self.events(execution['id'])
               if e['task_name'] == 'nap']
        self.assertEqual(1, sum(1 for e in nap
                                if e['to_state'] == 'SUCCEEDED'))

    def _until_terminal_after_retry(self, execution_id):
        deadline = time.monotonic() + 60
        while not any(e['details'] == {'reason': 'retry'}
                      for e in self.events(execution_id)):
            if time.monotonic() > deadline:
                self.fail('the engine did not retry the execution')
            time.sleep(0.2)
        ended = self.wait_for_execution(execution_id, TERMINAL)
        self.assertEqual('SUCCEEDED', ended['state'], ended)
        return ended

    def test_run_for_and_repeat_survive_an_engine_restart(self):
        soak = base.unique_name('soak')
        self.register(soak, {
            'tick': {'type': 'echo',
                     'with': {'i': '{{ ctx.repeat.iteration }}'}}},
            repeat={'every': '1s', 'keep': 2}, run_for='8s')
        execution = self.start(soak)
        self.wait_for_execution(execution['id'], ('RUNNING',))
        time.sleep(2)
        if self.backend != 'sqlite':
            # Deployment.restart compares heartbeat times, which SQLite
            # returns as text.
            self.deployment.restart('engine', kill=True)
        ended = self.wait_for_execution(execution['id'], TERMINAL,
                                        timeout=60)
        self.assertEqual('SUCCEEDED', ended['state'], ended)
        self.assertEqual('duration_elapsed', ended['stop_reason'])
        loop = ended['context']['repeat']
        self.assertGreaterEqual(loop['iteration'], 3)
        ticks = [e for e in self.events(execution['id'])
                 if e['task_name'] == 'tick' and
                 e['to_state'] == 'SUCCEEDED']
        # Only the last two iterations keep their task events.
        self.assertLessEqual(len(ticks), 2)


class TestConstructsPostgreSQL(_ConstructTests, base.FunctionalTestCase):
    backend = 'postgresql'


class TestConstructsSQLite(_ConstructTests, base.FunctionalTestCase):
    backend = 'sqlite'
