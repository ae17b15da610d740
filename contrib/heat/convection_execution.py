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

"""OS::Convection::Execution: a Heat resource that runs a Convection flow.

Heat loads this module from a directory listed in ``[DEFAULT] plugin_dirs``
of heat.conf (see README.rst next to it). It runs inside heat-engine and
imports only what Heat's own environment has: Heat, oslo.config and
keystoneauth1. It talks to Convection's REST API as the stack's user,
through the Keystone session of Heat's request context, and finds the API
in the Keystone catalog under the service type ``taskflow``.
"""

from heat.common import exception
from heat.common.i18n import _
from heat.engine import attributes
from heat.engine import constraints
from heat.engine import properties
from heat.engine import resource
from heat.engine import support
from keystoneauth1 import adapter
from keystoneauth1 import exceptions as ks_exceptions
from oslo_config import cfg
from oslo_log import log as logging

LOG = logging.getLogger(__name__)

# The catalog type of the Convection API (python-convectionclient's
# DEFAULT_SERVICE_TYPE, DevStack's CONVECTION_SERVICE_TYPE).
SERVICE_TYPE = 'taskflow'
API_PREFIX = '/v1'

SUCCEEDED = 'SUCCEEDED'
# The states an execution ends in without success.
UNSUCCESSFUL = ('FAILED', 'CANCELLED', 'TIMED_OUT')


class NoEndpoint(exception.Error):
    """The Keystone catalog has no Convection endpoint for the user."""


def service_root(endpoint):
    """The Convection API root of a catalog URL that may end in ``/v1``."""
    endpoint = endpoint.rstrip('/')
    if endpoint.endswith(API_PREFIX):
        endpoint = endpoint[:-len(API_PREFIX)]
    return endpoint


def error_message(response):
    """Convection's explanation of an error answer, as one line."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        error = body.get('error')
        if isinstance(error, dict) and error.get('message'):
            return str(error['message'])
        # Middleware (keystonemiddleware, WSME) answers in other shapes.
        for key in ('faultstring', 'message', 'title'):
            if isinstance(body.get(key), str):
                return body[key]
    return (response.text or '').strip()[:200] or response.reason


def refused(what, response):
    """The error for an answer that is not the one expected.

    :param what: what Convection did not do, translated ("Convection did
        not start flow f").
    """
    return exception.Error(_('%(what)s: %(message)s (HTTP %(status)s)') % {
        'what': what, 'message': error_message(response),
        'status': response.status_code})


class ConvectionExecution(resource.Resource):
    """Runs a Convection flow and, by default, waits for it to end.

    The execution runs as the stack's user, in the stack's project. Stack
    creation succeeds when the execution succeeds and fails with
    Convection's error message when it fails, is cancelled or times out.
    With ``wait: false`` the resource is complete as soon as Convection
    has accepted the execution. Deleting the resource cancels the
    execution if it is still running. Changing any property replaces the
    resource, which starts a new execution.
    """

    support_status = support.SupportStatus(
        message=_('Provided by Convection (contrib/heat), not by Heat.'))

    PROPERTIES = (
        FLOW, VERSION, INPUT, WAIT,
    ) = (
        'flow', 'version', 'input', 'wait',
    )

    ATTRIBUTES = (
        EXECUTION_ID, STATE, OUTPUT, ERROR,
    ) = (
        'execution_id', 'state', 'output', 'error',
    )

    properties_schema = {
        FLOW: properties.Schema(
            properties.Schema.STRING,
            _('Name or id of the Convection flow to run.'),
            required=True,
            constraints=[constraints.Length(min=1, max=255)],
        ),
        VERSION: properties.Schema(
            properties.Schema.INTEGER,
            _('Version of the flow to run; its latest version if not '
              'given.'),
            constraints=[constraints.Range(min=1)],
        ),
        INPUT: properties.Schema(
            properties.Schema.MAP,
            _('Input of the flow, checked by Convection against the '
              'flow\'s input schema.'),
            default={},
        ),
        WAIT: properties.Schema(
            properties.Schema.BOOLEAN,
            _('Whether creating the resource waits for the execution to '
              'end (and fails if it does not succeed). The stack\'s '
              'timeout bounds the wait.'),
            default=True,
        ),
    }

    attributes_schema = {
        EXECUTION_ID: attributes.Schema(
            _('Id of the Convection execution.'),
            type=attributes.Schema.STRING,
        ),
        STATE: attributes.Schema(
            _('State of the execution now: PENDING, RUNNING, PAUSED, '
              'SUCCEEDED, FAILED, CANCELLED or TIMED_OUT.'),
            type=attributes.Schema.STRING,
        ),
        OUTPUT: attributes.Schema(
            _('Output of the execution (the flow\'s "output"); null '
              'until it succeeds.'),
            type=attributes.Schema.MAP,
        ),
        ERROR: attributes.Schema(
            _('Error of an execution that did not succeed: a map with '
              'at least "message"; null otherwise.'),
            type=attributes.Schema.MAP,
        ),
    }

    # ------------------------------------------------------------ REST

    def _request(self, method, path, json=None):
        """One request to Convection as the stack's user.

        :returns: the ``requests.Response``, whatever its status.
        """
        region = (self.context.region_name
                  or cfg.CONF.region_name_for_services)
        client = adapter.Adapter(
            self.context.keystone_session, service_type=SERVICE_TYPE,
            interface=cfg.CONF.clients.endpoint_type, region_name=region)
        try:
            endpoint = client.get_endpoint()
        except ks_exceptions.EndpointNotFound:
            endpoint = None
        if not endpoint:
            raise NoEndpoint(_(
                'Convection has no %(interface)s endpoint of service type '
                '"%(type)s" in region %(region)s of the Keystone catalog.')
                % {'interface': cfg.CONF.clients.endpoint_type,
                   'type': SERVICE_TYPE, 'region': region})
        return client.request(
            API_PREFIX + path, method, json=json, raise_exc=False,
            endpoint_override=service_root(endpoint),
            headers={'Accept': 'application/json'})

    def _get_execution(self, execution_id):
        """The execution, or None if Convection does not know it."""
        response = self._request('GET', f'/executions/{execution_id}')
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise refused(_('Convection did not show execution %s')
                          % execution_id, response)
        return response.json()

    # -------------------------------------------------------- lifecycle

    def handle_create(self):
        flow = self.properties[self.FLOW]
        body = {'flow': flow, 'input': self.properties[self.INPUT],
                # Should this resource's start be sent twice (a retried
                # request), Convection answers with the first execution.
                'idempotency_key': f'heat-{self.uuid}'}
        if self.properties[self.VERSION] is not None:
            body['version'] = self.properties[self.VERSION]
        response = self._request('POST', '/executions', json=body)
        if response.status_code != 202:
            raise refused(_('Convection did not start flow %s') % flow,
                          response)
        execution_id = response.json()['id']
        self.resource_id_set(execution_id)
        LOG.info('Convection execution %(id)s of flow %(flow)s started '
                 'for %(resource)s',
                 {'id': execution_id, 'flow': flow, 'resource': self.name})
        return execution_id

    def check_create_complete(self, execution_id):
        if not self.properties[self.WAIT]:
            return True
        execution = self._get_execution(execution_id)
        if execution is None:
            raise exception.Error(_(
                'Convection execution %s disappeared.') % execution_id)
        state = execution['state']
        if state == SUCCEEDED:
            return True
        if state in UNSUCCESSFUL:
            error = execution.get('error') or {}
            message = (error.get('message') if isinstance(error, dict)
                       else error) or _('no error message')
            raise exception.Error(_(
                'Convection execution %(id)s of flow %(flow)s ended '
                '%(state)s: %(message)s') % {
                    'id': execution_id,
                    'flow': execution.get('flow_name'),
                    'state': state, 'message': message})
        return False

    def handle_delete(self):
        if self.resource_id is None:
            return None
        try:
            response = self._request(
                'POST', f'/executions/{self.resource_id}/cancel')
        except NoEndpoint:
            # Convection left the catalog: nothing can cancel the
            # execution any more, and the stack must still go.
            LOG.warning('Cannot cancel Convection execution %s: no '
                        'endpoint in the catalog', self.resource_id)
            return None
        # 404: gone; 409: already ended. Both leave nothing to cancel.
        if response.status_code not in (202, 404, 409):
            raise refused(_('Convection did not cancel execution %s')
                          % self.resource_id, response)
        if response.status_code == 202:
            LOG.info('Convection execution %s cancelled', self.resource_id)
        return None

    # ------------------------------------------------------- attributes

    def _show_resource(self):
        if self.resource_id is None:
            return None
        return self._get_execution(self.resource_id)

    def _resolve_attribute(self, name):
        if self.resource_id is None:
            return None
        if name == self.EXECUTION_ID:
            return self.resource_id
        execution = self._get_execution(self.resource_id)
        if execution is None:
            return None
        return execution.get(name)


def resource_mapping():
    return {'OS::Convection::Execution': ConvectionExecution}
