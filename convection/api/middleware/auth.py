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

"""Authentication: Keystone tokens with public routes, or noauth."""

from keystonemiddleware import auth_token

# Version discovery needs no token; /healthcheck is answered further out.
PUBLIC_ROUTES = frozenset(('/', '/v1', '/v1/'))

NOAUTH_ROLES = 'admin,member,reader'


class KeystoneAuth:
    """keystonemiddleware's auth_token, skipped for the public routes."""

    def __init__(self, application, conf):
        self.application = application
        self.protected = auth_token.AuthProtocol(
            application, {'oslo_config_config': conf})

    def __call__(self, environ, start_response):
        if environ.get('PATH_INFO', '/') in PUBLIC_ROUTES:
            return self.application(environ, start_response)
        return self.protected(environ, start_response)


class NoAuth:
    """Every request acts as the configured project and user.

    Roles are what Keystone would give an admin (with implied roles), so
    every API is usable. For development and the single-process mode only.
    """

    def __init__(self, application, project_id, user_id):
        self.application = application
        self.project_id = project_id
        self.user_id = user_id

    def __call__(self, environ, start_response):
        environ.update({
            'HTTP_X_IDENTITY_STATUS': 'Confirmed',
            'HTTP_X_PROJECT_ID': self.project_id,
            'HTTP_X_USER_ID': self.user_id,
            'HTTP_X_ROLES': NOAUTH_ROLES,
        })
        return self.application(environ, start_response)
