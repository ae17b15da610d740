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

"""``openstack taskflow queue show``."""

from osc_lib.command import command

from convectionclient.osc.v1 import base

QUEUE_FIELDS = ('queue', 'backlog', 'delayed', 'oldest_waiting_age',
                'in_flight', 'live_workers', 'workers')


class WorkersColumn(base.YamlColumn):
    """Worker names: comma separated in tables."""

    def human_readable(self):
        return ', '.join(self._value or ())


class ShowQueue(command.ShowOne):
    """Show a work queue: backlog, oldest waiting item, live workers"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('queue', metavar='<queue>',
                            help='Name of the queue')
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.taskflow
        queue = client.queues.get(parsed_args.queue)
        return base.show_output(queue, QUEUE_FIELDS,
                                {'oldest_waiting_age': base.DurationColumn,
                                 'workers': WorkersColumn})
