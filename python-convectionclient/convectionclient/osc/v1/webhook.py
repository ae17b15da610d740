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

"""``openstack taskflow webhook create|list|show|delete|deliveries``.

The secret is shown by ``create`` only: the service returns it once, and
the other commands never print it even if a service sent it.
"""


from osc_lib import exceptions as osc_exceptions
from osc_lib.command import command

from convectionclient.osc.v1 import base

WEBHOOK_FIELDS = ('id', 'url', 'events', 'flows', 'enabled', 'project_id',
                  'created_at', 'updated_at')


class ListColumn(base.YamlColumn):
    """A list of names: comma separated in tables, empty means all."""

    def human_readable(self):
        return ', '.join(self._value) if self._value else '(all)'


WEBHOOK_FORMATTERS = {'events': ListColumn, 'flows': ListColumn}


class CreateWebhook(command.ShowOne):
    """Register a webhook for execution and task state changes"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('url', metavar='<url>',
                            help='The http(s) URL to POST the events to')
        parser.add_argument(
            '--event', metavar='<pattern>', action='append',
            dest='events',
            help='An event pattern such as execution.* or task.FAILED; '
                 'repeat for more (default: every event)')
        parser.add_argument(
            '--flow', metavar='<flow>', action='append', dest='flows',
            help='Only events of this flow; repeat for more (default: '
                 'every flow)')
        parser.add_argument(
            '--secret', metavar='<secret>',
            help='The HMAC-SHA256 signing key (default: a random one, '
                 'shown here once)')
        parser.add_argument(
            '--disable', action='store_false', dest='enabled',
            default=None, help='Register it disabled')
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.taskflow
        webhook = client.webhooks.create(
            parsed_args.url, events=parsed_args.events,
            flows=parsed_args.flows, secret=parsed_args.secret,
            enabled=parsed_args.enabled)
        self.app.stderr.write('Keep the secret: it is not shown again.\n')
        return base.show_output(webhook, WEBHOOK_FIELDS + ('secret',),
                                WEBHOOK_FORMATTERS)


class ListWebhook(command.Lister):
    """List the webhooks of your project"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        base.add_pagination_arguments(parser, all_projects=False)
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.taskflow
        found = base.local_page(client.webhooks.list(), parsed_args)
        columns = ('ID', 'URL', 'Events', 'Flows', 'Enabled')
        if parsed_args.long:
            columns += ('Project ID', 'Created At', 'Updated At')
        return base.list_output(found, columns, {'Events': ListColumn,
                                                 'Flows': ListColumn})


class ShowWebhook(command.ShowOne):
    """Show a webhook (without its secret)"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('webhook', metavar='<webhook>',
                            help='ID of the webhook')
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.taskflow
        return base.show_output(client.webhooks.get(parsed_args.webhook),
                                WEBHOOK_FIELDS, WEBHOOK_FORMATTERS)


class DeleteWebhook(command.Command):
    """Delete webhooks"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('webhooks', metavar='<webhook>', nargs='+',
                            help='ID of a webhook to delete')
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.taskflow
        base.apply_to_each(client.webhooks.delete, parsed_args.webhooks,
                           'delete', 'webhook', 'deleted')


class ListWebhookDelivery(command.Lister):
    """Show the delivery log of a webhook, newest first"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('webhook', metavar='<webhook>',
                            help='ID of the webhook')
        parser.add_argument(
            '--limit', metavar='<count>', type=int,
            help='Show at most this many deliveries')
        parser.add_argument(
            '--long', action='store_true', default=False,
            help='Show more columns (the payload)')
        return parser

    def take_action(self, parsed_args):
        if parsed_args.limit is not None and parsed_args.limit < 1:
            raise osc_exceptions.CommandError(
                f'--limit must be a positive number, not '
                f'{parsed_args.limit}.')
        client = self.app.client_manager.taskflow
        deliveries = client.webhooks.deliveries(parsed_args.webhook,
                                                limit=parsed_args.limit)
        columns = ('ID', 'Event', 'Status', 'Attempts', 'Response Code',
                   'Created At', 'Delivered At', 'Last Error')
        if parsed_args.long:
            columns += ('Next Attempt At', 'Payload')
        return base.list_output(deliveries, columns,
                                {'Payload': base.YamlColumn})
