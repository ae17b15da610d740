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

"""Outgoing HTTP that cannot be turned against the service's own network.

Webhook URLs and ``http`` task URLs come from tenants. Before a request is
made its host is resolved and every address checked: only globally
routable addresses are allowed, which refuses loopback, link-local
(including the 169.254.169.254 metadata service), private (RFC 1918 and
RFC 4193), shared (RFC 6598), multicast, reserved and documentation
ranges. Private ranges are refused too because in most clouds they reach
the control plane. An operator may allow hosts by name
(``allowed_hosts``) or networks by CIDR (``allowed_networks``) in the
``[webhooks]`` and ``[http]`` groups.

The request then connects to the address that was checked (the Host
header and TLS server name stay the URL's), so a DNS answer that changes
between the check and the connection (DNS rebinding) cannot slip past.
Redirects are never followed.
"""

import dataclasses
import ipaddress
import socket
import urllib.parse

import urllib3

from convection.common import exception
from convection.i18n import _


@dataclasses.dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str


@dataclasses.dataclass(frozen=True)
class Response:
    status: int
    headers: dict
    body: bytes


def _networks(conf_group):
    networks = []
    for cidr in conf_group.allowed_networks:
        try:
            networks.append(ipaddress.ip_network(cidr, strict=False))
        except ValueError:
            raise exception.ConfigInvalid(
                reason=_('allowed_networks entry %r is not a CIDR') % cidr
            ) from None
    return networks


def _refusal(address, networks):
    """Why ``address`` may not be reached, or None if it may."""
    ip = ipaddress.ip_address(address)
    if getattr(ip, 'ipv4_mapped', None) is not None:
        ip = ip.ipv4_mapped
    if any(ip in network for network in networks):
        return None
    if ip.is_loopback:
        return _('it resolves to the loopback address %s') % ip
    if ip.is_link_local:
        return _('it resolves to the link-local address %s (the metadata '
                 'service lives there)') % ip
    if not ip.is_global or ip.is_multicast:
        return _('it resolves to %s, which is not a public address') % ip
    return None


def check_url(url, conf_group):
    """Check that ``url`` may be called; return where to connect.

    :param conf_group: the ``[webhooks]`` or ``[http]`` option group.
    :raises: UnsafeURL naming the reason.
    """
    try:
        parts = urllib.parse.urlsplit(url) if isinstance(url, str) else None
        port = parts.port if parts else None
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ('http', 'https') or \
            not parts.hostname:
        raise exception.UnsafeURL(
            url=url, reason=_('only absolute http and https URLs are '
                              'allowed'))
    if parts.username or parts.password:
        raise exception.UnsafeURL(
            url=url, reason=_('credentials in the URL are not allowed; send '
                              'them in a header'))
    host = parts.hostname
    port = port or (443 if parts.scheme == 'https' else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as e:
        raise exception.UnsafeURL(
            url=url, reason=_('its host cannot be resolved (%s)') % e
        ) from None
    addresses = sorted({info[4][0] for info in infos})
    allowed_host = host.lower() in {h.lower()
                                    for h in conf_group.allowed_hosts}
    if not allowed_host:
        networks = _networks(conf_group)
        for address in addresses:
            reason = _refusal(address, networks)
            if reason:
                raise exception.UnsafeURL(url=url, reason=reason)
    path = parts.path or '/'
    if parts.query:
        path += '?' + parts.query
    return Target(scheme=parts.scheme, host=host, port=port, path=path,
                  address=addresses[0])


def request(method, url, conf_group, headers=None, body=None, timeout=10.0,
            max_bytes=1048576):
    """Send one HTTP request to a checked address.

    :returns: a :class:`Response`.
    :raises: UnsafeURL if the URL may not be called.
    :raises: RequestEntityTooLarge if the body exceeds ``max_bytes``.
    :raises: urllib3.exceptions.HTTPError for connection problems.
    """
    target = check_url(url, conf_group)
    headers = dict(headers or {})
    default_port = 443 if target.scheme == 'https' else 80
    headers.setdefault('Host', target.host if target.port == default_port
                       else f'{target.host}:{target.port}')
    kwargs = {'timeout': urllib3.Timeout(total=timeout), 'retries': False,
              'maxsize': 1}
    if target.scheme == 'https':
        if conf_group.ca_file:
            kwargs['ca_certs'] = conf_group.ca_file
        # Connect to the checked address, but verify the certificate (and
        # send SNI) for the URL's host name.
        pool = urllib3.HTTPSConnectionPool(
            target.address, target.port, server_hostname=target.host,
            assert_hostname=target.host, cert_reqs='CERT_REQUIRED',
            **kwargs)
    else:
        pool = urllib3.HTTPConnectionPool(target.address, target.port,
                                          **kwargs)
    with pool:
        response = pool.urlopen(method, target.path, body=body,
                                headers=headers, redirect=False,
                                preload_content=False)
        try:
            data = response.read(max_bytes + 1)
        finally:
            response.release_conn()
    if len(data) > max_bytes:
        raise exception.RequestEntityTooLarge(
            what=_('The response body'), size=len(data), limit=max_bytes)
    return Response(
        status=response.status,
        headers={k.lower(): v for k, v in response.headers.items()},
        body=data)
