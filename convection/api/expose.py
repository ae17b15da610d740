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

"""``expose``: wsexpose, JSON only, with our exceptions recorded.

Exceptions raised by a controller method are recorded for the error
middleware, which writes the response body, so that a flow definition's
per-problem details reach the client and no traceback ever does.
"""

import functools
import inspect

import pecan
import wsme.api
from wsmeext import pecan as wsme_pecan

from convection.api.middleware import errors


def expose(*args, **kwargs):
    """Like ``wsmeext.pecan.wsexpose`` but JSON only."""
    kwargs.setdefault('rest_content_types', ('json',))
    wsexpose = wsme_pecan.wsexpose(*args, **kwargs)

    def decorate(func):
        @functools.wraps(func)
        def guarded(*call_args, **call_kwargs):
            try:
                return func(*call_args, **call_kwargs)
            except Exception as error:
                code = errors.record(pecan.request.environ, error)
                # The body is written by the error middleware.
                return wsme.api.Response(None, status_code=code)

        # WSME reads the argument list from the signature...
        guarded.__signature__ = inspect.signature(func)
        exposed = wsexpose(guarded)
        # ...but Pecan's router must see wsexpose's (self, *args, **kw),
        # which functools.wraps would hide behind the copied signature.
        del exposed.__signature__
        return exposed

    return decorate
