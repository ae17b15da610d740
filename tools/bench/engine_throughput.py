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

"""Measure engine throughput on the embedded default (SQLite + fake://).

Runs a chain of N noop tasks and a flow of N independent noop tasks with
one engine and one conductor in this process, and prints tasks/s (tasks
divided by the time from the start cast to the execution's end)::

    python tools/bench/engine_throughput.py [--tasks 1000]
"""

import argparse
import os
import tempfile
import time

from oslo_service import backend

backend.init_backend(backend.BackendType.THREADING)

from oslo_config import cfg  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from convection import conf  # noqa: E402,F401
from convection import dsl  # noqa: E402
from convection.common import context  # noqa: E402
from convection.common import rpc  # noqa: E402
from convection.common import rpc_service  # noqa: E402
from convection.common import states  # noqa: E402
from convection.conductor import manager as conductor_manager  # noqa: E402
from convection.db import api as db_api  # noqa: E402
from convection.db.sqlalchemy import models  # noqa: E402
from convection.db.sqlalchemy import session  # noqa: E402
from convection.engine import manager as engine_manager  # noqa: E402
from convection.engine import rpcapi as engine_rpcapi  # noqa: E402

CONF = cfg.CONF


def _flow(name, count, chain):
    tasks = {}
    for i in range(count):
        task = {'type': 'noop'}
        if chain and i:
            task['requires'] = [f't{i - 1}']
        tasks[f't{i}'] = task
    return {'version': 1, 'name': name, 'tasks': tasks}


def _run(engine_api, document):
    definition = dsl.validate(document)
    flow, version, _ = db_api.create_flow_version(
        'bench', 'bench', document['name'], definition, None, None,
        dsl.checksum(definition))
    execution, _ = db_api.create_execution({
        'project_id': 'bench', 'user_id': 'bench', 'flow_id': flow['id'],
        'flow_version_id': version['id'], 'flow_name': flow['name'],
        'flow_version': version['version'], 'input': {}})
    ctx = context.RequestContext(project_id='bench', user_id='bench')
    started = time.monotonic()
    engine_api.start_execution(ctx, execution['id'])
    query = sa.select(models.Execution.state).where(
        models.Execution.id == execution['id'])
    while True:
        with session.reader() as s:
            state = s.execute(query).scalar()
        if state in states.EXECUTION_TERMINAL_STATES:
            break
        time.sleep(0.02)
    elapsed = time.monotonic() - started
    return state, elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--tasks', type=int, default=1000)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix='convection-bench-')
    rpc.set_defaults(transport_url='fake:/')
    CONF([], project='convection', default_config_files=[])
    CONF.set_override('connection',
                      f'sqlite:///{os.path.join(tmp, "bench.sqlite")}',
                      group='database')
    CONF.set_override('max_tasks', max(args.tasks, 1000), group='dsl')
    models.Base.metadata.create_all(session.get_engine())
    rpc.init(CONF)
    services = [rpc_service.RPCService('engine', engine_manager.EngineManager),
                rpc_service.RPCService('conductor',
                                       conductor_manager.ConductorManager)]
    for svc in services:
        svc.start()
    engine_api = engine_rpcapi.EngineAPI()
    try:
        for label, chain in (('chain', True), ('parallel', False)):
            state, elapsed = _run(
                engine_api, _flow(f'bench-{label}', args.tasks, chain))
            print(f'{label:8} {args.tasks} noop tasks: {state} in '
                  f'{elapsed:.2f}s = {args.tasks / elapsed:.0f} tasks/s')
    finally:
        for svc in reversed(services):
            svc.stop()


if __name__ == '__main__':
    main()
