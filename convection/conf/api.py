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

from convection.i18n import _

GROUP = 'api'

opts = [
    cfg.HostAddressOpt('host_ip',
                       default='127.0.0.1',
                       help=_('Address convection-api and convection-all '
                              'listen on (development servers only; in '
                              'production the WSGI server decides).')),
    cfg.PortOpt('port',
                default=8989,
                help=_('Port convection-api and convection-all listen on.')),
    cfg.IntOpt('threads',
               default=4,
               min=1,
               help=_('Threads convection-api and convection-all serve '
                      'requests with (development servers only; in '
                      'production the WSGI server decides). One Python '
                      'process runs one thread at a time, and requests on '
                      'SQLite without Keystone hardly wait for anything: '
                      'threads beyond those needed to overlap such waits '
                      'only make the slowest requests slower.')),
    cfg.IntOpt('max_limit',
               default=1000,
               min=1,
               help=_('Largest number of items one list request returns, '
                      'whatever limit the client asks for.')),
    cfg.IntOpt('default_limit',
               default=100,
               min=1,
               help=_('Number of items a list request returns when the '
                      'client gives no limit.')),
    cfg.IntOpt('max_request_body_size',
               default=1024 * 1024,
               min=1024,
               help=_('Largest request body, in bytes, the API accepts. '
                      'Larger bodies are refused with 413.')),
    cfg.StrOpt('noauth_project_id',
               default='convection',
               help=_('Project every request acts as when '
                      '[DEFAULT]auth_strategy is noauth.')),
    cfg.StrOpt('noauth_user_id',
               default='convection',
               help=_('User every request acts as when '
                      '[DEFAULT]auth_strategy is noauth.')),
    cfg.URIOpt('public_endpoint',
               help=_('Public URL of the API, used in links, when the API '
                      'is behind a proxy that does not set the '
                      'X-Forwarded-Host and X-Forwarded-Proto headers. '
                      'Example: https://cloud.example.com/flow')),
]


def register_opts(conf):
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
