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

"""Server side of the engine RPC API."""

import collections
import threading

from oslo_config import cfg
from oslo_log import log
import oslo_messaging as messaging

from convection.common import context as convection_context
from convection.common import keystone
from convection.common import rpc
from convection.common import states
from convection.conductor import rpcapi as conductor_rpcapi
from convection.engine import machine
from convection.engine import sweeper
from convection.engine import trusts
from convection.webhooks import delivery as webhook_delivery

CONF = cfg.CONF
LOG = log.getLogger(__name__)

# Task runs per run_tasks cast, so a large fan-out spreads over conductors.
_DISPATCH_CHUNK = 100


class EngineManager:
    """Applies every state transition of executions and their tasks.

    API version history: see :class:`convection.engine.rpcapi.EngineAPI`.
    """

    RPC_API_VERSION = '1.1'
    topic = rpc.ENGINE_TOPIC
    binary = 'convection-engine'

    target = messaging.Target(version=RPC_API_VERSION)

    def __init__(self, host):
        self.host = host
        self.conductor_api = None
        self._sweeper = None
        self._webhooks = None
        self._trust_reaper = None
        # Results wait here per execution while another thread applies an
        # earlier batch of the same execution: the next transaction then
        # takes them all at once.
        self._queue_lock = threading.Lock()
        self._queued = collections.defaultdict(list)
        self._draining = set()

    def init_host(self):
        self.conductor_api = conductor_rpcapi.ConductorAPI()
        self._sweeper = sweeper.Sweeper(self)
        self._sweeper.start()
        self._webhooks = webhook_delivery.delivery_worker()
        self._webhooks.start()
        if keystone.is_configured():
            self._trust_reaper = trusts.trust_reaper()
            self._trust_reaper.start()

    def del_host(self):
        if self._trust_reaper is not None:
            self._trust_reaper.stop()
            self._trust_reaper = None
        if self._webhooks is not None:
            self._webhooks.stop()
            self._webhooks = None
        if self._sweeper is not None:
            self._sweeper.stop()
            self._sweeper = None

    # RPC endpoints

    def start_execution(self, context, execution_id):
        self._after(machine.start_execution(execution_id, self.host))

    def cancel_execution(self, context, execution_id):
        self._after(machine.cancel_execution(execution_id, self.host))

    def pause_execution(self, context, execution_id):
        if self._after(machine.pause_execution(execution_id, self.host)):
            LOG.info('Paused execution %s', execution_id)

    def resume_execution(self, context, execution_id):
        if self._after(machine.resume_execution(execution_id, self.host)):
            LOG.info('Resumed execution %s', execution_id)

    def retry_execution(self, context, execution_id, flow_version_id=None,
                        flow_version=None, trust_id=None):
        if self._after(machine.retry_execution(
                execution_id, self.host, flow_version_id, flow_version,
                trust_id=trust_id)):
            LOG.info('Retrying execution %s', execution_id)
        if trust_id is not None and not trusts.holds_trust(execution_id,
                                                           trust_id):
            # Not retried after all (retried twice, or no longer failed).
            keystone.delete_unused_trust(trust_id)

    def report_task_results(self, context, results):
        by_execution = collections.defaultdict(list)
        for result in results:
            by_execution[result['execution_id']].append(result)
        for execution_id, batch in by_execution.items():
            self._drain(execution_id, batch)

    # Internals shared with the sweeper

    def _drain(self, execution_id, results):
        with self._queue_lock:
            self._queued[execution_id].extend(results)
            if execution_id in self._draining:
                return
            self._draining.add(execution_id)
        while True:
            with self._queue_lock:
                batch = self._queued.pop(execution_id, None)
                if not batch:
                    self._draining.discard(execution_id)
                    return
            try:
                self._after(machine.apply_results(execution_id, batch,
                                                  self.host))
            except Exception:
                # The leases of these tasks expire and the sweeper retries
                # them; nothing was half-applied.
                LOG.exception('Cannot apply %(n)d result(s) of execution '
                              '%(id)s', {'n': len(batch), 'id': execution_id})

    def _after(self, outcome):
        """Log the end of an execution, cast its task runs and cancels.

        :returns: whether the transition changed anything.
        """
        execution, runs, cancels = outcome[:3]
        if execution is None:
            return False
        if execution['state'] in states.EXECUTION_TERMINAL_STATES:
            LOG.info('Execution %(id)s %(state)s',
                     {'id': execution['id'], 'state': execution['state']})
        # Child flows: a lost step here is caught by the sweeper (a child
        # left PENDING is started) or by the parent task's timeout.
        for child_id in outcome.start:
            self._after(machine.start_execution(child_id, self.host))
        for child_id in outcome.stop:
            self._after(machine.cancel_execution(child_id, self.host))
        for child_id in outcome.pause:
            self._after(machine.pause_execution(child_id, self.host))
        for child_id in outcome.resume:
            self._after(machine.resume_execution(child_id, self.host))
        if outcome.report:
            self.report_task_results(None, list(outcome.report))
        if not runs and not cancels:
            return True
        context = convection_context.for_execution(execution)
        for start in range(0, len(runs), _DISPATCH_CHUNK):
            self.conductor_api.run_tasks(
                context, runs[start:start + _DISPATCH_CHUNK])
        if cancels:
            if self.conductor_api.can_cancel_tasks():
                self.conductor_api.cancel_tasks(context, cancels)
            else:
                LOG.warning('The conductors are too old to clean up after '
                            '%d cancelled task run(s) of execution %s',
                            len(cancels), execution['id'])
        return True
