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

"""Runs real engine and conductor services in-process on fake://."""

import os
import time

from oslo_config import cfg
from oslo_utils import timeutils

from convection import dsl
from convection.common import context
from convection.common import rpc
from convection.common import rpc_service
from convection.common import states
from convection.conductor import manager as conductor_manager
from convection.db import api as db_api
from convection.engine import manager as engine_manager
from convection.engine import rpcapi as engine_rpcapi
from convection.engine import specs
from tests import base
from tests.functional import base as functional_base
from tests.unit.db import backends

CONF = cfg.CONF

PROJECT = 'project-a'
USER = 'user-a'


class EngineTestCase(base.TestCase):
    """Starts one engine and one conductor unless told otherwise."""

    engines = 1
    conductors = 1
    # 'sqlite' (the base class's database), 'postgresql' or 'mysql'.
    backend = 'sqlite'
    # False: fake:// (in-process).
    rabbitmq = False

    def setUp(self):
        super().setUp()
        if self.backend != 'sqlite':
            backends.require(self, self.backend)
            self.useFixture(backends.MigratedDatabase(self.backend))
        if self.rabbitmq:
            self.use_rabbitmq()
        self.config(timer_interval=0.05, group='engine')
        self.addCleanup(rpc.cleanup)
        # Flow version ids repeat across test databases.
        self.addCleanup(specs.clear_cache)
        self.services = []
        self.start_services(self.engines, self.conductors)
        self.addCleanup(self.stop_services)
        self.engine_api = engine_rpcapi.EngineAPI()

    def use_rabbitmq(self):
        """Use a RabbitMQ vhost of this test's own.

        Queues are named by topic, and other processes on the broker
        listen on the same topics.
        """
        vhost = functional_base.RabbitVhost()
        try:
            vhost.create()
        except Exception as exc:
            message = f'Cannot make a RabbitMQ vhost: {exc}'
            if os.environ.get('CI', '').lower() in ('1', 'true', 'yes'):
                self.fail(message)
            self.skipTest(message)
        self.addCleanup(vhost.delete)
        self.config(transport_url=vhost.url)

    def start_services(self, engines=1, conductors=1):
        rpc.init(CONF)
        for _ in range(engines):
            svc = rpc_service.RPCService(f'engine-{len(self.services)}',
                                         engine_manager.EngineManager)
            svc.start()
            self.services.append(svc)
        for _ in range(conductors):
            svc = rpc_service.RPCService(
                f'conductor-{len(self.services)}',
                conductor_manager.ConductorManager)
            svc.start()
            self.services.append(svc)

    def stop_services(self):
        while self.services:
            self.services.pop().stop()

    def create_flow(self, tasks, name='flow', **extra):
        document = dict({'version': 1, 'name': name, 'tasks': tasks},
                        **extra)
        definition = dsl.validate(document)
        flow, version, _created = db_api.create_flow_version(
            PROJECT, USER, name, definition, None, None,
            dsl.checksum(definition))
        return flow, version

    def create_execution(self, tasks, input=None, **extra):
        flow, version = self.create_flow(tasks, **extra)
        execution, _created = db_api.create_execution({
            'project_id': PROJECT, 'user_id': USER,
            'flow_id': flow['id'], 'flow_version_id': version['id'],
            'flow_name': flow['name'], 'flow_version': version['version'],
            'input': input or {}})
        return execution

    def run_flow(self, tasks, input=None, wait=20, **extra):
        """Run a flow to its end; ``extra`` are flow keys (output...)."""
        execution = self.create_execution(tasks, input=input, **extra)
        self.engine_api.start_execution(self.context(), execution['id'])
        return self.wait_for(execution['id'], timeout=wait)

    def context(self):
        return context.RequestContext(project_id=PROJECT, user_id=USER)

    def wait_for(self, execution_id, state_in=None, timeout=20):
        state_in = state_in or states.EXECUTION_TERMINAL_STATES
        deadline = time.monotonic() + timeout
        while True:
            execution = db_api.get_execution(execution_id)
            if execution['state'] in state_in:
                return execution
            if time.monotonic() > deadline:
                self.fail(f'execution {execution_id} still '
                          f'{execution["state"]} after {timeout}s')
            time.sleep(0.02)

    def wait_task(self, execution_id, name, state, timeout=20):
        deadline = time.monotonic() + timeout
        while True:
            task = self.tasks(execution_id).get(name)
            if task is not None and task['state'] == state:
                return task
            if time.monotonic() > deadline:
                self.fail(f'task {name} is not {state}: {task}')
            time.sleep(0.02)

    def wait_until(self, predicate, timeout=20):
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                self.fail(f'{predicate} still false after {timeout}s')
            time.sleep(0.02)

    def tasks(self, execution_id):
        return {t['name']: t
                for t in db_api.list_task_executions(execution_id)}

    def events(self, execution_id, task_name=None):
        return [e for e in db_api.list_events(execution_id)
                if task_name is None or e['task_name'] == task_name]

    @staticmethod
    def now():
        return timeutils.utcnow()
