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

"""A Gantt-like text timeline of an execution's tasks."""

import datetime

from convectionclient.osc.v1 import base


def _seconds(moment, origin):
    return (moment - origin).total_seconds()


def render(execution, tasks, width=80, now=None):
    """One line per task: a bar from its start to its end (or now).

    :param execution: a dict-like execution (``started_at``,
        ``finished_at``, ``state``...).
    :param tasks: dict-like tasks.
    """
    now = now or datetime.datetime.now(datetime.UTC)
    origin = (base.parse_time(execution.get('started_at')) or
              base.parse_time(execution.get('created_at')) or now)
    end = base.parse_time(execution.get('finished_at')) or now
    rows = []
    # Started tasks in the order they started, then the others.
    tasks = sorted(tasks, key=lambda t: (
        base.parse_time(t.get('started_at')) is None,
        base.parse_time(t.get('started_at')) or origin, t.get('name') or ''))
    for task in tasks:
        start = base.parse_time(task.get('started_at'))
        finish = base.parse_time(task.get('finished_at'))
        if start is not None and finish is None:
            finish = now if task.get('state') in ('RUNNING',
                                                  'WAITING') else start
        name = task.get('name') or '?'
        if (task.get('item_index') or -1) >= 0:
            name += f'[{task["item_index"]}]'
        rows.append((name, task.get('state') or '', start, finish))
        if finish is not None and finish > end:
            end = finish
    span = max(_seconds(end, origin), 1e-6)
    name_width = min(24, max([len(r[0]) for r in rows] + [4]))
    bar_width = max(10, width - name_width - 9 - 2 - 9 - 4)
    total = base.format_duration(span)
    lines = [f'{execution.get("flow_name")} v'
             f'{execution.get("flow_version")}  {execution.get("state")}  '
             f'{total}',
             f'{"TASK":<{name_width}} {"STATE":<9} '
             f' {"0s":<{bar_width - len(total)}}{total}  DURATION']
    for name, state, start, finish in rows:
        cells = [' '] * bar_width
        duration = ''
        if start is not None:
            first = int(_seconds(start, origin) / span * (bar_width - 1))
            last = int(_seconds(finish, origin) / span * (bar_width - 1))
            first = min(max(first, 0), bar_width - 1)
            last = min(max(last, first), bar_width - 1)
            mark = '=' if state in ('RUNNING', 'WAITING') else '#'
            if state in ('FAILED', 'TIMED_OUT'):
                mark = 'X'
            for i in range(first, last + 1):
                cells[i] = mark
            duration = base.format_duration(_seconds(finish, start))
        lines.append(f'{name[:name_width]:<{name_width}} {state[:9]:<9} '
                     f'|{"".join(cells)}| {duration:>8}')
    if not rows:
        lines.append('(no tasks yet)')
    return '\n'.join(lines) + '\n'
