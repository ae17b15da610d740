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

"""OpenStackClient plugin: ``openstack taskflow ...``.

The endpoint is, in order: ``--os-taskflow-endpoint``
(``OS_TASKFLOW_ENDPOINT``), ``taskflow_endpoint_override`` of the cloud
configuration, the endpoint of ``--os-auth-type none --os-endpoint``, and
otherwise the Keystone catalog entry of service type ``taskflow``.
"""

import logging

from keystoneauth1 import exceptions as ksa_exceptions
from osc_lib import exceptions as osc_exceptions
from osc_lib import utils

import convectionclient
from convectionclient.common import http

LOG = logging.getLogger(__name__)

API_NAME = 'taskflow'
API_VERSION_OPTION = 'os_taskflow_api_version'
DEFAULT_API_VERSION = convectionclient.API_MAX_VERSION
API_VERSIONS = {'1': 'convectionclient.v1.client.Client'}


def _split_version(version):
    """``'1'`` or ``'1.0'`` to (major, microversion)."""
    major, _, minor = str(version).partition('.')
    if not major.isdigit() or (minor and not minor.isdigit()):
        raise osc_exceptions.CommandError(
            f'Invalid --os-taskflow-api-version {version!r}: use MAJOR or '
            f'MAJOR.MINOR, such as {DEFAULT_API_VERSION}.')
    return major, f'{major}.{minor or 0}'


def check_api_version(version):
    """Validate ``--os-taskflow-api-version`` (OSC calls this at start).

    Any 1.x is accepted: the service answers 406 to a microversion it
    does not support, with the range it does.
    """
    major, _ = _split_version(version)
    if major not in API_VERSIONS:
        raise osc_exceptions.CommandError(
            f'Unsupported --os-taskflow-api-version {version}: this client '
            f'speaks {", ".join(sorted(API_VERSIONS))}.x.')
    return True


def _endpoint(instance):
    explicit = instance._cli_options.config.get('taskflow_endpoint')
    if explicit:
        return explicit
    try:
        return instance.get_endpoint_for_service_type(
            http.DEFAULT_SERVICE_TYPE, region_name=instance.region_name,
            interface=instance.interface)
    except ksa_exceptions.EndpointNotFound:
        raise osc_exceptions.CommandError(
            'The Keystone catalog has no endpoint of service type '
            f'{http.DEFAULT_SERVICE_TYPE!r} (interface '
            f'{instance.interface}, region {instance.region_name}); give '
            'one with --os-taskflow-endpoint.') from None


def make_client(instance):
    """Return a :class:`convectionclient.v1.client.Client`."""
    major, microversion = _split_version(instance._api_version[API_NAME])
    client_class = utils.get_client_class(API_NAME, major, API_VERSIONS)
    endpoint = _endpoint(instance)
    if not endpoint and instance._cli_options.config.get(
            'auth_type') == 'none':
        raise osc_exceptions.CommandError(
            'Without authentication (--os-auth-type none) the Convection '
            'URL is needed: give --os-taskflow-endpoint.')
    LOG.debug('Instantiating taskflow client %s for %s, API %s',
              client_class, endpoint, microversion)
    return client_class(session=instance.session,
                        endpoint_override=endpoint,
                        interface=instance.interface,
                        region_name=instance.region_name,
                        api_version=microversion)


def build_option_parser(parser):
    """Add the plugin's global options."""
    parser.add_argument(
        '--os-taskflow-api-version',
        metavar='<taskflow-api-version>',
        default=utils.env('OS_TASKFLOW_API_VERSION',
                          default=DEFAULT_API_VERSION),
        help='Convection (taskflow) API version, default='
             f'{DEFAULT_API_VERSION} (Env: OS_TASKFLOW_API_VERSION)')
    parser.add_argument(
        '--os-taskflow-endpoint',
        metavar='<url>',
        default=utils.env('OS_TASKFLOW_ENDPOINT'),
        help='Convection URL to use instead of the catalog entry of '
             'service type taskflow (Env: OS_TASKFLOW_ENDPOINT)')
    return parser
