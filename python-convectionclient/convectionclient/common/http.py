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

"""The HTTP layer: a keystoneauth1 Adapter that speaks Convection's API.

It sends ``OpenStack-API-Version: taskflow <version>`` on every request,
encodes and decodes JSON, and turns error answers into
:mod:`convectionclient.exceptions`.
"""

import logging
from urllib import parse

from keystoneauth1 import adapter
from keystoneauth1 import exceptions as ksa_exceptions

from convectionclient import exceptions

LOG = logging.getLogger(__name__)

DEFAULT_SERVICE_TYPE = 'taskflow'
API_PREFIX = '/v1'


def strip_version(endpoint):
    """Return the service root of an endpoint that may end in ``/v1``.

    Catalogs register either the root or the versioned URL; every path
    this client builds starts with ``/v1``.
    """
    endpoint = endpoint.rstrip('/')
    if endpoint.endswith(API_PREFIX):
        endpoint = endpoint[:-len(API_PREFIX)]
    return endpoint


class HTTPClient(adapter.Adapter):
    """An Adapter bound to one Convection endpoint and API version."""

    def __init__(self, session, api_version, project_id=None, **kwargs):
        kwargs.setdefault('service_type', DEFAULT_SERVICE_TYPE)
        super().__init__(session, default_microversion=api_version,
                         **kwargs)
        self.api_version = api_version
        self.project_id = project_id
        self._root = None

    def service_root(self):
        if self._root is None:
            try:
                endpoint = self.get_endpoint()
            except ksa_exceptions.EndpointNotFound as e:
                raise exceptions.EndpointNotFound(str(e)) from e
            if not endpoint:
                raise exceptions.EndpointNotFound(
                    f'No endpoint for service type {self.service_type!r} '
                    f'(interface {self.interface!r}); give one with '
                    f'endpoint_override.')
            self._root = strip_version(endpoint)
        return self._root

    def request(self, url, method, **kwargs):
        """Send a request and return the ``requests.Response``.

        :raises: a :class:`convectionclient.exceptions.HttpError` subclass
            for any answer of 400 or more, ``ConnectionFailure`` when the
            service cannot be reached.
        """
        headers = kwargs.setdefault('headers', {})
        headers.setdefault('Accept', 'application/json')
        if self.project_id:
            # Only meaningful to a service running without Keystone,
            # which then acts for this project.
            headers.setdefault('X-Project-Id', self.project_id)
        kwargs['endpoint_override'] = self.service_root()
        kwargs['raise_exc'] = False
        try:
            response = super().request(url, method, **kwargs)
        except ksa_exceptions.ConnectionError as e:
            raise exceptions.ConnectionFailure(
                f'Unable to reach Convection at {self._root}: {e}') from e
        if response.status_code >= 400:
            raise exceptions.from_response(response, method=method, url=url)
        return response

    def json_request(self, method, url, body=None, params=None):
        """Send ``body`` as JSON and return ``(response, decoded body)``.

        The decoded body is ``None`` when the answer has none.
        """
        kwargs = {}
        if body is not None:
            kwargs['json'] = body
        if params:
            kwargs['params'] = params
        response = self.request(url, method, **kwargs)
        if not response.content:
            return response, None
        try:
            return response, response.json()
        except ValueError as e:
            raise exceptions.ServerError(
                f'The service answered {method} {url} with a body that is '
                f'not JSON.', http_status=response.status_code) from e


def query_of(link):
    """Return the query parameters of a ``next`` link as a dict."""
    query = parse.urlsplit(link).query
    return dict(parse.parse_qsl(query, keep_blank_values=True))
