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

"""The spine of Convection, end to end, on every database backend.

Real processes (gunicorn + the API, convection-engine,
convection-conductor), real RabbitMQ, real Keystone tokens; the REST shapes
are the ones in doc/source/contributor/architecture.rst.
"""

from tests.functional import base

TERMINAL = ('SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT')


def hello_flow(name):
    return {
        'version': 1,
        'name': name,
        'description': 'Greets, then does nothing.',
        'tasks': {
            'greet': {'type': 'echo',
                      'with': {'greeting': 'Hello, {{ input.who }}!'}},
            'done': {'type': 'noop', 'requires': ['greet']},
        },
        'output': {'greeting': '{{ tasks.greet.output.greeting }}'},
    }


def sleepy_flow(name):
    return {
        'version': 1,
        'name': name,
        'tasks': {'nap': {'type': 'sleep', 'with': {'seconds': 120}}},
    }


class _SpineTests:
    """Mixed into one test class per backend below."""

    def register(self, definition, user='alice', expect=201):
        return self.post('/v1/flows', {'definition': definition},
                         user=user, expect=expect).json()

    def start(self, flow, user='alice', expect=202, **body):
        return self.post('/v1/executions', dict(body, flow=flow),
                         user=user, expect=expect).json()

    def test_version_discovery_needs_no_token(self):
        root = self.get('/', user=None, expect=200).json()
        self.assertEqual(['v1'], [v['id'] for v in root['versions']])
        self.get('/v1', user=None, expect=200)

    def test_flow_runs_to_success(self):
        name = base.unique_name('hello')
        flow = self.register(hello_flow(name))
        self.assertEqual(name, flow['name'])
        self.assertEqual(1, flow['version'])
        self.assertEqual(base.project_id('alice'), flow['project_id'])

        started = self.start(name, input={'who': 'world'})
        self.assertIn(started['state'], ('PENDING', 'RUNNING', 'SUCCEEDED'))
        execution = self.wait_for_execution(started['id'], TERMINAL)

        self.assertEqual('SUCCEEDED', execution['state'], execution)
        self.assertEqual({'greeting': 'Hello, world!'}, execution['output'])
        self.assertEqual({'who': 'world'}, execution['input'])
        self.assertEqual(name, execution['flow_name'])
        self.assertEqual(1, execution['flow_version'])
        self.assertEqual({'SUCCEEDED': 2}, execution['task_counts'])
        self.assertIsNotNone(execution['started_at'])
        self.assertIsNotNone(execution['finished_at'])

        tasks = self.get(f'/v1/executions/{started["id"]}/tasks',
                         expect=200).json()['tasks']
        by_name = {t['name']: t for t in tasks}
        self.assertEqual({'greet', 'done'}, set(by_name))
        self.assertEqual({'SUCCEEDED'}, {t['state'] for t in tasks})
        self.assertEqual('echo', by_name['greet']['type'])
        self.assertEqual({'greeting': 'Hello, world!'},
                         by_name['greet']['output'])

        events = self.get(f'/v1/executions/{started["id"]}/events',
                          expect=200).json()['events']
        self.assertEqual(sorted(events, key=lambda e: e['id']), events,
                         'events are not oldest first')
        flow_states = [e['to_state'] for e in events if not e['task_id']]
        self.assertIn('RUNNING', flow_states)
        self.assertEqual('SUCCEEDED', flow_states[-1])
        for task in tasks:
            task_states = [e['to_state'] for e in events
                           if e['task_id'] == task['id']]
            self.assertEqual('SUCCEEDED', task_states[-1], events)
        # "done" requires "greet": it cannot have started before greet
        # finished.
        greet_done = max(i for i, e in enumerate(events)
                         if e['task_name'] == 'greet'
                         and e['to_state'] == 'SUCCEEDED')
        done_running = min(i for i, e in enumerate(events)
                           if e['task_name'] == 'done'
                           and e['to_state'] == 'RUNNING')
        self.assertLess(greet_done, done_running, events)

    def test_other_project_sees_nothing(self):
        name = base.unique_name('private')
        self.register(hello_flow(name))
        execution = self.start(name, input={'who': 'alice'})
        path = f'/v1/executions/{execution["id"]}'

        self.get(f'/v1/flows/{name}', user='bob', expect=404)
        self.get(path, user='bob', expect=404)
        self.get(f'{path}/tasks', user='bob', expect=404)
        self.post(f'{path}/cancel', user='bob', expect=404)
        self.start(name, user='bob', expect=404)
        listed = self.get('/v1/flows', user='bob', expect=200).json()
        self.assertNotIn(name, [f['name'] for f in listed['flows']])

        self.wait_for_execution(execution['id'], TERMINAL)

    def test_reader_cannot_start_an_execution(self):
        name = base.unique_name('readonly')
        self.register(hello_flow(name))
        # rita reads tenant-a's flows but may not change anything.
        self.get(f'/v1/flows/{name}', user='rita', expect=200)
        self.start(name, user='rita', expect=403)
        self.register(hello_flow(base.unique_name('nope')), user='rita',
                      expect=403)

    def test_bad_token_is_refused(self):
        self.get('/v1/flows', token='not-a-valid-token', expect=401)
        self.get('/v1/flows', user=None, expect=401)

    def test_malformed_definition_names_the_path(self):
        definition = hello_flow(base.unique_name('broken'))
        definition['tasks']['x'] = {'type': 'noop', 'requires': ['missing']}
        body = self.register(definition, expect=400)

        error = body['error']
        self.assertEqual(400, error['code'])
        self.assertTrue(error['message'])
        paths = [d['path'] for d in error.get('details', [])]
        self.assertIn('tasks.x.requires[0]', paths, body)
        # Nothing half-written: the flow does not exist.
        self.get(f'/v1/flows/{definition["name"]}', expect=404)

    def test_cancel_a_sleeping_execution(self):
        name = base.unique_name('sleepy')
        self.register(sleepy_flow(name))
        execution = self.start(name)
        self.wait_for_execution(execution['id'], ('RUNNING',) + TERMINAL)

        self.post(f'/v1/executions/{execution["id"]}/cancel', expect=202)
        cancelled = self.wait_for_execution(execution['id'], TERMINAL,
                                            timeout=30)

        self.assertEqual('CANCELLED', cancelled['state'], cancelled)
        tasks = self.get(f'/v1/executions/{execution["id"]}/tasks',
                         expect=200).json()['tasks']
        self.assertEqual(['CANCELLED'], [t['state'] for t in tasks])


class TestSpineSQLite(_SpineTests, base.FunctionalTestCase):
    backend = 'sqlite'


class TestSpinePostgreSQL(_SpineTests, base.FunctionalTestCase):
    backend = 'postgresql'


class TestSpineMariaDB(_SpineTests, base.FunctionalTestCase):
    backend = 'mariadb'
