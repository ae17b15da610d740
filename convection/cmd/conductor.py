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

"""The convection-conductor service."""

import sys

from oslo_config import cfg
from oslo_service import service

from convection.common import rpc_service
from convection.common import service as convection_service
from convection.conductor import manager

CONF = cfg.CONF


def main():
    convection_service.prepare_service(sys.argv)
    # One worker per process: scale by running more processes (each needs
    # its own [DEFAULT]host).
    svc = rpc_service.RPCService(CONF.host, manager.ConductorManager)
    launcher = service.launch(CONF, svc, workers=1, restart_method='mutate')
    launcher.wait()
