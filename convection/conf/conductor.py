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

GROUP = 'conductor'

opts = [
    cfg.IntOpt('workers',
               default=16,
               min=1,
               help=_('Threads that run tasks in one conductor process.')),
    cfg.IntOpt('lease_renew_interval',
               default=30,
               min=1,
               help=_('Seconds between two renewals of the leases of the '
                      'tasks this conductor is running. Keep it well below '
                      '[engine]task_lease_time.')),
]


def register_opts(conf):
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
