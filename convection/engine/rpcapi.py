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

"""Client side of the engine RPC API."""


import oslo_messaging as messaging

from convection.common import rpc


class EngineAPI:
    """Client side of the engine RPC API.

    Every method is a cast to any engine (anycast): the engine keeps no
    state outside the database, so whichever engine takes the message can
    apply it.

    API version history:

    * 1.0 - Initial version: start_execution, cancel_execution,
      report_task_results.
    * 1.1 - Add pause_execution, resume_execution, retry_execution.
    """

    RPC_API_VERSION = '1.1'

    def __init__(self):
        target = messaging.Target(topic=rpc.ENGINE_TOPIC,
                                  version=self.RPC_API_VERSION)
        self.client = rpc.get_client(target,
                                     version_cap=self.RPC_API_VERSION)

    def start_execution(self, context, execution_id):
        """Start an execution the API stored in state PENDING.

        :param context: request context.
        :param execution_id: id of the execution.
        """
        cctxt = self.client.prepare(version='1.0')
        cctxt.cast(context, 'start_execution', execution_id=execution_id)

    def cancel_execution(self, context, execution_id):
        """Cancel an execution and its active tasks.

        :param context: request context.
        :param execution_id: id of the execution.
        """
        cctxt = self.client.prepare(version='1.0')
        cctxt.cast(context, 'cancel_execution', execution_id=execution_id)

    def pause_execution(self, context, execution_id):
        """Pause a RUNNING execution: no new task starts until resumed.

        :param context: request context.
        :param execution_id: id of the execution.
        """
        cctxt = self.client.prepare(version='1.1')
        cctxt.cast(context, 'pause_execution', execution_id=execution_id)

    def resume_execution(self, context, execution_id):
        """Resume a PAUSED execution.

        :param context: request context.
        :param execution_id: id of the execution.
        """
        cctxt = self.client.prepare(version='1.1')
        cctxt.cast(context, 'resume_execution', execution_id=execution_id)

    def retry_execution(self, context, execution_id, flow_version_id=None,
                        flow_version=None, trust_id=None):
        """Run a FAILED or TIMED_OUT execution again from its failures.

        :param context: request context.
        :param execution_id: id of the execution.
        :param flow_version_id: id of the flow version to move to (already
            checked compatible), or None to keep the execution's.
        :param flow_version: the number of that version.
        :param trust_id: a new Keystone trust for the retried run, when the
            execution's own was already deleted; the engine deletes it if
            it does not use it.
        """
        cctxt = self.client.prepare(version='1.1')
        extra = {} if trust_id is None else {'trust_id': trust_id}
        cctxt.cast(context, 'retry_execution', execution_id=execution_id,
                   flow_version_id=flow_version_id,
                   flow_version=flow_version, **extra)

    def report_task_results(self, context, results):
        """Hand the results of task runs to the engine.

        :param context: request context.
        :param results: list of dicts, one per task run::

            {"task_id": "...", "execution_id": "...", "attempt": 1,
             "name": "boot",                     # optional
             "status": "succeeded" | "failed" | "wait",
             "output": ...,                      # succeeded
             "error": {"message": "...", "type": "TaskError",
                       "retryable": true, "details": ...},  # failed
             "delay": 5.0, "run_state": ...}      # wait
        """
        cctxt = self.client.prepare(version='1.0')
        cctxt.cast(context, 'report_task_results', results=results)
