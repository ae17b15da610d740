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

"""Validates flow definitions and execution inputs.

:func:`validate` collects every problem it can find in one pass, each with
the path of the offending value, so a user fixes a flow in one round trip.
"""

import copy
import difflib
import re

import jinja2
import jsonschema
from oslo_serialization import jsonutils
import referencing

from convection.common import exception
from convection.conf import CONF
from convection.dsl import expressions
from convection.dsl import schema
from convection.i18n import _
from convection.tasks import registry

_FLOW_VALIDATOR = jsonschema.Draft202012Validator(schema.FLOW)
# User schemas must never make the service fetch a URL: an empty registry
# that retrieves nothing.
_NO_REMOTE_REFS = referencing.Registry()
_KEY_VALIDATORS = frozenset(['required', 'additionalProperties',
                             'dependentRequired', 'propertyNames'])


def _error(path, message):
    return {'path': path, 'message': message}


def _did_you_mean(word, choices):
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return _(" (did you mean '%s'?)") % close[0] if close else ''


def _sub(prefix, key):
    return f'{prefix}.{key}' if prefix else key


def _path(steps, prefix=''):
    path = prefix
    for step in steps:
        path = expressions.join_path(path, step)
    return path


def _schema_errors(validator, instance, prefix='', unknown_key_message=None):
    """Readable errors of ``instance`` against a JSON Schema validator."""
    errors = []
    for error in sorted(validator.iter_errors(instance),
                        key=lambda e: list(map(str, e.absolute_path))):
        errors.extend(_explain(error, prefix, unknown_key_message))
    return errors


def _explain(error, prefix, unknown_key_message):
    path = _path(error.absolute_path, prefix)
    if error.validator == 'additionalProperties' and isinstance(
            error.instance, dict):
        known = error.schema.get('properties', {})
        # additionalProperties may itself be a schema (as for tasks);
        # only a False one means "unknown key".
        if error.schema.get('additionalProperties') is False:
            message = unknown_key_message or _("unknown key '%(key)s'%(hint)s")
            return [_error(expressions.join_path(path, key),
                           message % {'key': key,
                                      'hint': _did_you_mean(key, known)})
                    for key in error.instance
                    if key not in known and not any(
                        re.search(pattern, key) for pattern in
                        error.schema.get('patternProperties', {}))]
    if error.validator == 'required':
        missing = [key for key in error.validator_value
                   if key not in error.instance]
        return [_error(expressions.join_path(path, key),
                       _("missing required key '%s'") % key)
                for key in missing]
    if 'propertyNames' in error.relative_schema_path:
        path = expressions.join_path(path, error.instance)
    if ('x-message' in error.schema
            and error.validator in ('pattern', 'type', 'enum')):
        return [_error(path,
                       f"{error.instance!r} {error.schema['x-message']}")]
    if error.validator in ('anyOf', 'oneOf') and error.context:
        # Report the alternative that got furthest, not the whole union.
        best = jsonschema.exceptions.best_match(error.context)
        return _explain(best, prefix, unknown_key_message)
    return [_error(path, error.message)]


def validate(document, task_types=None):
    """Validates a flow definition and returns its normalized form.

    :param document: a flow definition, as :func:`parser.parse` returns.
    :param task_types: ``{name: TaskType}``; by default the registry's.
    :returns: a new dict: ``input`` defaults to ``{"type": "object"}``,
        every task has ``requires`` and ``with``, durations are numbers of
        seconds and ``retry`` has ``count``, ``interval`` and ``backoff``
        (and ``max_interval`` if given).
    :raises: InvalidFlowDefinition listing every problem found.
    """
    if task_types is None:
        task_types = registry.get_task_types()
    if not isinstance(document, dict):
        raise exception.InvalidFlowDefinition([_error(
            '', _('a flow definition must be a mapping'))])
    if 'version' in document and (
            document['version'] not in schema.SUPPORTED_VERSIONS
            or isinstance(document['version'], bool)):
        # The rest of a document for another version means nothing here.
        version_schema = schema.FLOW['properties']['version']
        raise exception.InvalidFlowDefinition([_error(
            'version', f"{document['version']!r} "
                       f"{version_schema['x-message']}")])
    errors = _schema_errors(_FLOW_VALIDATOR, document)
    tasks = document.get('tasks')
    tasks = {name: task for name, task in tasks.items()
             if isinstance(task, dict)} if isinstance(tasks, dict) else {}
    errors.extend(_check_task_count(tasks))
    errors.extend(_check_durations(document, tasks))
    errors.extend(_check_requires(tasks))
    errors.extend(_check_handlers(tasks))
    errors.extend(_check_fan_out(tasks))
    errors.extend(_check_cycles(tasks))
    errors.extend(_check_task_types(tasks, task_types))
    errors.extend(_check_expressions(document, tasks))
    errors.extend(_check_input_schema(document.get('input')))
    if errors:
        # jsonschema reports each missing key once per rule, and so on.
        unique = list({(e['path'], e['message']): e for e in errors}.values())
        raise exception.InvalidFlowDefinition(unique)
    return _normalize(document)


def _check_task_count(tasks):
    limit = CONF.dsl.max_tasks
    if len(tasks) > limit:
        yield _error('tasks', _('the flow has %(count)d tasks; the limit is '
                                '%(limit)d') % {'count': len(tasks),
                                                'limit': limit})


def _durations(document, tasks):
    """``(path, value, must_be_positive)`` of every duration given."""
    for owner, prefix, keys in (
            [(document, '', schema.FLOW_DURATION_KEYS)]
            + [(task, f'tasks.{name}', schema.TASK_DURATION_KEYS)
               for name, task in tasks.items()]):
        for key in keys:
            if key in owner:
                yield _sub(prefix, key), owner[key], True
        retry = owner.get('retry')
        if isinstance(retry, dict):
            for key in ('interval', 'max_interval'):
                if key in retry:
                    yield _sub(prefix, f'retry.{key}'), retry[key], False


def _check_durations(document, tasks):
    for path, value, positive in _durations(document, tasks):
        # The schema checks numbers; "0s" passes its pattern.
        if (positive and isinstance(value, str)
                and _valid_duration(value) and schema.to_seconds(value) == 0):
            yield _error(path, _('%r must be longer than 0 seconds') % value)
    for owner, prefix in [(document, '')] + [
            (task, f'tasks.{name}') for name, task in tasks.items()]:
        retry = owner.get('retry')
        if not isinstance(retry, dict):
            continue
        interval = retry.get('interval', 0)
        maximum = retry.get('max_interval')
        if (maximum is not None and _valid_duration(interval)
                and _valid_duration(maximum)
                and schema.to_seconds(maximum) < schema.to_seconds(interval)):
            yield _error(_sub(prefix, 'retry.max_interval'),
                         _('must not be shorter than retry.interval'))


def _valid_duration(value):
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return value >= 0
    return isinstance(value, str) and bool(
        re.match(schema.DURATION_PATTERN, value))


def _requirements(tasks):
    """``{task: [tasks it requires]}``, keeping only valid edges.

    A failure handler (a task named in another's ``on_failure``) counts as
    requiring the task it handles: it runs after it and reads its result.
    """
    graph = {}
    for name, task in tasks.items():
        requires = task.get('requires')
        if not isinstance(requires, list):
            requires = []
        graph[name] = [dep for dep in requires
                       if isinstance(dep, str) and dep in tasks
                       and dep != name]
    for name, handler in _handled_by(tasks):
        if handler in graph and name not in graph[handler]:
            graph[handler].append(name)
    return graph


def _handled_by(tasks):
    """``(task, handler)`` for every valid name in an ``on_failure``."""
    for name, task in tasks.items():
        handlers = task.get('on_failure')
        if not isinstance(handlers, list):
            continue
        for handler in handlers:
            if isinstance(handler, str) and handler in tasks and \
                    handler != name:
                yield name, handler


def _check_fan_out(tasks):
    for name, task in tasks.items():
        if 'concurrency' in task and 'with_items' not in task:
            yield _error(f'tasks.{name}.concurrency', _(
                'limits how many items of with_items run at once, but the '
                'task has no with_items'))
        if 'with_items' in task and task.get('type') == 'flow':
            yield _error(f'tasks.{name}.with_items', _(
                'a flow task cannot fan out; fan out inside the child flow '
                'instead'))
        items = task.get('with_items')
        if isinstance(items, str) and not expressions.has_expression(items):
            yield _error(f'tasks.{name}.with_items', _(
                'must be a list or an expression giving one, such as '
                '"{{ input.servers }}"'))


def _check_handlers(tasks):
    sources = {}
    for name, task in tasks.items():
        handlers = task.get('on_failure')
        if not isinstance(handlers, list):
            continue
        for index, handler in enumerate(handlers):
            path = f'tasks.{name}.on_failure[{index}]'
            if not isinstance(handler, str):
                continue
            if handler == name:
                yield _error(path, _("task '%s' cannot handle its own "
                                     "failure") % name)
            elif handler not in tasks:
                yield _error(path, _("unknown task '%(dep)s'%(hint)s") % {
                    'dep': handler, 'hint': _did_you_mean(handler, tasks)})
            elif handler in sources:
                yield _error(path, _(
                    "task '%(handler)s' already handles the failure of "
                    "'%(other)s'; a task handles one task's failure") % {
                    'handler': handler, 'other': sources[handler]})
            elif tasks[handler].get('requires'):
                sources[handler] = name
                yield _error(f'tasks.{handler}.requires', _(
                    "task '%(handler)s' handles the failure of '%(name)s', "
                    "so it runs only then and cannot also require tasks")
                    % {'handler': handler, 'name': name})
            else:
                sources[handler] = name


def _check_requires(tasks):
    for name, task in tasks.items():
        requires = task.get('requires')
        if not isinstance(requires, list):
            continue
        for index, dep in enumerate(requires):
            path = f'tasks.{name}.requires[{index}]'
            if not isinstance(dep, str):
                continue
            if dep == name:
                yield _error(path, _("task '%s' cannot require itself")
                             % name)
            elif dep not in tasks:
                yield _error(path, _("unknown task '%(dep)s'%(hint)s") % {
                    'dep': dep, 'hint': _did_you_mean(dep, tasks)})


def _check_cycles(tasks):
    remaining = _requirements(tasks)
    order = list(tasks)
    while True:
        _peel(remaining)
        if not remaining:
            return
        # Every remaining task requires a remaining one: walking
        # requirements from any of them must come back to a task seen.
        walk, seen = [next(iter(remaining))], {}
        while walk[-1] not in seen:
            seen[walk[-1]] = len(walk) - 1
            walk.append(next(dep for dep in remaining[walk[-1]]
                             if dep in remaining))
        cycle = walk[seen[walk[-1]]:-1]
        for name in cycle:
            del remaining[name]
        # Start at the task declared first, for a stable message.
        at = cycle.index(min(cycle, key=order.index))
        cycle = cycle[at:] + cycle[:at]
        yield _error(f'tasks.{cycle[0]}.requires', _(
            'tasks require each other in a cycle: %s (each one requires '
            'the next)') % ' -> '.join(cycle + cycle[:1]))


def _peel(graph):
    """Drops the tasks that are in no cycle and require none.

    What remains are cycles and the tasks that require one.
    """
    changed = True
    while changed:
        changed = False
        for name, deps in list(graph.items()):
            if not any(dep in graph for dep in deps):
                del graph[name]
                changed = True


def _check_task_types(tasks, task_types):
    for name, task in tasks.items():
        type_name = task.get('type')
        if not isinstance(type_name, str):
            continue
        task_type = task_types.get(type_name)
        if task_type is None:
            yield _error(f'tasks.{name}.type', _(
                "unknown task type '%(type)s'%(hint)s; the known types are: "
                "%(known)s") % {'type': type_name,
                                'hint': _did_you_mean(type_name, task_types),
                                'known': ', '.join(sorted(task_types))})
            continue
        inputs = task.get('with', {})
        if isinstance(inputs, dict):
            yield from _check_inputs(name, type_name, task_type, inputs)


def _check_inputs(name, type_name, task_type, inputs):
    """Checks ``with`` against the task type's input schema.

    Values holding expressions are only known at run time, so errors about
    them are left out; missing and unknown keys are always reported.
    """
    validator_cls = jsonschema.validators.validator_for(
        task_type.input_schema, default=jsonschema.Draft202012Validator)
    validator = validator_cls(task_type.input_schema,
                              registry=_NO_REMOTE_REFS)
    message = _("unknown input '%%(key)s' for task type '%(type)s'"
                "%%(hint)s") % {'type': type_name}
    prefix = f'tasks.{name}.with'
    for error in sorted(validator.iter_errors(inputs),
                        key=lambda e: list(map(str, e.absolute_path))):
        if (error.validator not in _KEY_VALIDATORS
                and _holds_expression(error.instance)):
            continue
        yield from _explain(error, prefix, message)


def _holds_expression(value):
    return any(True for _item in expressions.iter_expressions(value))


def _ancestors(graph, name):
    """Every task ``name`` requires, directly or not."""
    found, todo = set(), list(graph.get(name, ()))
    while todo:
        dep = todo.pop()
        if dep not in found:
            found.add(dep)
            todo.extend(graph.get(dep, ()))
    return found


def _check_expressions(document, tasks):
    graph = _requirements(tasks)
    for name, task in tasks.items():
        ancestors = None
        for key in schema.TASK_EXPRESSION_KEYS:
            if key not in task:
                continue
            prefix = f'tasks.{name}.{key}'
            yield from expressions.check_syntax(task[key], prefix)
            for path, text in expressions.iter_expressions(task[key], prefix):
                for ref in sorted(_references(text)):
                    if ref not in tasks:
                        yield _unknown_reference(path, ref, tasks)
                    elif ref == name:
                        yield _error(path, _(
                            "task '%s' cannot read its own result") % name)
                    else:
                        if ancestors is None:
                            ancestors = _ancestors(graph, name)
                        if ref not in ancestors:
                            yield _error(path, _(
                                "reads task '%(ref)s' but does not require "
                                "it, so it may run before '%(ref)s' ends; "
                                "add '%(ref)s' to tasks.%(name)s.requires")
                                % {'ref': ref, 'name': name})
    for key in schema.FLOW_EXPRESSION_KEYS:
        if key not in document:
            continue
        yield from expressions.check_syntax(document[key], key)
        for path, text in expressions.iter_expressions(document[key], key):
            for ref in sorted(_references(text)):
                if ref not in tasks:
                    yield _unknown_reference(path, ref, tasks)


def _references(text):
    try:
        return expressions.string_task_references(text)
    except jinja2.TemplateSyntaxError:
        return frozenset()


def _unknown_reference(path, ref, tasks):
    return _error(path, _("reads task '%(ref)s', which this flow does not "
                          "define%(hint)s") % {
        'ref': ref, 'hint': _did_you_mean(ref, tasks)})


_META_VALIDATOR = jsonschema.Draft202012Validator(
    jsonschema.Draft202012Validator.META_SCHEMA)


def _check_input_schema(input_schema):
    if not isinstance(input_schema, dict):
        return []
    errors = _schema_errors(_META_VALIDATOR, input_schema, prefix='input')
    if input_schema.get('type', 'object') != 'object':
        errors.append(_error('input.type', _(
            "an execution input is a JSON object: the type must be "
            "'object'")))
    errors.extend(_remote_references(input_schema, 'input'))
    return errors


def _remote_references(value, path):
    if isinstance(value, dict):
        for key, item in value.items():
            item_path = expressions.join_path(path, key)
            if (key in ('$ref', '$dynamicRef') and isinstance(item, str)
                    and not item.startswith('#')):
                yield _error(item_path, _(
                    "only references inside the schema ('#/...') are "
                    "allowed, not %r") % item)
            else:
                yield from _remote_references(item, item_path)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _remote_references(item, f'{path}[{index}]')


def _normalize_retry(retry):
    normalized = {
        'count': retry['count'],
        'interval': schema.to_seconds(retry.get('interval', 0)),
        'backoff': retry.get('backoff', 1),
    }
    if 'max_interval' in retry:
        normalized['max_interval'] = schema.to_seconds(retry['max_interval'])
    for key in ('jitter', 'on'):
        if key in retry:
            normalized[key] = retry[key]
    return normalized


def _normalize(document):
    definition = copy.deepcopy(document)
    definition.setdefault('input', {'type': 'object'})
    owners = [(definition, schema.FLOW_DURATION_KEYS)] + [
        (task, schema.TASK_DURATION_KEYS)
        for task in definition['tasks'].values()]
    for owner, duration_keys in owners:
        for key in duration_keys:
            if key in owner:
                owner[key] = schema.to_seconds(owner[key])
        if 'retry' in owner:
            owner['retry'] = _normalize_retry(owner['retry'])
    if 'repeat' in definition:
        repeat = definition['repeat']
        repeat['every'] = schema.to_seconds(repeat['every'])
        repeat.setdefault('keep', 10)
    for task in definition['tasks'].values():
        task.setdefault('requires', [])
        task.setdefault('with', {})
    return definition


def _apply_defaults(input_schema, value):
    """Fills in the ``default`` of absent properties, recursively."""
    if not (isinstance(input_schema, dict) and isinstance(value, dict)):
        return
    for key, subschema in input_schema.get('properties', {}).items():
        if not isinstance(subschema, dict):
            continue
        if key not in value and 'default' in subschema:
            value[key] = copy.deepcopy(subschema['default'])
        if key in value:
            _apply_defaults(subschema, value[key])


def validate_input(definition, value):
    """Validates an execution input against the flow's input schema.

    :param definition: a validated (normalized) flow definition.
    :param value: the execution input; ``None`` means ``{}``.
    :returns: a copy of the input with the schema's defaults filled in.
    :raises: InvalidExecutionInput naming each failing path;
        RequestEntityTooLarge if the input is larger than
        ``[dsl]max_input_size`` bytes of JSON.
    """
    if value is None:
        value = {}
    size = len(jsonutils.dump_as_bytes(value))
    limit = CONF.dsl.max_input_size
    if size > limit:
        raise exception.RequestEntityTooLarge(
            what=_('The execution input'), size=size, limit=limit)
    input_schema = definition.get('input', {'type': 'object'})
    value = copy.deepcopy(value)
    _apply_defaults(input_schema, value)
    validator_cls = jsonschema.validators.validator_for(
        input_schema, default=jsonschema.Draft202012Validator)
    validator = validator_cls(input_schema, registry=_NO_REMOTE_REFS)
    try:
        errors = _schema_errors(validator, value, prefix='input')
    except referencing.exceptions.Unresolvable as exc:
        raise exception.InvalidExecutionInput(
            reason=_("the flow's input schema has a reference that cannot "
                     "be resolved: %s") % exc) from None
    if errors:
        reasons = dict.fromkeys(f"{e['path']}: {e['message']}"
                                for e in errors)
        raise exception.InvalidExecutionInput(reason='; '.join(reasons))
    return value
