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

"""/v1/executions: start, list, show, cancel, pause, resume, retry."""

import functools

from oslo_log import log
import oslo_messaging as messaging
from oslo_utils import excutils
import pecan
from pecan import rest
import wsme
from wsme import types as wtypes

from convection import dsl
from convection.api import expose
from convection.api.controllers.v1 import collection
from convection.api.controllers.v1 import flows
from convection.api.controllers.v1 import signals
from convection.api.controllers.v1 import types
from convection.api.controllers.v1 import utils
from convection.common import exception
from convection.common import keystone
from convection.common import policy
from convection.common import states
from convection.db import api as db_api
from convection.db import queues_api
from convection.dsl import secrets as dsl_secrets
from convection.dsl import spec as dsl_spec
from convection.engine import specs as engine_specs
from convection.i18n import _
from convection.tasks import cloud

LOG = log.getLogger(__name__)

SORT_KEYS = ('created_at', 'updated_at', 'started_at', 'finished_at',
             'state', 'flow_name')

# What GET /v1/executions leaves out unless asked for ``detail``.
DETAIL_FIELDS = ('input', 'output', 'context')


class ExecutionRetryType(types.APIBase):
    """Body of POST /v1/executions/{id}/retry (optional)."""

    version = wtypes.IntegerType(minimum=1)
    """A newer version of the flow to move to; its own if not given."""


class ExecutionPostType(types.APIBase):
    """Body of POST /v1/executions."""

    flow = wsme.wsattr(wtypes.StringType(min_length=1, max_length=255),
                       mandatory=True)
    """Name or id of the flow to run."""

    version = wtypes.IntegerType(minimum=1)
    """The flow version to run; the latest if not given."""

    input = types.json_object
    """The flow's input, checked against its input schema."""

    idempotency_key = wtypes.StringType(min_length=1, max_length=255)
    """A repeated request with the same key returns the first execution."""


class Execution(types.APIBase):
    id = wtypes.text
    flow_id = wtypes.text
    flow_name = wtypes.text
    flow_version = int
    project_id = wtypes.text
    user_id = wtypes.text
    state = wtypes.text
    input = types.jsontype
    output = types.jsontype
    error = types.jsontype
    context = types.jsontype
    """What the execution's tasks published (``publish``)."""
    stop_reason = wtypes.text
    parent_id = wtypes.text
    parent_task_id = wtypes.text
    idempotency_key = wtypes.text
    created_at = wtypes.datetime.datetime
    started_at = wtypes.datetime.datetime
    finished_at = wtypes.datetime.datetime
    updated_at = wtypes.datetime.datetime
    duration = float
    """Seconds from start to finish, or until now while running."""
    task_counts = {wtypes.text: int}
    """Number of tasks in each state (GET of one execution)."""
    links = [types.Link]

    @classmethod
    def convert(cls, values):
        execution = cls.from_dict(masked(values))
        execution.links = [types.Link.make(
            utils.url('executions', execution.id))]
        return execution

    @classmethod
    def plain_list(cls, rows, detail=False):
        """The JSON form of executions, for a list.

        Without ``detail``, without the documents an execution carries
        (``DETAIL_FIELDS``): they have no size bound in common, and a page
        of a hundred executions would carry a hundred of each.
        """
        links = utils.link_maker('executions')
        executions = [cls.plain(dict(masked(row), links=links(row['id'])))
                      for row in rows]
        if not detail:
            for execution in executions:
                for key in DETAIL_FIELDS:
                    execution.pop(key, None)
        return executions


class ExecutionCollection(collection.Collection):
    executions = [Execution]
    _items_name = 'executions'


class Task(types.APIBase):
    id = wtypes.text
    execution_id = wtypes.text
    name = wtypes.text
    type = wtypes.text
    state = wtypes.text
    blocked_on = wtypes.text
    attempt = int
    item_index = int
    input = types.jsontype
    output = types.jsontype
    error = types.jsontype
    created_at = wtypes.datetime.datetime
    started_at = wtypes.datetime.datetime
    finished_at = wtypes.datetime.datetime
    duration = float
    progress = types.jsontype
    """What its worker last reported in a heartbeat (tenant task types)."""


class TaskCollection(collection.Collection):
    tasks = [Task]
    _items_name = 'tasks'


class Event(types.APIBase):
    id = int
    execution_id = wtypes.text
    task_id = wtypes.text
    task_name = wtypes.text
    kind = wtypes.text
    from_state = wtypes.text
    to_state = wtypes.text
    attempt = int
    details = types.jsontype
    created_at = wtypes.datetime.datetime


class EventCollection(collection.Collection):
    events = [Event]
    _items_name = 'events'


@functools.lru_cache(maxsize=256)
def _secret_keys(flow_id, version):
    # Flow versions never change: read each one's schema once.
    try:
        definition = db_api.get_flow_version(flow_id, version)['definition']
    except exception.NotFound:
        return frozenset()
    return dsl_secrets.secret_keys(definition.get('input'))


def secrets_of(execution):
    """``(secret input keys, secret values)`` of an execution."""
    if not execution.get('flow_id') or not execution.get('input'):
        return frozenset(), []
    keys = _secret_keys(execution['flow_id'], execution['flow_version'])
    return keys, dsl_secrets.secret_values(keys, execution['input'])


def masked(execution):
    """The execution with its secret input values hidden everywhere."""
    keys, secrets = secrets_of(execution)
    if not secrets:
        return execution
    return dict(
        execution,
        input=dsl_secrets.mask_input(keys, execution.get('input'), secrets),
        **{key: dsl_secrets.mask(execution.get(key), secrets)
           for key in ('output', 'error', 'context')})


def load_execution(action, context, execution_id):
    """The execution, if the caller may do ``action`` on it.

    :raises: ExecutionNotFound, also for another project's execution.
    :raises: PolicyNotAuthorized for the caller's own execution.
    """
    execution = db_api.get_execution(execution_id)
    utils.authorize_resource(
        action, execution['project_id'], context,
        exception.ExecutionNotFound(execution=execution_id))
    return execution


class ExecutionTasksController(rest.RestController):
    """/v1/executions/{id}/tasks"""

    @expose.expose(TaskCollection, wtypes.text, wtypes.text, int,
                   wtypes.text, wtypes.text)
    def get_all(self, execution_id, marker=None, limit=None, state=None,
                name=None):
        context = pecan.request.context
        execution = load_execution('convection:execution:get', context,
                                   execution_id)
        _keys, secrets = secrets_of(execution)
        limit = utils.validate_limit(limit)
        utils.validate_choice('state', state, states.TASK_STATES)
        filters = {key: value for key, value in
                   (('state', state), ('name', name)) if value is not None}
        try:
            rows = db_api.list_task_executions(
                execution_id, limit=limit + 1, marker=marker,
                filters=filters)
        except exception.TaskExecutionNotFound:
            raise exception.InvalidParameterValue(
                err=_('marker %s is not the id of a task of this '
                      'execution.') % marker)
        rows, more = utils.page(rows, limit)
        progress = queues_api.progress_of([row['id'] for row in rows])
        return TaskCollection.make(
            [Task.plain(dsl_secrets.mask(
                dict(row, progress=progress.get(row['id'])), secrets))
             for row in rows], more,
            ('executions', execution_id, 'tasks'), limit, state=state,
            name=name)


class ExecutionEventsController(rest.RestController):
    """/v1/executions/{id}/events"""

    @expose.expose(EventCollection, wtypes.text, int, int)
    def get_all(self, execution_id, marker=None, limit=None):
        context = pecan.request.context
        execution = load_execution('convection:execution:get', context,
                                   execution_id)
        _keys, secrets = secrets_of(execution)
        limit = utils.validate_limit(limit)
        rows, more = utils.page(
            db_api.list_events(execution_id, limit=limit + 1,
                               marker=marker), limit)
        return EventCollection.make(
            [Event.plain(dsl_secrets.mask(row, secrets))
             for row in rows], more,
            ('executions', execution_id, 'events'), limit)


class ExecutionsController(rest.RestController):
    """/v1/executions"""

    tasks = ExecutionTasksController()
    events = ExecutionEventsController()
    signals = signals.SignalsController()

    _custom_actions = {'cancel': ['POST'], 'pause': ['POST'],
                       'resume': ['POST'], 'retry': ['POST']}

    @expose.expose(ExecutionCollection, wtypes.text, int, wtypes.text,
                   wtypes.text, wtypes.text, int, wtypes.text, wtypes.text,
                   bool, bool)
    def get_all(self, marker=None, limit=None, sort_key=None, sort_dir=None,
                flow=None, version=None, state=None, parent_id=None,
                all_projects=False, detail=False):
        context = pecan.request.context
        policy.authorize('convection:execution:list',
                         {'project_id': context.project_id}, context)
        project_id = utils.scope_project(
            context, all_projects, 'convection:execution:list:all_projects')
        limit = utils.validate_limit(limit)
        sort_key, sort_dir = utils.validate_sort(sort_key, sort_dir,
                                                 SORT_KEYS, 'created_at')
        utils.validate_choice('state', state, states.EXECUTION_STATES)
        if version is not None and flow is None:
            raise exception.InvalidParameterValue(
                err=_('version filters executions of one flow; give flow '
                      'too.'))
        filters = {key: value for key, value in
                   (('flow_name', flow), ('flow_version', version),
                    ('state', state), ('parent_id', parent_id))
                   if value is not None}
        try:
            rows = db_api.list_executions(
                project_id, limit=limit + 1, marker=marker,
                sort_key=sort_key, sort_dir=sort_dir, filters=filters,
                detail=detail)
        except exception.ExecutionNotFound:
            raise exception.InvalidParameterValue(
                err=_('marker %s is not the id of an execution of this '
                      'list.') % marker)
        rows, more = utils.page(rows, limit)
        return ExecutionCollection.make(
            Execution.plain_list(rows, detail), more,
            ('executions',), limit, sort_key=sort_key, sort_dir=sort_dir,
            flow=flow, version=version, state=state, parent_id=parent_id,
            all_projects='true' if all_projects else None,
            detail='true' if detail else None)

    @expose.expose(Execution, wtypes.text)
    def get_one(self, execution_id):
        context = pecan.request.context
        return Execution.convert(
            load_execution('convection:execution:get', context,
                           execution_id))

    @expose.expose(Execution, body=ExecutionPostType, status_code=202)
    def post(self, request):
        context = pecan.request.context
        try:
            policy.authorize('convection:execution:create',
                             {'project_id': context.project_id}, context)
        except exception.PolicyNotAuthorized:
            raise exception.NotAuthorized(
                _('Starting an execution needs the member role in project '
                  '%s.') % context.project_id)
        flow = flows.load_flow(context, request.flow)
        flows.authorize_read('convection:flow:get', flow, context,
                             request.flow)
        number = (flow['latest_version'] if request.version is wtypes.Unset
                  else request.version)
        version = db_api.get_flow_version(flow['id'], number)
        # Stored with the schema's defaults filled in.
        flow_input = dsl.validate_input(
            version['definition'],
            None if request.input is wtypes.Unset else request.input)
        # Flows that call OpenStack services act for the caller through a
        # trust, so that they keep working after the caller's token expires.
        trust_id = None
        if cloud.definition_needs_trust(version['definition']):
            trust_id = keystone.create_trust_for(context)
        try:
            execution, created = db_api.create_execution({
                'project_id': context.project_id,
                'user_id': context.user_id,
                'flow_id': flow['id'],
                'flow_version_id': version['id'],
                'flow_name': flow['name'],
                'flow_version': version['version'],
                'input': flow_input,
                'idempotency_key': (None if request.idempotency_key
                                    is wtypes.Unset
                                    else request.idempotency_key),
                'trust_id': trust_id,
            })
        except Exception:
            with excutils.save_and_reraise_exception():
                keystone.delete_unused_trust(trust_id)
        if not created:
            # A repeated request: the stored execution has its own trust.
            keystone.delete_unused_trust(trust_id)
        if created:
            LOG.info('Execution %(execution)s of flow %(flow)s version '
                     '%(version)d stored',
                     {'execution': execution['id'], 'flow': flow['name'],
                      'version': version['version']})
            try:
                pecan.request.engine_api.start_execution(context,
                                                         execution['id'])
            except messaging.MessagingException:
                # Stored is enough: the engine starts executions left
                # PENDING whose cast was lost.
                LOG.warning('Could not tell the engine to start execution '
                            '%s; it will start it when it finds it pending',
                            execution['id'], exc_info=True)
        pecan.response.location = utils.url('executions', execution['id'])
        return Execution.convert(execution)

    @expose.expose(Execution, wtypes.text, status_code=202)
    def cancel(self, execution_id):
        context = pecan.request.context
        execution = load_execution('convection:execution:cancel', context,
                                   execution_id)
        if execution['state'] in states.EXECUTION_TERMINAL_STATES:
            raise exception.ExecutionAlreadyFinished(
                execution=execution_id, state=execution['state'])
        try:
            pecan.request.engine_api.cancel_execution(context, execution_id)
        except messaging.MessagingException as error:
            LOG.warning('Could not send the cancellation of execution %s '
                        'to the engine', execution_id, exc_info=True)
            raise exception.ServiceUnavailable(
                service='engine', reason=type(error).__name__) from error
        LOG.info('Cancellation of execution %s requested', execution_id)
        return Execution.convert(execution)

    def _cast(self, what, execution_id, cast, **kwargs):
        try:
            cast(pecan.request.context, execution_id, **kwargs)
        except messaging.MessagingException as error:
            LOG.warning('Could not send the %(what)s of execution %(id)s to '
                        'the engine', {'what': what, 'id': execution_id},
                        exc_info=True)
            raise exception.ServiceUnavailable(
                service='engine', reason=type(error).__name__) from error
        LOG.info('%(what)s of execution %(id)s requested',
                 {'what': what.capitalize(), 'id': execution_id})

    def _load_in(self, action, execution_id, expected):
        execution = load_execution(f'convection:execution:{action}',
                                   pecan.request.context, execution_id)
        if execution['state'] not in expected:
            raise exception.ExecutionStateConflict(
                execution=execution_id, state=execution['state'],
                action=action, expected=' or '.join(sorted(expected)))
        return execution

    @expose.expose(Execution, wtypes.text, status_code=202)
    def pause(self, execution_id):
        """Pause a RUNNING execution: no new task starts until resumed."""
        execution = self._load_in('pause', execution_id, {states.RUNNING})
        self._cast('pause', execution_id,
                   pecan.request.engine_api.pause_execution)
        return Execution.convert(execution)

    @expose.expose(Execution, wtypes.text, status_code=202)
    def resume(self, execution_id):
        """Resume a PAUSED execution."""
        execution = self._load_in('resume', execution_id, {states.PAUSED})
        self._cast('resume', execution_id,
                   pecan.request.engine_api.resume_execution)
        return Execution.convert(execution)

    @expose.expose(Execution, wtypes.text, body=ExecutionRetryType,
                   status_code=202)
    def retry(self, execution_id, request=None):
        """Run a FAILED or TIMED_OUT execution again from its failures.

        Tasks that succeeded keep their results. With ``version``, the
        execution moves to that version of its flow, which must keep the
        tasks that succeeded with the same task types.
        """
        execution = self._load_in('retry', execution_id,
                                  {states.FAILED, states.TIMED_OUT})
        version = None
        if request is not None and request.version not in (None,
                                                           wtypes.Unset):
            version = request.version
        target = {}
        if version is not None and version != execution['flow_version']:
            if version < execution['flow_version']:
                raise exception.InvalidParameterValue(err=_(
                    'version %(version)d is older than the version %(own)d '
                    'the execution runs; it can only move to a newer one')
                    % {'version': version, 'own': execution['flow_version']})
            old = db_api.get_flow_version(execution['flow_id'],
                                          execution['flow_version'])
            new = db_api.get_flow_version(execution['flow_id'], version)
            kept = {task['name'] for task in
                    db_api.list_task_executions(execution_id)
                    if task['state'] == states.SUCCEEDED}
            engine_specs.check_retry_compatible(
                execution_id, dsl_spec.FlowSpec(old['definition']),
                dsl_spec.FlowSpec(new['definition']), version, kept)
            target = {'flow_version_id': new['id'],
                      'flow_version': version}
        trust_id = self._trust_for_retry(execution, target)
        if trust_id is not None:
            target['trust_id'] = trust_id
        try:
            self._cast('retry', execution_id,
                       pecan.request.engine_api.retry_execution, **target)
        except exception.ServiceUnavailable:
            with excutils.save_and_reraise_exception():
                keystone.delete_unused_trust(trust_id)
        return Execution.convert(execution)

    @staticmethod
    def _trust_for_retry(execution, target):
        """A new trust when the retried run needs one and has none left.

        The engine deletes the trust of a finished execution; running it
        again in the cloud needs a new one, from the user who retries.
        """
        if execution['trust_id'] is not None:
            return None
        version = db_api.get_flow_version(
            execution['flow_id'],
            target.get('flow_version', execution['flow_version']))
        if not cloud.definition_needs_trust(version['definition']):
            return None
        return keystone.create_trust_for(pecan.request.context)
