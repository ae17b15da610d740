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

"""``openstack taskflow execution``: start, list, show, wait, history,
cancel, retry, pause, resume and signal.
"""

import logging
import shutil
import time

from osc_lib import exceptions as osc_exceptions
from osc_lib.command import command

from convectionclient import exceptions
from convectionclient.common import utils as common_utils
from convectionclient.osc.v1 import base
from convectionclient.osc.v1 import timeline
from convectionclient.v1 import executions

LOG = logging.getLogger(__name__)

EXECUTION_FIELDS = ('id', 'flow_name', 'flow_version', 'flow_id', 'state',
                    'task_counts', 'input', 'output', 'error',
                    'stop_reason', 'parent_id', 'idempotency_key',
                    'project_id', 'user_id', 'created_at', 'started_at',
                    'finished_at', 'updated_at', 'duration')
EXECUTION_FORMATTERS = {'input': base.YamlColumn,
                        'output': base.YamlColumn,
                        'error': base.YamlColumn,
                        'task_counts': base.TaskCountsColumn,
                        'duration': base.DurationColumn}


class ProgressReporter:
    """Writes an execution's progress to a stream while it is polled.

    On a terminal one line is redrawn in place; otherwise a line is
    written whenever the state, the counts or the current tasks change.
    """

    def __init__(self, client, stream, clock=time.monotonic):
        self.client = client
        self.stream = stream
        self.clock = clock
        self.started = clock()
        self.last_line = None
        self.tty = bool(getattr(stream, 'isatty', lambda: False)())

    def current_tasks(self, execution):
        """Names of the tasks running or waiting right now."""
        counts = execution.get('task_counts') or {}
        names = []
        for state in ('RUNNING', 'WAITING'):
            if counts.get(state):
                try:
                    names += [self.label(t) for t in
                              self.client.tasks.list(execution.id,
                                                     state=state)]
                except exceptions.ClientError as e:
                    # Progress is best effort; the wait goes on.
                    LOG.debug('Cannot list tasks of %s: %s',
                              execution.id, e)
        return names

    @staticmethod
    def label(task):
        label = task.name
        notes = []
        if task.get('state') == 'WAITING':
            notes.append(f'waiting: {task.get("blocked_on") or "timer"}')
        elif task.get('blocked_on') == 'queue':
            # A tenant task type's item no worker has claimed yet.
            notes.append('queued for a worker')
        if (task.get('attempt') or 0) > 1:
            notes.append(f'attempt {task.attempt}')
        return f'{label} ({", ".join(notes)})' if notes else label

    def describe(self, execution, current):
        done, total = base.progress(execution.get('task_counts'))
        line = f'{execution.state:<9} {done}/{total} tasks done'
        failed = (execution.get('task_counts') or {}).get('FAILED')
        if failed:
            line += f', {failed} failed'
        if current:
            shown = ', '.join(current[:3])
            more = len(current) - 3
            line += f'; current: {shown}' + (f' (+{more})' if more > 0
                                             else '')
        return line

    def __call__(self, execution):
        current = ([] if execution.is_terminal
                   else self.current_tasks(execution))
        line = self.describe(execution, current)
        if self.tty:
            elapsed = base.format_duration(self.clock() - self.started)
            self.stream.write(f'\r\x1b[K[{elapsed:>7}] {line}')
            if execution.is_terminal:
                self.stream.write('\n')
        elif line != self.last_line:
            self.stream.write(line + '\n')
        self.stream.flush()
        self.last_line = line


class ExitCodeMixin:
    """Exit with 1 when the shown execution did not succeed."""

    exit_code = 0

    def run(self, parsed_args):
        result = super().run(parsed_args)
        return self.exit_code or result


def add_wait_arguments(parser):
    parser.add_argument(
        '--timeout', metavar='<seconds>', type=float,
        help='Give up waiting after this many seconds (exit code 2)')
    parser.add_argument(
        '--poll-interval', metavar='<seconds>', type=float, default=2.0,
        help='Seconds between two polls (default: 2)')


class WaitingCommand(ExitCodeMixin, command.ShowOne):

    def wait(self, client, execution_id, parsed_args, previous_end=None):
        reporter = ProgressReporter(client, self.app.stderr)
        try:
            final = client.executions.wait(
                execution_id, timeout=parsed_args.timeout,
                poll_interval=parsed_args.poll_interval, callback=reporter,
                previous_end=previous_end)
        except exceptions.WaitTimeout as e:
            if reporter.tty:
                self.app.stderr.write('\n')
            self.exit_code = 2
            self.app.stderr.write(f'{e}\n')
            return e.execution
        if final.state in executions.EXECUTION_UNSUCCESSFUL_STATES:
            self.exit_code = 1
            self.app.stderr.write(
                f'Execution {final.id} ended {final.state}.\n')
        return final

    def show(self, execution):
        return base.show_output(execution, EXECUTION_FIELDS,
                                EXECUTION_FORMATTERS)


class StartExecution(WaitingCommand):
    """Start an execution of a flow"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('flow', metavar='<flow>',
                            help='Name or ID of the flow')
        parser.add_argument(
            '--flow-version', metavar='<version>', type=int,
            dest='flow_version',
            help='Run this version of the flow (default: the latest)')
        parser.add_argument(
            '--input', metavar='<yaml-or-json>',
            help='Input of the execution as YAML or JSON text')
        parser.add_argument(
            '--input-file', metavar='<path>',
            help='Input of the execution from a YAML or JSON file; '
                 '"-" reads standard input')
        parser.add_argument(
            '--param', metavar='<key=value>', action='append', default=[],
            help='Set one input key (the value is read as YAML); repeat '
                 'for more keys. Applied over --input and --input-file')
        parser.add_argument(
            '--idempotency-key', metavar='<key>',
            help='Starting again with the same key returns the first '
                 'execution instead of starting another')
        parser.add_argument(
            '--wait', action='store_true', default=False,
            help='Wait until the execution ends, showing progress on '
                 'stderr; exit 1 unless it SUCCEEDED')
        add_wait_arguments(parser)
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.taskflow
        flow_input = base.read_mapping(
            text=parsed_args.input, path=parsed_args.input_file,
            params=parsed_args.param, stdin=self.app.stdin)
        execution = client.executions.create(
            parsed_args.flow, input=flow_input,
            version=parsed_args.flow_version,
            idempotency_key=parsed_args.idempotency_key)
        if parsed_args.wait:
            self.app.stderr.write(f'Execution {execution.id} started.\n')
            execution = self.wait(client, execution.id, parsed_args)
        return self.show(execution)


class ShowExecution(command.ShowOne):
    """Show an execution"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('execution', metavar='<execution>',
                            help='ID of the execution')
        parser.add_argument(
            '--timeline', action='store_true', default=False,
            help='Print a timeline of its tasks (when each started and '
                 'ended) instead')
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.taskflow
        execution = client.executions.get(parsed_args.execution)
        if parsed_args.timeline:
            self._tasks = client.tasks.list(execution.id)
            self._execution = execution
        return base.show_output(execution, EXECUTION_FIELDS,
                                EXECUTION_FORMATTERS)

    def produce_output(self, parsed_args, column_names, data):
        if not parsed_args.timeline:
            return super().produce_output(parsed_args, column_names, data)
        width = shutil.get_terminal_size((80, 24)).columns
        self.app.stdout.write(timeline.render(self._execution, self._tasks,
                                              width=width))
        return 0


class WaitExecution(WaitingCommand):
    """Wait for an execution to end, showing progress on stderr"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('execution', metavar='<execution>',
                            help='ID of the execution')
        add_wait_arguments(parser)
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.taskflow
        return self.show(self.wait(client, parsed_args.execution,
                                   parsed_args))


class ListExecution(command.Lister):
    """List executions"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--flow', metavar='<flow>',
                            help='Only executions of this flow (name)')
        parser.add_argument(
            '--flow-version', metavar='<version>', type=int,
            dest='flow_version',
            help='Only executions of this version (needs --flow)')
        parser.add_argument('--state',
                            choices=executions.EXECUTION_STATES,
                            help='Only executions in this state')
        parser.add_argument('--parent-id', metavar='<execution>',
                            help='Only sub-executions of this execution')
        base.add_pagination_arguments(parser)
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.taskflow
        if parsed_args.flow_version is not None and not parsed_args.flow:
            raise osc_exceptions.CommandError(
                '--flow-version needs --flow.')
        found = client.executions.list(
            flow=parsed_args.flow, version=parsed_args.flow_version,
            state=parsed_args.state, parent_id=parsed_args.parent_id,
            **base.pagination_kwargs(parsed_args))
        # Lists carry no task_counts; execution show has them.
        columns = ['ID', 'Flow Name', 'Flow Version', 'State',
                   'Created At', 'Duration']
        if parsed_args.long:
            columns += ['Started At', 'Finished At', 'Parent ID',
                        'Stop Reason']
        if parsed_args.long or parsed_args.all_projects:
            columns.insert(1, 'Project ID')
        return base.list_output(found, tuple(columns),
                                {'Duration': base.DurationColumn})


class CancelExecution(command.Command):
    """Cancel executions"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('executions', metavar='<execution>', nargs='+',
                            help='ID of an execution to cancel')
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.taskflow
        base.apply_to_each(client.executions.cancel, parsed_args.executions,
                           'cancel', 'execution', 'cancelled')


class ShowExecutionHistory(command.Lister):
    """Show the history (events) of an execution, oldest first"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('execution', metavar='<execution>',
                            help='ID of the execution')
        base.add_pagination_arguments(parser, sort=False,
                                      all_projects=False)
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.taskflow
        events = client.events.list(parsed_args.execution,
                                    **base.pagination_kwargs(parsed_args))
        columns = ('Created At', 'Task Name', 'Kind', 'From State',
                   'To State', 'Attempt')
        if parsed_args.long:
            columns = ('ID',) + columns + ('Task ID', 'Details')
        return base.list_output(events, columns,
                                {'Details': base.YamlColumn})


class RetryExecution(WaitingCommand):
    """Run a FAILED or TIMED_OUT execution again from its failed tasks"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('execution', metavar='<execution>',
                            help='ID of the execution')
        parser.add_argument(
            '--flow-version', metavar='<version>', type=int,
            dest='flow_version',
            help='Move the execution to this version of its flow first '
                 '(it must keep the tasks that already ran)')
        parser.add_argument(
            '--wait', action='store_true', default=False,
            help='Wait until the execution ends again, showing progress '
                 'on stderr; exit 1 unless it SUCCEEDED')
        add_wait_arguments(parser)
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.taskflow
        before = client.executions.get(parsed_args.execution)
        execution = client.executions.retry(
            parsed_args.execution, version=parsed_args.flow_version)
        if parsed_args.wait:
            self.app.stderr.write(
                f'Execution {parsed_args.execution} retried.\n')
            # Until the engine takes the retry, polls still show the
            # failure being retried: only a later end counts.
            execution = self.wait(client, parsed_args.execution,
                                  parsed_args,
                                  previous_end=before.get('finished_at'))
        elif execution is None:
            execution = client.executions.get(parsed_args.execution)
        return self.show(execution)


class _StateChange(command.ShowOne):
    action = None

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('execution', metavar='<execution>',
                            help='ID of the execution')
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.taskflow
        execution = getattr(client.executions, self.action)(
            parsed_args.execution)
        if execution is None:
            execution = client.executions.get(parsed_args.execution)
        return base.show_output(execution, EXECUTION_FIELDS,
                                EXECUTION_FORMATTERS)


class PauseExecution(_StateChange):
    """Pause a running execution: no new task starts until it is resumed"""

    action = 'pause'


class ResumeExecution(_StateChange):
    """Resume a paused execution"""

    action = 'resume'


class SignalExecution(command.ShowOne):
    """Send a signal to an execution (completes its wait tasks)"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('execution', metavar='<execution>',
                            help='ID of the execution')
        parser.add_argument('name', metavar='<signal>',
                            help='Name of the signal, as in the wait '
                                 "task's signal")
        payload = parser.add_mutually_exclusive_group()
        payload.add_argument(
            '--payload', metavar='<yaml-or-json>',
            help='Payload of the signal as YAML or JSON (any value)')
        payload.add_argument(
            '--payload-file', metavar='<path>',
            help='Payload from a YAML or JSON file; "-" reads standard '
                 'input')
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.taskflow
        payload = None
        try:
            if parsed_args.payload_file:
                payload = common_utils.parse_value(common_utils.read_text(
                    parsed_args.payload_file, self.app.stdin), 'payload')
            elif parsed_args.payload is not None:
                payload = common_utils.parse_value(parsed_args.payload,
                                                   'payload')
        except exceptions.ClientError as e:
            raise osc_exceptions.CommandError(str(e)) from e
        signal = client.executions.signal(parsed_args.execution,
                                          parsed_args.name, payload=payload)
        return base.show_output(
            signal, ('id', 'execution_id', 'name', 'payload', 'created_at'),
            {'payload': base.YamlColumn})
