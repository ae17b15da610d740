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

"""/v1/queues/{queue}: claim work items, and see how a queue is doing.

A claim request may wait (long-poll) for items up to
``[queues]max_claim_wait`` seconds; it holds one API worker thread while it
waits, so size the API's threads for the number of idle workers.
"""

import pecan
from pecan import rest
from wsme import types as wtypes

from convection.api import expose
from convection.api.controllers.v1 import types
from convection.common import policy
from convection.db import queues_api


class ClaimRequest(types.APIBase):
    """Body of POST /v1/queues/{queue}/claims."""

    limit = int
    """How many items to take at most (default 1)."""
    wait = float
    """Seconds to wait for an item (long-poll; default 0)."""
    worker = wtypes.text
    """A name for the worker, shown in the queue's live workers."""


class ClaimedItem(types.APIBase):
    claim_token = wtypes.text
    item_id = wtypes.text
    task_id = wtypes.text
    execution_id = wtypes.text
    task_type = wtypes.text
    queue = wtypes.text
    input = types.jsontype
    attempt = int
    heartbeat_timeout = int
    lease_expires_at = wtypes.datetime.datetime


class ClaimedItems(types.APIBase):
    items = [ClaimedItem]


class QueueStats(types.APIBase):
    queue = wtypes.text
    backlog = int
    delayed = int
    oldest_waiting_age = float
    in_flight = int
    live_workers = int
    workers = [wtypes.text]


class QueueClaimsController(rest.RestController):
    """/v1/queues/{queue}/claims"""

    @expose.expose(ClaimedItems, wtypes.text, body=ClaimRequest)
    def post(self, queue, body):
        context = pecan.request.context
        policy.authorize('convection:queue:claim',
                         {'project_id': context.project_id}, context)

        def given(value, default):
            return default if value is wtypes.Unset else value

        items = queues_api.claim(
            context.project_id, queue, limit=given(body.limit, 1),
            worker=given(body.worker, None), wait=given(body.wait, 0))
        return ClaimedItems(items=[ClaimedItem.from_dict(i) for i in items])


class QueuesController(rest.RestController):
    """/v1/queues"""

    claims = QueueClaimsController()

    @expose.expose(QueueStats, wtypes.text)
    def get_one(self, queue):
        context = pecan.request.context
        policy.authorize('convection:queue:get',
                         {'project_id': context.project_id}, context)
        return QueueStats.from_dict(
            queues_api.queue_stats(context.project_id, queue))
