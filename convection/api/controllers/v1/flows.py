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

"""/v1/flows: register, validate, list, show, publish and delete flows."""

from oslo_log import log
import pecan
from pecan import rest
import wsme
from wsme import types as wtypes

from convection import dsl
from convection.api import expose
from convection.api.controllers.v1 import collection
from convection.api.controllers.v1 import types
from convection.api.controllers.v1 import utils
from convection.common import exception
from convection.common import policy
from convection.common import states
from convection.db import api as db_api
from convection.i18n import _
from convection.tasks import tenant

LOG = log.getLogger(__name__)

SORT_KEYS = ('created_at', 'updated_at', 'name')
VERSION_FIELDS = ('flow_id', 'flow_name', 'version', 'description',
                  'checksum', 'definition', 'created_at')

visibility_type = wtypes.Enum(str, *states.VISIBILITIES)


class FlowPostType(types.APIBase):
    """Body of POST /v1/flows and POST /v1/flows/validate."""

    definition = wsme.wsattr(types.definition, mandatory=True)
    """The flow document, or its YAML or JSON text."""

    visibility = visibility_type
    """'private' (the default for a new flow) or 'public'."""


class FlowPatchType(types.APIBase):
    """Body of PATCH /v1/flows/{name_or_id}."""

    visibility = wsme.wsattr(visibility_type, mandatory=True)


class Flow(types.APIBase):
    """A flow and its latest version."""

    id = wtypes.text
    name = wtypes.text
    project_id = wtypes.text
    visibility = wtypes.text
    latest_version = int
    description = wtypes.text
    created_at = wtypes.datetime.datetime
    updated_at = wtypes.datetime.datetime
    links = [types.Link]

    version = int
    """The version this request registered (POST only)."""

    definition = types.jsontype
    """The latest definition (GET of one flow only)."""

    @classmethod
    def convert(cls, values, **extra):
        flow = cls.from_dict(dict(values, **extra))
        flow.links = [types.Link.make(utils.url('flows', flow.id))]
        return flow


class FlowCollection(collection.Collection):
    flows = [Flow]
    _items_name = 'flows'


class FlowVersion(types.APIBase):
    flow_id = wtypes.text
    flow_name = wtypes.text
    version = int
    description = wtypes.text
    checksum = wtypes.text
    definition = types.jsontype
    created_at = wtypes.datetime.datetime


class FlowVersionCollection(collection.Collection):
    versions = [FlowVersion]
    _items_name = 'versions'


class FlowValidation(types.APIBase):
    """Answer of POST /v1/flows/validate for a valid document."""

    valid = bool
    name = wtypes.text
    description = wtypes.text
    checksum = wtypes.text
    definition = types.jsontype
    """The normalized definition, as it would be stored."""


def _check_definition(source, project_id):
    """Parse and validate a flow document.

    Its tasks may use the built-in task types and those of ``project_id``.

    :returns: ``(definition, checksum)``.
    :raises: InvalidFlowDefinition with one detail per problem.
    """
    definition = dsl.validate(dsl.parse(source),
                              task_types=tenant.task_types_for(project_id))
    return definition, dsl.checksum(definition)


def load_flow(context, name_or_id):
    """The flow ``name_or_id`` as the caller may see it.

    Looks in the caller's project and the public flows, then, for an
    admin, in every project.

    :raises: FlowNotFound, FlowNameAmbiguous.
    """
    try:
        return db_api.get_flow(context.project_id, name_or_id)
    except exception.FlowNotFound:
        if not policy.check('context_is_admin', {}, context):
            raise
    return db_api.get_flow(None, name_or_id)


def authorize_read(action, flow, context, name_or_id):
    """Reading a public flow is checked against the caller's project."""
    if (flow['visibility'] == states.PUBLIC
            and flow['project_id'] != context.project_id):
        policy.authorize(action, {'project_id': context.project_id},
                         context)
        return
    utils.authorize_resource(action, flow['project_id'], context,
                             exception.FlowNotFound(flow=name_or_id))


def _authorize_write(action, flow, context, name_or_id):
    if (flow['visibility'] == states.PUBLIC
            and flow['project_id'] != context.project_id
            and not policy.check(action, {'project_id': flow['project_id']},
                                 context)):
        raise exception.NotAuthorized(
            _('Flow %s is public but belongs to another project; only '
              'that project can change or delete it.') % name_or_id)
    utils.authorize_resource(action, flow['project_id'], context,
                             exception.FlowNotFound(flow=name_or_id))


class FlowVersionsController(rest.RestController):
    """/v1/flows/{name_or_id}/versions"""

    @expose.expose(FlowVersionCollection, wtypes.text, int, int)
    def get_all(self, flow_ident, marker=None, limit=None):
        context = pecan.request.context
        flow = load_flow(context, flow_ident)
        authorize_read('convection:flow:get', flow, context, flow_ident)
        limit = utils.validate_limit(limit)
        rows, more = utils.page(
            db_api.list_flow_versions(flow['id'], limit=limit + 1,
                                      marker=marker), limit)
        return FlowVersionCollection.make(
            [FlowVersion.plain(row) for row in rows], more,
            ('flows', flow_ident, 'versions'), limit, marker_key='version')

    @expose.expose(FlowVersion, wtypes.text, int)
    def get_one(self, flow_ident, version):
        context = pecan.request.context
        flow = load_flow(context, flow_ident)
        authorize_read('convection:flow:get', flow, context, flow_ident)
        return FlowVersion.from_dict(
            db_api.get_flow_version(flow['id'], version))


class FlowsController(rest.RestController):
    """/v1/flows"""

    versions = FlowVersionsController()

    _custom_actions = {'validate': ['POST']}

    @expose.expose(FlowCollection, wtypes.text, int, wtypes.text,
                   wtypes.text, wtypes.text, wtypes.text, bool)
    def get_all(self, marker=None, limit=None, sort_key=None, sort_dir=None,
                name=None, visibility=None, all_projects=False):
        context = pecan.request.context
        policy.authorize('convection:flow:list',
                         {'project_id': context.project_id}, context)
        project_id = utils.scope_project(context, all_projects,
                                         'convection:flow:list:all_projects')
        limit = utils.validate_limit(limit)
        sort_key, sort_dir = utils.validate_sort(sort_key, sort_dir,
                                                 SORT_KEYS, 'created_at')
        utils.validate_choice('visibility', visibility, states.VISIBILITIES)
        filters = {key: value for key, value in
                   (('name', name), ('visibility', visibility))
                   if value is not None}
        try:
            rows = db_api.list_flows(project_id, limit=limit + 1,
                                     marker=marker, sort_key=sort_key,
                                     sort_dir=sort_dir, filters=filters)
        except exception.FlowNotFound:
            raise exception.InvalidParameterValue(
                err=_('marker %s is not the id of a flow of this '
                      'list.') % marker)
        rows, more = utils.page(rows, limit)
        links = utils.link_maker('flows')
        return FlowCollection.make(
            [Flow.plain(dict(row, links=links(row['id']))) for row in rows],
            more, ('flows',), limit,
            sort_key=sort_key, sort_dir=sort_dir, name=name,
            visibility=visibility,
            all_projects='true' if all_projects else None)

    @expose.expose(Flow, wtypes.text)
    def get_one(self, flow_ident):
        context = pecan.request.context
        flow = load_flow(context, flow_ident)
        authorize_read('convection:flow:get', flow, context, flow_ident)
        return Flow.convert(flow)

    @expose.expose(Flow, body=FlowPostType, status_code=201)
    def post(self, flow):
        context = pecan.request.context
        policy.authorize('convection:flow:create',
                         {'project_id': context.project_id}, context)
        definition, checksum = _check_definition(flow.definition,
                                                 context.project_id)
        visibility = (None if flow.visibility is wtypes.Unset
                      else flow.visibility)
        row, version, created = db_api.create_flow_version(
            context.project_id, context.user_id, definition['name'],
            definition, flow.definition, definition.get('description'),
            checksum, visibility=visibility)
        if created:
            LOG.info('Flow %(name)s version %(version)d registered in '
                     'project %(project)s',
                     {'name': row['name'], 'version': version['version'],
                      'project': context.project_id})
            pecan.response.location = utils.url('flows', row['id'])
            status = 201
        else:
            status = 200
        return wsme.api.Response(
            Flow.convert(row, version=version['version']),
            status_code=status)

    @expose.expose(FlowValidation, body=FlowPostType)
    def validate(self, flow):
        context = pecan.request.context
        policy.authorize('convection:flow:validate',
                         {'project_id': context.project_id}, context)
        definition, checksum = _check_definition(flow.definition,
                                                 context.project_id)
        return FlowValidation(valid=True, name=definition['name'],
                              description=definition.get('description'),
                              checksum=checksum, definition=definition)

    @expose.expose(Flow, wtypes.text, body=FlowPatchType)
    def patch(self, flow_ident, changes):
        context = pecan.request.context
        flow = load_flow(context, flow_ident)
        _authorize_write('convection:flow:update', flow, context,
                         flow_ident)
        updated = db_api.update_flow(flow['id'], changes.visibility)
        LOG.info('Flow %(flow)s is now %(visibility)s',
                 {'flow': flow['id'], 'visibility': changes.visibility})
        values = dict(flow, **updated)
        # The definition is shown by GET of the flow only.
        values.pop('definition', None)
        return Flow.convert(values)

    @expose.expose(None, wtypes.text, status_code=204)
    def delete(self, flow_ident):
        context = pecan.request.context
        flow = load_flow(context, flow_ident)
        _authorize_write('convection:flow:delete', flow, context,
                         flow_ident)
        db_api.delete_flow(flow['id'])
        LOG.info('Flow %(flow)s (%(name)s) deleted',
                 {'flow': flow['id'], 'name': flow['name']})
