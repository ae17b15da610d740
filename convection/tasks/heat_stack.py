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

"""The ``heat.stack`` task type: create, update or delete a Heat stack.

The task never holds a thread while Heat works: it starts the stack
action, hands the stack id over as its run state straight away and returns
:class:`~convection.tasks.base.Wait`; each later run checks the stack once.
A run that has a run state never starts the action again, so a restarted
conductor resumes polling the same stack.

Example::

    create_stack:
      type: heat.stack
      with:
        action: create
        template: {heat_template_version: 2018-08-31, resources: {...}}
        parameters: {size: 3}
        on_cancel: delete
"""

import re

from heatclient import exc as heat_exc
from keystoneauth1 import exceptions as ks_exc
from oslo_log import log

from convection.common import clients
from convection.i18n import _
from convection.tasks import base
from convection.tasks import cloud

LOG = log.getLogger(__name__)

CREATE = 'create'
UPDATE = 'update'
DELETE = 'delete'

_CLIENT_ERRORS = (heat_exc.BaseException, ks_exc.ClientException)

_DICT_OR_TEXT = {'oneOf': [{'type': 'object'},
                           {'type': 'string', 'minLength': 1}]}
_TEMPLATE_PROPERTIES = {
    # A template as a mapping, or as YAML or JSON text.
    'template': _DICT_OR_TEXT,
    'template_url': {'type': 'string', 'minLength': 1},
    'parameters': {'type': 'object'},
    'environment': _DICT_OR_TEXT,
    'timeout_mins': {'type': 'integer', 'minimum': 1},
}
_STACK_REF = {'type': 'string', 'minLength': 1}
_ONE_TEMPLATE = [{'required': ['template']}, {'required': ['template_url']}]


def _when(action, schema):
    condition = {'properties': {'action': {'const': action}},
                 'required': ['action']}
    if action == CREATE:
        # No action means create.
        condition = {'anyOf': [condition,
                               {'not': {'required': ['action']}}]}
    return {'if': condition, 'then': schema}


INPUT_SCHEMA = {
    'type': 'object',
    'properties': {'action': {'enum': [CREATE, UPDATE, DELETE]}},
    'allOf': [
        _when(CREATE, {
            'properties': dict(
                _TEMPLATE_PROPERTIES,
                action={},
                stack_name={'type': 'string',
                            'pattern': '^[a-zA-Z][a-zA-Z0-9_.-]{0,254}$'},
                tags={'type': 'array', 'items': {'type': 'string'}},
                on_cancel={'enum': ['delete', 'keep']}),
            'oneOf': _ONE_TEMPLATE,
            'additionalProperties': False}),
        _when(UPDATE, {
            'properties': dict(_TEMPLATE_PROPERTIES, action={},
                               stack=_STACK_REF,
                               # PATCH: keep what is not given.
                               existing={'type': 'boolean'}),
            'required': ['stack'],
            'additionalProperties': False}),
        _when(DELETE, {
            'properties': {'action': {}, 'stack': _STACK_REF},
            'required': ['stack'],
            'additionalProperties': False}),
    ],
}


def _task_tag(context):
    # Marks the stack a run created, so that a run interrupted between
    # Heat's answer and the engine storing the stack id finds it again.
    return f'convection-task-{context.task_id}-{context.attempt}'


def _default_stack_name(context):
    name = re.sub(r'[^a-zA-Z0-9_.-]', '-', context.task_name)[:200]
    return f'convection-{name}-{context.task_id[:8]}'


def _is_rollback_or_failure(status):
    return status.endswith('_FAILED') or status.startswith('ROLLBACK_')


class HeatStackTask(cloud.CloudTask):
    """Creates, updates or deletes a Heat stack and waits for the end."""

    service_type = clients.ORCHESTRATION
    input_schema = INPUT_SCHEMA

    def run(self, context, inputs):
        try:
            heat = clients.heat(self.session(context))
        except cloud.NoTrust as error:
            return self.no_trust(error)
        state = context.run_state
        if state is None:
            try:
                return self._start(heat, context, inputs)
            except _CLIENT_ERRORS as exc:
                return self.failed(exc, context)
        try:
            return self._check(heat, state)
        except _CLIENT_ERRORS as exc:
            if cloud.is_transient(exc):
                return self.wait_after_error(exc, context, state)
            return self.failed(exc, context)

    def cancel(self, context, inputs):
        """Delete the stack the task created, if the flow asks for it."""
        if (inputs.get('action', CREATE) != CREATE
                or inputs.get('on_cancel', 'keep') != 'delete'):
            return
        try:
            heat = clients.heat(self.session(context))
            stack = self._created_stack(heat, context)
            if stack is None:
                return
            LOG.info('Task %(task)s cancelled: deleting stack %(stack)s',
                     {'task': context.task_id, 'stack': stack})
            heat.stacks.delete(stack)
        except heat_exc.HTTPNotFound:
            return
        except cloud.NoTrust:
            LOG.warning('Task %s cancelled, but its execution has no trust '
                        'to delete its stack with', context.task_id)
        except _CLIENT_ERRORS:
            LOG.exception('Task %s cancelled, but deleting its stack failed',
                          context.task_id)

    def _created_stack(self, heat, context):
        state = context.run_state or {}
        if state.get('stack_id'):
            return f"{state['stack_name']}/{state['stack_id']}"
        found = self._find_tagged(heat, context)
        return f'{found.stack_name}/{found.id}' if found else None

    def _find_tagged(self, heat, context):
        stacks = list(heat.stacks.list(tags=_task_tag(context)))
        return stacks[0] if stacks else None

    def _start(self, heat, context, inputs):
        action = inputs.get('action', CREATE)
        if action == CREATE:
            return self._create(heat, context, inputs)
        try:
            stack = heat.stacks.get(inputs['stack'])
        except heat_exc.HTTPNotFound:
            return base.Failed(
                message=_('Heat: stack %s not found.') % inputs['stack'],
                error_type='NotFound', retryable=False)
        ref = f'{stack.stack_name}/{stack.id}'
        state = {'stack_id': stack.id, 'stack_name': stack.stack_name,
                 'action': action.upper(), 'polls': 0}
        if action == UPDATE:
            fields = self._template_fields(inputs)
            fields['existing'] = inputs.get('existing', False)
            heat.stacks.update(ref, **fields)
            state['updated_time'] = stack.updated_time
        else:
            heat.stacks.delete(ref)
        LOG.info('Task %(task)s: %(action)s of stack %(stack)s started',
                 {'task': context.task_id, 'action': action, 'stack': ref})
        return self.wait(state)

    def _template_fields(self, inputs):
        return {key: inputs[key] for key in _TEMPLATE_PROPERTIES
                if key in inputs}

    def _create(self, heat, context, inputs):
        tag = _task_tag(context)
        found = self._find_tagged(heat, context)
        if found is not None:
            LOG.info('Task %(task)s: resuming stack %(stack)s created by '
                     'an interrupted run', {'task': context.task_id,
                                            'stack': found.id})
            stack_id, stack_name = found.id, found.stack_name
        else:
            stack_name = inputs.get('stack_name') or _default_stack_name(
                context)
            fields = self._template_fields(inputs)
            tags = [tag] + list(inputs.get('tags', []))
            created = heat.stacks.create(stack_name=stack_name,
                                         tags=','.join(tags), **fields)
            stack_id = created['stack']['id']
            LOG.info('Task %(task)s: creating stack %(name)s (%(id)s)',
                     {'task': context.task_id, 'name': stack_name,
                      'id': stack_id})
        return self.wait({'stack_id': stack_id, 'stack_name': stack_name,
                          'action': 'CREATE', 'polls': 0})

    def _check(self, heat, state):
        ref = f"{state['stack_name']}/{state['stack_id']}"
        try:
            stack = heat.stacks.get(ref)
        except heat_exc.HTTPNotFound:
            if state['action'] == 'DELETE':
                return base.Succeeded(self._output(state, 'DELETE_COMPLETE'))
            raise
        status = stack.stack_status
        if status.endswith('_IN_PROGRESS'):
            return self.wait(state)
        if _is_rollback_or_failure(status):
            return base.Failed(
                message=_('Heat: stack %(name)s is %(status)s: %(reason)s')
                % {'name': stack.stack_name, 'status': status,
                   'reason': stack.stack_status_reason},
                error_type='StackFailed', retryable=False,
                details={'stack_id': stack.id, 'status': status,
                         'reason': stack.stack_status_reason})
        if status != f"{state['action']}_COMPLETE" or (
                state['action'] == 'UPDATE'
                and stack.updated_time == state['updated_time']):
            # Heat has not started our action yet.
            return self.wait(state)
        outputs = {}
        for output in getattr(stack, 'outputs', None) or []:
            outputs[output['output_key']] = output.get('output_value')
        return base.Succeeded(self._output(state, status, outputs))

    @staticmethod
    def _output(state, status, outputs=None):
        return {'stack_id': state['stack_id'],
                'stack_name': state['stack_name'],
                'status': status,
                'outputs': outputs or {}}
