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

"""``openstack taskflow top``: a live view of what Convection is running.

The screen is built from panels. Each panel collects its part of a
snapshot (a plain dict, printed as is by ``--once -f json``) and renders it
as lines of text, so a new panel (queues, workers) is one more entry in
:data:`PANELS`. Rendering is a pure function of the snapshot and the view
state; only :func:`run_live` touches the terminal.
"""

import curses
import datetime
import logging
import shutil
import time

from osc_lib import exceptions as osc_exceptions
from osc_lib.command import command

from convectionclient import exceptions
from convectionclient.osc.v1 import base
from convectionclient.v1 import executions

LOG = logging.getLogger(__name__)

SORTS = ('age', 'flow', 'progress', 'state')
# get() calls per refresh at most, for task_counts missing from lists.
MAX_DETAILED = 60


def _now():
    return datetime.datetime.now(datetime.UTC)


def _age(since, now):
    started = base.parse_time(since)
    if started is None:
        return None
    return max(0.0, (now - started).total_seconds())


def _short_error(error):
    if isinstance(error, dict):
        error = error.get('message') or error.get('type') or error
    text = str(error or '')
    return ' '.join(text.split())


def collect_executions(client, options, now):
    """Active executions (with progress) and a per-flow summary."""
    rows = []
    for state in executions.EXECUTION_ACTIVE_STATES:
        rows += client.executions.list(state=state, limit=options.limit,
                                       all_projects=options.all_projects)
    detailed = 0
    result = []
    for execution in rows:
        counts = execution.get('task_counts')
        if counts is None and detailed < MAX_DETAILED:
            detailed += 1
            try:
                counts = client.executions.get(execution.id).get(
                    'task_counts')
            except exceptions.NotFound:
                continue  # finished and deleted meanwhile
        done, total = base.progress(counts)
        result.append({
            'id': execution.id,
            'flow': execution.get('flow_name'),
            'version': execution.get('flow_version'),
            'state': execution.get('state'),
            'project_id': execution.get('project_id'),
            'age': _age(execution.get('started_at') or
                        execution.get('created_at'), now),
            'tasks_done': done,
            'tasks_total': total,
            'task_counts': counts or {},
        })
    flows = {}
    for row in result:
        flow = flows.setdefault(row['flow'], {
            'flow': row['flow'], 'active': 0, 'running': 0, 'pending': 0,
            'paused': 0, 'oldest_age': None})
        flow['active'] += 1
        key = row['state'].lower()
        if key in flow:
            flow[key] += 1
        if row['age'] is not None:
            flow['oldest_age'] = max(flow['oldest_age'] or 0, row['age'])
    return {'executions': result,
            'flows': sorted(flows.values(),
                            key=lambda f: (-f['active'], f['flow'] or ''))}


def collect_failures(client, options, now):
    """The most recent executions that ended badly."""
    failures = []
    for state in sorted(executions.EXECUTION_UNSUCCESSFUL_STATES):
        failures += client.executions.list(
            state=state, limit=options.failures, sort_key='finished_at',
            sort_dir='desc', all_projects=options.all_projects)
    failures.sort(key=lambda e: e.get('finished_at') or '', reverse=True)
    return {'recent_failures': [{
        'id': e.id,
        'flow': e.get('flow_name'),
        'version': e.get('flow_version'),
        'state': e.get('state'),
        'finished_at': e.get('finished_at'),
        'ago': _age(e.get('finished_at'), now),
        'error': _short_error(e.get('error')),
    } for e in failures[:options.failures]]}


def collect_queues(client, options, now):
    """Backlog, oldest waiting item and live workers of every queue the
    project's task types use.
    """
    try:
        names = sorted({t.get('queue') or t.get('name')
                        for t in client.task_types.list()})
    except (exceptions.Forbidden, exceptions.NotFound) as e:
        # A role that may not list task types still sees executions.
        LOG.debug('Cannot list task types: %s', e)
        return {'queues': []}
    queues = []
    for name in names:
        try:
            stats = client.queues.get(name).to_dict()
        except exceptions.NotFound:
            continue
        queues.append({key: stats.get(key) for key in (
            'queue', 'backlog', 'delayed', 'oldest_waiting_age',
            'in_flight', 'live_workers', 'workers')})
    # The busiest queues first: they are the ones needing workers.
    queues.sort(key=lambda q: (-(q['backlog'] or 0),
                               -(q['oldest_waiting_age'] or 0),
                               q['queue'] or ''))
    return {'queues': queues}


class Panel:
    """One part of the screen and of the snapshot."""

    def __init__(self, name, collect, render, min_rows):
        self.name = name
        self.collect = collect
        self.render = render
        self.min_rows = min_rows


def _fit(text, width):
    return text if len(text) <= width else text[:max(0, width - 1)] + '~'


def _bar(done, total, width=10):
    if not total:
        return '[' + ' ' * width + ']'
    filled = int(width * done / total)
    return '[' + '#' * filled + ' ' * (width - filled) + ']'


def _sorted_executions(rows, sort):
    if sort == 'flow':
        return sorted(rows, key=lambda r: (r['flow'] or '', -(r['age'] or 0)))
    if sort == 'progress':
        return sorted(rows, key=lambda r: (
            r['tasks_done'] / r['tasks_total'] if r['tasks_total'] else 0))
    if sort == 'state':
        return sorted(rows, key=lambda r: (r['state'], -(r['age'] or 0)))
    return sorted(rows, key=lambda r: -(r['age'] or 0))


def render_flows(snapshot, view, width, rows):
    flows = snapshot.get('flows', [])
    lines = [('header', _fit(f'{"FLOW":<30} {"ACTIVE":>6} {"RUN":>5} '
                             f'{"PEND":>5} {"PAUSE":>5} {"OLDEST":>9}',
                             width))]
    for flow in flows[:max(0, rows - 1)]:
        lines.append(('normal', _fit(
            f'{_fit(flow["flow"] or "?", 30):<30} {flow["active"]:>6} '
            f'{flow["running"]:>5} {flow["pending"]:>5} '
            f'{flow["paused"]:>5} '
            f'{base.format_duration(flow["oldest_age"]):>9}', width)))
    if not flows:
        lines.append(('dim', 'No active executions.'))
    return lines


def render_executions(snapshot, view, width, rows):
    ordered = _sorted_executions(snapshot.get('executions', []), view.sort)
    view.visible_ids = [r['id'] for r in ordered]
    # Whole ids when there is room to copy them, else their first 8.
    id_width = 36 if width >= 100 else 8
    flow_width = max(14, min(30, width - id_width - 44))
    lines = [('header', _fit(
        f'{"EXECUTION":<{id_width}} {"FLOW":<{flow_width}} {"STATE":<8} '
        f'{"AGE":>8} {"TASKS":>7}', width))]
    if not ordered:
        return lines
    view.clamp()
    body_rows = max(1, rows - 1)
    first = max(0, min(view.selected - body_rows + 1,
                       len(ordered) - body_rows))
    first = min(first, view.selected)
    for index, row in enumerate(ordered[first:first + body_rows], first):
        tasks = f'{row["tasks_done"]}/{row["tasks_total"]}'
        text = (f'{row["id"][:id_width]:<{id_width}} '
                f'{_fit(row["flow"] or "?", flow_width):<{flow_width}} '
                f'{row["state"]:<8} {base.format_duration(row["age"]):>8} '
                f'{tasks:>7}')
        if width - len(text) >= 13:
            text += ' ' + _bar(row['tasks_done'], row['tasks_total'])
        style = 'selected' if index == view.selected else 'normal'
        lines.append((style, _fit(text, width)))
    return lines


def render_failures(snapshot, view, width, rows):
    failures = snapshot.get('recent_failures', [])
    lines = [('header', _fit('RECENT FAILURES', width))]
    for failure in failures[:max(0, rows - 1)]:
        ago = base.format_duration(failure['ago'])
        text = (f'{failure["id"][:8]} {_fit(failure["flow"] or "?", 14):<14} '
                f'{failure["state"]:<9} {ago:>8} ago  {failure["error"]}')
        lines.append(('failed', _fit(text, width)))
    if not failures:
        lines.append(('dim', 'None.'))
    return lines


def render_queues(snapshot, view, width, rows):
    queues = snapshot.get('queues', [])
    lines = [('header', _fit(f'{"QUEUE":<24} {"BACKLOG":>7} {"OLDEST":>9} '
                             f'{"IN FLIGHT":>9} {"WORKERS":>7}  NAMES',
                             width))]
    for queue in queues[:max(0, rows - 1)]:
        names = ', '.join(queue.get('workers') or ())
        style = 'failed' if queue['backlog'] and not queue['live_workers'] \
            else 'normal'
        lines.append((style, _fit(
            f'{_fit(queue["queue"] or "?", 24):<24} '
            f'{queue["backlog"] or 0:>7} '
            f'{base.format_duration(queue["oldest_waiting_age"]):>9} '
            f'{queue["in_flight"] or 0:>9} {queue["live_workers"] or 0:>7}'
            f'  {names}', width)))
    if not queues:
        lines.append(('dim', 'No task types with queues.'))
    return lines


PANELS = [
    # collect_executions fills both 'flows' and 'executions'.
    Panel('flows', None, render_flows, 3),
    Panel('executions', collect_executions, render_executions, 4),
    Panel('queues', collect_queues, render_queues, 2),
    Panel('failures', collect_failures, render_failures, 3),
]


def collect_snapshot(client, options, now=None):
    """Everything the screen shows, as one JSON-ready dict."""
    now = now or _now()
    snapshot = {'generated_at': now.isoformat(timespec='seconds'),
                'endpoint': client.endpoint}
    for panel in PANELS:
        if panel.collect is not None:
            snapshot.update(panel.collect(client, options, now))
    return snapshot


class ViewState:
    """What the user chose: sort order, selection, drill-down."""

    def __init__(self, sort='age'):
        self.sort = sort
        self.selected = 0
        self.visible_ids = []
        self.drilled = None  # an execution id when showing its tasks

    def clamp(self):
        self.selected = max(0, min(self.selected,
                                   len(self.visible_ids) - 1))

    def handle_key(self, key):
        """Apply a key; return False when the user quits."""
        if key in ('q', 'Q'):
            return False
        if self.drilled is not None:
            if key in ('b', 'escape', 'backspace', 'left', 'enter', 'd'):
                self.drilled = None
            return True
        if key == 's':
            self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        elif key in ('down', 'j'):
            self.selected += 1
        elif key in ('up', 'k'):
            self.selected -= 1
        elif key in ('enter', 'd') and self.visible_ids:
            self.clamp()
            self.drilled = self.visible_ids[self.selected]
        self.clamp()
        return True


def render_summary(snapshot, view, width):
    rows = snapshot.get('executions', [])
    counts = {state: sum(1 for r in rows if r['state'] == state)
              for state in executions.EXECUTION_ACTIVE_STATES}
    queues = snapshot.get('queues', [])
    backlog = sum(q['backlog'] or 0 for q in queues)
    workers = sum(q['live_workers'] or 0 for q in queues)
    clock = snapshot.get('generated_at', '')[11:19]
    return [
        ('title', _fit(f'convection top  {clock} UTC  '
                       f'{snapshot.get("endpoint", "")}', width)),
        ('normal', _fit(
            f'Executions: {counts["RUNNING"]} running, '
            f'{counts["PENDING"]} pending, {counts["PAUSED"]} paused   '
            f'Queued: {backlog}  Workers: {workers}   sort: {view.sort}',
            width)),
    ]


def render_screen(snapshot, view, width, height):
    """The main screen as ``[(style, text)]``, at most ``height`` lines."""
    lines = render_summary(snapshot, view, width)
    footer = ('footer', _fit('q quit  s sort  up/down select  '
                             'enter/d tasks', width))
    available = height - len(lines) - 1
    flows_rows = min(len(snapshot.get('flows', [])) + 1, 6)
    failures_rows = min(len(snapshot.get('recent_failures', [])) + 1, 6)
    queues_rows = min(len(snapshot.get('queues', [])) + 1, 5)
    flows_rows = max(2, flows_rows)
    failures_rows = max(2, failures_rows)
    queues_rows = max(2, queues_rows)
    # One blank line precedes each panel.
    executions_rows = max(2, available - flows_rows - failures_rows -
                          queues_rows - len(PANELS))
    budget = {'flows': flows_rows, 'executions': executions_rows,
              'failures': failures_rows, 'queues': queues_rows}
    for panel in PANELS:
        rows = budget.get(panel.name, panel.min_rows)
        lines.append(('blank', ''))
        lines += panel.render(snapshot, view, width, rows)[:rows]
    lines = lines[:height - 1]
    lines += [('blank', '')] * (height - 1 - len(lines))
    lines.append(footer)
    return lines


def render_tasks(execution, tasks, width, height):
    """The drill-down screen: one execution and its tasks."""
    done, total = base.progress(execution.get('task_counts'))
    lines = [
        ('title', _fit(f'Execution {execution.id}', width)),
        ('normal', _fit(
            f'{execution.get("flow_name")} v{execution.get("flow_version")}'
            f'  {execution.get("state")}  {done}/{total} tasks  '
            f'{base.format_duration(execution.get("duration"))}', width)),
    ]
    if execution.get('error'):
        lines.append(('failed', _fit(
            'Error: ' + _short_error(execution.get('error')), width)))
    lines.append(('blank', ''))
    lines.append(('header', _fit(
        f'{"TASK":<24} {"TYPE":<14} {"STATE":<9} {"TRY":>3} '
        f'{"DURATION":>9}  BLOCKED/ERROR', width)))
    for task in tasks[:max(0, height - len(lines) - 1)]:
        note = _short_error(task.get('error')) or task.get('blocked_on') \
            or ''
        name = task.get('name') or '?'
        # Tasks outside a for_each have no index (or -1).
        if (task.get('item_index') or -1) >= 0:
            name += f'[{task.get("item_index")}]'
        style = 'failed' if task.get('state') in (
            executions.FAILED, executions.TIMED_OUT) else 'normal'
        lines.append((style, _fit(
            f'{_fit(name, 24):<24} {_fit(task.get("type") or "", 14):<14} '
            f'{task.get("state") or "":<9} {task.get("attempt") or 0:>3} '
            f'{base.format_duration(task.get("duration")):>9}  {note}',
            width)))
    lines = lines[:height - 1]
    lines += [('blank', '')] * (height - 1 - len(lines))
    lines.append(('footer', _fit('q quit  b/enter back', width)))
    return lines


KEYS = {10: 'enter', 13: 'enter', 27: 'escape', 127: 'backspace'}


def run_live(client, options):
    """Draw and refresh the screen until the user quits (curses)."""
    named = {curses.KEY_UP: 'up', curses.KEY_DOWN: 'down',
             curses.KEY_ENTER: 'enter', curses.KEY_LEFT: 'left',
             curses.KEY_BACKSPACE: 'backspace'}

    def loop(screen):
        curses.curs_set(0)
        screen.timeout(100)
        styles = {'title': curses.A_BOLD, 'header': curses.A_UNDERLINE,
                  'selected': curses.A_REVERSE, 'footer': curses.A_REVERSE,
                  'dim': curses.A_DIM, 'failed': curses.A_BOLD,
                  'normal': curses.A_NORMAL, 'blank': curses.A_NORMAL}
        view = ViewState(options.sort)
        snapshot = None
        drilled = None
        error = None
        next_refresh = 0.0
        while True:
            if time.monotonic() >= next_refresh:
                try:
                    snapshot = collect_snapshot(client, options)
                    drilled = None
                    if view.drilled:
                        drilled = (client.executions.get(view.drilled),
                                   client.tasks.list(view.drilled))
                    error = None
                except exceptions.ClientError as e:
                    error = str(e).splitlines()[0]
                next_refresh = time.monotonic() + options.interval
            height, width = screen.getmaxyx()
            width -= 1  # writing the last column of a line scrolls
            if view.drilled and drilled is not None:
                lines = render_tasks(*drilled, width, height)
            elif snapshot is not None:
                lines = render_screen(snapshot, view, width, height)
            else:
                lines = [('normal', 'Loading...')]
            if error:
                lines[-1] = ('failed', _fit(f'Error: {error}', width))
            screen.erase()
            for row, (style, text) in enumerate(lines[:height]):
                screen.addnstr(row, 0, text, width, styles[style])
            screen.refresh()
            code = screen.getch()
            if code == -1:
                continue
            key = named.get(code) or KEYS.get(code) or (
                chr(code) if 0 <= code < 256 else '')
            was_drilled = view.drilled
            if not view.handle_key(key):
                return
            if view.drilled != was_drilled:
                next_refresh = 0.0

    curses.wrapper(loop)


class Top(command.ShowOne):
    """Live view of running executions, queues, workers and failures"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            '--once', action='store_true', default=False,
            help='Print one snapshot and exit (with -f json or yaml for '
                 'scripts; the table format prints the screen)')
        parser.add_argument(
            '--interval', metavar='<seconds>', type=float, default=2.0,
            help='Seconds between refreshes (default: 2)')
        parser.add_argument(
            '--sort', choices=SORTS, default='age',
            help='Initial sort of the executions (key s cycles)')
        parser.add_argument(
            '--limit', metavar='<count>', type=int, default=200,
            help='Executions listed per state at most (default: 200)')
        parser.add_argument(
            '--failures', metavar='<count>', type=int, default=5,
            help='Recent failures shown (default: 5)')
        parser.add_argument(
            '--all-projects', action='store_true', default=False,
            help='Executions of every project (admin only)')
        return parser

    def take_action(self, parsed_args):
        if parsed_args.limit < 1 or parsed_args.failures < 1:
            raise osc_exceptions.CommandError(
                '--limit and --failures must be positive.')
        client = self.app.client_manager.taskflow
        if not parsed_args.once:
            if not (self.app.stdout.isatty() and self.app.stdin.isatty()):
                raise osc_exceptions.CommandError(
                    'taskflow top needs a terminal; use --once for a '
                    'snapshot.')
            run_live(client, parsed_args)
            return (), ()
        self._snapshot = collect_snapshot(client, parsed_args)
        return tuple(self._snapshot), tuple(self._snapshot.values())

    def produce_output(self, parsed_args, column_names, data):
        if not parsed_args.once:
            return 0
        if parsed_args.formatter == 'table':
            size = shutil.get_terminal_size((80, 24))
            lines = render_screen(self._snapshot,
                                  ViewState(parsed_args.sort),
                                  size.columns, max(size.lines, 24))
            text = '\n'.join(t for _, t in lines[:-1]).rstrip('\n')
            self.app.stdout.write(text + '\n')
            return 0
        return super().produce_output(parsed_args, column_names, data)
