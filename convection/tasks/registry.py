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

"""Loads task types from the ``convection.task_types`` entry points."""

import threading

from oslo_log import log
import stevedore

from convection.common import exception

LOG = log.getLogger(__name__)

NAMESPACE = 'convection.task_types'

_lock = threading.Lock()
_task_types = None


def get_task_types():
    """All built-in task types, ``{name: TaskType instance}``, loaded once."""
    global _task_types
    if _task_types is None:
        with _lock:
            if _task_types is None:
                _task_types = _load()
    return _task_types


def get_task_type(name):
    """The task type called ``name``.

    :raises: TaskTypeNotFound
    """
    try:
        return get_task_types()[name]
    except KeyError:
        raise exception.TaskTypeNotFound(task_type=name) from None


def _load():
    def _on_failure(manager, entrypoint, error):
        LOG.error('Cannot load task type %(name)s: %(err)s',
                  {'name': entrypoint.name, 'err': error})

    manager = stevedore.ExtensionManager(
        NAMESPACE, invoke_on_load=True,
        on_load_failure_callback=_on_failure)
    types = {}
    for ext in manager:
        ext.obj.name = ext.name
        types[ext.name] = ext.obj
    return types
