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

"""Pause, resume and retry of executions; secret inputs in the API."""

from unittest import mock

import oslo_messaging as messaging
import sqlalchemy as sa

from convection.common import states
from convection.db import api as db_api
from convection.db.sqlalchemy import models
from convection.db.sqlalchemy import session
from tests.unit.api import base
from tests.unit.api import test_executions


class _Engine(base.RecordingEngine):
    target = messaging.Target(version='1.1')

    def pause_execution(self, context, execution_id):
        self.casts.put(('pause_execution', execution_id))

    def resume_execution(self, context, execution_id):
        self.casts.put(('resume_execution', execution_id))

    def retry_execution(self, context, execution_id, flow_version_id=None,
                        flow_version=None):
        self.casts.put(('retry_execution', execution_id, flow_version))


class LifecycleTestCase(base.APITestCase):

    def setUp(self):
        patcher = mock.patch.object(base, 'RecordingEngine', _Engine)
        patcher.start()
        self.addCleanup(patcher.stop)
        super().setUp()
        self.create_flow()
        self.execution = self.start_execution()
        self.next_cast()
        self.path = f'/v1/executions/{self.execution["id"]}'

    def test_pause_and_resume_cast(self):
        test_executions.set_state(self.execution['id'], states.RUNNING)
        response = self.post(f'{self.path}/pause')
        self.assertEqual(202, response.status_int, response.text)
        self.assertEqual(('pause_execution', self.execution['id']),
                         self.next_cast())
        test_executions.set_state(self.execution['id'], states.PAUSED)
        response = self.post(f'{self.path}/resume')
        self.assertEqual(202, response.status_int, response.text)
        self.assertEqual(('resume_execution', self.execution['id']),
                         self.next_cast())

    def test_wrong_states_are_409(self):
        test_executions.set_state(self.execution['id'], states.SUCCEEDED)
        for action in ('pause', 'resume', 'retry'):
            self.assertError(self.post(f'{self.path}/{action}'), 409,
                             f'is SUCCEEDED; {action} needs it')
        self.assertNoCast()

    def test_retry_casts(self):
        test_executions.set_state(self.execution['id'], states.FAILED)
        response = self.post(f'{self.path}/retry')
        self.assertEqual(202, response.status_int, response.text)
        self.assertEqual(('retry_execution', self.execution['id'], None),
                         self.next_cast())

    def test_retry_on_a_newer_version(self):
        self.create_flow(base.flow_document(description='v2'))
        test_executions.set_state(self.execution['id'], states.FAILED)
        response = self.post(f'{self.path}/retry', {'version': 2})
        self.assertEqual(202, response.status_int, response.text)
        self.assertEqual(('retry_execution', self.execution['id'], 2),
                         self.next_cast())

    def test_retry_on_an_incompatible_version_is_409(self):
        self.create_flow(base.flow_document(
            tasks={'greet': {'type': 'noop'}}))
        test_executions.set_state(self.execution['id'], states.FAILED)
        test_executions.add_task(self.execution['id'], 'greet',
                                 states.SUCCEEDED)
        self.assertError(self.post(f'{self.path}/retry', {'version': 2}),
                         409, 'task greet is of type noop there, not echo')
        self.assertNoCast()

    def test_retry_on_an_unknown_version_is_404(self):
        test_executions.set_state(self.execution['id'], states.TIMED_OUT)
        self.assertError(self.post(f'{self.path}/retry', {'version': 5}),
                         404)
        self.assertNoCast()

    def test_pause_of_another_project_is_404(self):
        test_executions.set_state(self.execution['id'], states.RUNNING)
        self.assertError(self.post(f'{self.path}/pause', persona='other'),
                         404)


class SecretInputTestCase(base.APITestCase):

    def setUp(self):
        super().setUp()
        self.create_flow(base.flow_document(
            name='secret', input={
                'type': 'object',
                'properties': {'user': {'type': 'string'},
                               'password': {'type': 'string',
                                            'secret': True}}}))
        self.execution = self.start_execution(
            'secret', input={'user': 'ann', 'password': 'hunter2'})
        self.next_cast()
        self.path = f'/v1/executions/{self.execution["id"]}'
        with session.writer() as s:
            s.execute(sa.update(models.Execution).where(
                models.Execution.id == self.execution['id']).values(
                    output={'said': 'login ann:hunter2'},
                    context={'token': 'hunter2'},
                    error={'message': 'no ann:hunter2 here'}))
            s.add(models.TaskExecution(
                id='t1', execution_id=self.execution['id'], name='greet',
                type='echo', state=states.SUCCEEDED, item_index=-1,
                attempt=1, input={'pw': 'hunter2'},
                output={'echo': 'pw=hunter2'}))
            s.add(models.Event(
                execution_id=self.execution['id'], task_execution_id='t1',
                task_name='greet', kind='task', from_state='RUNNING',
                to_state='FAILED', attempt=1,
                details={'error': {'message': 'bad password hunter2'}}))

    def test_secret_is_masked_everywhere(self):
        self.assertEqual({'user': 'ann', 'password': '***'},
                         self.execution['input'])
        execution = self.get(self.path).json
        self.assertEqual({'user': 'ann', 'password': '***'},
                         execution['input'])
        self.assertEqual({'said': 'login ann:***'}, execution['output'])
        self.assertEqual({'token': '***'}, execution['context'])
        listed = self.get('/v1/executions?flow=secret').json['executions']
        self.assertEqual({'message': 'no ann:*** here'}, listed[0]['error'])
        listed = self.get(
            '/v1/executions?flow=secret&detail=true').json['executions']
        self.assertEqual('***', listed[0]['input']['password'])
        self.assertEqual({'said': 'login ann:***'}, listed[0]['output'])
        self.assertEqual({'token': '***'}, listed[0]['context'])
        self.assertEqual({'message': 'no ann:*** here'}, listed[0]['error'])
        task = self.get(f'{self.path}/tasks').json['tasks'][0]
        self.assertEqual({'pw': '***'}, task['input'])
        self.assertEqual({'echo': 'pw=***'}, task['output'])
        events = self.get(f'{self.path}/events').json['events']
        self.assertIn({'error': {'message': 'bad password ***'}},
                      [e['details'] for e in events])
        for path in (self.path, f'{self.path}/tasks', f'{self.path}/events',
                     '/v1/executions', '/v1/executions?detail=true'):
            self.assertNotIn('hunter2', self.get(path).text)
        # The engine still has the value itself.
        self.assertEqual('hunter2', db_api.get_execution(
            self.execution['id'])['input']['password'])
