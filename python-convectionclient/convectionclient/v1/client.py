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

"""The v1 client: one object with a manager per API resource."""

from keystoneauth1 import noauth
from keystoneauth1 import session as ksa_session

import convectionclient
from convectionclient import exceptions
from convectionclient.common import http
from convectionclient.v1 import executions
from convectionclient.v1 import flows
from convectionclient.v1 import queues
from convectionclient.v1 import task_types
from convectionclient.v1 import webhooks


class Client:
    """Client of the Convection API v1.

    With Keystone::

        client = Client(session=keystone_session)      # catalog lookup
        client.flows.create(open('flow.yaml').read())

    Without Keystone (``convection-all`` on its embedded default, where
    the service acts as its configured project)::

        client = Client(endpoint_override='http://127.0.0.1:8989')

    :param session: a keystoneauth1 session. When omitted a session with
        no authentication is built, and ``endpoint_override`` is required.
    :param endpoint_override: the service URL, skipping the catalog.
    :param service_type: the catalog service type, ``taskflow``.
    :param interface: the catalog interface.
    :param region_name: the catalog region.
    :param api_version: the microversion sent in ``OpenStack-API-Version``.
    :param project_id: sent as ``X-Project-Id``; for a service without
        Keystone only.
    :param adapter_kwargs: further keystoneauth1 ``Adapter`` arguments
        (``user_agent``, ``connect_retries``, ``logger`` ...).
    """

    def __init__(self, session=None, endpoint_override=None,
                 service_type=http.DEFAULT_SERVICE_TYPE,
                 interface='public', region_name=None,
                 api_version=convectionclient.API_MAX_VERSION,
                 project_id=None, **adapter_kwargs):
        if session is None:
            if not endpoint_override:
                raise exceptions.EndpointNotFound(
                    'Without a keystoneauth session, endpoint_override '
                    'must give the Convection URL.')
            session = ksa_session.Session(
                auth=noauth.NoAuth(endpoint=endpoint_override))
        adapter_kwargs.setdefault(
            'client_name', 'python-convectionclient')
        adapter_kwargs.setdefault(
            'client_version', convectionclient.__version__)
        self.http = http.HTTPClient(
            session, api_version, project_id=project_id,
            service_type=service_type, interface=interface,
            region_name=region_name, endpoint_override=endpoint_override,
            **adapter_kwargs)
        self.api_version = api_version
        self.flows = flows.FlowManager(self)
        self.flow_versions = flows.FlowVersionManager(self)
        self.executions = executions.ExecutionManager(self)
        self.tasks = executions.TaskManager(self)
        self.events = executions.EventManager(self)
        self.task_types = task_types.TaskTypeManager(self)
        self.queues = queues.QueueManager(self)
        self.claims = queues.ClaimManager(self)
        self.webhooks = webhooks.WebhookManager(self)

    @property
    def endpoint(self):
        """The service root URL in use (resolved from the catalog once)."""
        return self.http.service_root()

    def versions(self):
        """The service's version discovery document (``GET /``)."""
        _, body = self.http.json_request('GET', '/')
        return body
