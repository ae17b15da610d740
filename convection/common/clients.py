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

"""The one place that builds clients of other OpenStack services.

Every client is built from a keystoneauth session (normally a trust-scoped
one, see :mod:`convection.common.keystone`); endpoints always come from the
Keystone catalog, by service type, region and interface.
"""

from heatclient import client as heat_client
from keystoneauth1 import adapter

from convection.conf import CONF

ORCHESTRATION = 'orchestration'
COMPUTE = 'compute'


def _endpoint_filter(service_type):
    group = {ORCHESTRATION: CONF.heat, COMPUTE: CONF.nova}[service_type]
    return {'service_type': service_type,
            'interface': group.interface,
            'region_name': group.region_name}


def endpoint(session, service_type):
    """The catalog endpoint Convection uses for ``service_type``.

    :raises: keystoneauth1.exceptions.EndpointNotFound
    """
    return session.get_endpoint(**_endpoint_filter(service_type))


def heat(session):
    """A python-heatclient v1 client."""
    return heat_client.Client('1', session=session,
                              **_endpoint_filter(ORCHESTRATION))


def nova(session):
    """A keystoneauth adapter for the compute API at our microversion.

    Raw requests keep Convection in control of the microversion (and so of
    the response shapes it parses) without another client library.
    """
    return adapter.Adapter(session,
                           default_microversion=CONF.nova.api_version,
                           **_endpoint_filter(COMPUTE))
