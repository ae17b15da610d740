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

"""Client side of the conductor RPC API."""

import oslo_messaging as messaging

from convection.common import rpc


class ConductorAPI:
    """Client side of the conductor RPC API.

    API version history:

    * 1.0 - Initial version: run_tasks.
    * 1.1 - Add cancel_tasks.
    """

    RPC_API_VERSION = '1.1'

    def __init__(self):
        target = messaging.Target(topic=rpc.CONDUCTOR_TOPIC,
                                  version=self.RPC_API_VERSION)
        self.client = rpc.get_client(
            target, version_cap=self.RPC_API_VERSION)

    def run_tasks(self, context, tasks):
        """Run task runs on any conductor; results come back by cast.

        :param context: request context of the execution's tenant.
        :param tasks: list of dicts, one per task run::

            {"id": "<task id>", "execution_id": "...", "name": "boot",
             "type": "noop", "attempt": 1, "input": {...},
             "run_state": ... or None, "project_id": "...",
             "user_id": "...", "trust_id": ... or None}
        """
        cctxt = self.client.prepare(version='1.0')
        cctxt.cast(context, 'run_tasks', tasks=tasks)

    def can_cancel_tasks(self):
        """Whether the conductors can take ``cancel_tasks`` (1.1)."""
        return self.client.can_send_version('1.1')

    def cancel_tasks(self, context, tasks):
        """Have a conductor clean up after task runs that were stopped.

        It calls each task type's ``cancel(context, inputs)`` (delete the
        server it was building...). The engine has already recorded the
        tasks as CANCELLED or TIMED_OUT; a run still in progress finishes
        and its result is ignored.

        :param context: request context of the execution's tenant.
        :param tasks: task run dicts, as for :meth:`run_tasks`.
        """
        cctxt = self.client.prepare(version='1.1')
        cctxt.cast(context, 'cancel_tasks', tasks=tasks)
