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

"""Each API as each persona: the status the default policy gives.

The resources belong to project-a; 'other' is a member of project-b.
Another project's private resource is always 404, never 403.
"""

from tests.unit.api import base

PERSONAS = ('reader', 'member', 'other', 'admin')

# name: (method, path, body, {persona: status})
MATRIX = {
    'flow_list': ('get', '/v1/flows', None,
                  dict(reader=200, member=200, other=200, admin=200)),
    'flow_list_all_projects': (
        'get', '/v1/flows?all_projects=true', None,
        dict(reader=403, member=403, other=403, admin=200)),
    'flow_create': ('post', '/v1/flows',
                    {'definition': base.flow_document('new')},
                    dict(reader=403, member=201, other=201, admin=201)),
    'flow_validate': ('post', '/v1/flows/validate',
                      {'definition': base.FLOW},
                      dict(reader=200, member=200, other=200, admin=200)),
    'flow_get': ('get', '/v1/flows/hello', None,
                 dict(reader=200, member=200, other=404, admin=200)),
    'flow_versions': ('get', '/v1/flows/hello/versions', None,
                      dict(reader=200, member=200, other=404, admin=200)),
    'flow_version': ('get', '/v1/flows/hello/versions/1', None,
                     dict(reader=200, member=200, other=404, admin=200)),
    'flow_update': ('patch', '/v1/flows/hello', {'visibility': 'public'},
                    dict(reader=403, member=200, other=404, admin=200)),
    'flow_delete': ('delete', '/v1/flows/spare', None,
                    dict(reader=403, member=204, other=404, admin=204)),
    'execution_create': ('post', '/v1/executions', {'flow': 'hello'},
                         dict(reader=403, member=202, other=404,
                              admin=202)),
    'execution_list': ('get', '/v1/executions', None,
                       dict(reader=200, member=200, other=200, admin=200)),
    'execution_list_all_projects': (
        'get', '/v1/executions?all_projects=true', None,
        dict(reader=403, member=403, other=403, admin=200)),
    'execution_get': ('get', '/v1/executions/{execution}', None,
                      dict(reader=200, member=200, other=404, admin=200)),
    'execution_tasks': ('get', '/v1/executions/{execution}/tasks', None,
                        dict(reader=200, member=200, other=404,
                             admin=200)),
    'execution_events': ('get', '/v1/executions/{execution}/events', None,
                         dict(reader=200, member=200, other=404,
                              admin=200)),
    'execution_cancel': ('post', '/v1/executions/{execution}/cancel', None,
                         dict(reader=403, member=202, other=404,
                              admin=202)),
}


class PolicyMatrixTestCase(base.APITestCase):

    def setUp(self):
        super().setUp()
        self.create_flow()
        self.create_flow(base.flow_document('spare'))
        self.execution = self.start_execution()

    def check(self, method, path, body, persona, expected):
        path = path.format(execution=self.execution['id'])
        if method in ('post', 'patch'):
            response = getattr(self, method)(path, body, persona=persona)
        else:
            response = getattr(self, method)(path, persona=persona)
        self.assertEqual(expected, response.status_int,
                         f'{method.upper()} {path} as {persona}: '
                         f'{response.text}')
        if expected >= 400:
            self.assertError(response, expected)
        if persona == 'other' and expected == 404:
            # Nothing of a hidden resource leaks into the answer.
            self.assertNotIn(base.PROJECT, response.text)


def _make_test(method, path, body, persona, expected):
    def test(self):
        self.check(method, path, body, persona, expected)
    return test


for _name, (_method, _path, _body, _expected) in MATRIX.items():
    for _persona in PERSONAS:
        setattr(PolicyMatrixTestCase, f'test_{_name}_as_{_persona}',
                _make_test(_method, _path, _body, _persona,
                           _expected[_persona]))
