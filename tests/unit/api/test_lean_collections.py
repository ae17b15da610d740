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

"""The lists render plain dicts: the same JSON as the WSME types give."""

import datetime

from wsme.rest import json as wsme_json

from convection.api.controllers.v1 import executions
from convection.api.controllers.v1 import flows
from convection.api.controllers.v1 import types
from tests import base
from tests.unit.api import base as api_base

WHEN = datetime.datetime(2026, 12, 4, 22, 58, 35, 694517)


class PlainMatchesWSMETestCase(base.TestCase):
    """``plain`` gives what WSME renders of ``from_dict``."""

    use_database = False

    def assertSameJSON(self, resource_type, values):
        wsme_values = dict(values)
        if 'links' in values:
            # WSME takes Link objects, plain their JSON form.
            wsme_values['links'] = [types.Link.make(link['href'])
                                    for link in values['links']]
        self.assertEqual(
            wsme_json.tojson(resource_type,
                             resource_type.from_dict(wsme_values)),
            resource_type.plain(values))

    def test_execution(self):
        self.assertSameJSON(executions.Execution, {
            'id': 'e1', 'flow_id': 'f1', 'flow_name': 'hello',
            'flow_version': 2, 'project_id': 'p', 'user_id': None,
            'state': 'RUNNING', 'input': {'who': 'ann', 'n': [1, 2.5]},
            'output': None, 'error': 'boom', 'context': {},
            'created_at': WHEN, 'started_at': WHEN, 'finished_at': None,
            'updated_at': None,
            # A whole number of seconds: WSME gives a float.
            'duration': 3,
            'links': [{'href': 'http://x/v1/executions/e1',
                       'rel': 'self'}],
            # Not attributes of the resource: left out.
            'trust_id': 'secret-trust', 'deadline': WHEN})

    def test_missing_attributes_are_left_out(self):
        plain = executions.Execution.plain({'id': 'e1', 'state': 'PENDING'})
        self.assertEqual({'id': 'e1', 'state': 'PENDING'}, plain)

    def test_task_and_event(self):
        self.assertSameJSON(executions.Task, {
            'id': 't1', 'execution_id': 'e1', 'name': 'greet',
            'type': 'echo', 'state': 'SUCCEEDED', 'blocked_on': None,
            'attempt': 1, 'item_index': None, 'input': [1],
            'output': 'hi', 'error': None, 'created_at': WHEN,
            'started_at': WHEN, 'finished_at': WHEN, 'duration': 0.25,
            'progress': None, 'lease_expires_at': WHEN})
        self.assertSameJSON(executions.Event, {
            'id': 7, 'execution_id': 'e1', 'task_id': None,
            'task_name': None, 'kind': 'execution', 'from_state': None,
            'to_state': 'PENDING', 'attempt': None,
            'details': {'reason': 'retry'}, 'created_at': WHEN})

    def test_flow_and_version(self):
        self.assertSameJSON(flows.Flow, {
            'id': 'f1', 'name': 'hello', 'project_id': 'p',
            'visibility': 'private', 'latest_version': 3,
            'description': None, 'created_at': WHEN, 'updated_at': None,
            'links': [{'href': 'http://x/v1/flows/f1', 'rel': 'self'}]})
        self.assertSameJSON(flows.FlowVersion, {
            'flow_id': 'f1', 'flow_name': 'hello', 'version': 3,
            'description': 'd', 'checksum': 'abc',
            'definition': {'tasks': {}}, 'created_at': WHEN})


class ListItemsTestCase(api_base.APITestCase):
    """A list item is the resource as GET shows it."""

    def test_execution_list_item_is_get_one_without_documents(self):
        self.create_flow()
        started = self.start_execution(input={'who': 'ann'})
        listed = self.get('/v1/executions').json['executions']
        shown = self.get(f'/v1/executions/{started["id"]}').json
        self.assertIn('task_counts', shown)
        del shown['task_counts']
        self.assertEqual({'who': 'ann'}, shown.pop('input'))
        for key in ('output', 'context'):
            self.assertIn(key, shown)
            del shown[key]
        self.assertEqual([shown], listed)
        self.assertEqual(list(shown), list(listed[0]))

    def test_execution_attributes_come_in_declaration_order(self):
        self.create_flow()
        started = self.start_execution(input={'who': 'ann'})
        shown = self.get(f'/v1/executions/{started["id"]}').json
        self.assertEqual(
            ['id', 'flow_id', 'flow_name', 'flow_version', 'project_id',
             'user_id', 'state', 'input', 'output', 'error', 'context',
             'stop_reason', 'parent_id', 'parent_task_id',
             'idempotency_key', 'created_at', 'started_at', 'finished_at',
             'updated_at', 'duration', 'task_counts', 'links'],
            list(shown))

    def test_execution_list_detail_is_get_one_without_task_counts(self):
        self.create_flow()
        started = self.start_execution(input={'who': 'ann'})
        listed = self.get(
            '/v1/executions?detail=true').json['executions']
        shown = self.get(f'/v1/executions/{started["id"]}').json
        del shown['task_counts']
        self.assertEqual([shown], listed)
        self.assertEqual(list(shown), list(listed[0]))

    def test_next_link_keeps_detail(self):
        self.create_flow()
        ids = [self.start_execution()['id'] for _ in range(2)]
        page = self.get('/v1/executions?limit=1&sort_dir=asc&detail=true')
        self.assertEqual(
            f'http://localhost/v1/executions?limit=1&marker={ids[0]}'
            '&sort_key=created_at&sort_dir=asc&detail=true',
            page.json['next'])
        rest = self.get(page.json['next'].replace('http://localhost', ''))
        self.assertEqual([ids[1]], [e['id'] for e in rest.json['executions']])
        self.assertIn('input', rest.json['executions'][0])

    def test_flow_list_item_is_get_one_without_definition(self):
        self.create_flow()
        listed = self.get('/v1/flows').json['flows']
        shown = self.get('/v1/flows/hello').json
        del shown['definition']
        self.assertEqual([shown], listed)

    def test_next_link_of_a_plain_page(self):
        self.create_flow()
        ids = [self.start_execution()['id'] for _ in range(3)]
        page = self.get('/v1/executions?limit=2&sort_dir=asc').json
        self.assertEqual(ids[:2], [e['id'] for e in page['executions']])
        self.assertEqual(
            f'http://localhost/v1/executions?limit=2&marker={ids[1]}'
            '&sort_key=created_at&sort_dir=asc', page['next'])
        last = self.get(page['next'].replace('http://localhost', '')).json
        self.assertEqual(ids[2:], [e['id'] for e in last['executions']])
        self.assertNotIn('next', last)
