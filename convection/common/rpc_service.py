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

"""An oslo.service Service that serves one manager over RPC."""

import threading

from oslo_config import cfg
from oslo_log import log
import oslo_messaging as messaging
from oslo_service import service

from convection.common import rpc
from convection.db import api as db_api

CONF = cfg.CONF
LOG = log.getLogger(__name__)


class RPCService(service.Service):
    """Runs a manager (engine or conductor) behind an RPC server.

    The manager is built in :meth:`start`, in the process that serves it,
    so that nothing with threads or locks exists before the launcher forks
    (or pickles this object for a spawned worker).

    :param manager_class: a class taking ``host``, with ``topic``,
        ``binary``, ``init_host()`` and ``del_host()``.
    """

    def __init__(self, host, manager_class):
        super().__init__()
        self.host = host
        self.manager_class = manager_class
        self.manager = None
        self.rpcserver = None
        self._heartbeat_stop = None
        self._heartbeat_thread = None

    def start(self):
        super().start()
        rpc.init(CONF)
        self.manager = self.manager_class(self.host)
        # Ready to act (and to send) before the first message comes in.
        self.manager.init_host()
        target = messaging.Target(topic=self.manager.topic, server=self.host)
        self.rpcserver = rpc.get_server(target, [self.manager])
        self.rpcserver.start()
        db_api.register_service(self.host, self.manager.binary)
        self._heartbeat_stop = threading.Event()
        self._heartbeat_thread = threading.Thread(
            target=self._heartbeat, daemon=True,
            name=f'{self.manager.binary}-heartbeat')
        self._heartbeat_thread.start()
        LOG.info('%(binary)s started on %(host)s (topic %(topic)s)',
                 {'binary': self.manager.binary, 'host': self.host,
                  'topic': self.manager.topic})

    def stop(self, graceful=True):
        if self.rpcserver is not None:
            self.rpcserver.stop()
            self.rpcserver.wait()
            self.rpcserver = None
        if self.manager is not None:
            self.manager.del_host()
        if self._heartbeat_stop is not None:
            self._heartbeat_stop.set()
            self._heartbeat_thread.join()
            self._heartbeat_stop = self._heartbeat_thread = None
        if self.manager is not None:
            LOG.info('%(binary)s on %(host)s stopped',
                     {'binary': self.manager.binary, 'host': self.host})
            self.manager = None
        super().stop(graceful=graceful)

    def _heartbeat(self):
        while not self._heartbeat_stop.wait(CONF.engine.heartbeat_interval):
            try:
                db_api.heartbeat(self.host, self.manager.binary)
            except Exception:
                LOG.exception('Heartbeat of %(binary)s on %(host)s failed',
                              {'binary': self.manager.binary,
                               'host': self.host})
