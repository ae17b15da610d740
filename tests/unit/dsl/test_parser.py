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

from convection import dsl
from convection.common import exception
from tests import base

HELLO_YAML = """
version: 1
name: hello
tasks:
  greet:
    type: echo
    with: {message: "Hello {{ input.who }}"}
"""


class ParseTestCase(base.TestCase):
    use_database = False

    def assertSyntaxError(self, source, *fragments):
        exc = self.assertRaises(exception.InvalidFlowDefinition,
                                dsl.parse, source)
        self.assertEqual(1, len(exc.errors))
        self.assertEqual('', exc.errors[0]['path'])
        for fragment in fragments:
            self.assertIn(fragment, exc.errors[0]['message'])
        return exc

    def test_yaml_text(self):
        document = dsl.parse(HELLO_YAML)
        self.assertEqual('hello', document['name'])
        self.assertEqual({'message': 'Hello {{ input.who }}'},
                         document['tasks']['greet']['with'])

    def test_yaml_bytes(self):
        self.assertEqual('hello',
                         dsl.parse(HELLO_YAML.encode('utf-8'))['name'])

    def test_json_text(self):
        document = dsl.parse('{"version": 1, "name": "j", '
                             '"tasks": {"a": {"type": "noop"}}}')
        self.assertEqual({'a': {'type': 'noop'}}, document['tasks'])

    def test_dict_is_returned_as_is(self):
        document = {'version': 1, 'name': 'd', 'tasks': {}}
        self.assertIs(document, dsl.parse(document))

    def test_task_order_is_kept(self):
        names = [f't{i}' for i in range(30, 0, -1)]
        text = 'tasks:\n' + ''.join(f'  {n}: {{type: noop}}\n'
                                    for n in names)
        self.assertEqual(names, list(dsl.parse(text)['tasks']))

    def test_yaml_error_names_line_and_column(self):
        self.assertSyntaxError('version: 1\nname: x\ntasks: [a\n',
                               'invalid YAML', 'line 4 column 1')

    def test_json_error_names_line_and_column(self):
        self.assertSyntaxError('{"version": 1,\n  "name": }',
                               'invalid JSON', 'line 2 column 11')

    def test_duplicate_key_is_refused(self):
        self.assertSyntaxError(
            'tasks:\n  a: {type: noop}\n  a: {type: echo}\n',
            "duplicate key 'a'", 'line 3 column 3')

    def test_unsafe_yaml_tag_is_refused(self):
        self.assertSyntaxError(
            'a: !!python/object/apply:os.system ["true"]\n', 'invalid YAML')

    def test_yaml_types_json_cannot_hold(self):
        exc = self.assertRaises(exception.InvalidFlowDefinition, dsl.parse,
                                'a: !!binary aGVsbG8=\nb: [.nan]\n1: x\n')
        self.assertEqual(
            [{'path': 'a', 'message': 'a bytes is not JSON data'},
             {'path': 'b[0]', 'message': 'nan is not a JSON number'},
             {'path': '', 'message': 'key 1 is not a string; quote it'}],
            exc.errors)

    def test_yaml_1_1_booleans_and_dates_stay_strings(self):
        document = dsl.parse('on: yes\noff: no\nwhen: 2026-12-04\n'
                             'flag: true\n')
        self.assertEqual({'on': 'yes', 'off': 'no', 'when': '2026-12-04',
                          'flag': True}, document)

    def test_not_a_mapping(self):
        self.assertSyntaxError('- a\n- b\n', 'must be a mapping', 'a list')
        self.assertSyntaxError('', 'must be a mapping', 'empty')

    def test_not_text(self):
        self.assertSyntaxError(42, 'not int')

    def test_not_utf8(self):
        self.assertSyntaxError(b'name: \xff\n', 'not UTF-8')

    def test_size_limit(self):
        self.config(max_definition_size=1024, group='dsl')
        text = 'description: ' + 'x' * 1100 + '\n'
        exc = self.assertRaises(exception.RequestEntityTooLarge,
                                dsl.parse, text)
        self.assertEqual(413, exc.code)
        self.assertIn('1024', str(exc))
        self.assertRaises(exception.RequestEntityTooLarge, dsl.parse,
                          {'description': 'x' * 1100})
        self.assertEqual('x' * 900,
                         dsl.parse('description: ' + 'x' * 900)['description'])
