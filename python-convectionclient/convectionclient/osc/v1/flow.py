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

"""``openstack taskflow create|list|show|set|delete|validate|version``."""


from osc_lib import exceptions as osc_exceptions
from osc_lib.command import command

from convectionclient import exceptions
from convectionclient.common import graph
from convectionclient.common import utils as common_utils
from convectionclient.osc.v1 import base

FLOW_FIELDS = ('id', 'name', 'version', 'latest_version', 'visibility',
               'description', 'project_id', 'created_at', 'updated_at')
VERSION_FIELDS = ('flow_id', 'flow_name', 'version', 'description',
                  'checksum', 'created_at', 'definition')
DEFINITION_FORMATTERS = {'definition': base.YamlColumn}


def _add_visibility(parser, required=False, verb='Make'):
    group = parser.add_mutually_exclusive_group(required=required)
    group.add_argument(
        '--public', dest='visibility', action='store_const',
        const='public', help=f'{verb} the flow readable by every project')
    group.add_argument(
        '--private', dest='visibility', action='store_const',
        const='private', help=f'{verb} the flow readable by its project only')


def _add_definition_file(parser):
    parser.add_argument(
        '--file', metavar='<path>', required=True,
        help='Flow definition in YAML or JSON; "-" reads standard input')


def _read_definition(app, path):
    try:
        return common_utils.read_text(path, app.stdin)
    except exceptions.InvalidDefinition as e:
        raise osc_exceptions.CommandError(str(e)) from e


class GraphMixin:
    """``--graph``: print the task graph instead of the fields."""

    def add_graph_arguments(self, parser):
        parser.add_argument(
            '--graph', action='store_true', default=False,
            help='Print the task graph of the definition instead')
        parser.add_argument(
            '--graph-format', choices=('text', 'dot'), default='text',
            help='Graph as stages of tasks (text, default) or Graphviz DOT')

    def produce_output(self, parsed_args, column_names, data):
        if not parsed_args.graph:
            return super().produce_output(parsed_args, column_names, data)
        definition = self._definition
        if parsed_args.graph_format == 'dot':
            text = graph.render_dot(definition)
        else:
            tasks = len((definition or {}).get('tasks') or {})
            text = graph.render_text(
                definition,
                title=f'Flow {self._title}: {tasks} task(s)')
        self.app.stdout.write(text)
        return 0


class CreateFlow(command.ShowOne):
    """Register a flow, or a new version of an existing flow"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_definition_file(parser)
        _add_visibility(parser)
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.taskflow
        text = _read_definition(self.app, parsed_args.file)
        try:
            flow = client.flows.create(text, parsed_args.visibility)
        except exceptions.InvalidDefinition as e:
            raise osc_exceptions.CommandError(str(e)) from e
        if not flow.created:
            self.app.stderr.write(
                f'Flow {flow.name} is unchanged: the definition is '
                f'identical to version {flow.get("version")}.\n')
        return base.show_output(flow, FLOW_FIELDS)


class ListFlow(command.Lister):
    """List flows (the latest version of each)"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--name', metavar='<name>',
                            help='Only the flow of this name')
        parser.add_argument('--visibility', choices=('public', 'private'),
                            help='Only public or only private flows')
        base.add_pagination_arguments(parser)
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.taskflow
        flows = client.flows.list(name=parsed_args.name,
                                  visibility=parsed_args.visibility,
                                  **base.pagination_kwargs(parsed_args))
        columns = ['ID', 'Name', 'Latest Version', 'Visibility',
                   'Updated At']
        if parsed_args.long:
            columns += ['Description', 'Created At']
        if parsed_args.long or parsed_args.all_projects:
            columns.insert(1, 'Project ID')
        return base.list_output(flows, tuple(columns))


class ShowFlow(GraphMixin, command.ShowOne):
    """Show a flow and its latest definition"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('flow', metavar='<flow>',
                            help='Name or ID of the flow')
        self.add_graph_arguments(parser)
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.taskflow
        flow = client.flows.get(parsed_args.flow)
        self._definition = flow.get('definition')
        self._title = f'{flow.name} (version {flow.get("latest_version")})'
        return base.show_output(flow, FLOW_FIELDS + ('definition',),
                                DEFINITION_FORMATTERS)


class SetFlow(command.Command):
    """Set the visibility of a flow"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('flow', metavar='<flow>',
                            help='Name or ID of the flow')
        _add_visibility(parser, required=True)
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.taskflow
        client.flows.update(parsed_args.flow,
                            visibility=parsed_args.visibility)


class DeleteFlow(command.Command):
    """Delete flows with all their versions"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('flows', metavar='<flow>', nargs='+',
                            help='Name or ID of a flow to delete')
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.taskflow
        base.apply_to_each(client.flows.delete, parsed_args.flows,
                           'delete', 'flow', 'deleted')


class ValidateFlow(command.ShowOne):
    """Check a flow definition without registering it"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_definition_file(parser)
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.taskflow
        text = _read_definition(self.app, parsed_args.file)
        try:
            result = client.flows.validate(text)
        except exceptions.InvalidDefinition as e:
            raise osc_exceptions.CommandError(str(e)) from e
        return base.show_output(
            result, ('valid', 'name', 'description', 'checksum'))


class ListFlowVersion(command.Lister):
    """List the versions of a flow, newest first"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('flow', metavar='<flow>',
                            help='Name or ID of the flow')
        base.add_pagination_arguments(parser, sort=False,
                                      all_projects=False)
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.taskflow
        versions = client.flow_versions.list(
            parsed_args.flow, **base.pagination_kwargs(parsed_args))
        columns = ('Version', 'Description', 'Created At')
        if parsed_args.long:
            columns = ('Version', 'Flow Name', 'Description', 'Checksum',
                       'Created At')
        return base.list_output(versions, columns)


class ShowFlowVersion(GraphMixin, command.ShowOne):
    """Show one version of a flow with its definition"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('flow', metavar='<flow>',
                            help='Name or ID of the flow')
        parser.add_argument('version', metavar='<version>', type=int,
                            help='Version number')
        self.add_graph_arguments(parser)
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.taskflow
        version = client.flow_versions.get(parsed_args.flow,
                                           parsed_args.version)
        self._definition = version.get('definition')
        self._title = f'{version.get("flow_name")} (version ' \
                      f'{version.get("version")})'
        return base.show_output(version, VERSION_FIELDS,
                                DEFINITION_FORMATTERS)
