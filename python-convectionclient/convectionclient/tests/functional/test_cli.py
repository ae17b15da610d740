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

"""The real ``openstack taskflow`` command against a real Convection.

The suite starts ``convection-all`` (embedded default: SQLite, in-process
messaging, no authentication) on a free port with a fresh state directory
and runs the ``openstack`` executable of this Python environment, the way
a user would. ``CONVECTION_ALL`` names another ``convection-all``.
Without one the suite fails: it tests nothing without a service.
``CONVECTIONCLIENT_FT_KEEP=1`` keeps the state directory and the log.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import testtools

BIN = os.path.dirname(sys.executable)

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


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _executable(name, override=None):
    path = override or shutil.which(name, path=BIN) or shutil.which(name)
    if not path:
        raise RuntimeError(
            f'{name} is not installed: the functional tests need it '
            f'(set CONVECTION_ALL to its path).')
    return path


class TestTaskflowCLI(testtools.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        server = _executable('convection-all', os.environ.get(
            'CONVECTION_ALL'))
        cls.openstack = _executable('openstack')
        cls.workdir = tempfile.mkdtemp(prefix='convectionclient-ft-')
        port = _free_port()
        cls.endpoint = f'http://127.0.0.1:{port}'
        conf = os.path.join(cls.workdir, 'convection.conf')
        with open(conf, 'w') as f:
            f.write(f'[DEFAULT]\nstate_path = {cls.workdir}\n'
                    f'auth_strategy = noauth\n'
                    f'[api]\nhost_ip = 127.0.0.1\nport = {port}\n')
        cls.log = open(os.path.join(cls.workdir, 'convection-all.log'), 'w')
        cls.server = subprocess.Popen([server, '--config-file', conf],
                                      stdout=cls.log,
                                      stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(cls.endpoint + '/', timeout=2):
                    break
            except OSError:
                if cls.server.poll() is not None or \
                        time.monotonic() > deadline:
                    cls.tearDownClass()
                    raise RuntimeError(
                        f'convection-all did not start; see '
                        f'{cls.log.name}')
                time.sleep(0.5)
        cls.env = {k: v for k, v in os.environ.items()
                   if not k.startswith('OS_')}
        cls.env.update(OS_AUTH_TYPE='none',
                       OS_TASKFLOW_ENDPOINT=cls.endpoint,
                       OS_CLIENT_CONFIG_FILE=os.devnull)
        for name, text in (('hello', HELLO), ('broken', BROKEN),
                           ('slow', SLOW)):
            with open(os.path.join(cls.workdir, f'{name}.yaml'), 'w') as f:
                f.write(text)

    @classmethod
    def tearDownClass(cls):
        cls.server.terminate()
        try:
            cls.server.wait(30)
        except subprocess.TimeoutExpired:
            cls.server.kill()
            cls.server.wait()
        cls.log.close()
        if not os.environ.get('CONVECTIONCLIENT_FT_KEEP'):
            shutil.rmtree(cls.workdir, ignore_errors=True)
        super().tearDownClass()

    def cli(self, *args, stdin=None, expect=0):
        """Run ``openstack taskflow <args>``; return (stdout, stderr)."""
        result = subprocess.run(
            [self.openstack, 'taskflow'] + list(args), input=stdin,
            capture_output=True, text=True, env=self.env, timeout=300)
        self.assertEqual(
            expect, result.returncode,
            f'openstack taskflow {" ".join(args)}\nstdout: '
            f'{result.stdout}\nstderr: {result.stderr}')
        return result.stdout, result.stderr

    def cli_json(self, *args, stdin=None, expect=0):
        out, _ = self.cli(*args, '-f', 'json', stdin=stdin, expect=expect)
        return json.loads(out)

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
