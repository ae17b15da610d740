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

"""The options oslo-config-generator lists, in one explicit place."""

from convection.conf import api
from convection.conf import conductor
from convection.conf import database
from convection.conf import default
from convection.conf import dsl
from convection.conf import engine
from convection.conf import heat
from convection.conf import keystone
from convection.conf import nova
from convection.conf import queues
from convection.conf import webhooks

_MODULES = (default, api, conductor, database, dsl, engine, heat, keystone,
            nova, queues, webhooks)


def list_opts():
    """Return ``[(group, [opts])]`` for oslo-config-generator."""
    groups = {}
    for module in _MODULES:
        for group, opts in module.list_opts().items():
            groups.setdefault(group, []).extend(opts)
    return sorted(groups.items())
