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

import datetime
from unittest import mock

import oslo_messaging as messaging
import sqlalchemy as sa

from convection.common import states
from convection.db import api as db_api
from convection.db.sqlalchemy import models
from convection.db.sqlalchemy import session
from convection.engine import rpcapi
from tests.unit.api import base


def set_state(execution_id, state):
    now = datetime.datetime(2026, 1, 1, 12, 0, 0)
    with session.writer() as s:
        s.execute(sa.update(models.Execution)
                  .where(models.Execution.id == execution_id)
                  .values(state=state, started_at=now,
                          finished_at=now + datetime.timedelta(seconds=3)))


def add_task(execution_id, name, state, task_id=None):
    with session.writer() as s:
        s.add(models.TaskExecution(
            id=task_id or f'{execution_id[:30]}-{name}', name=name,
            execution_id=execution_id, type='echo', state=state,
            item_index=-1, attempt=1))


class StartExecutionTestCase(base.APITestCase):

    def setUp(self):
        super().setUp()
        self.flow = self.create_flow()

    def test_start_stores_pending_and_casts(self):
        response = self.post('/v1/executions',
                             {'flow': 'hello', 'input': {'who': 'you'}})
        self.assertEqual(202, response.status_int, response.text)
        execution = response.json
        self.assertEqual(states.PENDING, execution['state'])
        self.assertEqual(self.flow['id'], execution['flow_id'])
        self.assertEqual('hello', execution['flow_name'])
        self.assertEqual(1, execution['flow_version'])
        self.assertEqual(base.PROJECT, execution['project_id'])
        self.assertEqual('user-member', execution['user_id'])
        href = f'http://localhost/v1/executions/{execution["id"]}'
        self.assertEqual(href, response.headers['Location'])
        self.assertEqual(href, execution['links'][0]['href'])
        stored = db_api.get_execution(execution['id'], base.PROJECT)
        self.assertEqual(states.PENDING, stored['state'])
        self.assertEqual({'who': 'you'}, stored['input'])
        self.assertEqual(('start_execution', base.PROJECT, execution['id']),
                         self.next_cast())

    def test_input_defaults_are_filled(self):
        execution = self.start_execution()
        self.assertEqual({'who': 'world'}, execution['input'])

    def test_bad_input_is_400_and_stores_nothing(self):
        error = self.assertError(
            self.post('/v1/executions',
                      {'flow': 'hello', 'input': {'who': 3}}), 400,
            'input schema')
        self.assertIn('input.who', error['message'])
        self.assertError(self.post('/v1/executions',
                                   {'flow': 'hello', 'input': [1]}),
                         400, 'JSON object')
        self.assertEqual([], db_api.list_executions(base.PROJECT))
        self.assertNoCast()

    def test_pinned_version(self):
        self.create_flow(base.flow_document(description='v2'))
        self.assertEqual(2, self.start_execution()['flow_version'])
        self.assertEqual(1, self.start_execution(version=1)['flow_version'])
        self.assertError(self.post('/v1/executions',
                                   {'flow': 'hello', 'version': 7}),
                         404, 'has no version 7')
        self.assertError(self.post('/v1/executions',
                                   {'flow': 'hello', 'version': 0}), 400)

    def test_unknown_flow_is_404(self):
        self.assertError(self.post('/v1/executions', {'flow': 'nope'}),
                         404, 'Flow nope could not be found.')
        self.assertError(self.post('/v1/executions', {}), 400, 'flow')

    def test_idempotency_key_replays(self):
        first = self.start_execution(idempotency_key='k1')
        self.next_cast()
        again = self.start_execution(idempotency_key='k1')
        self.assertEqual(first['id'], again['id'])
        self.assertNoCast()
        self.assertError(
            self.post('/v1/executions', {'flow': 'hello',
                                         'idempotency_key': 'k1',
                                         'input': {'who': 'else'}}),
            409, 'k1')

    def test_public_flow_of_another_project(self):
        self.patch('/v1/flows/hello', {'visibility': 'public'})
        execution = self.start_execution(flow=self.flow['id'],
                                         persona='other')
        self.assertEqual(base.OTHER_PROJECT, execution['project_id'])
        self.assertError(self.get(f'/v1/executions/{execution["id"]}'),
                         404)

    def test_private_flow_of_another_project_is_404(self):
        self.assertError(self.post('/v1/executions', {'flow': 'hello'},
                                   persona='other'), 404)
        self.assertNoCast()

    def test_reader_cannot_start(self):
        self.assertError(self.post('/v1/executions', {'flow': 'hello'},
                                   persona='reader'),
                         403, 'needs the member role')
        self.assertNoCast()


    def test_cloud_flow_without_a_token_is_refused_and_not_stored(self):
        # Without a Keystone token (noauth, or a caller identified some
        # other way) no trust can be made, so the cloud tasks could never
        # act: refuse up front instead of failing later.
        self.create_flow(base.flow_document(
            name='cloud', input={'type': 'object'},
            tasks={'stack': {'type': 'heat.stack',
                             'with': {'action': 'delete',
                                      'stack': 'anything'}}}))
        self.assertError(self.post('/v1/executions', {'flow': 'cloud'}),
                         403, 'Keystone token is needed')
        self.assertEqual([], db_api.list_executions(base.PROJECT))
        self.assertNoCast()

class ReadExecutionTestCase(base.APITestCase):

    def setUp(self):
        super().setUp()
        self.create_flow()
        self.execution = self.start_execution()

    def test_get_has_counts_and_duration(self):
        add_task(self.execution['id'], 'a', states.SUCCEEDED)
        add_task(self.execution['id'], 'b', states.SUCCEEDED)
        add_task(self.execution['id'], 'c', states.FAILED)
        set_state(self.execution['id'], states.FAILED)
        body = self.get(f'/v1/executions/{self.execution["id"]}').json
        self.assertEqual({'SUCCEEDED': 2, 'FAILED': 1}, body['task_counts'])
        self.assertEqual(3.0, body['duration'])
        self.assertEqual('2026-01-01T12:00:00', body['started_at'])
        self.assertEqual(states.FAILED, body['state'])

    def test_list_filters(self):
        self.create_flow(base.flow_document('other-flow'))
        other = self.start_execution(flow='other-flow')
        set_state(other['id'], states.SUCCEEDED)
        child = db_api.create_execution({
            'project_id': base.PROJECT, 'flow_name': 'hello',
            'flow_version': 1, 'parent_id': self.execution['id']})[0]

        def ids(query):
            response = self.get(f'/v1/executions?{query}')
            self.assertEqual(200, response.status_int, response.text)
            return {e['id'] for e in response.json['executions']}

        self.assertEqual({other['id']}, ids('flow=other-flow'))
        self.assertEqual({other['id']}, ids('flow=other-flow&version=1'))
        self.assertEqual(set(), ids('flow=other-flow&version=2'))
        self.assertEqual({other['id']}, ids('state=SUCCEEDED'))
        self.assertEqual({child['id']},
                         ids(f'parent_id={self.execution["id"]}'))
        self.assertEqual(3, len(ids('')))

    def test_list_pages(self):
        second = self.start_execution()
        body = self.get('/v1/executions?limit=1&sort_dir=asc').json
        self.assertEqual([self.execution['id']],
                         [e['id'] for e in body['executions']])
        rest = self.get(body['next'].replace('http://localhost', '')).json
        self.assertEqual([second['id']],
                         [e['id'] for e in rest['executions']])
        self.assertNotIn('next', rest)

    def test_list_bad_parameters_are_400(self):
        for query, word in (('state=DONE', 'state'),
                            ('sort_key=input', 'sort_key'),
                            ('sort_dir=sideways', 'sort_dir'),
                            ('limit=0', 'limit'),
                            ('version=1', 'flow'),
                            ('marker=nope', 'marker')):
            self.assertError(self.get(f'/v1/executions?{query}'), 400, word)

    def test_all_projects(self):
        self.assertEqual([], self.get(
            '/v1/executions', persona='admin').json['executions'])
        self.assertEqual([self.execution['id']], [e['id'] for e in self.get(
            '/v1/executions?all_projects=true',
            persona='admin').json['executions']])
        self.assertError(self.get('/v1/executions?all_projects=true'), 403)

    def test_tasks(self):
        add_task(self.execution['id'], 'a', states.SUCCEEDED)
        add_task(self.execution['id'], 'b', states.RUNNING)
        path = f'/v1/executions/{self.execution["id"]}/tasks'
        body = self.get(f'{path}?limit=1').json
        self.assertEqual(['a'], [t['name'] for t in body['tasks']])
        self.assertEqual('echo', body['tasks'][0]['type'])
        self.assertIn('marker=', body['next'])
        rest = self.get(body['next'].replace('http://localhost', '')).json
        self.assertEqual(['b'], [t['name'] for t in rest['tasks']])
        self.assertEqual(['b'], [t['name'] for t in self.get(
            f'{path}?state=RUNNING').json['tasks']])
        self.assertError(self.get(f'{path}?state=LOST'), 400, 'state')
        self.assertError(self.get(f'{path}?marker=nope'), 400, 'marker')

    def test_events(self):
        body = self.get(
            f'/v1/executions/{self.execution["id"]}/events').json
        self.assertEqual(1, len(body['events']))
        event = body['events'][0]
        self.assertEqual(self.execution['id'], event['execution_id'])
        self.assertEqual(states.PENDING, event['to_state'])
        self.assertEqual('execution', event['kind'])

    def test_other_project_sees_404(self):
        for path in ('', '/tasks', '/events'):
            self.assertError(self.get(
                f'/v1/executions/{self.execution["id"]}{path}',
                persona='other'), 404, 'could not be found')


class CancelExecutionTestCase(base.APITestCase):

    def setUp(self):
        super().setUp()
        self.create_flow()
        self.execution = self.start_execution()
        self.next_cast()

    def test_cancel_casts(self):
        response = self.post(
            f'/v1/executions/{self.execution["id"]}/cancel')
        self.assertEqual(202, response.status_int, response.text)
        self.assertEqual(self.execution['id'], response.json['id'])
        self.assertEqual(('cancel_execution', base.PROJECT,
                          self.execution['id']), self.next_cast())

    def test_cancel_finished_is_409(self):
        set_state(self.execution['id'], states.SUCCEEDED)
        self.assertError(
            self.post(f'/v1/executions/{self.execution["id"]}/cancel'),
            409, 'already finished in state SUCCEEDED')
        self.assertNoCast()

    def test_cancel_unknown_is_404(self):
        self.assertError(self.post('/v1/executions/nope/cancel'), 404)


class LostCastTestCase(base.APITestCase):
    """The engine cannot be reached (a fault fake:// cannot produce)."""

    def setUp(self):
        super().setUp()
        self.create_flow()

    def test_start_is_accepted_and_left_pending(self):
        with mock.patch.object(
                rpcapi.EngineAPI, 'start_execution', autospec=True,
                side_effect=messaging.MessageDeliveryFailure('down')):
            execution = self.start_execution()
        stored = db_api.get_execution(execution['id'])
        self.assertEqual(states.PENDING, stored['state'])

    def test_cancel_is_503(self):
        execution = self.start_execution()
        with mock.patch.object(
                rpcapi.EngineAPI, 'cancel_execution', autospec=True,
                side_effect=messaging.MessageDeliveryFailure('down')):
            response = self.post(f'/v1/executions/{execution["id"]}/cancel')
        self.assertError(response, 503, 'engine service is unreachable')
