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

from convection.common import exception
from tests import base


class ExceptionTestCase(base.TestCase):
    use_database = False

    def test_message_from_format(self):
        exc = exception.FlowNotFound(flow='deploy')
        self.assertEqual('Flow deploy could not be found.', str(exc))
        self.assertEqual(404, exc.code)

    def test_flow_definition_errors_name_their_path(self):
        exc = exception.InvalidFlowDefinition([
            {'path': 'tasks.boot.requires[0]', 'message': 'unknown task x'},
            {'path': '', 'message': 'no tasks'}])
        self.assertEqual(
            'Invalid flow definition: tasks.boot.requires[0]: unknown task '
            'x; no tasks', str(exc))
        self.assertEqual(400, exc.code)
        self.assertEqual(2, len(exc.errors))
