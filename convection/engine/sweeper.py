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

"""The engine's recovery loop: durable timers, expired leases, lost starts.

Every engine runs one; they need no coordination because each item is
handled in a transaction that locks its execution and re-checks the item
(a timer already fired, a lease renewed, an execution already started by
another engine are all no-ops).
"""

import datetime

from oslo_config import cfg
from oslo_log import log
from oslo_utils import timeutils

from convection.common import periodic
from convection.db import queues_api
from convection.engine import machine
from convection.tasks import tenant

CONF = cfg.CONF
LOG = log.getLogger(__name__)


class Sweeper:

    def __init__(self, manager):
        self._manager = manager
        self._thread = periodic.PeriodicThread(
            'convection-engine-sweeper', self.sweep,
            lambda: CONF.engine.timer_interval)

    def start(self):
        self._thread.start()

    def stop(self):
        self._thread.stop()

    def sweep(self, now=None):
        """One pass; returns how many items it handled."""
        now = now or timeutils.utcnow()
        limit = CONF.engine.timer_batch_size
        host = self._manager.host
        handled = 0
        for execution_id in machine.due_timer_executions(now, limit):
            self._manager._after(machine.fire_timers(execution_id, host,
                                                     now=now))
            handled += 1
        for execution_id, task_id in machine.expired_leases(now, limit):
            LOG.debug('Lease of task %(task)s of execution %(exe)s '
                      'expired', {'task': task_id, 'exe': execution_id})
            self._manager._after(machine.expire_lease(execution_id, task_id,
                                                      host, now=now))
            handled += 1
        # Work items whose every claim expired fail their task attempt;
        # finished items whose result never reached an engine are resent.
        items = queues_api.expire_leases(limit) + queues_api.unreported(
            now - datetime.timedelta(seconds=CONF.engine.dispatch_timeout),
            limit)
        if items:
            self._manager.report_task_results(
                None, [tenant.result_of(item) for item in items])
            handled += len(items)
        older_than = now - datetime.timedelta(
            seconds=CONF.engine.dispatch_timeout)
        # Child flows whose end, or whose parent's end, was lost (an
        # engine died between a commit and what follows it).
        results = machine.lost_child_results(older_than, limit)
        if results:
            self._manager.report_task_results(None, results)
            handled += len(results)
        for execution_id in machine.orphaned_children(limit):
            LOG.warning('Execution %s outlived its parent; cancelling it',
                        execution_id)
            self._manager._after(machine.cancel_execution(execution_id,
                                                          host))
            handled += 1
        for execution_id in machine.stuck_pending_executions(older_than,
                                                             limit):
            LOG.warning('Execution %s was never started; starting it',
                        execution_id)
            self._manager._after(machine.start_execution(execution_id,
                                                         host))
            handled += 1
        return handled
