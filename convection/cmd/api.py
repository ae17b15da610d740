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

"""convection-api: the API on cheroot, for development.

Production deployments run ``convection.wsgi:application`` under uwsgi or
gunicorn instead.
"""

import sys

from cheroot import wsgi
from oslo_config import cfg
from oslo_log import log

from convection.api import app
from convection.common import service

CONF = cfg.CONF
LOG = log.getLogger(__name__)


def main():
    service.prepare_service(sys.argv)
    server = wsgi.Server((CONF.api.host_ip, CONF.api.port), app.setup_app(),
                         numthreads=CONF.api.threads,
                         server_name='convection-api')
    LOG.info('convection-api listening on http://%(host)s:%(port)s',
             {'host': CONF.api.host_ip, 'port': CONF.api.port})
    try:
        server.start()
    except KeyboardInterrupt:
        LOG.info('convection-api stopping')
    finally:
        server.stop()
