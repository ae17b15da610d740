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

"""The database API of the REST API layer (and of the services' records).

Every function runs in its own transaction and returns plain dicts
(``Model.as_dict()`` plus the computed fields named below), never ORM
objects. Datetimes are naive UTC. Lists use keyset pagination: ``marker``
is the id of the last item of the previous page and must exist (else the
matching NotFound is raised); ``limit`` None means no limit.

The engine's state transitions do not go through here; see
``convection/engine/``.
"""

from convection.db.sqlalchemy import api as impl

# Flows


def create_flow_version(project_id, user_id, name, definition, source,
                        description, checksum, visibility=None):
    """Register a flow document as the next version of flow ``name``.

    Creates the flow (private unless ``visibility`` says otherwise) on its
    first registration. If the latest version has the same ``checksum``
    nothing is written (except a changed ``visibility``) and that version
    is returned. Concurrent registrations of one name get distinct,
    consecutive version numbers.

    :param visibility: 'private' or 'public'; None keeps the flow's
        current visibility.
    :returns: ``(flow, version, created)``: the flow dict (with the latest
        version's ``description``), the flow version dict (with
        ``flow_name``) and whether a new version was stored.
    """
    return impl.create_flow_version(
        project_id=project_id, user_id=user_id, name=name,
        definition=definition, source=source, description=description,
        checksum=checksum, visibility=visibility)


def get_flow(project_id, name_or_id, include_public=True):
    """A flow by id or by name, as ``project_id`` sees it.

    By id: the project's own flow, or a public one. By name: the project's
    own flow first, else the one public flow of that name of another
    project. ``project_id`` None (admin) sees every project's flows; a name
    must then be unique across projects.

    :returns: a flow dict with ``description`` and ``definition`` of the
        latest version.
    :raises: FlowNotFound if there is no such flow visible to the project.
    :raises: FlowNameAmbiguous if several visible flows have that name.
    """
    return impl.get_flow(project_id, name_or_id,
                         include_public=include_public)


def list_flows(project_id, limit=None, marker=None, sort_key='created_at',
               sort_dir='desc', include_public=True, filters=None):
    """Flows of ``project_id`` (and public ones), or of all if None.

    :param sort_key: one of 'name', 'created_at', 'updated_at'.
    :param filters: a dict with any of 'name', 'visibility'.
    :returns: a list of flow dicts with the latest ``description``.
    :raises: InvalidParameterValue for an unknown sort key, direction or
        filter, or a bad limit.
    :raises: FlowNotFound if ``marker`` names no flow.
    """
    return impl.list_flows(project_id, limit=limit, marker=marker,
                           sort_key=sort_key, sort_dir=sort_dir,
                           include_public=include_public, filters=filters)


def update_flow(flow_id, visibility):
    """Change a flow's visibility ('private' or 'public').

    The caller checks that the flow belongs to the requesting project.

    :returns: the flow dict.
    :raises: InvalidParameterValue for an unknown visibility.
    :raises: FlowNotFound if there is no flow ``flow_id``.
    """
    return impl.update_flow(flow_id, visibility)


def get_flow_version(flow_id, version):
    """One version of a flow.

    :returns: a flow version dict with ``flow_name``.
    :raises: FlowVersionNotFound if the flow has no such version (or does
        not exist).
    """
    return impl.get_flow_version(flow_id, version)


def list_flow_versions(flow_id, limit=None, marker=None):
    """Versions of a flow, newest first.

    :param marker: a version number; the page starts below it.
    :returns: a list of flow version dicts with ``flow_name``.
    :raises: FlowNotFound if there is no flow ``flow_id``.
    """
    return impl.list_flow_versions(flow_id, limit=limit, marker=marker)


def delete_flow(flow_id):
    """Delete a flow and its versions.

    Executions of it keep their ``flow_name`` and ``flow_version``; their
    ``flow_id`` and ``flow_version_id`` become None.

    :raises: FlowNotFound if there is no flow ``flow_id``.
    :raises: FlowInUse while executions of the flow have not finished.
    """
    return impl.delete_flow(flow_id)


def count_active_executions(flow_id):
    """How many executions of a flow have not finished."""
    return impl.count_active_executions(flow_id)


# Executions


def create_execution(values):
    """Store a new execution in state PENDING, with its first event.

    :param values: a dict of execution fields: ``project_id``,
        ``flow_name``, ``flow_version`` (required), ``user_id``,
        ``flow_id``, ``flow_version_id``, ``input``, ``context``,
        ``idempotency_key``, ``parent_id``, ``parent_task_id``,
        ``trust_id``, ``deadline`` and optionally ``id``.
    :returns: ``(execution, created)``. If ``idempotency_key`` was already
        used in the project for the same flow version and input, the
        existing execution and False.
    :raises: IdempotencyKeyReused if the key was used for another flow
        version or another input.
    :raises: FlowNotFound if the flow was deleted meanwhile.
    :raises: ExecutionNotFound if ``parent_id`` names no execution.
    :raises: InvalidParameterValue for a field that cannot be set.
    """
    return impl.create_execution(values)


def get_execution(execution_id, project_id=None):
    """One execution; ``project_id`` None means any project (admin).

    :returns: an execution dict with ``task_counts`` (``{state: n}``) and
        ``duration`` (seconds until finished, or until now; None before
        it started).
    :raises: ExecutionNotFound if there is no such execution in the
        project.
    """
    return impl.get_execution(execution_id, project_id=project_id)


def list_executions(project_id, limit=None, marker=None,
                    sort_key='created_at', sort_dir='desc', filters=None,
                    detail=False):
    """Executions of a project, or of all projects if None.

    :param sort_key: one of 'created_at', 'updated_at', 'started_at',
        'finished_at', 'state', 'flow_name'.
    :param filters: a dict with any of 'flow_id', 'flow_name',
        'flow_version', 'state', 'parent_id'.
    :param detail: also read ``output`` and ``context``.
    :returns: a list of execution dicts with ``duration`` (no
        ``task_counts``).
    :raises: InvalidParameterValue for an unknown sort key, direction or
        filter, or a bad limit.
    :raises: ExecutionNotFound if ``marker`` names no execution of the
        project.
    """
    return impl.list_executions(project_id, limit=limit, marker=marker,
                                sort_key=sort_key, sort_dir=sort_dir,
                                filters=filters, detail=detail)


# Tasks and events


def list_task_executions(execution_id, limit=None, marker=None,
                         filters=None):
    """Tasks of an execution in the order they were created.

    The caller checks the execution is visible (``get_execution``).

    :param filters: a dict with any of 'state', 'name'.
    :returns: a list of task dicts with ``duration``.
    :raises: InvalidParameterValue for an unknown filter or a bad limit.
    :raises: TaskExecutionNotFound if ``marker`` names no task of the
        execution.
    """
    return impl.list_task_executions(execution_id, limit=limit,
                                     marker=marker, filters=filters)


def get_task_execution(execution_id, task_id):
    """One task of an execution.

    :returns: a task dict with ``duration``.
    :raises: TaskExecutionNotFound if the execution has no such task.
    """
    return impl.get_task_execution(execution_id, task_id)


def list_events(execution_id, limit=None, marker=None):
    """History of an execution, oldest first.

    :param marker: an event id; only later events are returned.
    :returns: a list of event dicts, each with ``task_id`` (the same as
        ``task_execution_id``).
    """
    return impl.list_events(execution_id, limit=limit, marker=marker)


# Services


def register_service(host, binary):
    """Record that ``binary`` runs on ``host`` and is alive now.

    :returns: the service dict.
    """
    return impl.register_service(host, binary)


def heartbeat(host, binary):
    """Mark a service alive now (registering it again if it was removed)."""
    return impl.heartbeat(host, binary)


def list_services(binary=None, alive_within=None):
    """Registered services, by binary then host.

    :param alive_within: seconds; only services whose last heartbeat is
        at most that old.
    :returns: a list of service dicts.
    """
    return impl.list_services(binary=binary, alive_within=alive_within)


# Housekeeping


def purge(older_than, batch_size=500):
    """Delete history that finished before ``older_than``.

    Finished executions go with their tasks, events, timers, work items
    and signals (the foreign keys cascade); delivered or abandoned webhook
    deliveries go too, and the queue workers last seen before then. Rows
    are deleted ``batch_size`` at a time, each batch in its own short
    transaction, so a large purge never holds locks the engine needs for
    long. Active executions are never touched.

    :param older_than: naive UTC datetime.
    :returns: ``{'executions': n, 'webhook_deliveries': m,
        'queue_workers': w}``, the numbers of rows deleted.
    """
    return impl.purge(older_than, batch_size)
