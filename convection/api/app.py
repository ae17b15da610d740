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

"""The WSGI application: Pecan plus its middleware, built in code."""

import functools

from oslo_config import cfg
from oslo_log import log
from oslo_middleware import cors
from oslo_middleware import healthcheck
from oslo_middleware import http_proxy_to_wsgi
from oslo_middleware import request_id
import pecan
from pecan import util as pecan_util

from convection.api import hooks
from convection.api.controllers import root
from convection.api.controllers.v1 import versions
from convection.api.middleware import auth
from convection.api.middleware import body
from convection.api.middleware import errors

LOG = log.getLogger(__name__)
CONF = cfg.CONF


HEALTHCHECK_PATH = '/healthcheck'


class HealthcheckRoute:
    """Answer HEALTHCHECK_PATH with oslo.middleware's healthcheck.

    The healthcheck app answers every request it gets, so only that path
    is sent to it.
    """

    def __init__(self, application, conf):
        self.application = application
        self.healthcheck = healthcheck.Healthcheck(None, conf)

    def __call__(self, environ, start_response):
        if environ.get('PATH_INFO') == HEALTHCHECK_PATH:
            return self.healthcheck(environ, start_response)
        return self.application(environ, start_response)


def set_cors_defaults():
    """Headers browsers may send and read, for [cors]."""
    cors.set_defaults(
        allow_headers=['Content-Type', 'X-Auth-Token',
                       'X-OpenStack-Request-ID', versions.HEADER],
        expose_headers=['X-OpenStack-Request-ID', versions.HEADER,
                        'Location'],
        allow_methods=['GET', 'POST', 'PATCH', 'DELETE', 'OPTIONS'])


def remember_controller_signatures():
    """Make Pecan inspect each controller's signature only once.

    Pecan reads the signatures of the controllers along a request's path
    on every request, through ``inspect`` and a namedtuple class it builds
    anew each time: a third of the CPU of a small request. Signatures do
    not change once the application is built, so keep what it read.
    """
    if not hasattr(pecan_util._getargspec, 'cache_info'):
        pecan_util._getargspec = functools.lru_cache(maxsize=1024)(
            pecan_util._getargspec)


def setup_app(conf=None, with_auth=True):
    """Build the API application.

    Middleware, from the outside in: CORS, RequestId, the JSON error
    middleware, Healthcheck, HTTPProxyToWSGI, authentication (Keystone or
    noauth), the request body size limit, JSON only, then Pecan.

    :param conf: the ConfigOpts to read, cfg.CONF by default.
    :param with_auth: False trusts the identity headers of the request as
        keystonemiddleware would have set them; for tests only.
    """
    conf = conf or CONF
    remember_controller_signatures()
    app = pecan.make_app(
        root.RootController(),
        hooks=[hooks.ContextHook(), hooks.RPCHook(), hooks.ExceptionHook()],
        guess_content_type_from_ext=False,
        # Our error middleware writes every error body.
        debug=False)
    app = body.JsonOnly(app)
    app = body.BodySizeLimit(app, conf.api.max_request_body_size)
    if with_auth:
        if conf.auth_strategy == 'keystone':
            app = auth.KeystoneAuth(app, conf)
        else:
            LOG.warning('The API runs without authentication '
                        '(auth_strategy = noauth): every request acts as '
                        'project %s.', conf.api.noauth_project_id)
            app = auth.NoAuth(app, conf.api.noauth_project_id,
                              conf.api.noauth_user_id)
    app = http_proxy_to_wsgi.HTTPProxyToWSGI(app, conf)
    app = HealthcheckRoute(app, conf)
    app = errors.ErrorMiddleware(app)
    app = request_id.RequestId(app)
    set_cors_defaults()
    return cors.CORS(app, conf)
