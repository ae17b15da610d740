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

"""Show what one cloud flow does to a tenant's stacks, servers and trusts.

Runs, as alice, a flow that creates a Heat stack and boots a Nova server,
holds them a few seconds, then deletes both; prints alice's Heat stack
list, Nova server list and the trusts she is the trustor of before the
execution, while it holds both, and after it (once Convection released its
trust). Needs the loopback peers (``tools/peers/start_keystone.sh``,
``start_heat.sh``, ``start_nova.sh``) and the project's environment::

    python tools/peers/cloud_flow_demo.py

starts ``convection-all`` on a free port with ``auth_strategy = keystone``,
``[keystone_authtoken]`` and ``[service_credentials]`` (SQLite and the
in-process transport, in a temporary directory) and stops it at the end;
its log is printed on failure. Or, against a running deployment that uses
the same Keystone and has service credentials::

    python tools/peers/cloud_flow_demo.py --url http://127.0.0.1:8989

Exits non-zero if the execution does not succeed or anything is left
behind.
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
import uuid

from heatclient import client as heat_client
from keystoneauth1 import adapter
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
import requests

IMAGE = '155d900f-4e14-4e4c-a73d-069cbf4541e6'
TEMPLATE = {
    'heat_template_version': '2018-08-31',
    'resources': {
        'secret': {'type': 'OS::Heat::RandomString',
                   'properties': {'length': 12}},
        'thing': {'type': 'OS::Heat::TestResource',
                  'properties': {'value': 'demo'}},
    },
    'outputs': {'secret': {'value': {'get_attr': ['secret', 'value']}}},
}

CONFIG = """\
[DEFAULT]
state_path = {workdir}
auth_strategy = keystone

[api]
host_ip = 127.0.0.1
port = {port}

[keystone_authtoken]
auth_url = {auth_url}
www_authenticate_uri = {auth_url}
auth_type = password
username = {service_user}
password = {service_password}
project_name = service
user_domain_name = Default
project_domain_name = Default

[service_credentials]
auth_url = {auth_url}
auth_type = password
username = {service_user}
password = {service_password}
project_name = service
user_domain_name = Default
project_domain_name = Default

[keystone]
trust_release_interval = 1
trust_release_delay = 2

[heat]
poll_interval = 1
max_poll_interval = 2

[nova]
poll_interval = 0.5
max_poll_interval = 2
"""


def say(text=''):
    print(text, flush=True)


def password_session(args, user, password, project):
    return ks_session.Session(auth=v3.Password(
        auth_url=args.auth_url, username=user, password=password,
        project_name=project, user_domain_id='default',
        project_domain_id='default'))


class AllInOne:
    """convection-all in a temporary directory, on a free port."""

    def __init__(self, args):
        self.workdir = tempfile.mkdtemp(prefix='convection-demo-')
        with socket.socket() as s:
            s.bind(('127.0.0.1', 0))
            self.port = s.getsockname()[1]
        self.url = f'http://127.0.0.1:{self.port}'
        config = os.path.join(self.workdir, 'convection.conf')
        with open(config, 'w') as f:
            f.write(CONFIG.format(
                workdir=self.workdir, port=self.port,
                auth_url=args.auth_url, service_user=args.service_user,
                service_password=args.service_password))
        self.log_path = os.path.join(self.workdir, 'convection-all.log')
        command = os.path.join(sysconfig.get_path('scripts'),
                               'convection-all')
        with open(self.log_path, 'wb') as log:
            self.process = subprocess.Popen(
                [command, '--config-file', config], stdout=log,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def wait_until_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if requests.get(self.url + '/healthcheck',
                                timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise RuntimeError('convection-all did not start:\n' + self.log())

    def log(self):
        with open(self.log_path, errors='replace') as f:
            return f.read()[-5000:]

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        shutil.rmtree(self.workdir, ignore_errors=True)


class Tenant:
    """What alice sees of her project, and her trusts."""

    def __init__(self, session, service_session):
        self.session = session
        self.user_id = session.get_user_id()
        self.heat = heat_client.Client('1', session=session,
                                       service_type='orchestration',
                                       interface='public')
        # Convection's microversion: the server lists of the loopback Nova
        # fail response validation at the 2.1 default.
        self.nova = adapter.Adapter(session, service_type='compute',
                                    interface='public',
                                    default_microversion='2.79')
        self.identity = adapter.Adapter(session, service_type='identity',
                                        interface='public')
        # The service user may read user names; alice may not.
        self.service_identity = adapter.Adapter(
            service_session, service_type='identity', interface='public')
        self.names = {}

    def user_name(self, user_id):
        if user_id not in self.names:
            response = self.service_identity.get(f'/users/{user_id}',
                                                 raise_exc=False)
            self.names[user_id] = (response.json()['user']['name']
                                   if response.ok else user_id)
        return self.names[user_id]

    def stacks(self):
        return [(s.stack_name, s.id, s.stack_status)
                for s in self.heat.stacks.list()]

    def servers(self):
        servers = self.nova.get('/servers/detail').json()['servers']
        return [(s['name'], s['id'], s['status']) for s in servers]

    def trusts(self):
        trusts = self.identity.get('/OS-TRUST/trusts', params={
            'trustor_user_id': self.user_id}).json()['trusts']
        return [(t['id'], self.user_name(t['trustee_user_id']),
                 str(t['impersonation']),
                 t.get('expires_at') or 'never') for t in trusts]

    def show(self, when, known_trusts=()):
        """Print the three lists; trusts not in ``known_trusts`` are new."""
        say(f'----- {when} ({time.strftime("%H:%M:%S")} UTC) -----')
        table('openstack stack list (alice, tenant-a)',
              ('stack_name', 'id', 'stack_status'), self.stacks())
        table('openstack server list (alice, tenant-a)',
              ('name', 'id', 'status'), self.servers())
        table('trusts with trustor alice',
              ('id', 'trustee', 'impersonation', 'expires', ''),
              [(*trust, '' if trust in known_trusts else '<- new')
               for trust in self.trusts()])


def table(title, header, rows):
    say(f'{title}:')
    if not rows:
        say('  (none)')
        return
    widths = [max(len(str(row[i])) for row in [header, *rows])
              for i in range(len(header))]
    for row in [header, *rows]:
        say('  ' + '  '.join(str(v).ljust(w)
                             for v, w in zip(row, widths)).rstrip())


def flow(name):
    return {
        'version': 1, 'name': name,
        'tasks': {
            'stack': {'type': 'heat.stack', 'with': {
                'stack_name': name, 'template': TEMPLATE}},
            'server': {'type': 'nova.server', 'with': {
                'name': name, 'flavor': '1', 'image': IMAGE,
                'networks': 'none'}},
            'hold': {'type': 'sleep', 'requires': ['stack', 'server'],
                     'with': {'seconds': 8}},
            'remove_stack': {'type': 'heat.stack', 'requires': ['hold'],
                             'with': {'action': 'delete', 'stack':
                                      '{{ tasks.stack.output.stack_id }}'}},
            'remove_server': {'type': 'nova.server', 'requires': ['hold'],
                              'with': {'action': 'delete', 'server':
                                       '{{ tasks.server.output.id }}'}},
        },
        'output': {'stack': '{{ tasks.stack.output.stack_id }}',
                   'secret': '{{ tasks.stack.output.outputs.secret }}',
                   'server': '{{ tasks.server.output.id }}'},
    }


def wait(what, predicate, timeout):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise RuntimeError(f'timed out after {timeout}s waiting for '
                               f'{what}')
        time.sleep(0.3)


def demo(args, url):
    alice = password_session(args, 'alice', args.alice_password,
                             'tenant-a')
    service = password_session(args, args.service_user,
                               args.service_password, 'service')
    tenant = Tenant(alice, service)
    api = adapter.Adapter(alice, endpoint_override=url)

    def tasks(execution_id):
        body = api.get(f'/v1/executions/{execution_id}/tasks').json()
        return {t['name']: t['state'] for t in body['tasks']}

    def execution(execution_id):
        return api.get(f'/v1/executions/{execution_id}').json()

    name = f'demo-{uuid.uuid4().hex[:8]}'
    before = set(tenant.trusts())
    tenant.show('before', before)
    api.post('/v1/flows', json={'definition': flow(name)})
    execution_id = api.post('/v1/executions',
                            json={'flow': name}).json()['id']
    say(f'\nPOST /v1/executions {{"flow": "{name}"}} -> {execution_id}\n')

    wait('the stack and the server', lambda: tasks(execution_id).get(
        'hold') in ('RUNNING', 'WAITING'), 120)
    tenant.show(f'during (tasks: {tasks(execution_id)})', before)

    done = wait('the end of the execution', lambda: (
        lambda e: e if e['state'] in ('SUCCEEDED', 'FAILED', 'CANCELLED')
        else None)(execution(execution_id)), 120)
    say(f'\nexecution {execution_id}: {done["state"]}, output '
        f'{done["output"]}, error {done["error"]}\n')
    wait('Convection to release its trust',
         lambda: set(tenant.trusts()) <= before, 120)
    tenant.show('after (trust released)', before)

    left = [row for row in tenant.stacks() + tenant.servers()
            if name in row[0]]
    ok = done['state'] == 'SUCCEEDED' and not left
    say('\nOK: nothing left behind' if ok else f'\nFAILED, left: {left}')
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--url', help='a running Convection API; default: '
                        'start convection-all for the demo')
    parser.add_argument('--auth-url', default=os.environ.get(
        'OS_AUTH_URL', 'http://127.0.0.1:5000/v3'))
    parser.add_argument('--alice-password', default='alice-secret')
    parser.add_argument('--service-user', default='convection')
    parser.add_argument('--service-password', default='convection-secret')
    args = parser.parse_args()

    server = None
    url = args.url
    if url is None:
        server = AllInOne(args)
        url = server.url
        say(f'convection-all on {server.url} (config and log in '
            f'{server.workdir})')
        server.wait_until_ready()
    try:
        ok = demo(args, url)
    except Exception:
        if server is not None:
            say(server.log())
        raise
    finally:
        if server is not None:
            server.stop()
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
