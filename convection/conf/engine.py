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

GROUP = 'engine'

opts = [
    cfg.IntOpt('workers',
               default=8,
               min=1,
               help=_('Threads that handle RPC requests in one engine '
                      'process.')),
    cfg.FloatOpt('timer_interval',
                 default=0.5,
                 min=0.05,
                 help=_('Seconds between two sweeps for due timers (sleeps, '
                        'retries, polls, timeouts) and expired task '
                        'leases.')),
    cfg.IntOpt('timer_batch_size',
               default=500,
               min=1,
               help=_('Most timers one sweep fires.')),
    cfg.IntOpt('task_lease_time',
               default=300,
               min=5,
               help=_('Seconds a conductor may run a task without renewing '
                      'its lease. A task whose lease expired is handed to '
                      'another conductor.')),
    cfg.IntOpt('dispatch_timeout',
               default=60,
               min=5,
               help=_('Seconds after which a dispatched task that no '
                      'conductor acknowledged is dispatched again.')),
    cfg.IntOpt('service_down_time',
               default=60,
               min=5,
               help=_('Seconds without a heartbeat after which an engine or '
                      'conductor is considered dead.')),
    cfg.IntOpt('heartbeat_interval',
               default=10,
               min=1,
               help=_('Seconds between two service heartbeats.')),
    cfg.IntOpt('max_flow_depth',
               default=5,
               min=1,
               help=_('Deepest nesting of child flows (task type "flow"): '
                      'an execution this many levels below its root cannot '
                      'start another child. Stops runaway recursion.')),
]


def register_opts(conf):
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
