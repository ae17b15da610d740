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

"""The real ``openstack taskflow`` command against a real Convection."""

import json
import os

from convectionclient.tests.functional import base

HELLO = """\
version: 1
name: cli-hello
description: Two echoes in a row.
input:
  type: object
  properties:
    who: {type: string, default: world}
output:
  greeting: "{{ tasks.greet.output.message }}"
tasks:
  greet:
    type: echo
    with: {message: "Hello {{ input.who }}!"}
  goodbye:
    type: echo
    requires: [greet]
    with: {message: bye}
"""

BROKEN = """\
version: 1
name: cli-broken
tasks:
  first:
    type: fail
    with: {message: Disk full., error_type: NoSpace}
  second:
    type: noop
    requires: [first]
"""

SLOW = """\
version: 1
name: cli-slow
tasks:
  nap:
    type: sleep
    with: {seconds: 600}
"""


class TestTaskflowCLI(base.ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for name, text in (('hello', HELLO), ('broken', BROKEN),
                           ('slow', SLOW)):
            with open(os.path.join(cls.workdir, f'{name}.yaml'), 'w') as f:
                f.write(text)

    def path(self, name):
        return os.path.join(self.workdir, f'{name}.yaml')

    def test_lifecycle(self):
        self.assertTrue(self.cli_json('validate', '--file',
                                      self.path('hello'))['valid'])
        flow = self.cli_json('create', '--file', '-', '--public',
                             stdin=HELLO)
        self.assertEqual(('cli-hello', 1, 'public'),
                         (flow['name'], flow['version'],
                          flow['visibility']))
        out, _ = self.cli('show', 'cli-hello', '--graph')
        self.assertIn('  goodbye  echo  <- greet', out)

        execution = self.cli_json('execution', 'start', 'cli-hello',
                                  '--param', 'who=Ann', '--wait',
                                  '--poll-interval', '0.2',
                                  '--timeout', '120')
        self.assertEqual('SUCCEEDED', execution['state'])
        self.assertEqual({'greeting': 'Hello Ann!'}, execution['output'])
        self.assertEqual({'SUCCEEDED': 2}, execution['task_counts'])

        events = self.cli_json('execution', 'history', execution['id'])
        self.assertEqual(('PENDING', 'SUCCEEDED'),
                         (events[0]['To State'], events[-1]['To State']))
        tasks = self.cli_json('task', 'list', execution['id'])
        self.assertEqual({'greet', 'goodbye'}, {t['Name'] for t in tasks})
        task = self.cli_json('task', 'show', execution['id'], 'greet')
        self.assertEqual({'message': 'Hello Ann!'}, task['output'])
        listed = self.cli_json('execution', 'list', '--flow', 'cli-hello')
        self.assertIn(execution['id'], [e['ID'] for e in listed])

    def test_failing_execution_exits_nonzero_and_shows_in_top(self):
        self.cli('create', '--file', self.path('broken'))
        out, err = self.cli('execution', 'start', 'cli-broken', '--wait',
                            '--poll-interval', '0.2', '--timeout', '120',
                            '-f', 'json', expect=1)
        execution = json.loads(out)
        self.assertEqual('FAILED', execution['state'])
        self.assertIn(f'Execution {execution["id"]} ended FAILED.', err)
        self.assertIn('tasks done', err)
        snapshot = self.cli_json('top', '--once')
        failures = {f['id']: f for f in snapshot['recent_failures']}
        self.assertIn('Disk full.', failures[execution['id']]['error'])

    def test_cancel_while_running(self):
        self.cli('create', '--file', self.path('slow'))
        execution = self.cli_json('execution', 'start', 'cli-slow')
        snapshot = self.cli_json('top', '--once')
        self.assertIn(execution['id'],
                      [e['id'] for e in snapshot['executions']])
        out, err = self.cli('delete', 'cli-slow', expect=1)
        self.assertIn('(HTTP 409)', err)
        self.cli('execution', 'cancel', execution['id'])
        final = self.cli_json('execution', 'wait', execution['id'],
                              '--poll-interval', '0.2', '--timeout', '60',
                              expect=1)
        self.assertEqual('CANCELLED', final['state'])

    def test_deleted_flow_is_gone_for_good(self):
        old = HELLO.replace('cli-hello', 'cli-old').replace(
            'message: bye', 'message: old')
        new = HELLO.replace('cli-hello', 'cli-new').replace(
            'message: bye', 'message: new')
        self.cli('create', '--file', '-', stdin=old)
        first = self.cli_json('execution', 'start', 'cli-old', '--wait',
                              '--poll-interval', '0.2', '--timeout', '120')
        self.assertEqual('SUCCEEDED', first['state'])
        self.cli('delete', 'cli-old')
        self.cli('show', 'cli-old', expect=1)
        # A flow registered next must run its own definition, not one
        # the engine remembers from the deleted flow.
        self.cli('create', '--file', '-', stdin=new)
        second = self.cli_json('execution', 'start', 'cli-new', '--wait',
                               '--poll-interval', '0.2', '--timeout', '120')
        task = self.cli_json('task', 'show', second['id'], 'goodbye')
        self.assertEqual({'message': 'new'}, task['output'])

    def test_invalid_definition_names_the_path(self):
        _, err = self.cli('create', '--file', '-', expect=1,
                          stdin='version: 1\nname: x\ntasks:\n'
                                '  a: {type: noop, requires: [zz]}\n')
        self.assertIn('tasks.a.requires[0]', err)
        self.assertIn('(HTTP 400)', err)
