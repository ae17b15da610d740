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

"""``openstack taskflow worker run -- <command>``: any program as a worker.

Each claimed item runs the command once: the item's input is JSON on its
stdin, its stdout (JSON, or nothing for no output) is the task's output
when it exits 0. Any other exit fails the task with the end of its stderr
as the message; exit code 100 makes the failure final (not retried).
"""

import argparse
import json
import os
import subprocess

from osc_lib import exceptions as osc_exceptions
from osc_lib.command import command

from convectionclient import worker as worker_lib

# Exit status of a command whose failure must not be retried.
EXIT_NOT_RETRYABLE = 100
STDERR_TAIL = 2000
POLL = 0.2


def stderr_tail(text, limit=STDERR_TAIL):
    text = (text or '').strip()
    return text if len(text) <= limit else '...' + text[-limit:]


class CommandHandler:
    """Runs ``argv`` for one item and turns its exit into a result."""

    def __init__(self, argv, stream):
        self.argv = argv
        self.stream = stream

    def __call__(self, params, job):
        env = dict(os.environ,
                   CONVECTION_TASK_ID=str(job.task_id),
                   CONVECTION_EXECUTION_ID=str(job.execution_id),
                   CONVECTION_TASK_TYPE=str(job.task_type),
                   CONVECTION_ATTEMPT=str(job.attempt))
        try:
            # Running the user's own command is what this worker is for.
            process = subprocess.Popen(  # noqa: S603
                self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, env=env, text=True)
        except OSError as e:
            raise worker_lib.TaskFailure(
                f'Cannot run {self.argv[0]}: {e}', error_type='CommandFailed',
                retryable=False) from e
        data = json.dumps(params)
        while True:
            try:
                out, err = process.communicate(data, timeout=POLL)
                break
            except subprocess.TimeoutExpired:
                data = None
                if job.lost.is_set():
                    # The task ended without us (cancelled, timed out):
                    # the result would be refused.
                    process.kill()
        self.stream.write(f'task {job.task_id} ({job.task_type}) attempt '
                          f'{job.attempt}: exit {process.returncode}\n')
        self.stream.flush()
        if process.returncode != 0:
            raise worker_lib.TaskFailure(
                stderr_tail(err) or f'{self.argv[0]} exited with '
                                    f'{process.returncode}',
                error_type='CommandFailed',
                retryable=process.returncode != EXIT_NOT_RETRYABLE,
                details={'exit_code': process.returncode})
        if not out.strip():
            return None
        try:
            return json.loads(out)
        except ValueError as e:
            raise worker_lib.TaskFailure(
                f'{self.argv[0]} printed output that is not JSON: {e}',
                error_type='InvalidOutput', retryable=False) from e


class RunWorker(command.Command):
    """Run a command for every work item of a queue, in any language.

    The item's input is JSON on the command's stdin; what it prints on
    stdout (JSON) is the task's output when it exits 0. Another exit fails
    the task with the end of its stderr; exit 100 fails it for good. The
    environment has CONVECTION_TASK_ID, CONVECTION_EXECUTION_ID,
    CONVECTION_TASK_TYPE and CONVECTION_ATTEMPT. SIGTERM or Ctrl-C stops
    claiming and waits for the running commands.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--queue', metavar='<queue>', required=True,
                            help='Queue to claim items from')
        parser.add_argument(
            '--concurrency', metavar='<count>', type=int, default=1,
            help='Commands run at the same time (default: 1)')
        parser.add_argument(
            '--name', metavar='<name>',
            help="Worker name in the queue's live workers (default: "
                 'host:pid)')
        parser.add_argument(
            '--wait', metavar='<seconds>', type=float,
            default=worker_lib.DEFAULT_WAIT,
            help='Seconds one claim request waits for an item (default: '
                 f'{worker_lib.DEFAULT_WAIT:g})')
        parser.add_argument(
            '--max-items', metavar='<count>', type=int,
            help='Exit after running this many items (default: run until '
                 'stopped)')
        parser.add_argument(
            'command', metavar='-- <command> [<arg> ...]',
            nargs=argparse.REMAINDER,
            help='The program to run for each item, after --')
        return parser

    def take_action(self, parsed_args):
        argv = list(parsed_args.command)
        if argv and argv[0] == '--':
            argv = argv[1:]
        if not argv:
            raise osc_exceptions.CommandError(
                'Give the command to run after --, e.g. openstack taskflow '
                'worker run --queue q -- ./resize.sh')
        if parsed_args.concurrency < 1:
            raise osc_exceptions.CommandError(
                '--concurrency must be at least 1.')
        if parsed_args.max_items is not None and parsed_args.max_items < 1:
            raise osc_exceptions.CommandError(
                '--max-items must be at least 1.')
        client = self.app.client_manager.taskflow
        worker = worker_lib.Worker(
            client, queue=parsed_args.queue, name=parsed_args.name,
            concurrency=parsed_args.concurrency, wait=parsed_args.wait)
        worker.task('*')(CommandHandler(argv, self.app.stderr))
        self.app.stderr.write(
            f'Worker {worker.name} running {" ".join(argv)} for queue '
            f'{parsed_args.queue} (concurrency {parsed_args.concurrency}); '
            f'SIGTERM or Ctrl-C stops it.\n')
        self.app.stderr.flush()
        worker.run(max_items=parsed_args.max_items)
        self.app.stderr.write(
            f'Worker {worker.name} stopped: {worker.completed} completed, '
            f'{worker.failed} failed.\n')
