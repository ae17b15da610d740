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

import os
import socket

from oslo_config import cfg

from convection.i18n import _

opts = [
    cfg.StrOpt('host',
               default=socket.gethostname(),
               sample_default='localhost',
               help=_('Name of this node, unique among the engine and '
                      'conductor processes of one deployment. Used as the '
                      'RPC server name and as the owner of task leases.')),
    cfg.StrOpt('state_path',
               default=os.path.join(os.path.expanduser('~'), '.convection'),
               sample_default='$HOME/.convection',
               help=_('Directory for the embedded default SQLite database '
                      'and other local state.')),
    cfg.StrOpt('auth_strategy',
               default='keystone',
               choices=[('keystone', _('Validate Keystone tokens with '
                                       'keystonemiddleware.')),
                        ('noauth', _('No authentication: every request acts '
                                     'as [api]noauth_project_id. For the '
                                     'embedded single-process mode and '
                                     'development only.'))],
               help=_('How API requests are authenticated.')),
]


def register_opts(conf):
    conf.register_opts(opts)


def list_opts():
    return {'DEFAULT': opts}
