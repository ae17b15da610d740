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

"""Parsed flow definitions, cached per immutable flow version."""

import collections
import random
import threading

import sqlalchemy as sa

from convection.common import exception
from convection.db.sqlalchemy import models
from convection.dsl import spec as dsl_spec
from convection.i18n import _

_CACHE_SIZE = 256

_lock = threading.Lock()
_cache = collections.OrderedDict()


def get(conn, flow_version_id):
    """The FlowSpec of a flow version, parsed once per process.

    Flow versions never change, so a cached spec never goes stale.

    :returns: a ``convection.dsl.spec.FlowSpec``, or None if the version
        no longer exists.
    """
    with _lock:
        spec = _cache.get(flow_version_id)
        if spec is not None:
            _cache.move_to_end(flow_version_id)
            return spec
    definition = conn.execute(
        sa.select(models.FlowVersion.definition).where(
            models.FlowVersion.id == flow_version_id)).scalar()
    if definition is None:
        return None
    spec = dsl_spec.FlowSpec(definition)
    with _lock:
        _cache[flow_version_id] = spec
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return spec


def retry_delay(task_spec, error, attempt):
    """Seconds to wait before retrying a task whose attempt failed.

    The task's retry policy (``TaskSpec.retry``, which already falls back
    to the flow's) allows ``count`` retries after the first attempt.

    :param error: the error dict of the failed attempt.
    :param attempt: the number of the attempt that failed (from 1).
    :returns: the delay, or None if the task must not run again.
    """
    policy = task_spec.retry
    if policy is None or not error.get('retryable', True) or \
            attempt > policy.count or not policy.retries(error.get('type')):
        return None
    delay = policy.delay(attempt)
    if policy.jitter:
        # Spread retries of many tasks failing together (a thundering
        # herd against the same service).
        delay *= 1 - policy.jitter * random.random()
    return delay


def check_retry_compatible(execution_id, old_spec, new_spec, version,
                           kept):
    """Refuse to retry an execution on a flow version it cannot move to.

    The tasks it keeps (those that succeeded) must exist in the new
    version with the same task types: their results are reused as they
    are. The other tasks run again from the new definition.

    :param kept: names of the tasks that succeeded.
    :raises: IncompatibleFlowVersion
    """
    problems = []
    for name in sorted(kept):
        new = new_spec.tasks.get(name)
        if new is None:
            problems.append(_('it has no task %s, which succeeded') % name)
        elif name in old_spec.tasks and \
                new.type != old_spec.tasks[name].type:
            problems.append(_('task %(task)s is of type %(new)s there, not '
                              '%(old)s') % {'task': name, 'new': new.type,
                                            'old': old_spec.tasks[name].type})
    if problems:
        raise exception.IncompatibleFlowVersion(
            execution=execution_id, version=version,
            reason='; '.join(problems))


def clear_cache():
    """Forget every parsed spec (tests reuse flow version ids)."""
    with _lock:
        _cache.clear()
