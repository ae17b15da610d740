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

"""API microversions of the v1 API.

Clients pin a version with ``OpenStack-API-Version: taskflow 1.0``. A
request without the header gets the minimum version.

History:

* 1.0: the initial v1 API.
"""

import re

from convection.common import exception

SERVICE_TYPE = 'taskflow'
HEADER = 'OpenStack-API-Version'
LATEST = 'latest'

# Minor versions of v1, one entry per change.
MINOR_0_INITIAL = 0

MIN_VERSION = (1, MINOR_0_INITIAL)
MAX_VERSION = (1, MINOR_0_INITIAL)

_VERSION_RE = re.compile(r'^(\d+)\.(\d+)$')


def to_string(version):
    return f'{version[0]}.{version[1]}'


def header_value(version):
    return f'{SERVICE_TYPE} {to_string(version)}'


def requested(header):
    """The version ``header`` asks for, checked against what we serve.

    :param header: the ``OpenStack-API-Version`` value, or None.
    :returns: ``(major, minor)``.
    :raises: InvalidAPIVersionHeader if it cannot be parsed.
    :raises: UnsupportedAPIVersion if it is outside MIN..MAX.
    """
    if not header:
        return MIN_VERSION
    wanted = None
    for entry in header.split(','):
        parts = entry.split()
        if len(parts) != 2:
            raise exception.InvalidAPIVersionHeader(value=header)
        if parts[0].lower() == SERVICE_TYPE:
            wanted = parts[1].lower()
    if wanted is None:
        # Versions for other services are not ours to judge.
        return MIN_VERSION
    if wanted == LATEST:
        return MAX_VERSION
    match = _VERSION_RE.match(wanted)
    if not match:
        raise exception.InvalidAPIVersionHeader(value=header)
    version = (int(match.group(1)), int(match.group(2)))
    if not MIN_VERSION <= version <= MAX_VERSION:
        raise exception.UnsupportedAPIVersion(
            version=wanted, min=to_string(MIN_VERSION),
            max=to_string(MAX_VERSION))
    return version
