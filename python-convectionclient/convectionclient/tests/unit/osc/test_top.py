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
import json
import types

from convectionclient.osc.v1 import top
from convectionclient.tests.unit.osc import base
from convectionclient.v1 import client as v1_client

NOW = datetime.datetime(2026, 12, 4, 22, 0, 0, tzinfo=datetime.UTC)


def running(n, flow='deploy', age=60):
    started = (NOW - datetime.timedelta(seconds=age)).isoformat()[:19]
    return {'id': f'{n:08d}-0000-0000-0000-000000000000', 'flow_name': flow,
            'flow_version': 1, 'state': 'RUNNING', 'started_at': started,
            'created_at': started}


class TopTestCase(base.CLITestCase):

    def setUp(self):
        super().setUp()
        self.executions = [running(1, age=30), running(2, age=90),
                           running(3, flow='backup', age=10)]
        for state in ('PENDING', 'PAUSED', 'CANCELLED', 'TIMED_OUT'):
            self.requests.get(self.url(f'/v1/executions?state={state}'),
                              json={'executions': []})
        self.requests.get(self.url('/v1/executions?state=RUNNING'),
                          json={'executions': self.executions})
        self.requests.get(self.url('/v1/executions?state=FAILED'), json={
            'executions': [{'id': 'ffffffff-1', 'flow_name': 'deploy',
                            'flow_version': 1, 'state': 'FAILED',
                            'finished_at': '2026-12-04T21:58:00',
                            'error': {'task': 'boot',
                                      'message': 'No valid\nhost'}}]})
        for i, counts in ((1, {'SUCCEEDED': 1, 'RUNNING': 1}),
                          (2, {'SUCCEEDED': 3, 'RUNNING': 1}),
                          (3, {'PENDING': 2})):
            self.requests.get(
                self.url(f'/v1/executions/{i:08d}-0000-0000-0000-'
                         '000000000000'),
                json=dict(running(i), task_counts=counts))
        self.requests.get(self.url('/v1/task-types'), json={'task_types': [
            {'name': 'resize', 'queue': 'images'},
            {'name': 'thumbnail', 'queue': 'images'},
            {'name': 'mail', 'queue': 'mail'}]})
        self.requests.get(self.url('/v1/queues/images'), json={
            'queue': 'images', 'backlog': 7, 'delayed': 0,
            'oldest_waiting_age': 125.0, 'in_flight': 2, 'live_workers': 1,
            'workers': ['host-1:10']})
        self.requests.get(self.url('/v1/queues/mail'), json={
            'queue': 'mail', 'backlog': 0, 'delayed': 0,
            'oldest_waiting_age': None, 'in_flight': 0, 'live_workers': 2,
            'workers': ['a:1', 'b:2']})
        self.client = v1_client.Client(endpoint_override=base.base.ENDPOINT)
        self.options = types.SimpleNamespace(limit=200, failures=5,
                                             all_projects=False)

    def snapshot(self):
        return top.collect_snapshot(self.client, self.options, now=NOW)


class TestSnapshot(TopTestCase):

    def test_collect(self):
        snap = self.snapshot()
        self.assertEqual('2026-12-04T22:00:00+00:00', snap['generated_at'])
        self.assertEqual(base.base.ENDPOINT, snap['endpoint'])
        by_id = {e['id'][:8]: e for e in snap['executions']}
        self.assertEqual((3, 4), (by_id['00000002']['tasks_done'],
                                  by_id['00000002']['tasks_total']))
        self.assertEqual(90.0, by_id['00000002']['age'])
        self.assertEqual([{'flow': 'deploy', 'active': 2, 'running': 2,
                           'pending': 0, 'paused': 0, 'oldest_age': 90.0},
                          {'flow': 'backup', 'active': 1, 'running': 1,
                           'pending': 0, 'paused': 0, 'oldest_age': 10.0}],
                         snap['flows'])
        self.assertEqual([{'id': 'ffffffff-1', 'flow': 'deploy',
                           'version': 1, 'state': 'FAILED',
                           'finished_at': '2026-12-04T21:58:00',
                           'ago': 120.0, 'error': 'No valid host'}],
                         snap['recent_failures'])

    def test_queues_busiest_first(self):
        snap = self.snapshot()
        self.assertEqual(
            [{'queue': 'images', 'backlog': 7, 'delayed': 0,
              'oldest_waiting_age': 125.0, 'in_flight': 2,
              'live_workers': 1, 'workers': ['host-1:10']},
             {'queue': 'mail', 'backlog': 0, 'delayed': 0,
              'oldest_waiting_age': None, 'in_flight': 0,
              'live_workers': 2, 'workers': ['a:1', 'b:2']}],
            snap['queues'])
        # One request per queue, however many types share it.
        queue_gets = [r.path for r in self.requests.request_history
                      if r.path.startswith('/v1/queues/')]
        self.assertEqual(['/v1/queues/images', '/v1/queues/mail'],
                         queue_gets)

    def test_queues_left_out_for_roles_without_task_types(self):
        self.requests.get(self.url('/v1/task-types'), status_code=403,
                          json={'error': {'code': 403, 'title': 'Forbidden',
                                          'message': 'Not allowed.'}})
        snap = self.snapshot()
        self.assertEqual([], snap['queues'])
        self.assertEqual(3, len(snap['executions']))

    def test_failures_query(self):
        self.snapshot()
        failed = [r for r in self.requests.request_history
                  if r.qs.get('state') == ['FAILED']][0]
        self.assertEqual({'state': ['FAILED'], 'limit': ['5'],
                          'sort_key': ['finished_at'],
                          'sort_dir': ['desc']}, failed.qs)

    def test_once_json_from_cli(self):
        out, _ = self.run_ok('taskflow', 'top', '--once', '-f', 'json')
        snap = json.loads(out)
        self.assertEqual(['generated_at', 'endpoint', 'executions',
                          'flows', 'queues', 'recent_failures'], list(snap))
        self.assertEqual(3, len(snap['executions']))

    def test_once_table_prints_the_screen(self):
        out, _ = self.run_ok('taskflow', 'top', '--once')
        self.assertIn('Executions: 3 running, 0 pending, 0 paused   '
                      'Queued: 7  Workers: 3', out)
        self.assertIn('RECENT FAILURES', out)
        self.assertIn('images                         7     2m05s         2'
                      '       1  host-1:10', out)

    def test_live_needs_a_terminal(self):
        rc, _, err = self.run_cli('taskflow', 'top')
        self.assertEqual(1, rc)
        self.assertIn('use --once', err)


class TestRender(TopTestCase):

    def test_fits_80x24(self):
        snap = self.snapshot()
        snap['executions'] *= 10
        snap['queues'] *= 10
        snap['recent_failures'] *= 10
        lines = top.render_screen(snap, top.ViewState(), 80, 24)
        self.assertEqual(24, len(lines))
        self.assertTrue(all(len(text) <= 80 for _, text in lines))
        self.assertEqual('footer', lines[-1][0])
        texts = [t for _, t in lines]
        # Every panel keeps its header and some rows.
        for header in ('FLOW ', 'EXECUTION ', 'QUEUE ', 'RECENT FAILURES'):
            index = [i for i, t in enumerate(texts)
                     if t.startswith(header)][0]
            self.assertNotEqual('', texts[index + 1])
        selected = [s for s, _ in lines if s == 'selected']
        self.assertEqual(1, len(selected))

    def test_queue_without_workers_is_highlighted(self):
        snap = self.snapshot()
        snap['queues'][0]['live_workers'] = 0
        lines = top.render_screen(snap, top.ViewState(), 80, 24)
        styles = {t.split()[0]: s for s, t in lines if t}
        self.assertEqual(('failed', 'normal'),
                         (styles['images'], styles['mail']))

    def test_sorts_and_selection(self):
        snap = self.snapshot()
        view = top.ViewState()
        top.render_screen(snap, view, 80, 24)
        self.assertEqual(['00000002', '00000001', '00000003'],
                         [i[:8] for i in view.visible_ids])
        self.assertTrue(view.handle_key('s'))
        self.assertEqual('flow', view.sort)
        top.render_screen(snap, view, 80, 24)
        self.assertEqual(['00000003', '00000002', '00000001'],
                         [i[:8] for i in view.visible_ids])
        view.handle_key('s')
        self.assertEqual('progress', view.sort)
        lines = top.render_screen(snap, view, 80, 24)
        self.assertEqual(['00000003', '00000001', '00000002'],
                         [i[:8] for i in view.visible_ids])
        selected = [t for s, t in lines if s == 'selected']
        self.assertEqual(1, len(selected))
        self.assertTrue(selected[0].startswith('00000003 backup'))

    def test_wide_terminal_shows_whole_ids(self):
        lines = top.render_screen(self.snapshot(), top.ViewState(), 120, 30)
        self.assertTrue(any(t.startswith(running(2)['id'])
                            for _, t in lines))

    def test_keys_drill_down_and_quit(self):
        view = top.ViewState()
        top.render_screen(self.snapshot(), view, 80, 24)
        view.handle_key('down')
        view.handle_key('down')
        view.handle_key('down')  # stays on the last row
        view.handle_key('up')
        view.handle_key('enter')
        self.assertEqual('00000001', view.drilled[:8])
        view.handle_key('s')  # ignored in the drill-down
        self.assertEqual('age', view.sort)
        view.handle_key('b')
        self.assertIsNone(view.drilled)
        view.handle_key('d')
        self.assertEqual('00000001', view.drilled[:8])
        self.assertFalse(view.handle_key('q'))

    def test_enter_without_executions(self):
        view = top.ViewState()
        view.handle_key('enter')
        self.assertIsNone(view.drilled)

    def test_task_screen(self):
        execution = self.client.executions.get(running(2)['id'])
        tasks = [self.client.tasks._resource(t) for t in (
            {'name': 'boot', 'type': 'nova.server', 'state': 'FAILED',
             'attempt': 2, 'duration': 3, 'item_index': -1,
             'error': {'message': 'No valid host'}},
            {'name': 'item', 'type': 'echo', 'state': 'WAITING',
             'attempt': 1, 'item_index': 4, 'blocked_on': 'timer'})]
        lines = top.render_tasks(execution, tasks, 80, 24)
        self.assertEqual(24, len(lines))
        texts = [t for _, t in lines]
        self.assertIn('deploy v1  RUNNING  3/4 tasks', texts[1])
        self.assertTrue(any(t.startswith('boot ') and 'No valid host' in t
                            for t in texts))
        self.assertTrue(any(t.startswith('item[4] ') and 'timer' in t
                            for t in texts))
