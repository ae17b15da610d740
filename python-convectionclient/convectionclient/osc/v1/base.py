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

"""What the taskflow commands share: pagination, formatting, input."""

import datetime
import logging

from cliff import columns
from osc_lib import exceptions as osc_exceptions
from osc_lib import utils
import yaml

from convectionclient import exceptions
from convectionclient.common import utils as common_utils
from convectionclient.v1 import executions

LOG = logging.getLogger(__name__)


class YamlColumn(columns.FormattableColumn):
    """A structured value: YAML in tables, itself in JSON and YAML."""

    def human_readable(self):
        if self._value is None or self._value == {}:
            return ''
        if isinstance(self._value, str):
            return self._value
        return yaml.safe_dump(self._value, default_flow_style=False,
                              sort_keys=False).rstrip()

    def machine_readable(self):
        return self._value


class DurationColumn(columns.FormattableColumn):
    """Seconds: ``1h02m03s`` in tables, the number in JSON and YAML."""

    def human_readable(self):
        return format_duration(self._value)

    def machine_readable(self):
        return self._value


class TaskCountsColumn(columns.FormattableColumn):
    """``task_counts``: ``3/5 (SUCCEEDED=3, RUNNING=2)`` in tables."""

    def human_readable(self):
        counts = self._value or {}
        if not counts:
            return ''
        done, total = progress(counts)
        states = ', '.join(f'{state}={n}' for state, n in
                           sorted(counts.items()))
        return f'{done}/{total} ({states})'

    def machine_readable(self):
        return self._value


def progress(counts):
    """``(finished, known)`` task numbers from a ``task_counts`` dict."""
    counts = counts or {}
    done = sum(n for state, n in counts.items()
               if state in executions.TASK_TERMINAL_STATES)
    return done, sum(counts.values())


def format_duration(seconds):
    if seconds is None or seconds == '':
        return ''
    try:
        seconds = float(seconds)
    except (TypeError, ValueError):
        return str(seconds)
    if seconds < 60:
        return f'{seconds:.1f}s'
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f'{hours}h{minutes:02d}m{secs:02d}s'
    return f'{minutes}m{secs:02d}s'


def parse_time(value):
    """An ISO 8601 time from the API as an aware datetime, or None."""
    if not value:
        return None
    try:
        parsed = datetime.datetime.fromisoformat(str(value).replace(
            'Z', '+00:00'))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        # The service answers in UTC.
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed


def add_pagination_arguments(parser, sort=True, all_projects=True):
    parser.add_argument(
        '--limit', metavar='<count>', type=int,
        help='Show at most this many items (default: all)')
    parser.add_argument(
        '--marker', metavar='<id>',
        help='Start after this item (the last id of a previous page)')
    if sort:
        parser.add_argument(
            '--sort', metavar='<key>[:<direction>]',
            help='Sort by this key, asc or desc (default: created_at:desc)')
    if all_projects:
        parser.add_argument(
            '--all-projects', action='store_true', default=False,
            help='Include the items of every project (admin only)')
    parser.add_argument(
        '--long', action='store_true', default=False,
        help='Show more columns')


def pagination_kwargs(parsed_args):
    if parsed_args.limit is not None and parsed_args.limit < 1:
        raise osc_exceptions.CommandError(
            f'--limit must be a positive number, not {parsed_args.limit}.')
    kwargs = {'limit': parsed_args.limit, 'marker': parsed_args.marker}
    sort = getattr(parsed_args, 'sort', None)
    if sort:
        key, _, direction = sort.partition(':')
        if direction and direction not in ('asc', 'desc'):
            raise osc_exceptions.CommandError(
                f'--sort direction must be asc or desc, not {direction!r}.')
        kwargs['sort_key'] = key
        kwargs['sort_dir'] = direction or None
    if getattr(parsed_args, 'all_projects', False):
        kwargs['all_projects'] = True
    return kwargs


def list_output(resources, columns_, formatters=None):
    """``(titles, rows)`` for a Lister; titles map to snake_case fields."""
    rows = (utils.get_dict_properties(r.to_dict(), columns_,
                                      formatters=formatters or {})
            for r in resources)
    return columns_, rows


def show_output(resource, fields, formatters=None):
    """``(fields, values)`` for a ShowOne; absent fields are left out."""
    info = resource.to_dict() if hasattr(resource, 'to_dict') else resource
    present = [f for f in fields if f in info]
    values = utils.get_dict_properties(info, present,
                                       formatters=formatters or {})
    return tuple(present), values


def read_mapping(text=None, path=None, params=(), stdin=None, what='input'):
    """Build a mapping from YAML/JSON text, a file and KEY=VALUE pairs."""
    try:
        result = {}
        if path:
            result.update(common_utils.parse_document(
                common_utils.read_text(path, stdin), what))
        if text:
            result.update(common_utils.parse_document(text, what))
        for param in params or ():
            key, value = common_utils.parse_assignment(param)
            result[key] = value
    except exceptions.ClientError as e:
        raise osc_exceptions.CommandError(str(e)) from e
    return result


def local_page(resources, parsed_args, marker_key='id',
               default_sort='created_at'):
    """``--sort``, ``--marker`` and ``--limit`` applied here, for lists
    the service answers whole and unsorted.
    """
    kwargs = pagination_kwargs(parsed_args)
    items = list(resources)
    sort_key = kwargs.get('sort_key') or default_sort
    if items and sort_key not in items[0].to_dict():
        raise osc_exceptions.CommandError(
            f'Cannot sort by {sort_key!r}: the items have no such field.')
    # None sorts before any value instead of failing the comparison.
    items.sort(key=lambda r: (r.get(sort_key) is not None,
                              str(r.get(sort_key) or '')),
               reverse=kwargs.get('sort_dir') == 'desc')
    if kwargs.get('marker'):
        keys = [r.get(marker_key) for r in items]
        if kwargs['marker'] not in keys:
            raise osc_exceptions.CommandError(
                f'--marker {kwargs["marker"]} is not in the list.')
        items = items[keys.index(kwargs['marker']) + 1:]
    if kwargs.get('limit'):
        items = items[:kwargs['limit']]
    return items


def apply_to_each(action, items, verb, noun, done):
    """Call ``action`` on every item, going on past failures.

    Each failure is logged; if any, the command fails saying how many, so
    that ``openstack taskflow delete a b c`` does what it can.

    :param verb: e.g. 'delete'; ``noun``: e.g. 'flow' (plural: noun + 's');
        ``done``: e.g. 'deleted'.
    :raises: CommandError if any item failed.
    """
    failures = 0
    for item in items:
        try:
            action(item)
        except exceptions.ClientError as e:
            failures += 1
            LOG.error('Failed to %(verb)s %(noun)s %(item)s: %(error)s',
                      {'verb': verb, 'noun': noun, 'item': item, 'error': e})
    if failures:
        raise osc_exceptions.CommandError(
            f'{failures} of {len(items)} {noun}s could not be {done}.')
