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

"""``openstack taskflow task-type create|list|show|delete``."""


from osc_lib import exceptions as osc_exceptions
from osc_lib.command import command

from convectionclient import exceptions
from convectionclient.common import utils as common_utils
from convectionclient.osc.v1 import base

TASK_TYPE_FIELDS = ('id', 'name', 'version', 'queue', 'description',
                    'timeout', 'heartbeat_timeout', 'retry',
                    'input_schema', 'output_schema', 'project_id',
                    'created_at')
TASK_TYPE_FORMATTERS = {'retry': base.YamlColumn,
                        'input_schema': base.YamlColumn,
                        'output_schema': base.YamlColumn}


class CreateTaskType(command.ShowOne):
    """Register a task type run by your own workers (or a new version)"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('name', metavar='<name>',
                            help='Name flows use as the task "type"')
        parser.add_argument(
            '--file', metavar='<path>',
            help='The whole document (queue, schemas, timeouts, retry) '
                 'in YAML or JSON; "-" reads standard input. Options '
                 'below override its keys')
        parser.add_argument(
            '--queue', metavar='<queue>',
            help='Queue its workers claim from (default: the name)')
        parser.add_argument('--description', metavar='<text>')
        parser.add_argument(
            '--input-schema', metavar='<yaml-or-json>',
            help='JSON Schema of the task\'s "with" input')
        parser.add_argument(
            '--output-schema', metavar='<yaml-or-json>',
            help='JSON Schema of the output workers return')
        parser.add_argument(
            '--timeout', metavar='<seconds>', type=int,
            help='Seconds an attempt may take, counted from when it is '
                 'queued')
        parser.add_argument(
            '--heartbeat-timeout', metavar='<seconds>', type=int,
            help='Seconds a claim lives without a heartbeat')
        parser.add_argument(
            '--retry-count', metavar='<count>', type=int,
            help='Attempts after the first one (failures and expired '
                 'claims)')
        parser.add_argument(
            '--retry-delay', metavar='<seconds>', type=float,
            help='Seconds between attempts')
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.taskflow
        try:
            fields = {}
            if parsed_args.file:
                fields = common_utils.parse_document(common_utils.read_text(
                    parsed_args.file, self.app.stdin), 'task type')
                fields.pop('name', None)
            for key in ('input_schema', 'output_schema'):
                text = getattr(parsed_args, key)
                if text is not None:
                    fields[key] = common_utils.parse_document(
                        text, key.replace('_', ' '))
        except exceptions.ClientError as e:
            raise osc_exceptions.CommandError(str(e)) from e
        for key in ('queue', 'description', 'timeout', 'heartbeat_timeout'):
            value = getattr(parsed_args, key)
            if value is not None:
                fields[key] = value
        retry = dict(fields.get('retry') or {})
        if parsed_args.retry_count is not None:
            retry['count'] = parsed_args.retry_count
        if parsed_args.retry_delay is not None:
            retry['delay'] = parsed_args.retry_delay
        if retry:
            fields['retry'] = retry
        try:
            task_type, created = client.task_types.create(
                parsed_args.name, **fields)
        except exceptions.InvalidInput as e:
            raise osc_exceptions.CommandError(str(e)) from e
        if not created:
            self.app.stderr.write(
                f'Task type {task_type.name} version {task_type.version} '
                f'already has this document; nothing changed.\n')
        return base.show_output(task_type, TASK_TYPE_FIELDS,
                                TASK_TYPE_FORMATTERS)


class ListTaskType(command.Lister):
    """List the task types of your project (their latest versions)"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        base.add_pagination_arguments(parser, all_projects=False)
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.taskflow
        found = base.local_page(client.task_types.list(), parsed_args,
                                marker_key='name', default_sort='name')
        columns = ('Name', 'Version', 'Queue', 'Timeout',
                   'Heartbeat Timeout', 'Description')
        if parsed_args.long:
            columns = ('ID',) + columns + ('Retry', 'Created At')
        return base.list_output(found, columns, {'Retry': base.YamlColumn})


class ShowTaskType(command.ShowOne):
    """Show a task type"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('name', metavar='<name>',
                            help='Name of the task type')
        parser.add_argument(
            '--type-version', metavar='<version>', type=int,
            dest='type_version',
            help='Show this version (default: the latest)')
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.taskflow
        task_type = client.task_types.get(parsed_args.name,
                                          version=parsed_args.type_version)
        return base.show_output(task_type, TASK_TYPE_FIELDS,
                                TASK_TYPE_FORMATTERS)


class DeleteTaskType(command.Command):
    """Delete task types (refused while unfinished executions use them)"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('names', metavar='<name>', nargs='+',
                            help='Name of a task type to delete')
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.taskflow
        base.apply_to_each(client.task_types.delete, parsed_args.names,
                           'delete', 'task type', 'deleted')
