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

"""``openstack taskflow task list|show``."""

from osc_lib.command import command

from convectionclient.osc.v1 import base
from convectionclient.v1 import executions

TASK_FIELDS = ('id', 'execution_id', 'name', 'type', 'state', 'blocked_on',
               'attempt', 'item_index', 'input', 'output', 'error',
               'created_at', 'started_at', 'finished_at', 'duration')
TASK_FORMATTERS = {'input': base.YamlColumn, 'output': base.YamlColumn,
                   'error': base.YamlColumn, 'duration': base.DurationColumn}


class ListTask(command.Lister):
    """List the tasks of an execution"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('execution', metavar='<execution>',
                            help='ID of the execution')
        parser.add_argument('--state', choices=executions.TASK_STATES,
                            help='Only tasks in this state')
        parser.add_argument('--name', metavar='<task>',
                            help='Only tasks of this name')
        base.add_pagination_arguments(parser, sort=False,
                                      all_projects=False)
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.taskflow
        tasks = client.tasks.list(parsed_args.execution,
                                  state=parsed_args.state,
                                  name=parsed_args.name,
                                  **base.pagination_kwargs(parsed_args))
        columns = ('ID', 'Name', 'Type', 'State', 'Attempt', 'Started At',
                   'Duration')
        if parsed_args.long:
            columns += ('Item Index', 'Blocked On', 'Finished At', 'Error')
        return base.list_output(tasks, columns,
                                {'Duration': base.DurationColumn,
                                 'Error': base.YamlColumn})


class ShowTask(command.ShowOne):
    """Show one task of an execution"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('execution', metavar='<execution>',
                            help='ID of the execution')
        parser.add_argument('task', metavar='<task>',
                            help='ID or name of the task')
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.taskflow
        task = client.tasks.get(parsed_args.execution, parsed_args.task)
        return base.show_output(task, TASK_FIELDS, TASK_FORMATTERS)
