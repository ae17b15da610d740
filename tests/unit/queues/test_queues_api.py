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

import threading
import time

from oslo_utils import timeutils

from convection.common import exception
from convection.common import states
from convection.db import queues_api
from convection.db.sqlalchemy import session
from tests import base
from tests.unit.queues import base as queue_base

PROJECT = queue_base.PROJECT
OTHER = queue_base.OTHER_PROJECT


class TaskTypeTest(base.TestCase):

    def test_register_versions_and_identical_registration(self):
        first, created = queues_api.create_task_type(
            PROJECT, 'u', {'name': 'resize'})
        self.assertTrue(created)
        self.assertEqual(1, first['version'])
        self.assertEqual('resize', first['queue'])
        again, created = queues_api.create_task_type(
            PROJECT, 'u', {'name': 'resize'})
        self.assertFalse(created)
        self.assertEqual(first['id'], again['id'])
        second, created = queues_api.create_task_type(
            PROJECT, 'u', {'name': 'resize', 'heartbeat_timeout': 30})
        self.assertTrue(created)
        self.assertEqual(2, second['version'])
        self.assertEqual(
            [2], [t['version'] for t in queues_api.list_task_types(PROJECT)])
        self.assertEqual(
            1, queues_api.get_task_type(PROJECT, 'resize', 1)['version'])
        self.assertEqual([], queues_api.list_task_types(OTHER))

    def test_bad_registrations_are_refused(self):
        for values in ({'name': '1abc'},
                       {'name': 'a', 'queue': 'has space'},
                       {'name': 'a', 'input_schema': {'type': 'nonsense'}},
                       {'name': 'a', 'output_schema': []},
                       {'name': 'a', 'heartbeat_timeout': 0},
                       {'name': 'a', 'retry': {'count': -1}},
                       {'name': 'a', 'colour': 'red'}):
            self.assertRaises(exception.InvalidParameterValue,
                              queues_api.create_task_type, PROJECT, 'u',
                              values)
        self.assertEqual([], queues_api.list_task_types(PROJECT))

    def test_builtin_names_are_reserved(self):
        self.assertRaises(exception.TaskTypeNameReserved,
                          queues_api.create_task_type, PROJECT, 'u',
                          {'name': 'echo'})

    def test_delete_refused_while_in_use(self):
        queues_api.create_task_type(PROJECT, 'u', {'name': 'resize'})
        execution_id = queue_base.make_execution()
        queue_base.make_task(execution_id, 'resize')
        self.assertRaises(exception.TaskTypeInUse,
                          queues_api.delete_task_type, PROJECT, 'resize')
        self.assertEqual('resize',
                         queues_api.get_task_type(PROJECT, 'resize')['name'])

    def test_delete(self):
        queues_api.create_task_type(PROJECT, 'u', {'name': 'resize'})
        queues_api.create_task_type(PROJECT, 'u',
                                    {'name': 'resize', 'timeout': 5})
        finished = queue_base.make_execution(state=states.SUCCEEDED)
        queue_base.make_task(finished, 'resize', state=states.SUCCEEDED)
        queues_api.delete_task_type(PROJECT, 'resize')
        self.assertRaises(exception.TaskTypeNotFound,
                          queues_api.get_task_type, PROJECT, 'resize')
        self.assertRaises(exception.TaskTypeNotFound,
                          queues_api.delete_task_type, PROJECT, 'resize')


class ClaimTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.task_type, _created = queues_api.create_task_type(
            PROJECT, 'u', {
                'name': 'resize', 'queue': 'images',
                'heartbeat_timeout': 10,
                'retry': {'count': 1},
                'output_schema': {
                    'type': 'object',
                    'properties': {'size': {'type': 'integer'}},
                    'required': ['size']}})
        timeutils.set_time_override()
        self.addCleanup(timeutils.clear_time_override)

    def _claim_one(self, worker='w1'):
        items = queues_api.claim(PROJECT, 'images', worker=worker)
        self.assertEqual(1, len(items))
        return items[0]

    def test_claim_hands_an_item_out_once(self):
        task_id = queue_base.enqueue(self.task_type, {'image': 'x'})
        item = self._claim_one()
        self.assertEqual(task_id, item['task_id'])
        self.assertEqual({'image': 'x'}, item['input'])
        self.assertEqual(1, item['attempt'])
        self.assertEqual('resize', item['task_type'])
        self.assertEqual(72, len(item['claim_token']))
        self.assertEqual(
            timeutils.utcnow() + timeutils.datetime.timedelta(seconds=10),
            item['lease_expires_at'])
        self.assertEqual([], queues_api.claim(PROJECT, 'images'))
        # Other projects' workers never see it.
        self.assertEqual([], queues_api.claim(OTHER, 'images'))

    def test_claim_batch_in_order(self):
        first = queue_base.enqueue(self.task_type)
        timeutils.advance_time_seconds(1)
        second = queue_base.enqueue(self.task_type)
        items = queues_api.claim(PROJECT, 'images', limit=5)
        self.assertEqual([first, second], [i['task_id'] for i in items])

    def test_delayed_item_waits(self):
        queue_base.enqueue(self.task_type, delay=30)
        self.assertEqual([], queues_api.claim(PROJECT, 'images'))
        timeutils.advance_time_seconds(31)
        self._claim_one()

    def test_bad_claim_requests(self):
        for kwargs in ({'limit': 0}, {'limit': 1000}, {'wait': -1},
                       {'limit': True}, {'worker': ''}):
            self.assertRaises(exception.InvalidParameterValue,
                              queues_api.claim, PROJECT, 'images', **kwargs)
        self.assertRaises(exception.InvalidParameterValue,
                          queues_api.claim, PROJECT, '../x')

    def test_heartbeat_extends_lease_and_keeps_progress(self):
        queue_base.enqueue(self.task_type)
        item = self._claim_one()
        timeutils.advance_time_seconds(8)
        held = queues_api.heartbeat(PROJECT, item['claim_token'],
                                    {'percent': 40})
        self.assertEqual({'percent': 40}, held['progress'])
        self.assertEqual(
            timeutils.utcnow() + timeutils.datetime.timedelta(seconds=10),
            held['lease_expires_at'])
        # Past the first lease, within the extended one: still held.
        timeutils.advance_time_seconds(8)
        self.assertEqual([], queues_api.claim(PROJECT, 'images'))
        done = queues_api.complete(PROJECT, item['claim_token'],
                                   {'size': 3})
        self.assertEqual(queues_api.DONE, done['state'])
        self.assertEqual({'output': {'size': 3}}, done['result'])
        self.assertEqual(
            {'percent': 40},
            queues_api.get_item_for_task(item['task_id'])['progress'])

    def test_complete_twice_is_refused(self):
        queue_base.enqueue(self.task_type)
        item = self._claim_one()
        queues_api.complete(PROJECT, item['claim_token'], {'size': 1})
        e = self.assertRaises(exception.ClaimNotValid, queues_api.complete,
                              PROJECT, item['claim_token'], {'size': 2})
        self.assertIn('already completed', str(e))
        self.assertEqual(409, e.code)
        self.assertRaises(exception.ClaimNotValid, queues_api.fail,
                          PROJECT, item['claim_token'], 'boom')
        self.assertEqual(
            {'output': {'size': 1}},
            queues_api.get_item_for_task(item['task_id'])['result'])

    def test_invalid_output_keeps_item_claimed(self):
        queue_base.enqueue(self.task_type)
        item = self._claim_one()
        e = self.assertRaises(exception.InvalidTaskOutput,
                              queues_api.complete, PROJECT,
                              item['claim_token'], {'size': 'big'})
        self.assertEqual(400, e.code)
        self.assertIn('size', str(e))
        stored = queues_api.get_item_for_task(item['task_id'])
        self.assertEqual(queues_api.CLAIMED, stored['state'])
        self.assertIsNone(stored['result'])
        queues_api.complete(PROJECT, item['claim_token'], {'size': 2})

    def test_unknown_and_foreign_tokens(self):
        queue_base.enqueue(self.task_type)
        item = self._claim_one()
        for token in ('nonsense', 'f' * 72, item['claim_token'][:32] + 'x'):
            e = self.assertRaises(exception.ClaimNotFound,
                                  queues_api.complete, PROJECT, token, {})
            self.assertEqual(404, e.code)
        self.assertRaises(exception.ClaimNotFound, queues_api.heartbeat,
                          OTHER, item['claim_token'])
        self.assertRaises(exception.ClaimNotFound, queues_api.complete,
                          OTHER, item['claim_token'], {'size': 1})
        self.assertEqual(
            queues_api.CLAIMED,
            queues_api.get_item_for_task(item['task_id'])['state'])

    def test_expired_lease_is_redelivered_and_counts_an_attempt(self):
        queue_base.enqueue(self.task_type)
        first = self._claim_one('w1')
        timeutils.advance_time_seconds(11)
        e = self.assertRaises(exception.ClaimNotValid, queues_api.complete,
                              PROJECT, first['claim_token'], {'size': 1})
        self.assertIn('lease expired', str(e))
        second = self._claim_one('w2')
        self.assertEqual(first['task_id'], second['task_id'])
        self.assertEqual(2, second['attempt'])
        # The dead worker comes back: its claim was superseded.
        self.assertRaises(exception.ClaimNotValid, queues_api.heartbeat,
                          PROJECT, first['claim_token'])
        queues_api.complete(PROJECT, second['claim_token'], {'size': 1})

    def test_lease_expiries_exhaust_attempts(self):
        queue_base.enqueue(self.task_type)
        self._claim_one()
        timeutils.advance_time_seconds(11)
        self.assertEqual([], queues_api.expire_leases())
        self._claim_one()
        timeutils.advance_time_seconds(11)
        # retry count 1: two claims allowed, both expired.
        self.assertEqual([], queues_api.claim(PROJECT, 'images'))
        failed = queues_api.expire_leases()
        self.assertEqual(1, len(failed))
        self.assertEqual(queues_api.FAILED, failed[0]['state'])
        self.assertEqual('LeaseExpired', failed[0]['result']['error_type'])
        self.assertEqual([], queues_api.expire_leases())

    def test_task_type_timeout(self):
        timed, _created = queues_api.create_task_type(
            PROJECT, 'u', {'name': 'slow', 'queue': 'images',
                           'timeout': 30})
        ids = {queue_base.enqueue(timed), queue_base.enqueue(timed)}
        # Both were queued at the same (frozen) instant: either may come
        # first.
        item = self._claim_one()
        claimed_id = item['task_id']
        (waiting_id,) = ids - {claimed_id}
        timeutils.advance_time_seconds(31)
        e = self.assertRaises(exception.ClaimNotValid, queues_api.heartbeat,
                              PROJECT, item['claim_token'])
        self.assertIn('timeout', str(e))
        self.assertEqual([], queues_api.claim(PROJECT, 'images'))
        failed = queues_api.expire_leases()
        self.assertEqual({claimed_id, waiting_id},
                         {i['task_execution_id'] for i in failed})
        self.assertEqual({('TaskTimeout', True)},
                         {(i['result']['error_type'],
                           i['result']['retryable']) for i in failed})

    def test_fail(self):
        queue_base.enqueue(self.task_type)
        item = self._claim_one()
        self.assertRaises(exception.InvalidParameterValue, queues_api.fail,
                          PROJECT, item['claim_token'], '')
        self.assertRaises(exception.InvalidParameterValue, queues_api.fail,
                          PROJECT, item['claim_token'], 'x',
                          error_type='not a name')
        failed = queues_api.fail(PROJECT, item['claim_token'], 'disk full',
                                 error_type='DiskFull', retryable=False)
        self.assertEqual(
            {'error_type': 'DiskFull', 'message': 'disk full',
             'retryable': False, 'details': None}, failed['result'])

    def test_cancelled_item_stops_its_worker(self):
        task_id = queue_base.enqueue(self.task_type)
        item = self._claim_one()
        with session.writer() as s:
            self.assertEqual(1, queues_api.cancel_in(s, [task_id]))
        e = self.assertRaises(exception.ClaimNotValid, queues_api.heartbeat,
                              PROJECT, item['claim_token'])
        self.assertIn('cancelled', str(e))

    def test_queue_stats(self):
        queue_base.enqueue(self.task_type)
        timeutils.advance_time_seconds(5)
        queue_base.enqueue(self.task_type)
        queue_base.enqueue(self.task_type, delay=60)
        timeutils.advance_time_seconds(2)
        stats = queues_api.queue_stats(PROJECT, 'images')
        self.assertEqual(2, stats['backlog'])
        self.assertEqual(1, stats['delayed'])
        self.assertEqual(7.0, stats['oldest_waiting_age'])
        self.assertEqual(0, stats['in_flight'])
        self._claim_one('w1')
        stats = queues_api.queue_stats(PROJECT, 'images')
        self.assertEqual(1, stats['backlog'])
        self.assertEqual(1, stats['in_flight'])
        self.assertEqual(['w1'], stats['workers'])
        timeutils.advance_time_seconds(61)
        stats = queues_api.queue_stats(PROJECT, 'images')
        self.assertEqual(0, stats['live_workers'])
        self.assertEqual(0, queues_api.queue_stats(OTHER, 'images')[
            'backlog'])


class LongPollTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.task_type, _created = queues_api.create_task_type(
            PROJECT, 'u', {'name': 'resize'})
        self.config(claim_poll_interval=0.05, group='queues')

    def test_waits_then_returns_empty(self):
        started = time.monotonic()
        self.assertEqual([], queues_api.claim(PROJECT, 'resize', wait=0.3))
        self.assertGreaterEqual(time.monotonic() - started, 0.3)

    def test_wait_is_capped(self):
        self.config(max_claim_wait=0, group='queues')
        started = time.monotonic()
        self.assertEqual([], queues_api.claim(PROJECT, 'resize', wait=30))
        self.assertLess(time.monotonic() - started, 1)

    def test_item_enqueued_during_the_wait_is_returned(self):
        timer = threading.Timer(0.2, queue_base.enqueue, [self.task_type])
        timer.start()
        self.addCleanup(timer.join)
        started = time.monotonic()
        items = queues_api.claim(PROJECT, 'resize', wait=5)
        self.assertEqual(1, len(items))
        self.assertLess(time.monotonic() - started, 4)
