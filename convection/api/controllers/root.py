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

"""The API root: version discovery."""

from wsme import types as wtypes

from convection.api import expose
from convection.api.controllers import v1


class Root(wtypes.Base):
    name = wtypes.text
    description = wtypes.text
    versions = [v1.Version]
    default_version = v1.Version

    @classmethod
    def make(cls):
        current = v1.Version.current()
        return cls(name='Convection',
                   description='TaskFlow as a Service for OpenStack.',
                   versions=[current], default_version=current)


class RootController:
    v1 = v1.Controller()

    @expose.expose(Root)
    def index(self):
        return Root.make()
