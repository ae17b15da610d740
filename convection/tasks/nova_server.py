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

"""The ``nova.server`` task type: boot, delete, reboot, stop or start.

Like ``heat.stack``, it never holds a thread while Nova works: it sends the
request, returns the server ids as its run state at once, and each later
run checks the servers once until they reach the target state.

Example::

    boot:
      type: nova.server
      with:
        name: web-1
        flavor: m1.tiny
        image: 155d900f-4e14-4e4c-a73d-069cbf4541e6
        networks: none
        on_cancel: delete
"""

import base64
import re

from keystoneauth1 import exceptions as ks_exc
from oslo_log import log

from convection.common import clients
from convection.i18n import _
from convection.tasks import base
from convection.tasks import cloud

LOG = log.getLogger(__name__)

BOOT = 'boot'
DELETE = 'delete'
REBOOT = 'reboot'
STOP = 'stop'
START = 'start'

# The state each action waits for.
_TARGETS = {BOOT: 'ACTIVE', REBOOT: 'ACTIVE', STOP: 'SHUTOFF',
            START: 'ACTIVE', DELETE: 'DELETED'}
_ACTION_BODIES = {STOP: {'os-stop': None}, START: {'os-start': None}}
# Metadata key marking the servers a run booted, so that a run interrupted
# between Nova's answer and the engine storing the ids finds them again.
TASK_METADATA_KEY = 'convection_task'

_SERVER_REF = {'type': 'string', 'minLength': 1}


def _when(action, schema):
    condition = {'properties': {'action': {'const': action}},
                 'required': ['action']}
    if action == BOOT:
        # No action means boot.
        condition = {'anyOf': [condition,
                               {'not': {'required': ['action']}}]}
    return {'if': condition, 'then': schema}


INPUT_SCHEMA = {
    'type': 'object',
    'properties': {'action': {'enum': list(_TARGETS)}},
    'allOf': [
        _when(BOOT, {
            'properties': {
                'action': {},
                'name': {'type': 'string', 'minLength': 1,
                         'maxLength': 255},
                'flavor': {'type': ['string', 'integer']},
                'image': {'type': 'string', 'minLength': 1},
                'networks': {'oneOf': [
                    {'enum': ['none', 'auto']},
                    {'type': 'array', 'minItems': 1, 'items': {
                        'type': 'object',
                        'properties': {
                            'uuid': {'type': 'string'},
                            'port': {'type': 'string'},
                            'fixed_ip': {'type': 'string'},
                            'tag': {'type': 'string'}},
                        'additionalProperties': False}}]},
                'key_name': {'type': 'string'},
                'user_data': {'type': 'string'},
                'metadata': {'type': 'object',
                             'additionalProperties': {'type': 'string'}},
                'availability_zone': {'type': 'string'},
                'count': {'type': 'integer', 'minimum': 1},
                'on_cancel': {'enum': ['delete', 'keep']},
            },
            'required': ['name', 'flavor', 'image'],
            'additionalProperties': False}),
        _when(REBOOT, {
            'properties': {'action': {}, 'server': _SERVER_REF,
                           'type': {'enum': ['SOFT', 'HARD']}},
            'required': ['server'],
            'additionalProperties': False}),
    ] + [
        _when(action, {
            'properties': {'action': {}, 'server': _SERVER_REF},
            'required': ['server'],
            'additionalProperties': False})
        for action in (DELETE, STOP, START)
    ],
}


class _Problem(Exception):
    """A bad input found while talking to Nova (unknown flavor...)."""

    def __init__(self, message, error_type='NotFound'):
        super().__init__(message)
        self.error_type = error_type


def _task_mark(context):
    return f'{context.task_id}-{context.attempt}'


def _summary(server):
    return {'id': server['id'], 'name': server['name'],
            'status': server['status'],
            'addresses': server.get('addresses') or {}}


def _fault_failure(server):
    fault = server.get('fault') or {}
    message = fault.get('message') or _('no fault recorded')
    error_type = ('NoValidHost' if 'no valid host' in message.lower()
                  else 'ServerFailed')
    return base.Failed(
        message=_('Nova: server %(name)s (%(id)s) is in ERROR: '
                  '%(fault)s') % {'name': server['name'],
                                  'id': server['id'], 'fault': message},
        error_type=error_type, retryable=False,
        details={'server_id': server['id'], 'fault': fault})


class NovaServerTask(cloud.CloudTask):
    """Boots, deletes, reboots, stops or starts Nova servers."""

    service_type = clients.COMPUTE
    input_schema = INPUT_SCHEMA

    def run(self, context, inputs):
        try:
            nova = clients.nova(self.session(context))
        except cloud.NoTrust as error:
            return self.no_trust(error)
        state = context.run_state
        if state is None:
            try:
                return self._start(nova, context, inputs)
            except _Problem as problem:
                return base.Failed(message=str(problem),
                                   error_type=problem.error_type,
                                   retryable=False)
            except ks_exc.ClientException as exc:
                return self.failed(exc, context)
        try:
            return self._check(nova, state)
        except ks_exc.ClientException as exc:
            if cloud.is_transient(exc):
                return self.wait_after_error(exc, context, state)
            return self.failed(exc, context)

    def cancel(self, context, inputs):
        """Delete the servers the task booted, if the flow asks for it."""
        if (inputs.get('action', BOOT) != BOOT
                or inputs.get('on_cancel', 'keep') != 'delete'):
            return
        try:
            nova = clients.nova(self.session(context))
            state = context.run_state or {}
            ids = state.get('server_ids') or [
                server['id'] for server in
                self._find_marked(nova, context, inputs['name'])]
            for server_id in ids:
                LOG.info('Task %(task)s cancelled: deleting server '
                         '%(server)s', {'task': context.task_id,
                                        'server': server_id})
                try:
                    nova.delete(f'/servers/{server_id}')
                except ks_exc.NotFound:
                    pass
        except cloud.NoTrust:
            LOG.warning('Task %s cancelled, but its execution has no trust '
                        'to delete its servers with', context.task_id)
        except ks_exc.ClientException:
            LOG.exception('Task %s cancelled, but deleting its servers '
                          'failed', context.task_id)

    # Starting an action.

    def _start(self, nova, context, inputs):
        action = inputs.get('action', BOOT)
        if action == BOOT:
            return self._boot(nova, context, inputs)
        server = self._find_server(nova, inputs['server'])
        state = {'action': action, 'server_ids': [server['id']],
                 'polls': 0}
        target = _TARGETS[action]
        if (action in (STOP, START) and server['status'] == target
                and not server.get('OS-EXT-STS:task_state')):
            return base.Succeeded(self._output([server]))
        if action == DELETE:
            nova.delete(f"/servers/{server['id']}")
        elif action == REBOOT:
            nova.post(f"/servers/{server['id']}/action",
                      json={'reboot': {'type': inputs.get('type', 'SOFT')}})
        else:
            nova.post(f"/servers/{server['id']}/action",
                      json=_ACTION_BODIES[action])
        LOG.info('Task %(task)s: %(action)s of server %(server)s started',
                 {'task': context.task_id, 'action': action,
                  'server': server['id']})
        return self.wait(state)

    def _boot(self, nova, context, inputs):
        found = self._find_marked(nova, context, inputs['name'])
        if found:
            LOG.info('Task %(task)s: resuming servers %(ids)s booted by an '
                     'interrupted run', {'task': context.task_id,
                                         'ids': [s['id'] for s in found]})
            return self.wait({'action': BOOT, 'polls': 0,
                              'server_ids': [s['id'] for s in found]})
        count = inputs.get('count', 1)
        metadata = dict(inputs.get('metadata', {}))
        metadata[TASK_METADATA_KEY] = _task_mark(context)
        server = {
            'name': inputs['name'],
            'flavorRef': self._find_flavor(nova, inputs['flavor']),
            'imageRef': inputs['image'],
            'networks': inputs.get('networks', 'auto'),
            'metadata': metadata,
            'min_count': count,
            'max_count': count,
        }
        for key in ('key_name', 'availability_zone'):
            if key in inputs:
                server[key] = inputs[key]
        if 'user_data' in inputs:
            server['user_data'] = base64.b64encode(
                inputs['user_data'].encode()).decode()
        if count > 1:
            server['return_reservation_id'] = True
        body = nova.post('/servers', json={'server': server}).json()
        if count > 1:
            reservation = body['reservation_id']
            ids = [s['id'] for s in nova.get(
                '/servers', params={'reservation_id': reservation}
            ).json()['servers']]
        else:
            ids = [body['server']['id']]
        LOG.info('Task %(task)s: booting servers %(ids)s',
                 {'task': context.task_id, 'ids': ids})
        return self.wait({'action': BOOT, 'server_ids': ids, 'polls': 0})

    def _find_marked(self, nova, context, name):
        servers = nova.get('/servers/detail',
                           params={'name': re.escape(name)}).json()
        mark = _task_mark(context)
        return [server for server in servers['servers']
                if server.get('metadata', {}).get(TASK_METADATA_KEY) == mark]

    def _find_flavor(self, nova, flavor):
        flavor = str(flavor)
        flavors = nova.get('/flavors').json()['flavors']
        for candidates in ([f for f in flavors if f['id'] == flavor],
                           [f for f in flavors if f['name'] == flavor]):
            if len(candidates) == 1:
                return candidates[0]['id']
            if candidates:
                raise _Problem(_('Nova: more than one flavor is named '
                                 '%s; use its id.') % flavor, 'Conflict')
        raise _Problem(_('Nova: flavor %s not found.') % flavor)

    def _find_server(self, nova, ref):
        try:
            return nova.get(f'/servers/{ref}').json()['server']
        except ks_exc.NotFound:
            pass
        servers = nova.get('/servers/detail', params={
            'name': f'^{re.escape(ref)}$'}).json()['servers']
        if len(servers) == 1:
            return servers[0]
        if servers:
            raise _Problem(_('Nova: more than one server is named %s; use '
                             'its id.') % ref, 'Conflict')
        raise _Problem(_('Nova: server %s not found.') % ref)

    # Checking on it.

    def _check(self, nova, state):
        action = state['action']
        target = _TARGETS[action]
        servers = []
        for server_id in state['server_ids']:
            try:
                server = nova.get(f'/servers/{server_id}').json()['server']
            except ks_exc.NotFound:
                if action != DELETE:
                    raise
                continue
            if server['status'] == 'ERROR':
                return _fault_failure(server)
            if action == DELETE and server['status'] not in (
                    'DELETED', 'SOFT_DELETED'):
                return self.wait(state)
            if action != DELETE and (
                    server['status'] != target
                    or server.get('OS-EXT-STS:task_state')):
                return self.wait(state)
            servers.append(server)
        if action == DELETE:
            return base.Succeeded({'id': state['server_ids'][0],
                                   'ids': state['server_ids'],
                                   'status': target})
        return base.Succeeded(self._output(servers))

    @staticmethod
    def _output(servers):
        summaries = [_summary(server) for server in servers]
        first = summaries[0]
        return {'id': first['id'], 'ids': [s['id'] for s in summaries],
                'name': first['name'], 'status': first['status'],
                'addresses': first['addresses'], 'servers': summaries}
