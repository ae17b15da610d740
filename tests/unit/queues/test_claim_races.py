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

"""Concurrent workers claiming from one queue, on every backend.

PostgreSQL and MariaDB run on real servers (see tests.unit.db.backends):
their claims rely on ``SELECT ... FOR UPDATE SKIP LOCKED``, SQLite's on
its writer lock.
"""

import collections
import threading

import testscenarios

from convection.db import queues_api
from convection.db.sqlalchemy import session
from tests import base
from tests.unit.db import backends
from tests.unit.queues import base as queue_base

load_tests = testscenarios.load_tests_apply_scenarios

WORKERS = 8
ITEMS = 60


class ClaimRaceTest(base.TestCase):

    use_database = False
    scenarios = [(b, {'backend': b})
                 for b in ('sqlite', 'postgresql', 'mysql')]

    def setUp(self):
        super().setUp()
        self.useFixture(backends.MigratedDatabase(self.backend))
        self.task_type, _created = queues_api.create_task_type(
            queue_base.PROJECT, 'u', {'name': 'resize'})
        execution_id = queue_base.make_execution()
        with session.writer_connection() as conn:
            for n in range(ITEMS):
                # Work items do not need their task rows.
                queues_api.enqueue_in(
                    conn, self.task_type, execution_id,
                    f'{n:08d}-0000-0000-0000-000000000000', 1, {'n': n})

    def test_no_item_is_claimed_twice(self):
        taken = collections.Counter()
        errors = []
        start = threading.Barrier(WORKERS)

        def work(index):
            try:
                start.wait()
                while True:
                    items = queues_api.claim(
                        queue_base.PROJECT, 'resize', limit=1 + index % 3,
                        worker=f'w{index}')
                    if not items:
                        return
                    for item in items:
                        taken[item['task_id']] += 1
                        queues_api.complete(queue_base.PROJECT,
                                            item['claim_token'],
                                            {'by': index})
            except Exception as e:
                errors.append(e)

        threads = [threading.Thread(target=work, args=(i,))
                   for i in range(WORKERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual([], errors)
        self.assertEqual(ITEMS, len(taken))
        self.assertEqual({1}, set(taken.values()))
        stats = queues_api.queue_stats(queue_base.PROJECT, 'resize')
        self.assertEqual((0, 0), (stats['backlog'], stats['in_flight']))
        self.assertEqual(WORKERS, stats['live_workers'])
