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

"""Configuration options, one module per group, registered at import."""

from oslo_config import cfg

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

CONF = cfg.CONF

api.register_opts(CONF)
conductor.register_opts(CONF)
database.register_opts(CONF)
default.register_opts(CONF)
dsl.register_opts(CONF)
engine.register_opts(CONF)
heat.register_opts(CONF)
keystone.register_opts(CONF)
nova.register_opts(CONF)
queues.register_opts(CONF)
webhooks.register_opts(CONF)
