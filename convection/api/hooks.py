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

"""Pecan hooks: the request context, the engine client, errors."""

import threading

from oslo_config import cfg
from pecan import hooks
import webob

from convection.api.middleware import errors
from convection.common import context
from convection.common import rpc
from convection.engine import rpcapi

CONF = cfg.CONF


class ContextHook(hooks.PecanHook):
    """Build the RequestContext from the identity headers."""

    def before(self, state):
        state.request.context = context.RequestContext.from_environ(
            state.request.environ)


class RPCHook(hooks.PecanHook):
    """Attach the engine client as ``pecan.request.engine_api``.

    The client (and its transport) is made on first use, so that the app
    can be built before the messaging configuration is final.
    """

    def __init__(self):
        self._engine_api = None
        self._lock = threading.Lock()

    def _get_engine_api(self):
        with self._lock:
            if self._engine_api is None:
                rpc.init(CONF)
                self._engine_api = rpcapi.EngineAPI()
        return self._engine_api

    def before(self, state):
        state.request.engine_api = self._get_engine_api()


class ExceptionHook(hooks.PecanHook):
    """Record exceptions raised outside the controller methods.

    ``expose`` handles those raised inside them; this covers routing
    (the microversion check) and hooks. Pecan's own HTTP errors are left
    to Pecan and rewritten by the error middleware.
    """

    def on_error(self, state, error):
        if isinstance(error, webob.exc.HTTPException):
            return None
        code = errors.record(state.request.environ, error)
        return webob.Response(status=code)
