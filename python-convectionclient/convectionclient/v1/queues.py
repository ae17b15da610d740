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

"""Work queues of tenant task types, and the claims workers hold."""

from convectionclient import exceptions
from convectionclient.common import base

QUEUES = '/v1/queues'
CLAIMS = '/v1/claims'


def queue_url(queue):
    return f'{QUEUES}/{base.quote(queue)}'


def claim_url(token):
    return f'{CLAIMS}/{base.quote(token)}'


def _token_of(claim):
    return claim.claim_token if isinstance(claim, base.Resource) else claim


class Queue(base.Resource):
    pass


class Claim(base.Resource):
    """A claimed work item: ``claim_token``, ``task_id``, ``input``..."""

    def __repr__(self):
        return (f'<Claim task_id={self.get("task_id")!r} '
                f'attempt={self.get("attempt")!r}>')


class QueueManager(base.Manager):
    resource_class = Queue

    def get(self, queue):
        """How a queue is doing: ``backlog``, ``delayed``,
        ``oldest_waiting_age`` (seconds), ``in_flight``, ``live_workers``
        and ``workers``.
        """
        return self._get(queue_url(queue))

    def claim(self, queue, limit=1, wait=None, worker=None):
        """Claim up to ``limit`` work items of a queue.

        :param wait: seconds the service may hold the request until an
            item comes (long poll; capped by the service).
        :param worker: a name shown among the queue's live workers.
        :returns: a list of :class:`Claim`, empty when nothing came.
        """
        if limit < 1:
            raise exceptions.InvalidInput(
                f'limit must be a positive integer, not {limit!r}.')
        body = {'limit': int(limit)}
        if wait:
            body['wait'] = float(wait)
        if worker:
            body['worker'] = worker
        _, answer = self.http.json_request(
            'POST', f'{queue_url(queue)}/claims', body=body)
        return [Claim(self.client.claims, item)
                for item in (answer or {}).get('items', [])]


class ClaimManager(base.Manager):
    """Heartbeat, complete or fail a claim by its token."""

    resource_class = Claim

    def heartbeat(self, claim, progress=None):
        """Renew the claim's lease; ``progress`` is any JSON document.

        :returns: the claim with its new ``lease_expires_at``.
        :raises: Conflict when the claim expired or was superseded.
        """
        body = {} if progress is None else {'progress': progress}
        _, answer = self._post(f'{claim_url(_token_of(claim))}/heartbeat',
                               body)
        return answer

    def complete(self, claim, output=None):
        """Complete the item with an output (checked by the service
        against the task type's output schema).
        """
        body = {} if output is None else {'output': output}
        _, answer = self._post(f'{claim_url(_token_of(claim))}/complete',
                               body)
        return answer

    def fail(self, claim, message, error_type=None, retryable=True,
             details=None):
        """Fail the item; the task's retry policy applies when
        ``retryable``.
        """
        body = {'message': str(message), 'retryable': bool(retryable)}
        if error_type:
            body['error_type'] = error_type
        if details is not None:
            body['details'] = details
        _, answer = self._post(f'{claim_url(_token_of(claim))}/fail', body)
        return answer
