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

"""Flows that drive Heat and Nova, run by the real service processes.

Real API, engine and conductor processes on PostgreSQL, real Keystone
tokens and trusts, real Heat and Nova on loopback
(``tools/peers/start_heat.sh``, ``tools/peers/start_nova.sh``). Unlike
``test_heat_nova`` (the task types alone), every step here goes through
``POST /v1/executions``: expressions carry the stack and server ids from
one task to the next, the engine keeps the waits, and a conductor is
killed and restarted in the middle of one.
"""

import contextlib
import datetime

from heatclient import exc as heat_exc
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
import sqlalchemy as sa

from convection.common import clients
from convection.db.sqlalchemy import models
from tests.functional import base
from tests.functional import test_heat_nova

TEMPLATE = test_heat_nova.TEMPLATE
FAILING_TEMPLATE = test_heat_nova.FAILING_TEMPLATE
IMAGE = test_heat_nova.IMAGE
TINY_FLAVOR = test_heat_nova.TINY_FLAVOR
TOO_BIG_FLAVOR = test_heat_nova.TOO_BIG_FLAVOR


def slow_template(seconds):
    """A stack whose creation takes ``seconds`` in Heat's engine."""
    return {
        'heat_template_version': '2018-08-31',
        'resources': {'slow': {
            'type': 'OS::Heat::TestResource',
            'properties': {'value': 'slow',
                           'action_wait_secs': {'create': seconds}}}},
        'outputs': {'value': {'value': {'get_attr': ['slow', 'output']}}},
    }


def _session(user):
    password, project = base.USERS[user]
    auth = v3.Password(auth_url=base.KEYSTONE_URL, username=user,
                       password=password, project_name=project,
                       user_domain_id='default', project_domain_id='default')
    return ks_session.Session(auth=auth)


def _utcnow():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def _parse_time(text):
    value = datetime.datetime.fromisoformat(text.replace('Z', '+00:00'))
    if value.tzinfo is not None:
        value = value.astimezone(datetime.UTC).replace(tzinfo=None)
    return value


TASKS = models.TaskExecution.__table__
TIMERS = models.Timer.__table__


class CloudFlowsTest(base.FunctionalTestCase):

    backend = 'postgresql'
    config = {
        'heat': {'poll_interval': 1, 'max_poll_interval': 2},
        'nova': {'poll_interval': 0.5, 'max_poll_interval': 2},
        # Cleanup after a cancel acts through the trust: keep it a while.
        'keystone': {'trust_release_delay': 5},
    }

    def setUp(self):
        super().setUp()
        base.require_cloud(self, 'heat', 'nova')
        self.alice = _session('alice')
        self.heat = clients.heat(self.alice)
        self.nova = clients.nova(self.alice)

    # Helpers.

    def run_flow(self, definition, user='alice', states=('SUCCEEDED',
                                                         'FAILED'),
                 timeout=120, **execution):
        """Register a flow, start an execution and wait for its end."""
        execution_id = self.start_flow(definition, user, **execution)
        return self.wait_for_execution(execution_id, states, user=user,
                                       timeout=timeout)

    def start_flow(self, definition, user='alice', **execution):
        self.post('/v1/flows', user=user, json={'definition': definition},
                  expect=201)
        return self.post('/v1/executions', user=user,
                         json=dict(execution, flow=definition['name']),
                         expect=202).json()['id']

    def tasks(self, execution_id, user='alice'):
        body = self.get(f'/v1/executions/{execution_id}/tasks', user=user,
                        expect=200).json()
        return {task['name']: task for task in body['tasks']}

    def events(self, execution_id, user='alice'):
        return self.get(f'/v1/executions/{execution_id}/events', user=user,
                        expect=200).json()['events']

    def stacks_named(self, name):
        return list(self.heat.stacks.list(filters={'name': name}))

    def delete_stack_later(self, name):
        def delete():
            for stack in self.stacks_named(name):
                # Heat refuses to delete a stack twice, and its list may
                # still show one that just went.
                if stack.stack_status.startswith('DELETE_'):
                    continue
                with contextlib.suppress(heat_exc.HTTPNotFound):
                    self.heat.stacks.delete(stack.id)
        self.addCleanup(delete)

    def delete_servers_later(self, name):
        # ERROR servers count against the project's quota as well.
        def delete():
            servers = self.nova.get('/servers', params={
                'name': f'^{name}$'}).json()['servers']
            for server in servers:
                self.nova.delete(f"/servers/{server['id']}",
                                 raise_exc=False)
        self.addCleanup(delete)

    def waiting_with_time_to_spare(self, execution_id, task_name,
                                   spare=0.5):
        """The task's run state while it waits for its next poll.

        Only once the next poll is ``spare`` seconds away, so that nothing
        of the task runs in a conductor at that moment.
        """
        query = (sa.select(TASKS.c.run_state, TIMERS.c.fire_at)
                 .join(TIMERS, TIMERS.c.task_execution_id == TASKS.c.id)
                 .where(TASKS.c.execution_id == execution_id,
                        TASKS.c.name == task_name,
                        TASKS.c.state == 'WAITING',
                        TIMERS.c.kind == 'task_wakeup'))
        with self.deployment.db().connect() as conn:
            row = conn.execute(query).first()
        if row is None or row.fire_at < _utcnow() + datetime.timedelta(
                seconds=spare):
            return None
        return row.run_state

    # Heat.

    def test_stack_created_read_updated_and_deleted(self):
        name = base.unique_name('cvft-stack')
        self.delete_stack_later(name)
        done = self.run_flow({
            'version': 1, 'name': name,
            'input': {'type': 'object',
                      'properties': {'stack_name': {'type': 'string'}}},
            'tasks': {
                'create': {'type': 'heat.stack', 'with': {
                    'stack_name': '{{ input.stack_name }}',
                    'template': TEMPLATE,
                    'parameters': {'value': 'first'}}},
                'read': {'type': 'echo', 'requires': ['create'], 'with': {
                    'secret': '{{ tasks.create.output.outputs.secret }}',
                    'value': '{{ tasks.create.output.outputs.value }}'}},
                'update': {'type': 'heat.stack', 'requires': ['read'],
                           'with': {'action': 'update',
                                    'stack': '{{ input.stack_name }}',
                                    'template': TEMPLATE,
                                    'parameters': {'value': 'second'}}},
                'remove': {'type': 'heat.stack', 'requires': ['update'],
                           'with': {'action': 'delete',
                                    'stack': '{{ tasks.update.output'
                                             '.stack_id }}'}},
            },
            'output': {
                'created': '{{ tasks.create.output }}',
                'read': '{{ tasks.read.output }}',
                'updated': '{{ tasks.update.output }}',
                'removed': '{{ tasks.remove.output }}',
            },
        }, input={'stack_name': name})
        self.assertEqual('SUCCEEDED', done['state'], done)
        output = done['output']
        created, updated = output['created'], output['updated']
        stack_id = created['stack_id']

        self.assertEqual((name, 'CREATE_COMPLETE', 'first'),
                         (created['stack_name'], created['status'],
                          created['outputs']['value']))
        self.assertEqual(12, len(created['outputs']['secret']))
        # The later task read the outputs through expressions.
        self.assertEqual(created['outputs'], output['read'])
        # The update acted on the same stack; the secret was kept.
        self.assertEqual(
            (stack_id, 'UPDATE_COMPLETE', 'second',
             created['outputs']['secret']),
            (updated['stack_id'], updated['status'],
             updated['outputs']['value'], updated['outputs']['secret']))
        self.assertEqual((stack_id, 'DELETE_COMPLETE'),
                         (output['removed']['stack_id'],
                          output['removed']['status']))

        stack = self.heat.stacks.get(stack_id)
        self.assertEqual(('alice', 'DELETE_COMPLETE'),
                         (stack.stack_owner, stack.stack_status))
        # Heat's own events: one create, one update, one delete, in turn.
        stack_events = self.heat.events.list(f'{name}/{stack_id}',
                                             sort_dir='asc')
        self.assertEqual(
            ['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'DELETE_COMPLETE'],
            [e.resource_status for e in stack_events
             if e.resource_name == name
             and e.resource_status.endswith('_COMPLETE')])

        # Each heat task waited for Heat between its polls, and its
        # attempt never ran again from the start.
        events = self.events(done['id'])
        for task_name in ('create', 'update', 'remove'):
            moves = [(e['from_state'], e['to_state'], e['attempt'])
                     for e in events if e['task_name'] == task_name]
            self.assertIn(('RUNNING', 'WAITING', 1), moves, events)
            self.assertIn(('WAITING', 'RUNNING', 1), moves, events)
            self.assertEqual(('RUNNING', 'SUCCEEDED', 1), moves[-1],
                             events)
        self.assertEqual({'SUCCEEDED'},
                         {t['state'] for t in self.tasks(
                             done['id']).values()})

        # Bob sees nothing of Alice's execution.
        self.get(f'/v1/executions/{done["id"]}', user='bob', expect=404)
        self.get(f'/v1/executions/{done["id"]}/events', user='bob',
                 expect=404)
        listed = self.get('/v1/executions', user='bob',
                          expect=200).json()['executions']
        self.assertNotIn(done['id'], [e['id'] for e in listed])

    def test_failing_stack_fails_task_with_heats_reason(self):
        name = base.unique_name('cvft-broken')
        self.delete_stack_later(name)
        done = self.run_flow({
            'version': 1, 'name': name,
            'tasks': {
                'create': {'type': 'heat.stack', 'with': {
                    'stack_name': name, 'template': FAILING_TEMPLATE}},
                'after': {'type': 'noop', 'requires': ['create']},
            },
        })
        self.assertEqual('FAILED', done['state'], done)
        [stack] = self.stacks_named(name)
        self.assertEqual('CREATE_FAILED', stack.stack_status)
        reason = stack.stack_status_reason
        self.assertIn('Test Resource failed', reason)

        task = self.tasks(done['id'])['create']
        self.assertEqual('FAILED', task['state'])
        self.assertEqual('StackFailed', task['error']['type'])
        self.assertIn(reason, task['error']['message'])
        self.assertIn(reason, done['error']['message'])
        self.assertEqual('SKIPPED', self.tasks(done['id'])['after']['state'])

    def test_killed_conductor_resumes_the_same_stack(self):
        name = base.unique_name('cvft-resume')
        self.delete_stack_later(name)
        execution_id = self.start_flow({
            'version': 1, 'name': name,
            'tasks': {'create': {'type': 'heat.stack', 'with': {
                'stack_name': name, 'template': slow_template(8)}}},
            'output': '{{ tasks.create.output }}',
        })
        run_state = self.wait_until(
            'the stack task to wait for its next poll',
            lambda: self.waiting_with_time_to_spare(execution_id,
                                                    'create'))
        self.assertEqual('CREATE_IN_PROGRESS',
                         self.heat.stacks.get(
                             run_state['stack_id']).stack_status)

        killed = self.deployment.process('conductor').popen.pid
        restarted_at = _utcnow()
        self.deployment.restart('conductor', kill=True)
        self.assertNotEqual(killed,
                            self.deployment.process('conductor').popen.pid)

        done = self.wait_for_execution(execution_id,
                                       ('SUCCEEDED', 'FAILED'), timeout=120)
        self.assertEqual('SUCCEEDED', done['state'], done)
        stacks = self.stacks_named(name)
        self.assertEqual([(run_state['stack_id'], 'CREATE_COMPLETE')],
                         [(s.id, s.stack_status) for s in stacks])
        self.assertEqual((run_state['stack_id'], {'value': 'slow'}),
                         (done['output']['stack_id'],
                          done['output']['outputs']))
        self.assertEqual(1, self.tasks(execution_id)['create']['attempt'])
        # The restarted conductor polled: the task ran again after the
        # kill, with the same attempt.
        polls_after = [
            e for e in self.events(execution_id)
            if (e['from_state'], e['to_state'], e['attempt'])
            == ('WAITING', 'RUNNING', 1)
            and _parse_time(e['created_at']) > restarted_at]
        self.assertNotEqual([], polls_after)

    def test_cancel_deletes_the_stack_when_asked(self):
        name = base.unique_name('cvft-cancel')
        self.delete_stack_later(name)
        execution_id = self.start_flow({
            'version': 1, 'name': name,
            'tasks': {'create': {'type': 'heat.stack', 'with': {
                'stack_name': name, 'template': slow_template(60),
                'on_cancel': 'delete'}}},
        })
        run_state = self.wait_until(
            'the stack task to wait',
            lambda: self.waiting_with_time_to_spare(execution_id, 'create',
                                                    spare=0))
        self.post(f'/v1/executions/{execution_id}/cancel', expect=202)
        done = self.wait_for_execution(execution_id, ('CANCELLED',))
        self.assertEqual('CANCELLED',
                         self.tasks(execution_id)['create']['state'])

        def deleted():
            stack = self.heat.stacks.get(run_state['stack_id'])
            return stack.stack_status == 'DELETE_COMPLETE'

        self.wait_until('the cancelled task to delete its stack', deleted)
        self.assertEqual('cancelled', done['stop_reason'])

    # Nova.

    def test_server_booted_then_deleted_by_a_later_task(self):
        name = base.unique_name('cvft-server')
        self.delete_servers_later(name)
        done = self.run_flow({
            'version': 1, 'name': name,
            'tasks': {
                'boot': {'type': 'nova.server', 'with': {
                    'name': name, 'flavor': TINY_FLAVOR, 'image': IMAGE,
                    'networks': 'none'}},
                'remove': {'type': 'nova.server', 'requires': ['boot'],
                           'with': {'action': 'delete',
                                    'server': '{{ tasks.boot.output.id }}'}},
            },
            'output': {'booted': '{{ tasks.boot.output }}',
                       'removed': '{{ tasks.remove.output }}'},
        })
        self.assertEqual('SUCCEEDED', done['state'], done)
        booted, removed = done['output']['booted'], done['output']['removed']
        self.assertEqual((name, 'ACTIVE'), (booted['name'], booted['status']))
        self.assertEqual((booted['id'], 'DELETED'),
                         (removed['id'], removed['status']))
        response = self.nova.get(f"/servers/{booted['id']}",
                                 raise_exc=False)
        self.assertEqual(404, response.status_code, response.text)

    def test_server_in_error_fails_with_novas_fault(self):
        name = base.unique_name('cvft-toobig')
        self.delete_servers_later(name)
        done = self.run_flow({
            'version': 1, 'name': name,
            'tasks': {'boot': {'type': 'nova.server', 'with': {
                'name': name, 'flavor': TOO_BIG_FLAVOR, 'image': IMAGE,
                'networks': 'none'}}},
        })
        self.assertEqual('FAILED', done['state'], done)
        [server] = self.nova.get('/servers/detail', params={
            'name': f'^{name}$'}).json()['servers']
        self.assertEqual('ERROR', server['status'])
        fault = server['fault']['message']
        self.assertIn('No valid host', fault)

        task = self.tasks(done['id'])['boot']
        self.assertEqual(('FAILED', 'NoValidHost'),
                         (task['state'], task['error']['type']))
        self.assertIn(fault, task['error']['message'])
        self.assertIn(fault, done['error']['message'])

    def test_another_tenant_cannot_touch_the_server(self):
        name = base.unique_name('cvft-alices')
        self.delete_servers_later(name)
        server = self.nova.post('/servers', json={'server': {
            'name': name, 'flavorRef': TINY_FLAVOR, 'imageRef': IMAGE,
            'networks': 'none'}}).json()['server']

        done = self.run_flow({
            'version': 1, 'name': base.unique_name('cvft-intruder'),
            'tasks': {'remove': {'type': 'nova.server', 'with': {
                'action': 'delete', 'server': server['id']}}},
        }, user='bob', timeout=60)
        self.assertEqual('FAILED', done['state'], done)
        self.assertIn('not found', done['error']['message'].lower())
        self.get(f'/v1/executions/{done["id"]}', user='alice', expect=404)
        # Alice's server is still there.
        self.assertEqual(server['id'], self.nova.get(
            f"/servers/{server['id']}").json()['server']['id'])
