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

from convectionclient.osc.v1 import timeline
from convectionclient.tests.unit import base

EXECUTION = {'flow_name': 'deploy', 'flow_version': 3, 'state': 'FAILED',
             'started_at': '2026-12-04T21:00:00',
             'finished_at': '2026-12-04T21:00:10'}


class TestTimeline(base.TestCase):

    def test_bars_scale_to_the_execution(self):
        tasks = [
            {'name': 'notify', 'state': 'SKIPPED'},
            {'name': 'boot', 'state': 'FAILED',
             'started_at': '2026-12-04T21:00:05',
             'finished_at': '2026-12-04T21:00:10'},
            {'name': 'net', 'state': 'SUCCEEDED',
             'started_at': '2026-12-04T21:00:00',
             'finished_at': '2026-12-04T21:00:05'},
        ]
        text = timeline.render(EXECUTION, tasks, width=52)
        self.assertEqual(
            'deploy v3  FAILED  10.0s\n'
            'TASK   STATE      0s               10.0s  DURATION\n'
            'net    SUCCEEDED |###########           |     5.0s\n'
            'boot   FAILED    |          XXXXXXXXXXXX|     5.0s\n'
            'notify SKIPPED   |                      |         \n', text)

    def test_running_task_extends_to_now(self):
        now = datetime.datetime(2026, 12, 4, 21, 0, 20,
                                tzinfo=datetime.UTC)
        running = dict(EXECUTION, state='RUNNING', finished_at=None)
        text = timeline.render(running, [
            {'name': 'wait', 'state': 'WAITING', 'item_index': 2,
             'started_at': '2026-12-04T21:00:10'}], width=40, now=now)
        last = text.splitlines()[-1]
        self.assertTrue(last.startswith('wait[2] WAITING'))
        self.assertIn('=====|    10.0s', last)

    def test_no_tasks(self):
        self.assertTrue(timeline.render(EXECUTION, []).endswith(
            '(no tasks yet)\n'))
