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

from convection.dsl import secrets
from tests import base

SCHEMA = {'type': 'object', 'properties': {
    'user': {'type': 'string'},
    'password': {'type': 'string', 'secret': True},
    'pin': {'type': 'integer', 'secret': True},
    'note': {'type': 'string', 'secret': False}}}


class TestSecrets(base.TestCase):

    use_database = False

    def test_secret_keys(self):
        self.assertEqual({'password', 'pin'}, secrets.secret_keys(SCHEMA))
        self.assertEqual(frozenset(), secrets.secret_keys(None))

    def test_mask_replaces_values_and_substrings(self):
        keys = secrets.secret_keys(SCHEMA)
        values = secrets.secret_values(keys, {'password': 'pa55', 'pin': 42,
                                              'user': 'ann'})
        self.assertEqual(
            {'cmd': 'login ann *** now', 'pin': '***', 'n': 41,
             'list': ['***', True], 'ok': 'fine'},
            secrets.mask({'cmd': 'login ann pa55 now', 'pin': 42, 'n': 41,
                          'list': ['pa55', True], 'ok': 'fine'}, values))
        self.assertEqual(
            {'user': 'ann', 'password': '***', 'pin': '***'},
            secrets.mask_input(keys, {'user': 'ann', 'password': 'pa55',
                                      'pin': 42}, values))

    def test_empty_secret_masks_nothing(self):
        values = secrets.secret_values({'password'}, {'password': ''})
        self.assertEqual([], values)
        self.assertEqual('text', secrets.mask('text', values))
