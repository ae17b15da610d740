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

"""Keystone options: the service's own credentials and trust handling."""

from keystoneauth1 import loading
from oslo_config import cfg

from convection.i18n import _

# The service user's credentials (keystoneauth auth and session options):
# Convection creates trusts to this user and acts through them.
SERVICE_CREDENTIALS_GROUP = 'service_credentials'
GROUP = 'keystone'

opts = [
    cfg.StrOpt('region_name',
               help=_('Region of the identity endpoint used for trusts; '
                      'unset takes the first one in the catalog.')),
    cfg.StrOpt('interface',
               default='internal',
               choices=['public', 'internal', 'admin'],
               help=_('Catalog interface of the identity endpoint used for '
                      'trusts.')),
    cfg.ListOpt('trusts_delegated_roles',
                default=[],
                help=_('Roles a trust delegates to Convection. Empty '
                       'delegates every role the calling user has on the '
                       'project.')),
    cfg.BoolOpt('allow_redelegation',
                default=True,
                help=_('Create trusts that allow redelegation. Heat creates '
                       'a trust of its own for every stack, and Keystone '
                       'lets it do so from a trust-scoped token only when '
                       'the trust allows redelegation.')),
    cfg.BoolOpt('send_service_token',
                default=True,
                help=_('Also send the service user\'s token '
                       '(X-Service-Token) with calls made through a trust, '
                       'for services that require a service token.')),
    cfg.IntOpt('trust_delete_retries',
               default=5,
               min=0,
               help=_('How many times deleting a trust is retried while '
                      'Keystone is unreachable or answers 5xx.')),
    cfg.FloatOpt('trust_delete_retry_delay',
                 default=1.0,
                 min=0,
                 help=_('Seconds before the first retry of a trust deletion; '
                        'doubled on each further retry.')),
    cfg.FloatOpt('trust_release_interval',
                 default=5.0,
                 min=0.1,
                 help=_('Seconds between two passes of the engine that '
                        'delete the trusts of finished executions.')),
    cfg.FloatOpt('trust_release_delay',
                 default=10.0,
                 min=0,
                 help=_('Seconds a finished execution keeps its trust, so '
                        'that the cleanup of its cancelled tasks (deleting '
                        'the stacks or servers they created) can still act '
                        'for the tenant.')),
]


def register_opts(conf):
    conf.register_opts(opts, group=GROUP)
    loading.register_session_conf_options(conf, SERVICE_CREDENTIALS_GROUP)
    loading.register_auth_conf_options(conf, SERVICE_CREDENTIALS_GROUP)


def list_opts():
    # List the password plugin's options as well, the usual deployment.
    credentials = (loading.get_session_conf_options()
                   + loading.get_auth_common_conf_options()
                   + loading.get_auth_plugin_conf_options('password'))
    return {GROUP: opts,
            SERVICE_CREDENTIALS_GROUP: _unique(credentials)}


def _unique(options):
    seen = set()
    result = []
    for opt in options:
        if opt.dest not in seen:
            seen.add(opt.dest)
            result.append(opt)
    return result
