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

"""Options of the task queues that external workers claim from."""

from oslo_config import cfg

from convection.i18n import _

GROUP = 'queues'

opts = [
    cfg.IntOpt('default_heartbeat_timeout',
               default=60,
               min=1,
               help=_('Seconds a claim stays valid without a heartbeat when '
                      'the task type sets no heartbeat_timeout. When it '
                      'passes, the item may be claimed by another '
                      'worker.')),
    cfg.IntOpt('default_max_attempts',
               default=3,
               min=1,
               help=_('How many times an item is handed out when its '
                      'claims keep expiring (a worker died), when the task '
                      'type sets no retry count. After that the task fails '
                      'with error type LeaseExpired.')),
    cfg.IntOpt('max_claim_wait',
               default=30,
               min=0,
               help=_('Most seconds a claim request may wait (long-poll) '
                      'for an item to become available.')),
    cfg.FloatOpt('claim_poll_interval',
                 default=0.5,
                 min=0.05,
                 help=_('Seconds between two looks at the queue while a '
                        'claim request waits.')),
    cfg.IntOpt('max_claim_batch',
               default=50,
               min=1,
               help=_('Most items one claim request may take.')),
    cfg.IntOpt('worker_live_window',
               default=60,
               min=1,
               help=_('Seconds since its last claim or heartbeat during '
                      'which a worker counts as live in queue '
                      'statistics.')),
]


def register_opts(conf):
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
