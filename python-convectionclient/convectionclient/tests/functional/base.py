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

"""One ``convection-all`` per test class, and the real ``openstack``.

A class starts ``convection-all`` (embedded default: SQLite, in-process
messaging) on a free port with a fresh state directory; its tests run the
``openstack`` executable of this Python environment, the way a user
would. ``CONVECTION_ALL`` names another ``convection-all``. Without one
the suite fails: it tests nothing without a service.
``CONVECTIONCLIENT_FT_KEEP=1`` keeps the state directory and the log.

:class:`KeystoneServerTestCase` runs the service with
``auth_strategy = keystone`` against the loopback Keystone of
``tools/peers`` and the commands with its ``clouds.yaml``; when Keystone
cannot be reached it fails under ``CI=true`` and skips otherwise.
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
IN_CI = os.environ.get('CI', '').lower() in ('1', 'true', 'yes')
KEYSTONE_URL = os.environ.get('CONVECTION_TEST_KEYSTONE_URL',
                              'http://127.0.0.1:5000/v3')
PEERS_DIR = os.environ.get('CONVECTION_PEERS_DIR', '/tmp/convection-peers')
START_TIMEOUT = 90

KEYSTONE_CONFIG = """\
[keystone_authtoken]
auth_url = {keystone_url}
www_authenticate_uri = {keystone_url}
auth_type = password
username = convection
password = convection-secret
project_name = service
user_domain_name = Default
project_domain_name = Default
service_token_roles_required = true

[service_credentials]
auth_url = {keystone_url}
auth_type = password
username = convection
password = convection-secret
project_name = service
user_domain_name = Default
project_domain_name = Default

[keystone]
region_name = RegionOne
"""


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def executable(name, override=None):
    path = override or shutil.which(name, path=BIN) or shutil.which(name)
    if not path:
        raise RuntimeError(
            f'{name} is not installed: the functional tests need it '
            f'(set CONVECTION_ALL to its path).')
    return path


def clean_env():
    """The environment without the caller's OpenStack settings."""
    return {k: v for k, v in os.environ.items() if not k.startswith('OS_')}


class ServerTestCase(testtools.TestCase):
    """Starts one ``convection-all`` for the class's tests."""

    auth_strategy = 'noauth'
    # More configuration for convection-all, appended to the file.
    extra_config = ''

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.check_prerequisites()
        server = executable('convection-all',
                            os.environ.get('CONVECTION_ALL'))
        cls.openstack = executable('openstack')
        cls.workdir = tempfile.mkdtemp(prefix='convectionclient-ft-')
        port = free_port()
        cls.endpoint = f'http://127.0.0.1:{port}'
        conf = os.path.join(cls.workdir, 'convection.conf')
        with open(conf, 'w') as f:
            f.write(f'[DEFAULT]\nstate_path = {cls.workdir}\n'
                    f'auth_strategy = {cls.auth_strategy}\n'
                    f'[api]\nhost_ip = 127.0.0.1\nport = {port}\n'
                    f'[engine]\ntimer_interval = 0.1\n'
                    f'{cls.extra_config}')
        cls.log = open(os.path.join(cls.workdir, 'convection-all.log'), 'w')
        cls.server = subprocess.Popen([server, '--config-file', conf],
                                      stdout=cls.log,
                                      stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT
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
        cls.env = clean_env()
        cls.env.update(cls.cli_environment())

    @classmethod
    def check_prerequisites(cls):
        """Raise (fail) or skip when something the class needs is down."""

    @classmethod
    def cli_environment(cls):
        return {'OS_AUTH_TYPE': 'none',
                'OS_TASKFLOW_ENDPOINT': cls.endpoint,
                'OS_CLIENT_CONFIG_FILE': os.devnull}

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

    def cli(self, *args, stdin=None, expect=0, timeout=300):
        """Run ``openstack taskflow <args>``; return (stdout, stderr)."""
        result = subprocess.run(
            [self.openstack, 'taskflow'] + list(args), input=stdin,
            capture_output=True, text=True, env=self.env, timeout=timeout)
        self.assertEqual(
            expect, result.returncode,
            f'openstack taskflow {" ".join(args)}\nstdout: '
            f'{result.stdout}\nstderr: {result.stderr}')
        return result.stdout, result.stderr

    def cli_json(self, *args, stdin=None, expect=0):
        out, _ = self.cli(*args, '-f', 'json', stdin=stdin, expect=expect)
        return json.loads(out)

    def write(self, name, text):
        path = os.path.join(self.workdir, name)
        with open(path, 'w') as f:
            f.write(text)
        return path

    def wait_for(self, what, predicate, timeout=60, interval=0.2):
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                self.fail(f'Timed out waiting for {what}')
            time.sleep(interval)


class KeystoneServerTestCase(ServerTestCase):
    """The service behind the loopback Keystone; commands as ``alice``."""

    auth_strategy = 'keystone'
    extra_config = KEYSTONE_CONFIG.format(keystone_url=KEYSTONE_URL)
    cloud = 'alice'

    @classmethod
    def clouds_yaml(cls):
        return os.path.join(PEERS_DIR, 'clouds.yaml')

    @classmethod
    def check_prerequisites(cls):
        reason = None
        try:
            with urllib.request.urlopen(KEYSTONE_URL, timeout=3):
                pass
        except OSError as e:
            reason = f'Keystone at {KEYSTONE_URL} is not reachable: {e}'
        if reason is None and not os.path.exists(cls.clouds_yaml()):
            reason = f'{cls.clouds_yaml()} is missing'
        if reason is None:
            return
        reason += ('; start it with bash tools/peers/start_keystone.sh '
                   '(CONVECTION_PEERS_DIR names its state directory).')
        if IN_CI:
            raise RuntimeError(reason)
        sys.stderr.write(f'\nSKIPPING Keystone CLI tests: {reason}\n')
        raise testtools.TestCase.skipException(reason)

    @classmethod
    def cli_environment(cls):
        # The endpoint is not in Keystone's catalog: it is this test's.
        return {'OS_CLIENT_CONFIG_FILE': cls.clouds_yaml(),
                'OS_CLOUD': cls.cloud,
                'OS_TASKFLOW_ENDPOINT': cls.endpoint}
