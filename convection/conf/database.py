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

from oslo_config import cfg
from oslo_db import options as db_options

from convection.i18n import _

# The embedded default: an SQLite file under [DEFAULT]state_path.
_DEFAULT_CONNECTION = 'sqlite:///$state_path/convection.sqlite'

opts = [
    cfg.IntOpt('sqlite_busy_timeout',
               default=30,
               min=1,
               help=_('Seconds an SQLite writer waits for another writer '
                      'before it gives up. SQLite only.')),
]


def register_opts(conf):
    db_options.set_defaults(conf, connection=_DEFAULT_CONNECTION)
    conf.register_opts(opts, group='database')


def list_opts():
    return {'database': opts}
