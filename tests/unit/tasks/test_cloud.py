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

from convection.tasks import cloud
from tests import base


class DefinitionNeedsTrustTest(base.TestCase):

    use_database = False

    def definition(self, *types):
        return {'version': '1.0', 'name': 'f',
                'tasks': {f't{n}': {'type': t} for n, t in enumerate(types)}}

    def test_cloud_task_types_need_a_trust(self):
        self.assertTrue(cloud.definition_needs_trust(
            self.definition('echo', 'heat.stack')))
        self.assertTrue(cloud.definition_needs_trust(
            self.definition('nova.server')))

    def test_other_task_types_do_not(self):
        self.assertFalse(cloud.definition_needs_trust(
            self.definition('echo', 'sleep', 'no.such.type')))
        self.assertFalse(cloud.definition_needs_trust({'tasks': {}}))
