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

"""convection-all: API, engine and conductor in one process.

The embedded default needs nothing else: messages go over oslo.messaging's
in-process ``fake://`` transport, the database is an SQLite file under
``[DEFAULT]state_path`` (migrated at startup) and the API runs without
authentication. A configuration file still overrides each of these.
"""

import multiprocessing
import os
import sys
import threading

from oslo_config import cfg
from oslo_log import log
from oslo_service import service

from convection.common import rpc
from convection.common import service as convection_service

CONF = cfg.CONF
LOG = log.getLogger(__name__)


def set_embedded_defaults():
    """Defaults of the single-process mode; config files still win."""
    rpc.set_defaults(transport_url='fake://')
    CONF.set_default('auth_strategy', 'noauth')
    # Its requests wait on nothing (SQLite, no Keystone): more threads
    # would only share one interpreter and slow the slowest requests.
    CONF.set_default('threads', 1, group='api')


class AllInOneService(service.Service):
    """The engine, the conductor and the API of one process."""

    def __init__(self, host):
        super().__init__()
        self.host = host
        self.services = []
        self.api_server = None
        self.api_thread = None

    def start(self):
        # NOTE: the launcher forks a worker that runs this; the master only
        # waits. Importing the API, the managers and the database layer
        # here, in the worker, keeps the master small (the embedded
        # default's whole footprint counts) and keeps every connection on
        # the side of the fork that uses it.
        from cheroot import wsgi

        from convection.api import app
        from convection.common import rpc_service
        from convection.conductor import manager as conductor_manager
        from convection.engine import manager as engine_manager

        super().start()
        # The engine first, so that the conductor's reports and the API's
        # casts find it.
        for manager_class in (engine_manager.EngineManager,
                              conductor_manager.ConductorManager):
            svc = rpc_service.RPCService(self.host, manager_class)
            svc.start()
            self.services.append(svc)
        self.api_server = wsgi.Server(
            (CONF.api.host_ip, CONF.api.port), app.setup_app(),
            numthreads=CONF.api.threads, server_name='convection-all')
        self.api_server.prepare()
        self.api_thread = threading.Thread(target=self.api_server.serve,
                                           name='convection-api',
                                           daemon=True)
        self.api_thread.start()
        LOG.info('convection-all API listening on http://%(host)s:%(port)s',
                 {'host': CONF.api.host_ip, 'port': CONF.api.port})

    def stop(self, graceful=True):
        if self.api_server is not None:
            self.api_server.stop()
            self.api_thread.join()
            self.api_server = self.api_thread = None
        while self.services:
            self.services.pop(0).stop(graceful=graceful)
        super().stop(graceful=graceful)


def _migrate():
    from convection.db import migration

    migration.upgrade('head')


def _upgrade_database():
    """Bring the schema to head in a short-lived child process.

    Failing here stops convection-all before it starts anything; doing it
    in a child keeps alembic and the models out of the master process.
    """
    child = multiprocessing.get_context('fork').Process(
        target=_migrate, name='convection-all-migrate')
    child.start()
    child.join()
    if child.exitcode != 0:
        LOG.error('Cannot upgrade the database schema (see above); '
                  'convection-all is not starting')
        sys.exit(1)


def main():
    set_embedded_defaults()
    convection_service.prepare_service(sys.argv)
    os.makedirs(CONF.state_path, exist_ok=True)
    _upgrade_database()
    launcher = service.launch(CONF, AllInOneService(CONF.host), workers=1,
                              restart_method='mutate')
    launcher.wait()
