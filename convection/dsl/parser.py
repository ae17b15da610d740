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

"""Reads flow definitions from YAML or JSON text."""

import json
import math
import re

from oslo_serialization import jsonutils
import yaml

from convection.common import exception
from convection.conf import CONF
from convection.dsl import expressions
from convection.i18n import _


class _Loader(yaml.SafeLoader):
    """YAML's safe loader, restricted to JSON data.

    * Only ``true`` and ``false`` are booleans: YAML 1.1 would read the
      key ``on:`` (as in ``retry: {on: [...]}``) or the value ``no`` as a
      boolean.
    * Dates stay strings, since a flow definition is stored as JSON.
    * A key given twice is an error, not silently the last one.
    """

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers
                if tag not in ('tag:yaml.org,2002:bool',
                               'tag:yaml.org,2002:timestamp')]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f'duplicate key {key!r}', key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_Loader.add_implicit_resolver(
    'tag:yaml.org,2002:bool', re.compile(r'^(?:true|True|TRUE|false|False|'
                                         r'FALSE)$'), list('tTfF'))


def _syntax_error(message):
    return exception.InvalidFlowDefinition([{'path': '', 'message': message}])


def _check_size(size):
    limit = CONF.dsl.max_definition_size
    if size > limit:
        raise exception.RequestEntityTooLarge(
            what=_('The flow definition'), size=size, limit=limit)


def parse(source):
    """Reads a flow definition.

    :param source: a dict (an already parsed JSON body), or YAML or JSON
        text as ``str`` or ``bytes``.
    :returns: the document, a dict (not validated: see ``dsl.validate``).
    :raises: InvalidFlowDefinition if the text cannot be read or is not a
        mapping of JSON data; RequestEntityTooLarge if it is larger than
        ``[dsl]max_definition_size``.
    """
    if isinstance(source, dict):
        _check_size(len(jsonutils.dump_as_bytes(source)))
        document = source
    elif isinstance(source, (str, bytes)):
        if isinstance(source, str):
            source = source.encode('utf-8')
        _check_size(len(source))
        try:
            text = source.decode('utf-8')
        except UnicodeDecodeError as exc:
            raise _syntax_error(
                _('the flow definition is not UTF-8 text: %s') % exc) from None
        document = _load_text(text)
    else:
        raise _syntax_error(
            _('a flow definition must be YAML or JSON text or a mapping, '
              'not %s') % type(source).__name__)
    if not isinstance(document, dict):
        raise _syntax_error(
            _('a flow definition must be a mapping of keys (version, name, '
              'tasks...), not %s') % _type_name(document))
    errors = list(_non_json(document, ''))
    if errors:
        raise exception.InvalidFlowDefinition(errors)
    return document


def _load_text(text):
    if text.lstrip().startswith('{'):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise _syntax_error(
                _('invalid JSON: %(msg)s at line %(line)d column %(col)d') % {
                    'msg': exc.msg, 'line': exc.lineno, 'col': exc.colno}
            ) from None
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 (safe loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or str(exc)
        if mark is None:
            message = _('invalid YAML: %s') % problem
        else:
            message = _('invalid YAML: %(problem)s at line %(line)d column '
                        '%(col)d') % {'problem': problem,
                                      'line': mark.line + 1,
                                      'col': mark.column + 1}
        raise _syntax_error(message) from None
    except yaml.YAMLError as exc:
        raise _syntax_error(_('invalid YAML: %s') % exc) from None


def _type_name(value):
    return {list: 'a list', str: 'a string', type(None): 'empty'}.get(
        type(value), type(value).__name__)


def _non_json(value, path):
    """Errors for values JSON cannot hold (YAML sets, binary, NaN...)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                yield {'path': path, 'message': _(
                    'key %r is not a string; quote it') % (key,)}
                continue
            yield from _non_json(item, expressions.join_path(path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _non_json(item, f'{path}[{index}]')
    elif isinstance(value, float):
        if not math.isfinite(value):
            yield {'path': path,
                   'message': _('%s is not a JSON number') % value}
    elif not isinstance(value, (str, int, bool, type(None))):
        yield {'path': path, 'message': _(
            'a %s is not JSON data') % type(value).__name__}
