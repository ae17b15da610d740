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

"""Every error the API answers is ``{"error": {...}}`` in JSON.

``ErrorMiddleware`` sits outside everything that can fail (Pecan, WSME,
keystonemiddleware, the body limits) and rewrites each non-2xx response
into the documented shape. Exceptions raised by our own code are recorded
in the WSGI environment (``record``) so that their message and details
reach the client; anything else keeps only a safe message. Server errors
never show their cause: they answer a generic message with the request id
and are logged with their traceback.
"""

import http

from oslo_log import log
from oslo_middleware import request_id
from oslo_serialization import jsonutils
import webob.exc

from convection.common import exception
from convection.i18n import _

LOG = log.getLogger(__name__)

ENV_EXCEPTION = 'convection.exception'


def record(environ, error):
    """Remember ``error`` for this request and log it at the right level.

    :returns: the HTTP status the error answers with.
    """
    code = getattr(error, 'code', None)
    if isinstance(error, exception.ConvectionException) and code < 500:
        LOG.debug('Request refused: %s', error)
    else:
        LOG.error('Request %(method)s %(path)s failed',
                  {'method': environ.get('REQUEST_METHOD'),
                   'path': environ.get('PATH_INFO')},
                  exc_info=(type(error), error, error.__traceback__))
        if not isinstance(error, exception.ConvectionException):
            code = http.HTTPStatus.INTERNAL_SERVER_ERROR
    environ[ENV_EXCEPTION] = error
    return int(code)


def fault(code, message, details=None):
    """The error document for HTTP status ``code``."""
    error = {'code': code, 'title': _title(code), 'message': message}
    if details:
        error['details'] = details
    return {'error': error}


def respond(start_response, code, message, details=None, headers=()):
    """Answer an error directly, for middleware that refuses a request."""
    body = jsonutils.dump_as_bytes(fault(code, message, details))
    start_response(f'{code} {_title(code)}',
                   [('Content-Type', 'application/json'),
                    ('Content-Length', str(len(body))), *headers])
    return [body]


def _title(code):
    try:
        return http.HTTPStatus(code).phrase
    except ValueError:
        return 'Error'


class ErrorMiddleware:
    """Rewrite non-2xx responses as JSON faults."""

    # Headers describing the old body; the new one gets its own.
    _BODY_HEADERS = frozenset(('content-type', 'content-length',
                               'content-encoding', 'content-language'))

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        state = {}

        def capture(status, headers, exc_info=None):
            state['code'] = int(status.split(None, 1)[0])
            state['headers'] = headers
            if state['code'] < 400:
                return start_response(status, headers, exc_info)
            # The body is replaced: swallow what the app writes.
            return lambda data: None

        try:
            app_iter = self.application(environ, capture)
            if 'code' not in state:
                # start_response may be called on the first iteration.
                app_iter = list(app_iter)
        except Exception as error:
            record(environ, error)
            return self._rewrite(environ, start_response, 500, [], b'')

        if state['code'] < 400:
            return app_iter
        try:
            body = b''.join(app_iter)
        finally:
            if hasattr(app_iter, 'close'):
                app_iter.close()
        return self._rewrite(environ, start_response, state['code'],
                             state['headers'], body)

    def _rewrite(self, environ, start_response, code, headers, body):
        message, details = self._describe(environ, code, headers, body)
        kept = [(name, value) for name, value in headers
                if name.lower() not in self._BODY_HEADERS]
        if environ.get('REQUEST_METHOD') == 'HEAD':
            start_response(f'{code} {_title(code)}',
                           [('Content-Type', 'application/json'), *kept])
            return [b'']
        return respond(start_response, code, message, details, kept)

    def _describe(self, environ, code, headers, body):
        """The message and details a client may see."""
        error = environ.get(ENV_EXCEPTION)
        if code >= 500:
            if error is None:
                LOG.error('Request %(method)s %(path)s answered %(code)d',
                          {'method': environ.get('REQUEST_METHOD'),
                           'path': environ.get('PATH_INFO'), 'code': code})
            if (code == http.HTTPStatus.SERVICE_UNAVAILABLE
                    and isinstance(error, exception.ConvectionException)
                    and error.safe):
                return str(error), None
            return (_('The server could not complete the request. Give '
                      'the operator the request id %s.')
                    % environ.get(request_id.ENV_REQUEST_ID, '-'), None)
        if (isinstance(error, exception.ConvectionException)
                and error.code == code):
            if error.safe:
                return str(error), getattr(error, 'errors', None)
            return _default_message(code, headers), None
        return _message_from_body(body) or _default_message(code,
                                                            headers), None


def _message_from_body(body):
    """The message of a JSON error another layer produced, if any."""
    try:
        document = jsonutils.loads(body)
    except ValueError:
        return None
    if not isinstance(document, dict):
        return None
    # keystonemiddleware answers in our shape already; WSME answers
    # faultstring.
    if isinstance(document.get('error'), dict):
        message = document['error'].get('message')
    else:
        message = document.get('faultstring')
    return message if isinstance(message, str) and message else None


def _default_message(code, headers):
    if code == http.HTTPStatus.METHOD_NOT_ALLOWED:
        allowed = dict((k.lower(), v) for k, v in headers).get('allow')
        if allowed:
            return (_('This method is not allowed here; allowed methods: '
                      '%s.') % allowed)
    error_class = webob.exc.status_map.get(code)
    if error_class is not None and error_class.explanation:
        return error_class.explanation
    return _title(code)
