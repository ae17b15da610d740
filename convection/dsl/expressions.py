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

"""Sandboxed Jinja2 expressions in flow definitions.

Any string in a rendered part of a flow (a task's ``with``, the flow's
``output``) may hold Jinja2 expressions. A string that is exactly one
``{{ expression }}`` renders to the expression's native value (a dict, a
list, a number...); any other string renders as text.

Expressions run in a sandbox: no attribute starting with ``_``, no way to
change data, no imports or files, and every evaluation has a deadline
(``[dsl]expression_timeout``) and a result size limit
(``[dsl]max_expression_result_size``). A thread cannot be killed, so the
deadline is checked wherever the sandbox regains control: attribute and
item access, calls, operators and every step of a ``for`` loop.
"""

import functools
import math
import re
import string
import threading
import time
import types

import jinja2
from jinja2 import nodes
from jinja2 import sandbox
import markupsafe
from oslo_serialization import jsonutils

from convection.common import exception
from convection.conf import CONF
from convection.i18n import _

_TEMPLATE_MARKERS = ('{{', '{%', '{#')
_CACHE_SIZE = 4096
# Python's int ** int can run for minutes; nobody needs bigger numbers.
_MAX_POWER_BITS = 4096

_local = threading.local()


class _Timeout(Exception):
    """The current evaluation ran past its deadline."""


class _TooLarge(Exception):
    """The current evaluation would build a value past the size limit."""


def _check_deadline():
    deadline = getattr(_local, 'deadline', None)
    if deadline is not None and time.monotonic() > deadline:
        raise _Timeout()


def _size_limit():
    # Read once per evaluation: oslo.config lookups are slow in loops.
    limit = getattr(_local, 'size_limit', None)
    return CONF.dsl.max_expression_result_size if limit is None else limit


def _check_size(size):
    if size > _size_limit():
        raise _TooLarge()


def _check_data_size(value):
    """Refuses a value whose JSON text would pass the size limit."""
    limit = _size_limit()
    if _data_size(value, limit) > limit:
        raise _TooLarge()


def _data_size(value, limit):
    """About the length of a value's JSON text, counted up to ``limit``.

    Lists and dicts may share items (``{% set b = [a, a] %}`` nested a few
    times), so their text can be exponentially larger than the memory they
    take; this walk counts shared items each time, as their text would,
    and stops as soon as ``limit`` is passed.
    """
    size = 0
    todo = [value]
    while todo:
        item = todo.pop()
        if isinstance(item, str):
            size += len(item) + 3
        elif isinstance(item, dict):
            size += 2
            todo.extend(item.keys())
            todo.extend(item.values())
        elif isinstance(item, (list, tuple)):
            size += 2
            todo.extend(item)
        elif isinstance(item, int):
            size += item.bit_length() // 3 + 2
        else:
            size += 2
        if size > limit:
            break
    return size


# Filters that only pick, count or reorder items and make no text: they
# may look at data larger than the size limit (a big task output).
_STRUCTURE_FILTERS = frozenset([
    'abs', 'attr', 'batch', 'bool', 'count', 'd', 'default', 'dictsort',
    'first', 'float', 'groupby', 'int', 'items', 'last', 'length', 'list',
    'map', 'max', 'min', 'random', 'reject', 'rejectattr', 'reverse',
    'round', 'select', 'selectattr', 'slice', 'sort', 'unique',
])


def _sized_filter(func):
    """Checks the data a filter gets before it turns it into text."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        _check_deadline()
        for arg in (*args, *kwargs.values()):
            _check_data_size(arg)
        return func(*args, **kwargs)

    return wrapper


def _guarded_concat(*parts):
    """``a ~ b``: Jinja2 turns each part into text, unchecked."""
    _check_deadline()
    for part in parts:
        _check_data_size(part)
    text = ''.join(str(part) for part in parts)
    _check_size(len(text))
    return text


def _finalize(value):
    """Every ``{{ ... }}`` printed as text passes here first."""
    if getattr(_local, 'deadline', None) is not None:
        _check_data_size(value)
    return value


def _guard_iter(iterable):
    """Wraps every for-loop's iterable to check the deadline each step."""
    for item in iterable:
        _check_deadline()
        yield item


def _capped_range(*args):
    rng = range(*args)
    # Loops are bounded by the deadline, but range(10**9)|list is not.
    limit = CONF.dsl.max_expression_result_size
    if len(rng) > limit:
        raise _TooLarge(_("range() would have %(count)d items; the limit is "
                          "%(limit)d") % {'count': len(rng), 'limit': limit})
    return rng


def _capped_args(func):
    """Refuses numeric arguments (widths) larger than the size limit."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        for arg in (*args[1:], *kwargs.values()):
            if isinstance(arg, int) and not isinstance(arg, bool):
                _check_size(arg)
        return func(*args, **kwargs)

    return wrapper


_PERCENT_SPEC = re.compile(r'%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?')
_BRACE_SPEC = re.compile(r'^(?:.?[<>=^])?[-+ ]?z?#?0?(\d*)[,_]?(?:\.(\d+))?')


def _check_percent_format(fmt):
    for width, precision in _PERCENT_SPEC.findall(fmt):
        for number in (width, precision):
            if number == '*':
                raise _TooLarge(_("a width taken from an argument ('*') is "
                                  "not allowed"))
            if number:
                _check_size(int(number))


def _check_brace_format(fmt):
    for _literal, _field, spec, _conv in string.Formatter().parse(fmt):
        if not spec:
            continue
        if '{' in spec:
            # A width taken from an argument cannot be checked here.
            raise _TooLarge(_("a width taken from an argument is not "
                              "allowed"))
        width, precision = _BRACE_SPEC.match(spec).groups()
        for number in (width, precision):
            if number:
                _check_size(int(number))


def _safe_format_filter(value, *args, **kwargs):
    _check_percent_format(str(value))
    return jinja2.filters.do_format(value, *args, **kwargs)


class _Namespace(jinja2.utils.Namespace):
    """``namespace()``, whose values cannot outgrow the size limit.

    It is the only state a loop can carry from one step to the next, so
    capping it stops ``{% set ns.s = ns.s ~ ns.s %}`` from doubling a
    string until memory runs out.
    """

    def __setitem__(self, name, value):
        _check_deadline()
        _check_data_size(value)
        super().__setitem__(name, value)


def _check_replace(text, old, new):
    if isinstance(text, str) and isinstance(old, str) and isinstance(
            new, str) and len(new) > len(old):
        count = text.count(old) if old else len(text) + 1
        _check_size(len(text) + count * (len(new) - len(old)))


def _check_join(items, separator):
    if isinstance(separator, str):
        _check_size(len(separator) * max(len(items) - 1, 0))
    _check_data_size(items)


@jinja2.pass_eval_context
def _safe_join(eval_ctx, value, d='', attribute=None):
    items = list(value)
    _check_join(items, d)
    return jinja2.filters.do_join(eval_ctx, items, d, attribute)


@jinja2.pass_eval_context
def _safe_replace(eval_ctx, s, old, new, count=None):
    _check_replace(str(s), old, new)
    return jinja2.filters.do_replace(eval_ctx, s, old, new, count)


def _safe_indent(s, width=4, first=False, blank=False):
    if isinstance(width, int):
        _check_size(len(str(s)) + (str(s).count('\n') + 1) * width)
    return jinja2.filters.do_indent(s, width, first, blank)


# str methods that pad to a width given as an argument.
_PADDING_METHODS = frozenset(
    ['center', 'ljust', 'rjust', 'zfill', 'expandtabs'])


class SandboxedEnvironment(sandbox.ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox with a deadline and size limits."""

    intercepted_binops = frozenset(['*', '**', '%', '+'])

    def __init__(self):
        super().__init__(undefined=jinja2.StrictUndefined,
                         autoescape=False, keep_trailing_newline=True,
                         finalize=_finalize)
        self.globals = {
            'range': _capped_range,
            'dict': dict,
            'namespace': _Namespace,
            '_guard_iter': _guard_iter,
            '_guarded_concat': _guarded_concat,
        }
        self.filters['center'] = _capped_args(self.filters['center'])
        self.filters['indent'] = _safe_indent
        self.filters['join'] = _safe_join
        self.filters['replace'] = _safe_replace
        self.filters['format'] = _safe_format_filter
        self.filters = {
            name: func if name in _STRUCTURE_FILTERS else _sized_filter(func)
            for name, func in self.filters.items()}

    def is_safe_attribute(self, obj, attr, value):
        _check_deadline()
        return super().is_safe_attribute(obj, attr, value)

    def getattr(self, obj, attribute):
        _check_deadline()
        # Flow data is JSON: input.items means the key, not dict.items.
        if isinstance(obj, dict) and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)

    def getitem(self, obj, argument):
        _check_deadline()
        return super().getitem(obj, argument)

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805
        _check_deadline()
        for arg in (*args, *kwargs.values()):
            _check_data_size(arg)
        if (isinstance(__obj, types.BuiltinMethodType)
                and isinstance(__obj.__self__, str)):
            text, method = __obj.__self__, __obj.__name__
            if method in _PADDING_METHODS:
                for arg in (*args, *kwargs.values()):
                    if isinstance(arg, int):
                        _check_size(arg)
            elif method == 'replace' and len(args) >= 2:
                _check_replace(text, *args[:2])
            elif method == 'join' and args:
                items = list(args[0])
                _check_join(items, text)
                args = (items, *args[1:])
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value):
        wrapper = super().wrap_str_format(value)
        if wrapper is None:
            return None
        fmt = value.__self__

        def checked(*args, **kwargs):
            _check_brace_format(fmt)
            return wrapper(*args, **kwargs)

        return checked

    def call_binop(self, context, operator, left, right):
        _check_deadline()
        if operator == '*':
            if (isinstance(left, int) and isinstance(right, int)
                    and left.bit_length() + right.bit_length()
                    > _MAX_POWER_BITS):
                raise _TooLarge(_("the product is too large a number"))
            for seq, times in ((left, right), (right, left)):
                if (isinstance(seq, (str, list, tuple))
                        and isinstance(times, int) and times > 0):
                    # A list's items may be large: [big] * 1000.
                    size = len(seq) if isinstance(seq, str) else _data_size(
                        seq, _size_limit())
                    _check_size(size * times)
        elif operator == '**':
            if (isinstance(left, int) and isinstance(right, int)
                    and abs(left) > 1 and right > 0
                    and right * math.log2(abs(left)) > _MAX_POWER_BITS):
                raise _TooLarge(_("%(left)d ** %(right)d is too large a "
                                  "number") % {'left': left, 'right': right})
        elif operator == '+' and isinstance(left, (str, list, tuple)):
            if isinstance(right, (str, list, tuple)):
                _check_data_size([left, right])
        elif operator == '%' and isinstance(left, str):
            _check_percent_format(left)
        return super().call_binop(context, operator, left, right)


_env = SandboxedEnvironment()


class _Compiled:
    """One parsed and compiled string.

    ``native`` is set when the string is exactly one ``{{ expression }}``;
    ``references`` are the tasks its expressions read.
    """

    __slots__ = ('source', 'template', 'native', 'ast', 'references')

    def __init__(self, source, template, native, ast):
        self.source = source
        self.template = template
        self.native = native
        self.ast = ast
        self.references = frozenset(_task_references(ast))


def _guard(ast):
    """Rewrites what the sandbox cannot intercept into checked calls.

    ``for`` loops check the deadline at each step; ``a ~ b`` checks the
    size of what it turns into text.
    """
    for loop in ast.find_all(nodes.For):
        loop.iter = nodes.Call(nodes.Name('_guard_iter', 'load'),
                               [loop.iter], [], None, None,
                               lineno=loop.lineno)
    for parent in list(ast.find_all(nodes.Node)):
        for field in parent.fields:
            value = getattr(parent, field, None)
            if isinstance(value, nodes.Concat):
                setattr(parent, field, _concat_call(value))
            elif isinstance(value, list):
                setattr(parent, field, [
                    _concat_call(item) if isinstance(item, nodes.Concat)
                    else item for item in value])
    return ast


def _concat_call(concat):
    return nodes.Call(nodes.Name('_guarded_concat', 'load'), concat.nodes,
                      [], None, None, lineno=concat.lineno)


def has_expression(text):
    """Whether a string holds any Jinja2 markup at all."""
    return '{' in text and any(m in text for m in _TEMPLATE_MARKERS)


# Templates load nothing; the other tags build their output in a buffer
# that the size limit could only check once it is too late.
_REFUSED_TAGS = {
    nodes.Extends: 'extends', nodes.Include: 'include',
    nodes.Import: 'import', nodes.FromImport: 'from ... import',
    nodes.Macro: 'macro', nodes.CallBlock: 'call',
    nodes.FilterBlock: 'filter', nodes.AssignBlock: 'set ... endset',
}


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _compile(source):
    """Parses and compiles a string once.

    :raises: jinja2.TemplateSyntaxError
    """
    ast = _env.parse(source)
    node = ast.find(tuple(_REFUSED_TAGS))
    if node is not None:
        raise jinja2.TemplateSyntaxError(
            _("'%s' cannot be used in flow expressions") %
            _REFUSED_TAGS[type(node)], node.lineno)
    body = ast.body
    native = (len(body) == 1 and isinstance(body[0], nodes.Output)
              and len(body[0].nodes) == 1
              and not isinstance(body[0].nodes[0], nodes.TemplateData))
    compiled = ast
    if native:
        # What compile_expression() builds, from the tree already parsed.
        compiled = nodes.Template(
            [nodes.Assign(nodes.Name('result', 'store'), body[0].nodes[0],
                          lineno=1)], lineno=1)
    template = _env.from_string(_guard(compiled))
    return _Compiled(source, template, native, ast)


def _task_references(ast):
    """Names of tasks read through ``tasks.<name>`` or ``tasks['<name>']``."""
    found = set()
    for node in ast.find_all((nodes.Getattr, nodes.Getitem)):
        base = node.node
        if not (isinstance(base, nodes.Name) and base.name == 'tasks'):
            continue
        if isinstance(node, nodes.Getattr):
            found.add(node.attr)
        elif (isinstance(node.arg, nodes.Const)
                and isinstance(node.arg.value, str)):
            found.add(node.arg.value)
    return found


def _iter_strings(value, path):
    """Yields ``(path, string)`` for every string in a JSON value."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _iter_strings(item, join_path(path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _iter_strings(item, f'{path}[{index}]')


_PLAIN_KEY = re.compile(r'^[A-Za-z0-9_-]+$')


def join_path(path, key):
    """The path of ``key`` inside the value at ``path``, as errors show it."""
    if isinstance(key, int):
        return f'{path}[{key}]'
    if _PLAIN_KEY.match(key):
        return f'{path}.{key}' if path else key
    return f'{path}[{jsonutils.dumps(key)}]'


def iter_expressions(value, path=''):
    """Yields ``(path, string)`` for every string holding an expression."""
    for string_path, text in _iter_strings(value, path):
        if has_expression(text):
            yield string_path, text


def check_syntax(value, path=''):
    """Syntax errors of every expression in a JSON value.

    :param value: any JSON value.
    :param path: the path of ``value`` in the flow, prefixed to each error.
    :returns: a list of ``{'path': ..., 'message': ...}`` dicts.
    """
    errors = []
    for string_path, text in iter_expressions(value, path):
        try:
            _compile(text)
        except jinja2.TemplateSyntaxError as exc:
            errors.append({
                'path': string_path,
                'message': _("invalid expression %(expr)r: %(err)s "
                             "(line %(line)d)") % {
                    'expr': text, 'err': exc.message, 'line': exc.lineno}})
    return errors


def find_task_references(value):
    """Names of the tasks whose results the expressions in ``value`` read.

    Only references spelled out in full (``tasks.boot`` or
    ``tasks['boot']``) are found; a computed name is not.
    Strings with syntax errors are skipped (see :func:`check_syntax`).
    """
    found = set()
    for _path, text in iter_expressions(value):
        try:
            found |= _compile(text).references
        except jinja2.TemplateSyntaxError:
            continue
    return found


def string_task_references(text):
    """Like :func:`find_task_references`, for one string.

    :raises: jinja2.TemplateSyntaxError
    """
    if not has_expression(text):
        return frozenset()
    return _compile(text).references


def render(value, scope):
    """Renders every expression in a JSON value.

    :param value: a JSON value; dicts and lists are rendered recursively
        (their keys are not), other non-strings are returned as they are.
    :param scope: the names expressions see: ``input``, ``tasks``
        (``{name: {'output': ..., 'state': ...}}``), ``execution``...
    :returns: a new value; ``value`` is not changed.
    :raises: ExpressionError
    """
    if isinstance(value, str):
        if not has_expression(value):
            return value
        return _render_string(value, scope)
    if isinstance(value, dict):
        return {key: render(item, scope) for key, item in value.items()}
    if isinstance(value, list):
        return [render(item, scope) for item in value]
    return value


def _render_string(source, scope):
    try:
        compiled = _compile(source)
    except jinja2.TemplateSyntaxError as exc:
        raise exception.ExpressionError(
            expression=source, reason=exc.message) from None
    _local.deadline = time.monotonic() + CONF.dsl.expression_timeout
    _local.size_limit = CONF.dsl.max_expression_result_size
    try:
        if compiled.native:
            context = compiled.template.new_context(scope)
            for _chunk in compiled.template.root_render_func(context):
                pass
            result = context.vars['result']
            if isinstance(result, jinja2.Undefined):
                # StrictUndefined only fails when used, not when returned.
                result._fail_with_undefined_error()
            return _to_json(result)
        # Count the output as it is made: a loop may print far more than
        # the limit long before the deadline.
        chunks, size = [], 0
        for chunk in compiled.template.generate(scope):
            size += len(chunk)
            _check_size(size)
            chunks.append(chunk)
        return ''.join(chunks)
    except _Timeout:
        reason = _("took longer than %s seconds") % (
            CONF.dsl.expression_timeout)
    except _TooLarge as exc:
        reason = str(exc) or _(
            "its result would be larger than %d bytes") % (
            CONF.dsl.max_expression_result_size)
    except jinja2.UndefinedError as exc:
        reason = _explain_undefined(compiled.ast, scope) or exc.message
    except sandbox.SecurityError as exc:
        reason = _("not allowed: %s") % exc
    except Exception as exc:
        # Filters and methods raise anything (TypeError, ValueError...);
        # the engine needs an ExpressionError, whatever the cause.
        reason = str(exc) or type(exc).__name__
    finally:
        _local.deadline = _local.size_limit = None
    raise exception.ExpressionError(expression=source, reason=reason)


_JSON_SCALARS = frozenset([str, int, float, bool, type(None)])


def _to_json(result):
    """Turns a native result into JSON data, within the size limit."""
    if type(result) in _JSON_SCALARS:
        if isinstance(result, str):
            _check_size(len(result))
        return result
    if isinstance(result, (types.GeneratorType, range, tuple, map, filter)):
        result = list(result)
    elif isinstance(result, markupsafe.Markup):
        result = str(result)
    _check_data_size(result)
    try:
        text = jsonutils.dump_as_bytes(result, default=_not_json)
    except ValueError as exc:
        raise TypeError(str(exc)) from None
    _check_size(len(text))
    return result


def _not_json(value):
    if isinstance(value, jinja2.Undefined):
        # Raises the UndefinedError that _render_string explains.
        value._fail_with_undefined_error()
    raise ValueError(_("the result holds a %s, which is not JSON data")
                     % type(value).__name__)


def _chains(ast):
    """Every ``name.key[...]`` access chain with constant keys."""
    for node in ast.find_all((nodes.Getattr, nodes.Getitem, nodes.Name)):
        keys = []
        while isinstance(node, (nodes.Getattr, nodes.Getitem)):
            if isinstance(node, nodes.Getattr):
                keys.append(node.attr)
            elif isinstance(node.arg, nodes.Const):
                keys.append(node.arg.value)
            else:
                break
            node = node.node
        else:
            if isinstance(node, nodes.Name) and node.ctx == 'load':
                yield node.name, list(reversed(keys))


def _explain_undefined(ast, scope):
    """Names the first missing key of an expression, clearly.

    Jinja2 only says "'dict object' has no attribute 'x'"; walking the
    expression's access chains over the scope finds which one failed.
    """
    for name, keys in _chains(ast):
        if name not in scope:
            if name in _env.globals or name in ('loop', 'true', 'false'):
                continue
            return _("%(name)r is undefined; expressions can use "
                     "%(known)s") % {'name': name,
                                     'known': ', '.join(sorted(scope))}
        value = scope[name]
        path = name
        for key in keys:
            if isinstance(value, dict):
                if key not in value:
                    if path == 'tasks':
                        return _("task %r has no result yet (it has not "
                                 "finished, or the flow has no such task)"
                                 ) % key
                    return _("%(path)s has no key %(key)r") % {
                        'path': path, 'key': key}
                value = value[key]
            elif isinstance(value, list) and isinstance(key, int):
                if not -len(value) <= key < len(value):
                    return _("%(path)s has no item %(key)d") % {
                        'path': path, 'key': key}
                value = value[key]
            else:
                break
            path = f'{path}.{key}' if isinstance(key, str) else (
                f'{path}[{key}]')
    return None
