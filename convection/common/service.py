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

"""What every Convection command does before it serves."""

from oslo_config import cfg
from oslo_log import log

from convection import conf  # noqa: F401  (registers every option)
from convection import version
from convection.common import rpc

CONF = cfg.CONF

_EXTRA_LOG_LEVELS = ['stevedore=INFO', 'futurist=INFO']


def prepare_service(argv=None, default_config_files=None):
    """Parse the command line and config files and set up logging.

    Starts no thread and opens no connection, so that the launcher can
    still fork afterwards.

    :param argv: the command line, program name first (sys.argv).
    """
    argv = list(argv or [])
    log.register_options(CONF)
    log.set_defaults(default_log_levels=log.get_default_log_levels() +
                     _EXTRA_LOG_LEVELS)
    rpc.set_defaults(control_exchange='convection')
    CONF(argv[1:], project='convection',
         version=version.version_info.release_string(),
         default_config_files=default_config_files)
    log.setup(CONF, 'convection')
