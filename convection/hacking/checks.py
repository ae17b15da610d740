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

"""Convection's local flake8 checks (N3xx), run by ``tox -e pep8``.

flake8 loads this module through ``[flake8:local-plugins]`` in tox.ini, by
path, so it must import nothing but the standard library.
"""

import ast
import re

_EVENTLET_IMPORT = re.compile(r'^\s*(?:import|from)\s+eventlet\b')
_LOG_WARN = re.compile(r'\bLOG\.warn\(')
_LOG_TRANSLATED = re.compile(
    r'\bLOG\.(?:debug|info|warning|error|exception|critical)\(\s*_\(')

_MUTABLE_LITERALS = (ast.List, ast.Dict, ast.Set, ast.ListComp,
                     ast.DictComp, ast.SetComp)
_MUTABLE_CALLS = frozenset(('list', 'dict', 'set', 'bytearray'))


def check_no_eventlet(logical_line):
    """N301: never import eventlet.

    Every Convection service runs on oslo.service's threading backend;
    importing eventlet (even indirectly through a module that monkey
    patches) would bring green threads back into a threaded process.
    """
    if _EVENTLET_IMPORT.match(logical_line):
        yield 0, ('N301: do not import eventlet; use threads and '
                  "oslo.service's threading backend")


def check_no_log_warn(logical_line):
    """N302: LOG.warn is a deprecated alias of LOG.warning."""
    match = _LOG_WARN.search(logical_line)
    if match:
        yield match.start(), 'N302: use LOG.warning, not LOG.warn'


def check_no_log_translation(logical_line):
    """N304: log messages are for operators and are never translated."""
    match = _LOG_TRANSLATED.search(logical_line)
    if match:
        yield match.start(), 'N304: do not translate log messages with _()'


def _is_mutable(node):
    if isinstance(node, _MUTABLE_LITERALS):
        return True
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in _MUTABLE_CALLS)


def check_no_mutable_default_args(tree):
    """N303: a mutable default argument is shared between all calls."""
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                                 ast.Lambda)):
            continue
        for default in node.args.defaults + node.args.kw_defaults:
            if default is not None and _is_mutable(default):
                yield (default.lineno, default.col_offset,
                       'N303: mutable default argument; default to None '
                       'and build the value in the body', None)
