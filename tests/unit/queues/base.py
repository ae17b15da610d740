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

"""Helpers shared by the queue tests."""

from oslo_utils import timeutils
from oslo_utils import uuidutils

from convection.common import states
from convection.db import queues_api
from convection.db.sqlalchemy import models
from convection.db.sqlalchemy import session

PROJECT = 'project-a'
OTHER_PROJECT = 'project-b'


def make_execution(project_id=PROJECT, state=states.RUNNING):
    execution_id = uuidutils.generate_uuid()
    with session.writer() as s:
        s.add(models.Execution(
            id=execution_id, project_id=project_id, flow_name='f',
            flow_version=1, state=state, created_at=timeutils.utcnow()))
    return execution_id


def make_task(execution_id, task_type, name='t', state=states.RUNNING):
    task_id = uuidutils.generate_uuid()
    with session.writer() as s:
        s.add(models.TaskExecution(
            id=task_id, execution_id=execution_id, name=name, item_index=-1,
            type=task_type, state=state, attempt=1,
            created_at=timeutils.utcnow()))
    return task_id


def enqueue(task_type, payload=None, project_id=PROJECT, delay=0):
    """Enqueue one item of ``task_type`` for a new execution and task."""
    execution_id = make_execution(project_id)
    task_id = make_task(execution_id, task_type['name'])
    with session.writer_connection() as conn:
        queues_api.enqueue_in(conn, task_type, execution_id, task_id, 1,
                              payload if payload is not None else {},
                              delay=delay)
    return task_id
