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

GROUP = 'dsl'

opts = [
    cfg.IntOpt('max_definition_size',
               default=512 * 1024,
               min=1024,
               help=_('Largest flow definition, in bytes.')),
    cfg.IntOpt('max_tasks',
               default=1000,
               min=1,
               help=_('Largest number of tasks one flow may declare.')),
    cfg.FloatOpt('expression_timeout',
                 default=1.0,
                 min=0.01,
                 help=_('Seconds one expression may take to evaluate before '
                        'it fails.')),
    cfg.IntOpt('max_expression_result_size',
               default=256 * 1024,
               min=1024,
               help=_('Largest result, in bytes, one expression may '
                      'produce.')),
    cfg.IntOpt('max_input_size',
               default=256 * 1024,
               min=1024,
               help=_('Largest execution input, in bytes of JSON.')),
]


def register_opts(conf):
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
