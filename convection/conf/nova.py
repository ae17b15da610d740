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

"""Options of the nova.server task type."""

from oslo_config import cfg

from convection.i18n import _

GROUP = 'nova'

opts = [
    cfg.StrOpt('region_name',
               help=_('Region of the compute endpoint; unset takes the '
                      'first one in the catalog.')),
    cfg.StrOpt('interface',
               default='internal',
               choices=['public', 'internal', 'admin'],
               help=_('Catalog interface of the compute endpoint.')),
    cfg.StrOpt('api_version',
               default='2.79',
               help=_('Compute API microversion Convection sends; at least '
                      '2.37 (networks "none" and "auto").')),
    cfg.FloatOpt('poll_interval',
                 default=2.0,
                 min=0.1,
                 help=_('Seconds before the first check of a server that is '
                        'changing state.')),
    cfg.FloatOpt('poll_backoff',
                 default=1.5,
                 min=1.0,
                 help=_('Factor the wait grows by after each check of a '
                        'server that is still changing state.')),
    cfg.FloatOpt('max_poll_interval',
                 default=30.0,
                 min=0.1,
                 help=_('Longest wait between two checks of a server.')),
]


def register_opts(conf):
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
