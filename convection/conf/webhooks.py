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

"""Options of outgoing HTTP: webhook deliveries and the ``http`` task."""

from oslo_config import cfg

from convection.i18n import _

WEBHOOKS_GROUP = 'webhooks'
HTTP_GROUP = 'http'

_allow_list_help = _(
    'Outgoing requests refuse addresses that reach the service itself or '
    'its network: loopback, link-local (including the 169.254.169.254 '
    'metadata service), private (RFC 1918, RFC 4193), shared, multicast and '
    'reserved ranges. Hosts named here are allowed anyway (exact host '
    'names, compared case-insensitively).')
_allow_networks_help = _(
    'CIDRs whose addresses are allowed even though they are loopback, '
    'link-local or private, e.g. 10.0.0.0/8 for an internal receiver.')
_ca_file_help = _(
    'PEM bundle of the CAs that HTTPS servers are verified against; the '
    'system CAs when unset.')

webhook_opts = [
    cfg.ListOpt('allowed_hosts', default=[], help=_allow_list_help),
    cfg.ListOpt('allowed_networks', default=[], help=_allow_networks_help),
    cfg.StrOpt('ca_file', help=_ca_file_help),
    cfg.FloatOpt('delivery_interval',
                 default=1.0,
                 min=0.05,
                 help=_('Seconds between two looks for due webhook '
                        'deliveries.')),
    cfg.IntOpt('delivery_batch_size',
               default=50,
               min=1,
               help=_('Most deliveries one look sends.')),
    cfg.IntOpt('max_attempts',
               default=8,
               min=1,
               help=_('Attempts after which a delivery is given up and '
                      'marked failed.')),
    cfg.FloatOpt('backoff_base',
                 default=2.0,
                 min=0.1,
                 help=_('Seconds before the first retry; each retry waits '
                        'twice as long as the previous one.')),
    cfg.FloatOpt('backoff_max',
                 default=600.0,
                 min=1,
                 help=_('Longest wait between two attempts, in seconds.')),
    cfg.FloatOpt('timeout',
                 default=10.0,
                 min=0.1,
                 help=_('Seconds to wait for a receiver to answer.')),
]

http_opts = [
    cfg.ListOpt('allowed_hosts', default=[], help=_allow_list_help),
    cfg.ListOpt('allowed_networks', default=[], help=_allow_networks_help),
    cfg.StrOpt('ca_file', help=_ca_file_help),
    cfg.FloatOpt('max_timeout',
                 default=300.0,
                 min=0.1,
                 help=_('Longest timeout an http task may ask for, in '
                        'seconds.')),
    cfg.IntOpt('max_response_bytes',
               default=1048576,
               min=1024,
               help=_('Largest response body an http task keeps; a longer '
                      'body fails the task.')),
]


def register_opts(conf):
    conf.register_opts(webhook_opts, group=WEBHOOKS_GROUP)
    conf.register_opts(http_opts, group=HTTP_GROUP)


def list_opts():
    return {WEBHOOKS_GROUP: webhook_opts, HTTP_GROUP: http_opts}
